BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Policy = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1
    $script:Other = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 2
}

Describe 'Measure-RlLogProb' {
    It 'recomputes the log-probs and entropies generation recorded' {
        $r = @('one', 'a longer prompt' | Invoke-RlRollout -Policy $Policy -GroupSize 2 -MaxTokens 10 -Seed 7)
        $lp = $r | ForEach-Object { , $_.Logprobs.Clone() }
        $ent = $r | ForEach-Object { , $_.Entropies.Clone() }
        foreach ($x in $r) { $x.Logprobs = $null; $x.Entropies = $null }
        $out = @($r | Measure-RlLogProb -Policy $Policy -BatchSize 3)
        $out.Count | Should -Be 4
        for ($i = 0; $i -lt 4; $i++) {
            [object]::ReferenceEquals($out[$i], $r[$i]) | Should -BeTrue
            for ($j = 0; $j -lt $lp[$i].Count; $j++) {
                [math]::Abs($lp[$i][$j] - $out[$i].Logprobs[$j]) | Should -BeLessOrEqual 1e-4
                [math]::Abs($ent[$i][$j] - $out[$i].Entropies[$j]) | Should -BeLessOrEqual 1e-4
            }
        }
    }

    It 'writes RefLogprobs with -AsReference and leaves Logprobs alone' {
        $r = 'ref' | Invoke-RlRollout -Policy $Policy -MaxTokens 8 -Seed 1
        $own = $r.Logprobs.Clone()
        $null = $r | Measure-RlLogProb -Policy $Other -AsReference
        $r.RefLogprobs.Count | Should -Be $r.CompletionTokens.Count
        $r.Logprobs | Should -Be $own
        ($r.RefLogprobs -join ',') | Should -Not -Be ($own -join ',')
    }

    It 'reports rollouts without tokens and goes on' {
        $bad = [RlTools.Core.Records.Rollout]@{ PromptId = 'x'; Completion = 'text only' }
        $good = 'fine' | Invoke-RlRollout -Policy $Policy -MaxTokens 3 -Seed 1
        $err = $null
        $out = @($bad, $good | Measure-RlLogProb -Policy $Policy -ErrorAction SilentlyContinue -ErrorVariable err)
        $out.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'RolloutMissingTokens,RlTools.Commands.MeasureRlLogProbCommand'
    }

    It 'reports token ids outside the vocabulary' {
        $r = [RlTools.Core.Records.Rollout]@{ PromptId = 'x'; PromptTokens = [int[]](1, 2); CompletionTokens = [int[]](3, 9999) }
        { $r | Measure-RlLogProb -Policy $Policy -ErrorAction Stop } | Should -Throw -ErrorId 'TokenOutOfVocabulary,RlTools.Commands.MeasureRlLogProbCommand'
    }
}
