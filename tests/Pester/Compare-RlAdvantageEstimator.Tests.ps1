BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Dir = New-RlTestDirectory
    $script:Ckpt = Join-Path $Dir 'start'
    Export-RlPolicy -Policy (New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 2) -Path $Ckpt
    $script:Train = @(New-RlDataset -Task ArithmeticFixed -Count 20 -Seed 1)
    $script:Test = @(New-RlDataset -Task ArithmeticFixed -Count 8 -Seed 1 -Split Test)
    $script:Common = @{ Path = $Ckpt; TrainSet = $Train; TestSet = $Test; Steps = 2; PromptsPerStep = 2; GroupSize = 2; MaxTokens = 4; EvalEvery = 1 }
}
AfterAll { Remove-Item $Dir -Recurse -Force -ErrorAction Ignore }

Describe 'Compare-RlAdvantageEstimator' {
    It 'emits step 0 and every step for every estimator, from the same start' {
        $rows = @(Compare-RlAdvantageEstimator @Common -Estimator GRPO, RLOO)
        $rows.Count | Should -Be 6
        $rows[0] | Should -BeOfType ([RlTools.Core.Records.ComparisonRow])
        ($rows | Where-Object Estimator -EQ 'GRPO').Step | Should -Be @(0, 1, 2)
        ($rows | Where-Object Estimator -EQ 'RLOO').Step | Should -Be @(0, 1, 2)
        $start = $rows | Where-Object Step -EQ 0
        $start[0].HeldoutAccuracy | Should -Be $start[1].HeldoutAccuracy
        $start[0].Reward | Should -BeNullOrEmpty
        foreach ($r in $rows | Where-Object Step -GT 0) {
            $r.Reward | Should -BeGreaterOrEqual 0
            $r.Entropy | Should -BeGreaterThan 0
            $r.ResponseLength | Should -BeGreaterThan 0
        }
        # Same prompts and seeds: the first step's rollouts (taken before any update) score the same.
        ($rows | Where-Object Step -EQ 1)[0].Reward | Should -Be ($rows | Where-Object Step -EQ 1)[1].Reward
    }

    It 'runs the methods of the open rollout stage beside GRPO and counts what they sample' {
        $c = $Common.Clone(); $c.TrainSet = @(New-RlDataset -Task ArithmeticFixed -Count 20 -Seed 1 -WithSolution)
        $rows = @(Compare-RlAdvantageEstimator @c -Estimator GRPO, SPO, SPOTree, SPAE, ADHint, VERLER, HAPO -ErrorAction Stop)
        $rows.Count | Should -Be 21
        foreach ($r in $rows | Where-Object Step -GT 0) {
            [double]::IsFinite($r.Reward) | Should -BeTrue
            $r.SampledTokens | Should -BeGreaterThan 0
        }
        $step1 = @{}; $rows | Where-Object Step -EQ 1 | ForEach-Object { $step1[$_.Estimator] = $_ }
        # probes are extra sampling on top of the same G completions; hints add continuations
        $step1['SPO'].SampledTokens | Should -BeGreaterThan $step1['GRPO'].SampledTokens
        $step1['SPAE'].SampledTokens | Should -Be $step1['SPO'].SampledTokens
        $step1['ADHint'].SampledTokens | Should -BeGreaterOrEqual $step1['GRPO'].SampledTokens
        $step1['VERLER'].Reward | Should -Be $step1['GRPO'].Reward   # same completions; only the advantage differs
    }

    It 'is reproducible with the same seed' {
        $a = Compare-RlAdvantageEstimator @Common -Estimator GRPO -Seed 5
        $b = Compare-RlAdvantageEstimator @Common -Estimator GRPO -Seed 5
        ($a | ForEach-Object { "$($_.Step):$($_.Reward):$($_.Entropy):$($_.HeldoutAccuracy)" }) |
            Should -Be ($b | ForEach-Object { "$($_.Step):$($_.Reward):$($_.Entropy):$($_.HeldoutAccuracy)" })
    }

    It 'rejects an unknown estimator before training' {
        { Compare-RlAdvantageEstimator @Common -Estimator GRPO, Nope -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidComparison,RlTools.Commands.CompareRlAdvantageEstimatorCommand'
    }

    It 'reports a missing checkpoint folder' {
        $bad = $Common.Clone(); $bad.Path = Join-Path $Dir 'missing'
        { Compare-RlAdvantageEstimator @bad -Estimator GRPO -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathNotFound,RlTools.Commands.CompareRlAdvantageEstimatorCommand'
    }

    It 'completes estimator names' {
        $s = 'Compare-RlAdvantageEstimator -Estimator RL'
        (TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches.CompletionText | Should -Contain 'RLOO'
    }
}
