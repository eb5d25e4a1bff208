BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Policy = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 3
}

Describe 'ConvertTo-RlRollout' {
    It 'tokenizes prompt and demonstration like a rollout, with EOS appended' {
        $p = [RlTools.Core.Records.PromptRecord]@{ Id = 'q1'; Prompt = '12+34='; Answer = '46' }
        $p.Metadata['solution'] = '46'
        $r = $p | ConvertTo-RlRollout -Policy $Policy
        $r | Should -BeOfType ([RlTools.Core.Records.Rollout])
        $r.IsExpert | Should -BeTrue
        $r.PromptId | Should -Be 'q1'
        $r.Completion | Should -Be '46'
        # Byte tokenizer: BOS (256) then the bytes of the prompt; completion bytes then EOS (257).
        $r.PromptTokens | Should -Be (@(256) + [int[]][System.Text.Encoding]::UTF8.GetBytes('12+34='))
        $r.CompletionTokens | Should -Be @(52, 54, 257)
        $r.Reward | Should -BeNullOrEmpty
    }

    It 'matches the prompt tokens Invoke-RlRollout uses' {
        $p = [RlTools.Core.Records.PromptRecord]@{ Id = 'q2'; Prompt = '7+8='; Answer = '15' }
        $demo = $p | ConvertTo-RlRollout -Policy $Policy -UseAnswer
        $roll = $p | Invoke-RlRollout -Policy $Policy -GroupSize 1 -MaxTokens 2 -Seed 1
        $demo.PromptTokens | Should -Be $roll.PromptTokens
        $demo.Completion | Should -Be '15'
    }

    It 'leaves out EOS with -NoEos' {
        $p = [RlTools.Core.Records.PromptRecord]@{ Id = 'q3'; Prompt = '1+1='; Answer = '2' }
        ($p | ConvertTo-RlRollout -Policy $Policy -UseAnswer -NoEos).CompletionTokens | Should -Be @(50)
    }

    It 'reports a prompt without a demonstration and keeps the others' {
        $good = [RlTools.Core.Records.PromptRecord]@{ Id = 'ok'; Prompt = '2+2='; Answer = '4' }
        $good.Metadata['solution'] = '4'
        $bad = [RlTools.Core.Records.PromptRecord]@{ Id = 'bad'; Prompt = '3+3='; Answer = '6' }
        $out = $bad, $good | ConvertTo-RlRollout -Policy $Policy -ErrorVariable errs -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        $out.PromptId | Should -Be 'ok'
        $errs[0].FullyQualifiedErrorId | Should -Be 'DemonstrationMissing,RlTools.Commands.ConvertToRlRolloutCommand'
        $errs[0].TargetObject | Should -Be 'bad'
    }

    It 'feeds an SFT update that changes the policy' {
        $rows = New-RlDataset -Task Arithmetic -Count 16 -Seed 2 -WithSolution | ConvertTo-RlRollout -Policy $Policy
        @($rows).Count | Should -Be 16
        $result = $rows | Update-RlPolicy -Policy $Policy -Objective Sft -LearningRate 1e-3
        $result.Skipped | Should -Not -Contain $true
        $result[0].Loss | Should -BeGreaterThan 0
    }
}
