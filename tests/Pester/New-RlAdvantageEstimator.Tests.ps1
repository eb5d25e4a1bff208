BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    function New-Batch([double[]] $Rewards, [string] $Prompt = 'q') {
        $i = 0
        foreach ($r in $Rewards) {
            [RlTools.Core.Records.Rollout]@{ PromptId = $Prompt; SampleIndex = $i++; Reward = $r; FinishReason = 'stop'; CompletionTokens = [int[]](1, 2); Entropies = [float[]](1, 1) }
        }
    }
}

Describe 'New-RlAdvantageEstimator' {
    It 'creates an estimator with parameters' {
        $e = New-RlAdvantageEstimator -Name grpo -Parameters @{ Epsilon = 1e-4; UnbiasedStd = $false }
        $e | Should -BeOfType ([RlTools.Core.Advantages.IAdvantageEstimator])
        $e.Name | Should -Be 'GRPO'
        $e.GetParameter('Epsilon') | Should -Be 1e-4
        $e.Settings | Should -Match 'UnbiasedStd=false'
    }

    It 'reports unknown names and parameters' {
        { New-RlAdvantageEstimator -Name Nope -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownEstimator,RlTools.Commands.NewRlAdvantageEstimatorCommand'
        { New-RlAdvantageEstimator -Name ADORA -Parameters @{ Lambda = 'x' } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidEstimatorParameter,RlTools.Commands.NewRlAdvantageEstimatorCommand'
        { New-RlAdvantageEstimator -Restore '{ not json' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidEstimatorJson,RlTools.Commands.NewRlAdvantageEstimatorCommand'
        { New-RlAdvantageEstimator -Restore 42 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidEstimatorJson,RlTools.Commands.NewRlAdvantageEstimatorCommand'
    }

    It 'saves and restores a stateful estimator through Export-Clixml / Import-Clixml' {
        $dir = New-RlTestDirectory
        try {
            $r3 = New-RlAdvantageEstimator -Name R3Rank -Parameters @{ BufferSize = 4 }
            New-Batch 0, 0 | Measure-RlAdvantage -Estimator $r3 | Out-Null
            $r3 | Export-Clixml (Join-Path $dir 'r3.xml')
            $restored = New-RlAdvantageEstimator -Restore (Import-Clixml (Join-Path $dir 'r3.xml'))
            $restored.GetType().Name | Should -Be 'R3RankEstimator'
            $restored.GetParameter('BufferSize') | Should -Be 4
            $restored.State.Buffers['q'] | Should -Be @(0.0, 0.0)
            # the restored replay buffer gives an all-correct group a signal; a fresh estimator does not
            $withState = @(New-Batch 1, 1 | Measure-RlAdvantage -Estimator $restored)
            $withState[0].Advantage | Should -BeGreaterThan 0.5
            $fresh = @(New-Batch 1, 1 | Measure-RlAdvantage -Estimator R3Rank)
            $fresh[0].Advantage | Should -Be 0
            $restored.State.Steps | Should -Be 2
        }
        finally { Remove-Item $dir -Recurse -Force }
    }

    It 'saves and restores as JSON, continuing identically' {
        $a = New-RlAdvantageEstimator ADORA -Parameters @{ Criterion = 'history' }
        New-Batch 1, 0 | Measure-RlAdvantage -Estimator $a | Out-Null
        $b = New-RlAdvantageEstimator -Restore $a.Json
        $b.Json | Should -Be $a.Json
        $x = @(New-Batch 1, 0, 0 | Measure-RlAdvantage -Estimator $a)
        $y = @(New-Batch 1, 0, 0 | Measure-RlAdvantage -Estimator $b)
        $y.Advantage | Should -Be $x.Advantage
        $b.Json | Should -Be $a.Json
    }

    It 'copies a live estimator passed to -Restore' {
        $a = New-RlAdvantageEstimator RLOO -Parameters @{ SingletonZero = $true }
        $c = $a | New-RlAdvantageEstimator
        [object]::ReferenceEquals($a, $c) | Should -BeFalse
        $c.GetParameter('SingletonZero') | Should -BeTrue
    }
}
