BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest

    # A scored rollout with the given reward components (a hashtable name -> value or $null).
    function New-ScoredRollout([string] $PromptId, [int] $Sample, [hashtable] $Components) {
        $map = [System.Collections.Generic.Dictionary[string, Nullable[double]]]::new()
        foreach ($k in $Components.Keys) { $map[$k] = $Components[$k] }
        [RlTools.Core.Records.Rollout] @{ PromptId = $PromptId; SampleIndex = $Sample; Rewards = $map }
    }
    function New-Batch([double] $SafeMean) {
        # The unary comma keeps the typed array from being unrolled on return.
        , [RlTools.Core.Records.Rollout[]] @(
            New-ScoredRollout p 0 @{ task = 1.0; safe = $SafeMean - 0.05 }
            New-ScoredRollout q 0 @{ task = 1.0; safe = $SafeMean + 0.05 }
        )
    }
}

Describe 'New-RlRewardWeighting' {
    It 'completes -Name from the registry' {
        $names = (TabExpansion2 -inputScript 'New-RlRewardWeighting -Name ' -cursorColumn 28).CompletionMatches.CompletionText
        $names | Should -Be @('Hypervolume', 'Gradient', 'Lagrange')
        (TabExpansion2 -inputScript 'New-RlRewardWeighting -Name La' -cursorColumn 30).CompletionMatches.CompletionText | Should -Be 'Lagrange'
    }

    It 'creates each controller with its defaults' -ForEach @(
        @{ Name = 'Hypervolume'; Type = 'HypervolumeWeighting'; Parameters = @{} }
        @{ Name = 'Gradient'; Type = 'GradientWeighting'; Parameters = @{} }
        @{ Name = 'Lagrange'; Type = 'LagrangeWeighting'; Parameters = @{ Thresholds = @{ safe = 0.5 } } }
    ) {
        $c = New-RlRewardWeighting -Name $Name -Components task, safe -Parameters $Parameters
        $c.GetType().Name | Should -Be $Type
        $c | Should -BeOfType ([RlTools.Core.Rewards.IRewardWeighting])
        $c.Components | Should -Be @('task', 'safe')
        $c.Updates | Should -Be 0
    }

    It 'steps the Lagrange multiplier as the formula says' {
        $c = New-RlRewardWeighting Lagrange task, safe -Parameters @{ Thresholds = @{ safe = 0.5 }; LearningRate = 0.1 }
        $c.GetWeights([string[]] ('task', 'safe')) | Should -Be @(1.0, 0.0)
        $c.Observe((New-Batch 0.3))                       # λ = 0 − 0.1·(0.3 − 0.5) = 0.02
        [math]::Round($c.Multipliers['safe'], 12) | Should -Be 0.02
        $c.Observe((New-Batch 0.9))                       # 0.02 − 0.04 < 0 → projected to 0
        $c.Multipliers['safe'] | Should -Be 0
        $c.Updates | Should -Be 2
    }

    It 'takes per-component parameters as arrays or hashtables' {
        $a = New-RlRewardWeighting Hypervolume -Components acc, len -Parameters @{ Weights = 0.7, 0.3; Minimize = 'len'; Reference = 0, 1 }
        $a.BaseWeights | Should -Be @(0.7, 0.3)
        $a.Minimize | Should -Be @($false, $true)
        $g = New-RlRewardWeighting Gradient -Components acc, len -Parameters @{ InitialWeights = @{ len = 3; acc = 1 } }
        $g.Weights['acc'] | Should -Be 0.25
    }

    It 'computes the hypervolume meta-reward from observed batches' {
        $c = New-RlRewardWeighting Hypervolume -Components a, b -Parameters @{ Reference = 0, 0 }
        $c.Observe([RlTools.Core.Records.Rollout[]] @(New-ScoredRollout p 0 @{ a = 0.5; b = 0.4 }))
        $c.LastContribution | Should -BeGreaterThan 0.19999999
        $c.LastContribution | Should -BeLessThan 0.20000001
        $c.MetaReward | Should -Be (0.5 + 1.5 * [math]::Tanh(0.2))
    }

    It 'round-trips its state through ToJson and -Json (also from the pipeline)' {
        $c = New-RlRewardWeighting Lagrange task, safe -Parameters @{ Thresholds = @{ safe = 0.5 }; Momentum = 0.5 }
        $c.Observe((New-Batch 0.3))
        $r = New-RlRewardWeighting -Json $c.ToJson()
        $r.ToJson() | Should -Be $c.ToJson()
        $p = $c.ToJson() | New-RlRewardWeighting
        $c.Observe((New-Batch 0.3)); $p.Observe((New-Batch 0.3))
        [math]::Round($p.Multipliers['safe'], 12) | Should -Be 0.05
        $p.Multipliers['safe'] | Should -Be $c.Multipliers['safe']
    }

    It 'refuses an unknown controller, a misspelt parameter and a missing threshold' {
        { New-RlRewardWeighting -Name Nope -Components a -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownRewardWeighting,RlTools.Commands.NewRlRewardWeightingCommand'
        { New-RlRewardWeighting Gradient a -Parameters @{ LearnRate = 1 } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidRewardWeightingParameter,RlTools.Commands.NewRlRewardWeightingCommand'
        { New-RlRewardWeighting Lagrange a -ErrorAction Stop } | Should -Throw '*Thresholds*'
        { New-RlRewardWeighting Hypervolume a, b -Parameters @{ Weights = 0.5, 0.6 } -ErrorAction Stop } | Should -Throw '*sum to 1*'
    }

    It 'restores from Export-Clixml through the State property' {
        $c = New-RlRewardWeighting Lagrange task, safe -Parameters @{ Thresholds = @{ safe = 0.5 } }
        $c.Observe((New-Batch 0.3))
        $dir = New-RlTestDirectory
        try {
            $c | Export-Clixml (Join-Path $dir 'c.xml')
            $r = Import-Clixml (Join-Path $dir 'c.xml') | New-RlRewardWeighting
            $r | Should -BeOfType ([RlTools.Core.Rewards.LagrangeWeighting])
            $r.ToJson() | Should -Be $c.ToJson()
        }
        finally { Remove-Item $dir -Recurse -Force }
    }

    It 'shows name, weights and updates in the default view' {
        $c = New-RlRewardWeighting Lagrange task, safe -Parameters @{ Thresholds = @{ safe = 0.5 }; InitialMultiplier = 0.25 }
        $text = $c | Out-String
        $text | Should -Match 'Lagrange\s+task=1, safe=0\.25\s+0\s+none yet'
    }

    It 'reports a bad JSON state as a non-terminating error' {
        $out = New-RlRewardWeighting -Json '{"name":"Nope","version":1,"components":["a"]}' -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'InvalidRewardWeightingState,RlTools.Commands.NewRlRewardWeightingCommand'
    }

    It 'names the rollout when a component is NaN and keeps its state' {
        $c = New-RlRewardWeighting Gradient a, b
        $before = $c.ToJson()
        $bad = [RlTools.Core.Records.Rollout[]] @(New-ScoredRollout broken 2 @{ a = [double]::NaN; b = 1 })
        { $c.Observe($bad) } | Should -Throw "*'broken'*"
        $c.ToJson() | Should -Be $before
    }
}
