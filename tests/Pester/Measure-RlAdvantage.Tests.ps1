BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Names = @(Get-RlAdvantageEstimator | ForEach-Object { @{ Name = $_.Name; Level = [string] $_.Level } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest

    # A small batch with every input any estimator reads: 3 prompts of 4, 3 and 1 samples.
    function New-TestBatch([switch] $Expert, [string] $For) {
        $rng = [System.Random]::new(5)
        $sizes = 4, 3, 1
        $i = 0
        for ($g = 0; $g -lt $sizes.Count; $g++) {
            for ($k = 0; $k -lt $sizes[$g]; $k++) {
                $len = 2 + ($i % 4)
                $reward = [double](($i * 7 + $g) % 3 -eq 0)
                $components = [System.Collections.Generic.Dictionary[string, System.Nullable[double]]]::new()
                $components['accuracy'] = $reward; $components['format'] = 1.0
                [RlTools.Core.Records.Rollout]@{
                    PromptId         = "p$g"
                    SampleIndex      = $k
                    Completion       = "<answer>$(1 + $i % 5)</answer>"
                    FinishReason     = 'stop'
                    Reward           = $reward
                    Rewards          = $components
                    BaselineReward   = 0.5
                    CompletionTokens = [int[]](1..$len)
                    Logprobs         = [float[]](1..$len | ForEach-Object { - $rng.NextDouble() })
                    Entropies        = [float[]](1..$len | ForEach-Object { 0.1 + $rng.NextDouble() })
                    Values           = [float[]](1..$len | ForEach-Object { $rng.NextDouble() })
                    PromptLogprobs   = [float[]](-1.0, -0.5)
                    IsExpert         = $Expert -and $k -eq 0
                    Step             = 1
                    # tree and effective-rank fields for SPOTree and VERLER (every record a depth-0 node)
                    NodeId           = if ($For -eq 'SPOTree') { "p$g/$k" } else { $null }
                    Depth            = if ($For -eq 'SPOTree') { 0 } else { $null }
                    EffectiveRank    = if ($For -eq 'VERLER') { 5.0 + $i } else { $null }
                    EffectiveRankVelocity     = if ($For -eq 'VERLER') { 0.1 * $i } else { $null }
                    EffectiveRankAcceleration = if ($For -eq 'VERLER') { 0.01 * $i } else { $null }
                }
                $i++
            }
        }
    }
}

Describe 'Measure-RlAdvantage' {
    It 'discovered every registered estimator (<_>)' -ForEach @($Names.Count) {
        $_ | Should -Be 28
    }

    It '<Name> sets an advantage on every rollout and emits them in input order' -ForEach $Names {
        $batch = @(New-TestBatch -Expert:($Name -eq 'CalibRL') -For $Name)
        if ($Name -eq 'GRPOPassK') { $batch = @($batch | Where-Object PromptId -NE 'p2') }   # needs groups of two or more
        $out = @($batch | Measure-RlAdvantage -Estimator $Name -ErrorVariable errs)
        $errs | Should -BeNullOrEmpty
        $out.Count | Should -Be $batch.Count
        for ($i = 0; $i -lt $out.Count; $i++) { [object]::ReferenceEquals($out[$i], $batch[$i]) | Should -BeTrue }
        foreach ($r in $out) {
            $r.Advantage | Should -Not -BeNullOrEmpty
            [double]::IsFinite($r.Advantage) | Should -BeTrue
            if ($Level -eq 'Token') { $r.TokenAdvantages.Count | Should -Be $r.CompletionTokens.Count }
            else { $r.TokenAdvantages | Should -BeNullOrEmpty }
        }
    }

    It 'computes GRPO by hand' {
        $b = 1, 0, 0, 0 | ForEach-Object { [RlTools.Core.Records.Rollout]@{ PromptId = 'q'; Reward = $_ } }
        $out = $b | Measure-RlAdvantage -Estimator GRPO
        $out[0].Advantage | Should -BeLessThan (0.75 / 0.5 + 1e-9)
        $out[0].Advantage | Should -BeGreaterThan (0.75 / 0.500001 - 1e-9)
        ($out | Measure-RlAdvantage -Estimator GRPO -Parameters @{ NormalizeByStd = $false })[1].Advantage | Should -Be -0.25
    }

    It 'subtracts a KL penalty from the rewards before the estimator with -KLInReward' {
        # A: reward 1, k1 KL [0.5, 0]; B: reward 0, k1 KL [0, 0.2]; β = 0.1 → shaped 0.95 / −0.02, Dr.GRPO ±0.485.
        $a = [RlTools.Core.Records.Rollout]@{ PromptId = 'q'; Reward = 1; CompletionTokens = [int[]](1, 2); Logprobs = [float[]](-1, -2); RefLogprobs = [float[]](-1.5, -2) }
        $b = [RlTools.Core.Records.Rollout]@{ PromptId = 'q'; Reward = 0; CompletionTokens = [int[]](1, 2); Logprobs = [float[]](-1, -1); RefLogprobs = [float[]](-1, -1.2) }
        $out = $a, $b | Measure-RlAdvantage -Estimator DrGRPO -KLInReward 0.1 -KLEstimator kl
        $out[0].Advantage | Should -BeGreaterThan 0.484999
        $out[0].Advantage | Should -BeLessThan 0.485001
        $out[0].Reward | Should -Be 1
        $ctl = [RlTools.Core.Advantages.KlController]::Adaptive(0.1, 0.1, 100)
        $null = $a, $b | Measure-RlAdvantage -Estimator DrGRPO -KLInReward $ctl
        $ctl.Value | Should -BeGreaterThan 0.1
        { $a, $b | Measure-RlAdvantage -Estimator DrGRPO -KLInReward 'much' } | Should -Throw -ErrorId 'InvalidKLInReward,RlTools.Commands.MeasureRlAdvantageCommand'
        { $a, $b | Measure-RlAdvantage -Estimator DrGRPO -KLInReward 0.1 -KLEstimator k9 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RlTools.Commands.MeasureRlAdvantageCommand'
    }

    It 'reports a NaN reward naming the rollout and leaves its group without advantages' {
        $b = @(New-TestBatch)
        $b[5].Reward = [double]::NaN
        $out = @($b | Measure-RlAdvantage -Estimator GRPO -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out.Count | Should -Be $b.Count
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'NonFiniteReward,RlTools.Commands.MeasureRlAdvantageCommand'
        $errs[0].TargetObject | Should -Be $b[5]
        $errs[0].Exception.Message | Should -Match "prompt_id 'p1' sample_index 1"
        @($out | Where-Object PromptId -EQ 'p1').Count | Should -Be 3
        $out | Where-Object PromptId -EQ 'p1' | Where-Object { $null -ne $_.Advantage } | Should -BeNullOrEmpty
        ($out | Where-Object PromptId -NE 'p1' | Where-Object { $null -eq $_.Advantage }) | Should -BeNullOrEmpty
    }

    It 'stops with -ErrorAction Stop' {
        $b = @(New-TestBatch); $b[0].Reward = [double]::PositiveInfinity
        { $b | Measure-RlAdvantage -Estimator RLOO -ErrorAction Stop } | Should -Throw -ErrorId 'NonFiniteReward,RlTools.Commands.MeasureRlAdvantageCommand'
    }

    It 'rejects an unknown estimator, listing the valid names' {
        { New-TestBatch | Measure-RlAdvantage -Estimator GRPOO -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownEstimator,RlTools.Commands.MeasureRlAdvantageCommand' -ExpectedMessage '*Valid names: GRPO, DrGRPO*'
    }

    It 'rejects an unknown parameter, listing the valid ones' {
        { New-TestBatch | Measure-RlAdvantage -Estimator GRPO -Parameters @{ Epsilom = 1 } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidEstimatorParameter,RlTools.Commands.MeasureRlAdvantageCommand' -ExpectedMessage '*Valid parameters: Epsilon*'
    }

    It 'returns nothing for empty input' {
        @() | Measure-RlAdvantage -Estimator GRPO | Should -BeNullOrEmpty
    }

    It 'takes an estimator object and keeps its state across calls' {
        $e = New-RlAdvantageEstimator -Name ADORA
        New-TestBatch | Measure-RlAdvantage -Estimator $e | Out-Null
        New-TestBatch | Measure-RlAdvantage -Estimator $e | Out-Null
        $e.State.Steps | Should -Be 2
        $e.State.Prompts['p0'].Seen | Should -Be 2
    }

    It 'refuses a deserialized stateful estimator and accepts a deserialized stateless one' {
        $dir = New-RlTestDirectory
        try {
            New-RlAdvantageEstimator -Name R3Rank | Export-Clixml (Join-Path $dir 'r3.xml')
            $copy = Import-Clixml (Join-Path $dir 'r3.xml')
            { New-TestBatch | Measure-RlAdvantage -Estimator $copy -ErrorAction Stop } | Should -Throw -ErrorId 'DeserializedEstimator,RlTools.Commands.MeasureRlAdvantageCommand'
            New-RlAdvantageEstimator -Name GRPO -Parameters @{ Epsilon = 0.5 } | Export-Clixml (Join-Path $dir 'g.xml')
            $out = @(1, 0 | ForEach-Object { [RlTools.Core.Records.Rollout]@{ PromptId = 'q'; Reward = $_ } } | Measure-RlAdvantage -Estimator (Import-Clixml (Join-Path $dir 'g.xml')))
            $out[0].Advantage | Should -Be (0.5 / ([math]::Sqrt(0.5) + 0.5))
        }
        finally { Remove-Item $dir -Recurse -Force }
    }

    It 'round-trips JSONL: Import-RlRollout | Measure-RlAdvantage -Estimator <Name> | Export-RlRollout' -ForEach $Names {
        $dir = New-RlTestDirectory
        try {
            $in = Join-Path $dir 'x.jsonl'; $outFile = Join-Path $dir 'y.jsonl'
            $batch = @(New-TestBatch -Expert:($Name -eq 'CalibRL') -For $Name)
            if ($Name -eq 'GRPOPassK') { $batch = @($batch | Where-Object PromptId -NE 'p2') }
            # every input travels as a real rollout field (ARM reads prompt_logprobs; no metadata fallback used here)
            $batch | Where-Object { $_.Metadata.ContainsKey('prompt_logprobs') } | Should -BeNullOrEmpty
            $batch | Export-RlRollout $in
            Import-RlRollout $in | Measure-RlAdvantage -Estimator $Name -ErrorVariable errs | Export-RlRollout $outFile
            $errs | Should -BeNullOrEmpty
            $back = @(Import-RlRollout $outFile)
            $back.Count | Should -Be $batch.Count
            $back | Where-Object { $null -eq $_.Advantage } | Should -BeNullOrEmpty
            for ($i = 0; $i -lt $back.Count; $i++) {
                $back[$i].PromptId | Should -Be $batch[$i].PromptId
                ($back[$i].PromptLogprobs -join ',') | Should -Be ($batch[$i].PromptLogprobs -join ',')
            }
            if ($Level -eq 'Token') { $back | Where-Object { $_.TokenAdvantages.Count -ne $_.CompletionTokens.Count } | Should -BeNullOrEmpty }
        }
        finally { Remove-Item $dir -Recurse -Force }
    }
}

Describe 'Measure-RlAdvantage on the open rollout stage''s records' {
    It 'SPO reads probe records from JSONL: segment advantages from the probes'' mean rewards' {
        $dir = New-RlTestDirectory
        try {
            $lp = [float][math]::Log(0.5)
            $src = [RlTools.Core.Records.Rollout]@{ PromptId = 'q'; SampleIndex = 0; NodeId = 'q/0'; Reward = 1.0; FinishReason = 'stop'
                CompletionTokens = [int[]](1..4); Logprobs = [float[]]@($lp, $lp, $lp, $lp); CutPositions = [int[]]@(0, 2) }
            # V(0) = mean(1, 0) = 0.5, V(2) = mean(1, 1) = 1, V(4) = r = 1
            $probes = foreach ($c in 0, 2) {
                foreach ($n in 0, 1) {
                    [RlTools.Core.Records.Rollout]@{ PromptId = 'q'; SampleIndex = 0; IsProbe = $true; ParentId = 'q/0'; NodeId = "q/0/c$c/$n"
                        CutPositions = [int[]]@($c); Reward = [double]($c -eq 2 -or $n -eq 0); FinishReason = 'stop'
                        CompletionTokens = [int[]](1..($c + 1)); Logprobs = [float[]](1..($c + 1) | ForEach-Object { -0.5 })
                        LossMask = [float[]](1..($c + 1) | ForEach-Object { [float]($_ -gt $c) }) }
                }
            }
            $file = Join-Path $dir 'probed.jsonl'
            @($src) + @($probes) | Export-RlRollout $file
            $out = @(Import-RlRollout $file | Measure-RlAdvantage -Estimator SPO -Parameters @{ Whiten = $false } -ErrorVariable errs)
            $errs | Should -BeNullOrEmpty
            $out.Count | Should -Be 5
            $out[0].TokenAdvantages | Should -Be @(0.5, 0.5, 0, 0)
            $out | Select-Object -Skip 1 | ForEach-Object { $_.Advantage | Should -Be 0 }
            # a missing probe leaves the group without advantages and says what to fix
            $cut = @(Import-RlRollout $file | Where-Object { -not ($_.IsProbe -and $_.CutPositions[0] -eq 2) })
            $none = @($cut | Measure-RlAdvantage -Estimator SPO -ErrorVariable errs2 -ErrorAction SilentlyContinue)
            $errs2[0].FullyQualifiedErrorId | Should -Match '^MissingProbe'
            $none | Where-Object { $null -ne $_.Advantage } | Should -BeNullOrEmpty
        }
        finally { Remove-Item $dir -Recurse -Force }
    }
}
