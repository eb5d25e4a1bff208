# A Pester test can only get a policy through cmdlets; until New-RlPolicy exists, New-TinyPolicy below
# builds the engine's TinyCausalLM (RlTools.Torch.Models) by reflection, in this file only.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest

    function New-TinyPolicy([int] $Dim = 16, [long] $Seed = 1) {
        $null = Get-RlDevice # loads the engine assembly
        $assemblies = [AppDomain]::CurrentDomain.GetAssemblies()
        $engine = $assemblies | Where-Object { $_.GetName().Name -eq 'RlTools.Torch' } | Select-Object -First 1
        $torch = $assemblies | Where-Object { $_.GetName().Name -eq 'TorchSharp' } | Select-Object -First 1
        $float32 = [Enum]::Parse($torch.GetType('TorchSharp.torch+ScalarType'), 'Float32')
        $model = [Activator]::CreateInstance($engine.GetType('RlTools.Torch.Models.TinyCausalLM'), @(259, $Dim, $Seed, $float32))
        $tokenizer = [Activator]::CreateInstance($engine.GetType('RlTools.Torch.Tokenizers.ByteTokenizer'))
        [Activator]::CreateInstance($engine.GetType('RlTools.Torch.Policy'), @($model, $tokenizer, $false))
    }

    function New-TestRollout([int] $Count = 8, [int] $Seed = 1) {
        $rng = [System.Random]::new($Seed)
        foreach ($i in 0..($Count - 1)) {
            $r = [RlTools.Core.Records.Rollout]::new()
            $r.PromptId = "p$([math]::Floor($i / 4))"
            $r.SampleIndex = $i % 4
            $r.PromptTokens = [int[]](1..6 | ForEach-Object { $rng.Next(0, 256) })
            $r.CompletionTokens = [int[]](1..(4 + $i % 5) | ForEach-Object { $rng.Next(0, 256) })
            $r.Reward = $i % 2
            $r.Advantage = if ($i % 2) { 1.0 } else { -1.0 }
            $r
        }
    }

    function Get-ParameterSums($Policy) {
        @($Policy.Model.Module.parameters() | ForEach-Object { $_.abs().sum().item[float]() })
    }
}

Describe 'Update-RlPolicy' {
    BeforeAll {
        # One libtorch thread: tiny tensors gain nothing from two, and on a loaded machine the thread
        # hand-off dominates (30 ms vs 300+ ms per step measured here).
        $script:Threads = (Get-RlDevice).Threads
        $null = Get-RlDevice -Threads 1
        $script:Policy = New-TinyPolicy
    }
    AfterAll {
        $script:Policy.Dispose()
        $null = Get-RlDevice -Threads $script:Threads
    }

    It 'changes the parameters over a two-step loop and numbers the steps' {
        $before = Get-ParameterSums $Policy
        $results = foreach ($step in 1..2) {
            New-TestRollout -Seed $step | Update-RlPolicy -Policy $Policy -LearningRate 1e-2 -MiniBatchSize 4
        }
        $results.Count | Should -Be 4
        $results[0] | Should -BeOfType ([RlTools.Core.Records.UpdateResult])
        $results.Step | Should -Be @(1, 2, 3, 4)
        $results.Skipped | Should -Not -Contain $true
        $results | ForEach-Object { $_.Tokens | Should -BeGreaterThan 0; $_.GradNorm | Should -BeGreaterThan 0 }
        $after = Get-ParameterSums $Policy
        $after | Should -Not -Be $before
    }

    It 'takes changed parameters on the next call (learning rate, loss, epochs)' {
        $a = New-TestRollout | Update-RlPolicy -Policy $Policy -LearningRate 2e-3
        $b = New-TestRollout | Update-RlPolicy -Policy $Policy -LearningRate 5e-4 -Loss GSPO -Epochs 2
        $a.Lr | Should -Be 2e-3
        @($b).Count | Should -Be 2
        $b.Lr | Should -Be @(5e-4, 5e-4)
        $b[1].Step | Should -Be ($a.Step + 2)
        # Omitted on the next call: the saved learning rate is kept.
        (New-TestRollout | Update-RlPolicy -Policy $Policy).Lr | Should -Be 5e-4
    }

    It 'applies -KLCoefficient against -Reference and reports kl' {
        $reference = New-TinyPolicy -Seed 9
        try {
            $r = New-TestRollout | Update-RlPolicy -Policy $Policy -Reference $reference -KLCoefficient 0.1 -KLEstimator 'k3+'
            $r.Kl | Should -BeGreaterThan 0
            $r.Metrics['kl_loss'] | Should -BeGreaterThan 0
        }
        finally { $reference.Dispose() }
    }

    It 'runs the SFT objective without advantages' {
        $rows = New-TestRollout | ForEach-Object { $_.Advantage = $null; $_ }
        $r = $rows | Update-RlPolicy -Policy $Policy -Objective Sft -LearningRate 1e-3
        $r.PgLoss | Should -BeGreaterThan 0
    }

    It 'reports a bad rollout and trains on the rest' {
        $rows = @(New-TestRollout)
        $rows[3].Advantage = $null
        $r = $rows | Update-RlPolicy -Policy $Policy -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'RolloutMissingAdvantage,RlTools.Commands.UpdateRlPolicyCommand'
        $err[0].TargetObject | Should -Be $rows[3]
        $r.Tokens | Should -Be (($rows | Where-Object { $_ -ne $rows[3] } | ForEach-Object CompletionLength | Measure-Object -Sum).Sum)
    }

    It 'skips a non-finite step with a warning and leaves the weights alone' {
        $before = Get-ParameterSums $Policy
        $rows = New-TestRollout | ForEach-Object { $_.Advantage = 3e38; $_ }
        $r = $rows | Update-RlPolicy -Policy $Policy -WarningVariable warn -WarningAction SilentlyContinue
        $r.Skipped | Should -BeTrue
        $r.SkipReason | Should -Match 'non-finite'
        $warn.Count | Should -Be 1
        Get-ParameterSums $Policy | Should -Be $before
    }

    It 'does nothing with -WhatIf' {
        $before = Get-ParameterSums $Policy
        New-TestRollout | Update-RlPolicy -Policy $Policy -WhatIf | Should -BeNullOrEmpty
        Get-ParameterSums $Policy | Should -Be $before
    }

    It 'refuses <Case> with <Id>' -ForEach @(
        @{ Case = 'a non-policy'; Id = 'NotAPolicy'; Extra = @{ Policy = 42 } }
        @{ Case = 'an unknown loss'; Id = 'UnknownLoss'; Extra = @{ Loss = 'NoSuchLoss' } }
        @{ Case = 'an unknown objective'; Id = 'UnknownObjective'; Extra = @{ Objective = 'NoSuchObjective' } }
        @{ Case = 'an unknown loss parameter'; Id = 'LossParameterInvalid'; Extra = @{ LossParameter = @{ Nope = 1 } } }
        @{ Case = 'a non-numeric loss parameter'; Id = 'LossParameterInvalid'; Extra = @{ Loss = 'SAPO'; LossParameter = @{ TauPositive = 'x' } } }
        @{ Case = 'a clip on a loss without one'; Id = 'LossParameterInvalid'; Extra = @{ Loss = 'GPG'; ClipHigh = 0.3 } }
        @{ Case = 'KL without a reference'; Id = 'ReferenceRequired'; Extra = @{ KLCoefficient = 0.1 } }
        @{ Case = 'a cosine schedule without -TotalSteps'; Id = 'InvalidSchedule'; Extra = @{ Schedule = 'Cosine' } }
        @{ Case = 'another optimizer without -ResetOptimizer'; Id = 'OptimizerMismatch'; Extra = @{ Optimizer = 'SGD' } }
    ) {
        $params = @{ Policy = $Policy }
        foreach ($k in $Extra.Keys) { $params[$k] = $Extra[$k] }
        { New-TestRollout | Update-RlPolicy @params -ErrorAction Stop } | Should -Throw -ErrorId "$Id,RlTools.Commands.UpdateRlPolicyCommand"
    }

    It 'validates -KLEstimator and -LossAggregation names' {
        { New-TestRollout | Update-RlPolicy -Policy $Policy -KLEstimator k9 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RlTools.Commands.UpdateRlPolicyCommand'
        foreach ($name in [RlTools.Core.Advantages.KlPenalty]::Names) {
            { New-TestRollout -Count 1 | Update-RlPolicy -Policy $Policy -KLEstimator $name -WhatIf } | Should -Not -Throw
        }
        { New-TestRollout | Update-RlPolicy -Policy $Policy -LossAggregation Mean } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RlTools.Commands.UpdateRlPolicyCommand'
    }

    It 'completes -Objective with every registered objective, each of which runs' {
        $null = Get-RlDevice # loads the engine assembly
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'RlTools.Torch' } | Select-Object -First 1
        $names = @($engine.GetType('RlTools.Torch.Training.Objectives.ObjectiveRegistry')::All | ForEach-Object Name)
        $names | Should -Contain 'CalibRL'
        $line = 'Update-RlPolicy -Objective '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be $names
        foreach ($name in $names) {
            $r = New-TestRollout -Count 2 | Update-RlPolicy -Policy (New-TinyPolicy) -Objective $name -LearningRate 1e-4
            [double]::IsFinite($r[0].Loss) | Should -BeTrue -Because $name
        }
    }

    It 'has a parameter for every update option (no drift between the cmdlet and the engine)' {
        $null = Get-RlDevice # loads the engine assembly
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'RlTools.Torch' } | Select-Object -First 1
        $options = @($engine.GetType('RlTools.Torch.Training.UpdateOptions').GetProperties() | Where-Object CanWrite | ForEach-Object Name)
        $options | Should -Contain 'Beta1'
        $renamed = @{ LossParameters = 'LossParameter'; Aggregation = 'LossAggregation'; Lift = 'SparseMask' }
        $params = @((Get-Command Update-RlPolicy).Parameters.Keys)
        foreach ($o in $options) { $params | Should -Contain ($renamed[$o] ?? $o) }
    }

    It 'hands -Beta1 and -Beta2 to the optimizer' {
        $p = New-TinyPolicy
        $null = New-TestRollout | Update-RlPolicy -Policy $p -Beta1 0.8 -Beta2 0.99
        $p.TrainerState.Optimizer.Settings.Beta1 | Should -Be 0.8
        $p.TrainerState.Optimizer.Settings.Beta2 | Should -Be 0.99
    }

    It 'refuses -KLInReward and points to Measure-RlAdvantage' {
        $err = { New-TestRollout | Update-RlPolicy -Policy $Policy -KLInReward -KLCoefficient 0.1 } | Should -Throw -ErrorId 'KLInRewardMoved,RlTools.Commands.UpdateRlPolicyCommand' -PassThru
        $err.Exception.Message | Should -Match 'Measure-RlAdvantage'
    }

    It 'switches optimizer with -ResetOptimizer and trains sparsely with -SparseMask' {
        $r = New-TestRollout | Update-RlPolicy -Policy $Policy -Optimizer AdamP -ResetOptimizer -SparseMask -SparseMaskSetting 4, 2, 10
        $r.Step | Should -Be 1
        $r.Skipped | Should -BeFalse
    }
}

Describe 'Update-RlPolicy memory' {
    BeforeAll {
        $script:Threads = (Get-RlDevice).Threads
        $null = Get-RlDevice -Threads 1
        function Measure-UpdateLoop([int] $Steps) {
            $policy = New-TinyPolicy -Dim 64
            $torch = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'TorchSharp' } | Select-Object -First 1
            $liveTensors = $torch.GetType('TorchSharp.torch+Tensor').GetProperty('TotalCount')
            try {
                $rows = @(New-TestRollout -Count 16)
                # Warm-up: the same calls as the measured loop, so JIT and allocator pools settle first.
                foreach ($i in 1..20) { $null = $rows | Update-RlPolicy -Policy $policy -LearningRate 1e-3 -MicroBatchSize 4 }
                [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
                $proc = [System.Diagnostics.Process]::GetCurrentProcess()
                $proc.Refresh(); $start = $proc.WorkingSet64
                $tensorsBefore = $liveTensors.GetValue($null)
                foreach ($i in 1..$Steps) { $null = $rows | Update-RlPolicy -Policy $policy -LearningRate 1e-3 -MicroBatchSize 4 }
                [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
                $proc.Refresh()
                [pscustomobject]@{
                    GrowthMiB     = ($proc.WorkingSet64 - $start) / 1MB
                    TensorsBefore = $tensorsBefore
                    TensorsAfter  = $liveTensors.GetValue($null)
                }
            }
            finally { $policy.Dispose() }
        }
    }
    AfterAll { $null = Get-RlDevice -Threads $script:Threads }

    It 'does not grow the working set over 50 steps after warm-up' {
        $m = Measure-UpdateLoop -Steps 50
        Write-Information "working-set growth over 50 steps: $([math]::Round($m.GrowthMiB, 1)) MiB"
        $m.TensorsAfter | Should -Be $m.TensorsBefore -Because 'every step disposes its tensors'
        $m.GrowthMiB | Should -BeLessThan 40
    }

    It 'does not grow the working set over 200 steps after warm-up' -Tag Slow {
        $m = Measure-UpdateLoop -Steps 200
        Write-Information "working-set growth over 200 steps: $([math]::Round($m.GrowthMiB, 1)) MiB"
        $m.TensorsAfter | Should -Be $m.TensorsBefore -Because 'every step disposes its tensors'
        $m.GrowthMiB | Should -BeLessThan 40
    }
}
