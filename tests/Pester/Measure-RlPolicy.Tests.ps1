BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Policy = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 5
    $script:Test = New-RlDataset -Task Arithmetic -Count 6 -Seed 4 -Split Test
}

Describe 'Measure-RlPolicy' {
    It 'reports greedy accuracy that agrees with Invoke-RlRollout and Test-RlAnswer' {
        $e = $Test | Measure-RlPolicy -Policy $Policy -MaxTokens 4
        $e | Should -BeOfType ([RlTools.Core.Records.EvaluationResult])
        $e.Prompts | Should -Be 6
        $e.Samples | Should -Be 1
        $e.Greedy | Should -BeTrue
        # Independent check: greedy rollouts judged one by one.
        $rolls = $Test | Invoke-RlRollout -Policy $Policy -GroupSize 1 -MaxTokens 4 -Temperature 0
        $correct = @($rolls | Where-Object { (Test-RlAnswer -Completion $_.Completion -Answer $_.Answer).IsCorrect }).Count
        $e.PassAt1 | Should -Be ($correct / 6)
        $e.MeanLength | Should -Be (($rolls | Measure-Object { $_.CompletionTokens.Count } -Average).Average)
    }

    It 'computes pass@k from several samples, with k up to n' {
        $e = $Test | Measure-RlPolicy -Policy $Policy -Samples 4 -K 1, 2, 4 -MaxTokens 4 -Seed 9
        $e.Samples | Should -Be 4
        $e.Greedy | Should -BeFalse
        $e.PassAtK.Keys | Sort-Object | Should -Be @(1, 2, 4)
        $e.PassAtK[1] | Should -Be $e.PassAt1
        $e.PassAtK[4] | Should -BeGreaterOrEqual $e.PassAtK[2]
        $e.PassAtK[2] | Should -BeGreaterOrEqual $e.PassAtK[1]
    }

    It 'is reproducible with a seed' {
        $a = $Test | Measure-RlPolicy -Policy $Policy -Samples 3 -MaxTokens 4 -Seed 11
        $b = $Test | Measure-RlPolicy -Policy $Policy -Samples 3 -MaxTokens 4 -Seed 11
        $a.PassAt1 | Should -Be $b.PassAt1
        $a.MeanLength | Should -Be $b.MeanLength
    }

    It 'rejects k above the number of samples' {
        { $Test | Measure-RlPolicy -Policy $Policy -Samples 2 -K 3 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidK,RlTools.Commands.MeasureRlPolicyCommand'
    }

    It 'rejects an unknown verifier and lists the valid ones' {
        $err = { $Test | Measure-RlPolicy -Policy $Policy -Verifier Nope -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownVerifier,RlTools.Commands.MeasureRlPolicyCommand' -PassThru
        $err.Exception.Message | Should -Match 'Math'
    }

    It 'declares the sampling parameters once, shared with Invoke-RlRollout' {
        $sampling = 'MaxTokens', 'Temperature', 'TopP', 'TopK', 'MinP', 'Stop', 'StopTokenId'
        foreach ($cmd in 'Measure-RlPolicy', 'Invoke-RlRollout') {
            $type = (Get-Command $cmd).ImplementingType
            foreach ($name in $sampling) { $type.GetProperty($name).DeclaringType.Name | Should -Be 'SamplingCmdlet' -Because "$cmd -$name" }
        }
        { $Test | Measure-RlPolicy -Policy $Policy -TopP 0 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTopP,RlTools.Commands.MeasureRlPolicyCommand'
    }

    It 'passes -TopK, -MinP and -StopTokenId to the sampler' {
        # TopK 1 keeps only the most likely token: sampling at temperature 1 is then greedy decoding.
        $greedy = $Test | Measure-RlPolicy -Policy $Policy -MaxTokens 4
        $top1 = $Test | Measure-RlPolicy -Policy $Policy -MaxTokens 4 -Samples 2 -Temperature 1 -TopK 1 -Seed 3
        $top1.PassAt1 | Should -Be $greedy.PassAt1
        $top1.MeanLength | Should -Be $greedy.MeanLength
        # MinP just below 1 also keeps only the top token.
        ($Test | Measure-RlPolicy -Policy $Policy -MaxTokens 4 -Samples 2 -Temperature 1 -MinP 0.999999 -Seed 3).MeanLength | Should -Be $greedy.MeanLength
        # Every token id as a stop token: each completion ends after its first token.
        ($Test | Measure-RlPolicy -Policy $Policy -MaxTokens 4 -StopTokenId (0..258)).MeanLength | Should -Be 1
    }

    It 'completes verifier names' {
        $s = 'Measure-RlPolicy -Verifier Ma'
        (TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches.CompletionText | Should -Contain 'Math'
    }
}
