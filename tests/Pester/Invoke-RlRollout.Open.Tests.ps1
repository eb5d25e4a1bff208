# The open rollout stage through the pipeline: continue, probe, tree, hint, adaptive temperature, effective rank.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Policy = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1
    function New-Prompts {
        foreach ($i in 1..3) { [pscustomobject]@{ Id = "q$i"; Prompt = "What is $i + $i?"; Answer = "$($i + $i)"; solution = "$i + $i is $($i + $i)" } }
    }
    function Assert-Near($Expected, $Actual, [double] $Tolerance = 2e-4) {
        $Actual.Count | Should -Be $Expected.Count
        for ($j = 0; $j -lt $Expected.Count; $j++) { [math]::Abs($Expected[$j] - $Actual[$j]) | Should -BeLessOrEqual $Tolerance }
    }
    # Rollouts that ran out of tokens (a random Tiny policy rarely draws EOS, but the tests must not depend on it).
    $script:Open = @(New-Prompts | Invoke-RlRollout -Policy $Policy -GroupSize 2 -MaxTokens 5 -Seed 1 | Where-Object FinishReason -EQ 'length')
}

Describe 'Invoke-RlRollout -Continue' {
    It 'keeps each prefix, adds up to -MaxTokens tokens, and its log-probs equal Measure-RlLogProb' {
        $Open.Count | Should -BeGreaterThan 1
        $c = @($Open | Invoke-RlRollout -Policy $Policy -Continue -MaxTokens 4 -Seed 2)
        $c.Count | Should -Be $Open.Count
        $measured = @($c | ForEach-Object { $_.Clone() } | Measure-RlLogProb -Policy $Policy)
        for ($i = 0; $i -lt $c.Count; $i++) {
            $c[$i].PromptId | Should -Be $Open[$i].PromptId
            $c[$i].SampleIndex | Should -Be $Open[$i].SampleIndex
            @($c[$i].CompletionTokens)[0..4] | Should -Be @($Open[$i].CompletionTokens)
            $c[$i].CompletionTokens.Count | Should -BeIn (6..9)
            Assert-Near $measured[$i].Logprobs $c[$i].Logprobs
            Assert-Near $measured[$i].Entropies $c[$i].Entropies
        }
    }

    It 'returns a finished completion unchanged' {
        $done = $Open[0].Clone()
        $done.FinishReason = 'stop'
        $c = @($done | Invoke-RlRollout -Policy $Policy -Continue -MaxTokens 4)
        $c[0].CompletionTokens | Should -Be $done.CompletionTokens
        $c[0].Logprobs | Should -Be $done.Logprobs
    }

    It 'returns a completion that ends with EOS unchanged, whatever its finish reason' {
        $eos = $Open[0].Clone()
        $eos.CompletionTokens = @($eos.CompletionTokens) + 257   # the byte tokenizer's EOS
        $eos.FinishReason = 'length'
        $c = @($eos | Invoke-RlRollout -Policy $Policy -Continue -MaxTokens 4)
        $c[0].CompletionTokens | Should -Be $eos.CompletionTokens
        $c[0].FinishReason | Should -Be 'length'
    }

    It 'refuses a record with completion text but no completion_tokens' {
        $bare = $Open[0].Clone()
        $bare.CompletionTokens = $null
        { $bare | Invoke-RlRollout -Policy $Policy -Continue -MaxTokens 2 -ErrorAction Stop } | Should -Throw -ErrorId 'RolloutTokensMissing,RlTools.Commands.InvokeRlRolloutCommand'
    }

    It 'decodes identical prefixes once (or apart with -NoDedup)' {
        $twice = @($Open[0], $Open[0].Clone(), $Open[1])
        $c = @($twice | Invoke-RlRollout -Policy $Policy -Continue -MaxTokens 6 -Seed 3)
        ($c[0].CompletionTokens -join ',') | Should -Be ($c[1].CompletionTokens -join ',')
        $alone = @($Open[0], $Open[1] | Invoke-RlRollout -Policy $Policy -Continue -MaxTokens 6 -Seed 3)
        ($alone[0].CompletionTokens -join ',') | Should -Be ($c[0].CompletionTokens -join ',')
        ($alone[1].CompletionTokens -join ',') | Should -Be ($c[2].CompletionTokens -join ',')
        $n = @($twice | Invoke-RlRollout -Policy $Policy -Continue -MaxTokens 6 -Seed 3 -NoDedup)
        ($n[0].CompletionTokens -join ',') | Should -Not -Be ($n[1].CompletionTokens -join ',')
    }

    It 'refuses prompts and reports what it needs' {
        $err = $null
        $out = @('just text' | Invoke-RlRollout -Policy $Policy -Continue -ErrorAction SilentlyContinue -ErrorVariable err)
        $out.Count | Should -Be 0
        $err[0].FullyQualifiedErrorId | Should -Be 'RolloutExpected,RlTools.Commands.InvokeRlRolloutCommand'
    }
}

Describe 'Invoke-RlRollout -Probe' {
    It 'emits each source with its cuts, then its probes, which survive an export and import' {
        $p = @($Open[0] | Invoke-RlRollout -Policy $Policy -Probe -CutAt Positions -CutPosition 0, 3 -ProbeSamples 2 -MaxTokens 3 -Seed 4)
        $p.Count | Should -Be 5
        $p[0].IsProbe | Should -BeFalse
        $p[0].CutPositions | Should -Be 0, 3
        $p[0].NodeId | Should -Be "$($Open[0].PromptId)/$($Open[0].SampleIndex)"
        foreach ($x in $p[1..4]) {
            $x.IsProbe | Should -BeTrue
            $x.ParentId | Should -Be $p[0].NodeId
            $c = $x.CutPositions[0]
            $x.CompletionTokens.Count | Should -BeIn (($c + 1)..($c + 3))  # EOS may end a probe early
            ($x.LossMask | Where-Object { $_ -eq 0 }).Count | Should -Be $c
            if ($c -gt 0) { ($x.CompletionTokens[0..($c - 1)] -join ',') | Should -Be ($Open[0].CompletionTokens[0..($c - 1)] -join ',') }
        }
        $path = Join-Path $TestDrive 'probes.jsonl'
        $p | Export-RlRollout $path
        $back = @(Import-RlRollout $path)
        for ($i = 0; $i -lt $p.Count; $i++) { [RlTools.Core.IO.RolloutEquality]::Difference($p[$i], $back[$i]) | Should -BeNullOrEmpty }
    }

    It 'adds a teacher-forced answer probe per cut with -ProbeAnswer' {
        $src = $Open[0].Clone()
        $src.Answer = '12'
        $p = @($src | Invoke-RlRollout -Policy $Policy -Probe -CutAt Positions -CutPosition 1, 3 -ProbeSamples 1 -ProbeSuffix '=' -ProbeAnswer -MaxTokens 2)
        $answers = @($p | Where-Object { $_.NodeId -like '*/answer' })
        $answers.Count | Should -Be 2
        $p.Count | Should -Be 5
        foreach ($a in $answers) {
            $c = $a.CutPositions[0]
            $a.CompletionTokens.Count | Should -Be ($c + 3)
            @($a.CompletionTokens)[($c + 1)..($c + 2)] | Should -Be 49, 50   # '1', '2'
            ($a.LossMask | Where-Object { $_ -eq 1 }).Count | Should -Be 2
        }
    }

    It 'cuts before every token below -ProbeThreshold, every -ProbeInterval-th' {
        # Every token of a random policy has p < 1, so the cuts are 0, 2, 4 for five tokens.
        $p = @($Open[0] | Invoke-RlRollout -Policy $Policy -Probe -ProbeThreshold 1 -ProbeInterval 2 -ProbeSamples 1 -MaxTokens 1)
        $p[0].CutPositions | Should -Be 0, 2, 4
        $p.Count | Should -Be 4
    }

    It 'names a probe parameter given without -Probe, and two producers at once' {
        { $Open | Invoke-RlRollout -Policy $Policy -ProbeSamples 2 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterNeedsProbe,RlTools.Commands.InvokeRlRolloutCommand'
        { $Open | Invoke-RlRollout -Policy $Policy -Probe -Continue -ErrorAction Stop } | Should -Throw -ErrorId 'RolloutModesConflict,RlTools.Commands.InvokeRlRolloutCommand'
        { $Open | Invoke-RlRollout -Policy $Policy -Probe -CutAt Positions -ErrorAction Stop } | Should -Throw -ErrorId 'CutPositionsNeeded,RlTools.Commands.InvokeRlRolloutCommand'
    }
}

Describe 'Invoke-RlRollout -Branching' {
    It 'builds a segment tree per prompt whose nodes link to their parents' {
        $t = @(New-Prompts | Select-Object -First 2 | Invoke-RlRollout -Policy $Policy -Branching 2, 2 -SegmentTokens 2 -MaxTokens 4 -Seed 5)
        foreach ($g in $t | Group-Object PromptId) {
            $byId = @{}
            foreach ($n in $g.Group) { $byId[$n.NodeId] = $n }
            @($g.Group | Where-Object Depth -EQ 0).Count | Should -Be 2
            ($g.Group.SampleIndex | Sort-Object -Unique).Count | Should -Be $g.Count
            foreach ($n in $g.Group | Where-Object Depth -EQ 1) {
                $parent = $byId[$n.ParentId]
                $parent | Should -Not -BeNullOrEmpty
                $n.CutPositions | Should -Be $parent.CompletionTokens.Count
                ($n.CompletionTokens[0..1] -join ',') | Should -Be ($parent.CompletionTokens -join ',')
                $n.LossMask[0..1] | Should -Be 0, 0
            }
        }
        $path = Join-Path $TestDrive 'tree.parquet'
        $t | Export-RlRollout $path
        $back = @(Import-RlRollout $path)
        for ($i = 0; $i -lt $t.Count; $i++) { [RlTools.Core.IO.RolloutEquality]::Difference($t[$i], $back[$i]) | Should -BeNullOrEmpty }
    }

    It 'refuses -GroupSize with a tree' {
        { New-Prompts | Invoke-RlRollout -Policy $Policy -Branching 2 -GroupSize 2 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterNotForMode,RlTools.Commands.InvokeRlRolloutCommand'
    }
}

Describe 'Invoke-RlRollout -HintRatio' {
    It 'starts the first -HintSamples completions with the reference prefix, masked out of the loss' {
        $r = @(New-Prompts | Select-Object -First 1 | Invoke-RlRollout -Policy $Policy -GroupSize 3 -HintRatio 0.5 -HintSamples 1 -MaxTokens 3 -Seed 6)
        $r.Count | Should -Be 3
        $h = $r[0]
        $h.IsHint | Should -BeTrue
        $h.HintRatio | Should -Be 0.5
        $h.Completion | Should -BeLike '1 + 1*'   # '1 + 1 is 2' has 10 bytes: 5 forced
        $h.LossMask.Count | Should -Be $h.CompletionTokens.Count
        $h.LossMask[0..4] | Should -Be 0, 0, 0, 0, 0
        $h.LossMask[5..($h.LossMask.Count - 1)] | Should -Not -Contain 0
        $h.CompletionTokens.Count | Should -BeIn (6..8)
        $r[1..2].IsHint | Should -Be $false, $false
        $r[1].LossMask | Should -BeNullOrEmpty
    }

    It 'warns about a prompt without a reference solution and rolls it out unhinted' {
        $r = @([pscustomobject]@{ Id = 'x'; Prompt = 'hi' } | Invoke-RlRollout -Policy $Policy -HintRatio 1 -MaxTokens 2 -WarningVariable w -WarningAction SilentlyContinue)
        $r[0].IsHint | Should -BeFalse
        $w[0] | Should -Match "'solution'"
    }

    It 'with -HintSchedule Difficulty adds hinted rollouts for prompts the first pass failed' {
        # A random policy fails every prompt: pass rate 0, so each gets -HintSamples extra rollouts at the full ratio.
        $r = @(New-Prompts | Invoke-RlRollout -Policy $Policy -GroupSize 2 -HintRatio 0.5 -HintSchedule Difficulty -HintSamples 1 -Verifier Math -MaxTokens 3 -Seed 7)
        $r.Count | Should -Be 9
        foreach ($g in $r | Group-Object PromptId) {
            ($g.Group | Where-Object IsHint).SampleIndex | Should -Be 2
            ($g.Group | Where-Object IsHint).HintRatio | Should -Be 0.5
        }
    }
}

Describe 'Invoke-RlRollout -AdaptiveTemperature' {
    It 'records a per-token temperature within T(1 ± τ) that follows the previous step''s entropies' {
        $prev = @(New-Prompts | Invoke-RlRollout -Policy $Policy -GroupSize 2 -MaxTokens 8 -Seed 8)
        $r = @(New-Prompts | Invoke-RlRollout -Policy $Policy -MaxTokens 8 -Seed 9 -Temperature 0.9 -AdaptiveTemperature -TemperatureTau 0.5 -EntropyPivot 0.5 -EntropyBaseline $prev)
        $all = foreach ($x in $r) {
            $x.Temperatures.Count | Should -Be $x.CompletionTokens.Count
            $x.Temperatures
        }
        ($all | Measure-Object -Minimum).Minimum | Should -BeGreaterOrEqual (0.9 * 0.5 - 1e-5)
        ($all | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual (0.9 * 1.5 + 1e-5)
        ($all | Sort-Object -Unique).Count | Should -BeGreaterThan 1
    }

    It 'uses the base temperature when there is no previous step, and refuses greedy decoding' {
        $r = @(New-Prompts | Invoke-RlRollout -Policy $Policy -MaxTokens 4 -Seed 9 -Temperature 0.7 -AdaptiveTemperature)
        foreach ($x in $r) { $x.Temperatures | ForEach-Object { $_ | Should -BeLessOrEqual 0.70001; $_ | Should -BeGreaterOrEqual 0.69999 } }
        { New-Prompts | Invoke-RlRollout -Policy $Policy -Temperature 0 -AdaptiveTemperature -ErrorAction Stop } | Should -Throw -ErrorId 'AdaptiveTemperatureNeedsTemperature,RlTools.Commands.InvokeRlRolloutCommand'
    }
}

Describe 'Invoke-RlRollout -EffectiveRank' {
    It 'reduces the hidden states to effective rank, velocity and acceleration' {
        $r = @(New-Prompts | Invoke-RlRollout -Policy $Policy -MaxTokens 9 -Seed 10 -EffectiveRank -RankStride 3)
        foreach ($x in $r | Where-Object { $_.CompletionTokens.Count -ge 3 }) {
            $x.EffectiveRank | Should -BeGreaterThan 0.99
            $x.EffectiveRankVelocity | Should -Not -BeNullOrEmpty
            $x.EffectiveRankAcceleration | Should -Not -BeNullOrEmpty
        }
        $plain = @(New-Prompts | Invoke-RlRollout -Policy $Policy -MaxTokens 9 -Seed 10)
        $plain[0].EffectiveRank | Should -BeNullOrEmpty
        ($plain.Completion -join '|') | Should -Be ($r.Completion -join '|')
    }
}
