BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
}

Describe 'Get-RlPolicyLoss' {
    It 'lists every registered loss with a paper and parameters' {
        $losses = @(Get-RlPolicyLoss)
        $losses[0] | Should -BeOfType ([RlTools.Core.Records.PolicyLossInfo])
        @($losses.Name | Sort-Object -Unique).Count | Should -Be $losses.Count
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'RlTools.Torch' } | Select-Object -First 1
        $losses.Name | Should -Be @($engine.GetType('RlTools.Torch.Losses.PolicyLossRegistry')::All.Name)
        $losses[0].Name | Should -Be 'PPO'
        foreach ($l in $losses) { $l.Paper | Should -Match 'arXiv:\d{4}\.\d{4,5}' }
    }

    It 'reports defaults, required parameters and forced aggregation' {
        $ppo = Get-RlPolicyLoss PPO
        ($ppo.Parameters | Where-Object Name -EQ 'DualClip').Default | Should -Be 3
        (Get-RlPolicyLoss DRO).Parameters[0].Default | Should -BeNullOrEmpty
        (Get-RlPolicyLoss GSPO).ForcedAggregation | Should -Be 'SeqMeanTokenMean'
        $ppo.ForcedAggregation | Should -BeNullOrEmpty
    }

    It 'finds losses by alias and wildcard' {
        (Get-RlPolicyLoss reinforce).Name | Should -Be 'GPG'
        @(Get-RlPolicyLoss '*Cov').Name | Should -Be @('ClipCov', 'KLCov')
        @('PPO', 'SAPO' | Get-RlPolicyLoss).Count | Should -Be 2
    }

    It 'reports an unknown name as a non-terminating error' {
        $out = Get-RlPolicyLoss NoSuchLoss, PPO -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'UnknownLoss,RlTools.Commands.GetRlPolicyLossCommand'
        $out.Name | Should -Be 'PPO'
    }

    It 'tab-completes -Loss from the registry' {
        $r = TabExpansion2 -inputScript 'Update-RlPolicy -Loss GS' -cursorColumn 'Update-RlPolicy -Loss GS'.Length
        $r.CompletionMatches.CompletionText | Should -Contain 'GSPO'
        $r = TabExpansion2 -inputScript 'Get-RlPolicyLoss -Name Cl' -cursorColumn 'Get-RlPolicyLoss -Name Cl'.Length
        $r.CompletionMatches.CompletionText | Should -Contain 'ClipCov'
    }
}
