BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
}

Describe 'Get-RlAdvantageEstimator' {
    It 'lists every registered estimator' {
        $all = @(Get-RlAdvantageEstimator)
        $all.Name | Should -Be ([RlTools.Core.Advantages.AdvantageEstimatorRegistry]::Names)
        $all.Name | Should -Contain 'GRPO'
        $all.Name | Should -Contain 'R3Rank'
        $all | Should -BeOfType ([RlTools.Core.Advantages.AdvantageEstimatorInfo])
    }

    It 'describes source, arXiv id, level, inputs and parameters with defaults' {
        $d = Get-RlAdvantageEstimator DGPO
        $d.ArxivId | Should -Be '2601.20614'
        $d.Level | Should -Be 'Sequence'
        $d.Inputs | Should -Contain 'reward'
        ($d.Parameters | Where-Object Name -EQ 'Temperature').Default | Should -Be 2.0
        $d.Parameters.Description | Should -Not -Contain ''
        (Get-RlAdvantageEstimator GAE).Inputs | Should -Contain 'values'
        (Get-RlAdvantageEstimator GAE).Level | Should -Be 'Token'
        (Get-RlAdvantageEstimator ARM).Assumptions | Should -Match 'perplexity'
        $stateful = @([RlTools.Core.Advantages.AdvantageEstimatorRegistry]::Names | Where-Object { ([RlTools.Core.Advantages.AdvantageEstimatorRegistry]::Create($_)).IsStateful })
        @(Get-RlAdvantageEstimator | Where-Object Stateful).Name | Should -Be $stateful
        $stateful | Should -Contain 'ADORA'
        $stateful | Should -Contain 'R3Rank'
    }

    It 'has a generated about_RlTools_Estimators section for every registered estimator' {
        $about = Join-Path (Split-Path (Get-Module RlTools).Path) 'en-US' 'about_RlTools_Estimators.help.txt'
        $text = Get-Content -LiteralPath $about -Raw
        $text | Should -Not -Match '<!-- estimators'
        # Each section starts with its sub-heading, indented 2 in the about-topic text.
        foreach ($name in [RlTools.Core.Advantages.AdvantageEstimatorRegistry]::Names) { $text | Should -Match ('(?m)^  ' + [regex]::Escape($name) + ' \(') }
        $text | Should -Match 'Schulman' # GAE's doc comment, not a hand-written copy
    }

    It 'matches wildcards case-insensitively' {
        @(Get-RlAdvantageEstimator 'reinforce*').Name | Should -Be @('ReinforcePlusPlus', 'ReinforcePlusPlusBaseline')
    }

    It 'reports an unknown name with the valid ones' {
        Get-RlAdvantageEstimator Nope -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -Be 'UnknownEstimator,RlTools.Commands.GetRlAdvantageEstimatorCommand'
        $errs[0].Exception.Message | Should -Match 'GRPO, DrGRPO, RLOO'
    }

    It 'tab-completes estimator names for <Command>' -ForEach @(
        @{ Command = 'Measure-RlAdvantage -Estimator ' }, @{ Command = 'New-RlAdvantageEstimator -Name ' }, @{ Command = 'Get-RlAdvantageEstimator ' }) {
        $all = (TabExpansion2 -inputScript $Command -cursorColumn $Command.Length).CompletionMatches.CompletionText
        $all | Should -Be ([RlTools.Core.Advantages.AdvantageEstimatorRegistry]::Names)
        $line = $Command + 'Reinf'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('ReinforcePlusPlus', 'ReinforcePlusPlusBaseline')
    }
}
