#requires -Version 7.4
<#
.SYNOPSIS
    The main job: RLVR teaches a tiny byte-level policy 2-digit addition on this CPU, end to end.

.DESCRIPTION
    1. Generates a verifiable task (fixed-width 2-digit addition, '07+45=' -> 52) with a train /
       held-out split by problem, all embedded: nothing is downloaded.
    2. Creates a tiny Qwen2-style policy with a byte tokenizer and warms it up with SFT on a slice
       of 1,500 demonstrations, stopping once accuracy on a validation slice of unseen training
       problems reaches -SftTargetAccuracy (or after -SftMaxSteps): the policy is left partly
       right, which is where RL has something to reinforce. The held-out test set is never used
       for this decision.
    3. Runs GRPO, one pipeline per step:
           Invoke-RlRollout | Measure-RlReward | Measure-RlAdvantage | Update-RlPolicy
       with a KL penalty to the frozen SFT checkpoint.
    4. Measures held-out accuracy (greedy, Math verifier) before RL and every few steps, writes
       runs/<name>/metrics.csv, PNG plots and the checkpoints, and prints one summary line:
           demo: sft_accuracy=0.412 rl_accuracy=0.688 seconds=431 seed=1
    Ctrl+C stops between steps; metrics.csv is appended per step and the last checkpoint is
    written atomically, so both stay intact.

.PARAMETER Estimator
    The advantage estimator of the RL phase (GRPO). HAPO brings its whole method: adaptive sampling
    temperature from the previous step's entropies (Invoke-RlRollout -AdaptiveTemperature) and its loss.

.PARAMETER Tiny
    A smoke run in seconds (few steps, small evaluation); used by the Pester suite.

.EXAMPLE
    dotnet pwsh ./examples/train-arithmetic.ps1 -Seed 2
#>
[CmdletBinding()]
param(
    [string] $Name = 'demo',
    [int] $Seed = 1,
    [int] $SftMaxSteps = 1000,
    [double] $SftTargetAccuracy = 0.3,
    [int] $RlSteps = 800,
    [int] $PromptsPerStep = 32,
    [int] $GroupSize = 8,
    [int] $EvalEvery = 10,
    [int] $EvalCount = 400,
    [double] $SftLearningRate = 5e-3,
    [int] $SftWarmupSteps = 100,
    [double] $RlLearningRate = 5e-4,
    [double] $KLCoefficient = 0.001,
    [string] $Estimator = 'GRPO',
    [int] $Threads = 1,
    [string] $OutputDirectory,
    [switch] $Tiny
)
$ErrorActionPreference = 'Stop'
$clock = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module (Join-Path $PSScriptRoot '..' 'RlTools.psd1')
if ($Tiny) { $SftMaxSteps = 4; $RlSteps = 3; $EvalEvery = 2; $EvalCount = 16; $PromptsPerStep = 4; $GroupSize = 4 }
if (-not $OutputDirectory) { $OutputDirectory = Join-Path $PSScriptRoot '..' 'runs' $Name }
$null = New-Item -ItemType Directory -Path $OutputDirectory -Force
$metricsPath = Join-Path $OutputDirectory 'metrics.csv'
Remove-Item $metricsPath -ErrorAction Ignore
$null = Get-RlDevice -Threads $Threads

# 1. Task: train prompts with demonstrations, a held-out test set (disjoint problems).
$task = 'ArithmeticFixed'
$train = @(New-RlDataset -Task $task -Count 4000 -Seed $Seed -Split Train -WithSolution)
$test = @(New-RlDataset -Task $task -Count $EvalCount -Seed ($Seed + 1000) -Split Test)

# 2. Policy: a small Qwen2-style decoder over bytes.
$config = @{
    model_type = 'qwen2'; hidden_size = 128; intermediate_size = 384; num_hidden_layers = 2
    num_attention_heads = 8; num_key_value_heads = 8; vocab_size = 259; max_position_embeddings = 64
    rope_theta = 10000; rms_norm_eps = 1e-6; tie_word_embeddings = $true
}
$policy = New-RlPolicy -Config $config -Tokenizer Byte -Seed $Seed

function Measure-HeldOut { ($test | Measure-RlPolicy -Policy $policy -MaxTokens 5 -BatchSize 128) }

# 3. SFT warm-up on a slice of demonstrations.
$demos = @($train | Select-Object -First 1500 | ConvertTo-RlRollout -Policy $policy)
$validation = @($train | Select-Object -Last 200)
$sftRng = [System.Random]::new($Seed)
$validAccuracy = 0.0
for ($s = 1; $s -le $SftMaxSteps; $s++) {
    $batch = foreach ($i in 1..64) { $demos[$sftRng.Next($demos.Count)] }
    $null = $batch | Update-RlPolicy -Policy $policy -Objective Sft -LearningRate $SftLearningRate -Schedule Cosine -WarmupSteps $SftWarmupSteps -TotalSteps $SftMaxSteps
    if ($s % 10 -eq 0 -or $s -eq $SftMaxSteps) {
        $validAccuracy = ($validation | Measure-RlPolicy -Policy $policy -MaxTokens 5 -BatchSize 200).PassAt1
        Write-Progress -Id 1 -Activity 'SFT warm-up' -Status ("step {0}/{1}  validation accuracy {2:N3}" -f $s, $SftMaxSteps, $validAccuracy) -PercentComplete (100 * $s / $SftMaxSteps)
        if ($validAccuracy -ge $SftTargetAccuracy) { break }
    }
}
$sftSteps = [math]::Min($s, $SftMaxSteps)
Write-Progress -Id 1 -Activity 'SFT warm-up' -Completed
$sft = Measure-HeldOut
Write-Information ("SFT: {0} steps, validation accuracy {1:N3}, held-out accuracy {2:N3} ({3:N0} s)" -f $sftSteps, $validAccuracy, $sft.PassAt1, $clock.Elapsed.TotalSeconds) -InformationAction Continue
$sftDir = Join-Path $OutputDirectory 'sft'
Export-RlPolicy -Policy $policy -Path $sftDir -Force
$reference = Import-RlPolicy -Path $sftDir -Frozen

# 4. GRPO: one pipeline per step.
$rlRng = [System.Random]::new($Seed + 7)
$heldOut = $sft.PassAt1
$rlStart = $clock.Elapsed.TotalSeconds
[pscustomobject]@{ step = 0; phase = 'sft'; reward = $null; heldout_accuracy = $sft.PassAt1; entropy = $null; kl = $null; response_length = $sft.MeanLength; loss = $null; grad_norm = $null; seconds = [math]::Round($clock.Elapsed.TotalSeconds, 1) } |
    Export-Csv $metricsPath -Append
# HAPO is one flag: -Estimator HAPO also samples at its adaptive temperature (statistics of the previous step's
# entropies; plain T on the first step) and trains with its loss (entropy-adaptive clip and advantage redistribution).
$hapo = $Estimator -eq 'HAPO'
$rlLoss = if ($hapo) { 'HAPO' } else { 'PPO' }
$previous = @()
try {
    for ($step = 1; $step -le $RlSteps; $step++) {
        $prompts = foreach ($i in 1..$PromptsPerStep) { $train[$rlRng.Next($train.Count)] }
        $adaptive = if ($hapo) { @{ AdaptiveTemperature = $true; EntropyBaseline = $previous } } else { @{} }
        $rollouts = @($prompts |
                Invoke-RlRollout -Policy $policy -GroupSize $GroupSize -MaxTokens 5 -Temperature 1.0 -Seed ($Seed * 100003 + $step) @adaptive |
                Measure-RlReward -Verifier Math |
                Measure-RlAdvantage -Estimator $Estimator)
        # RL starts a fresh optimizer (new moments, constant learning rate) rather than continuing SFT's schedule.
        $fresh = @{ ResetOptimizer = ($step -eq 1) }
        $update = @($rollouts | Update-RlPolicy -Policy $policy -Reference $reference -Loss $rlLoss -KLCoefficient $KLCoefficient -LearningRate $RlLearningRate -Schedule Constant @fresh)[-1]
        $previous = $rollouts

        $reward = ($rollouts | Measure-Object Reward -Average).Average
        $length = ($rollouts | Measure-Object CompletionLength -Average).Average
        $entropy = ($rollouts | ForEach-Object { $_.Entropies } | Measure-Object -Average).Average
        if ($step % $EvalEvery -eq 0 -or $step -eq $RlSteps) { $heldOut = (Measure-HeldOut).PassAt1 }
        [pscustomobject]@{
            step = $step; phase = 'rl'; reward = [math]::Round($reward, 4); heldout_accuracy = $heldOut
            entropy = [math]::Round($entropy, 4); kl = [math]::Round($update.Kl, 6); response_length = [math]::Round($length, 3)
            loss = [math]::Round($update.Loss, 6); grad_norm = [math]::Round($update.GradNorm, 4); seconds = [math]::Round($clock.Elapsed.TotalSeconds, 1)
        } | Export-Csv $metricsPath -Append
        $eta = ($clock.Elapsed.TotalSeconds - $rlStart) / $step * ($RlSteps - $step)
        Write-Progress -Id 2 -Activity 'GRPO' -Status ("step {0}/{1}  reward {2:N3}  held-out {3:N3}" -f $step, $RlSteps, $reward, $heldOut) -PercentComplete (100 * $step / $RlSteps) -SecondsRemaining $eta
    }
}
finally {
    Write-Progress -Id 2 -Activity 'GRPO' -Completed
    Export-RlPolicy -Policy $policy -Path (Join-Path $OutputDirectory 'checkpoint') -Force
}

# 5. Final evaluation, plots, summary.
$final = Measure-HeldOut
$rows = Import-Csv $metricsPath
$rlRows = $rows | Where-Object phase -EQ 'rl'
$null = $rows | Export-RlPlot -Y heldout_accuracy -Title 'Held-out accuracy (greedy)' -Path (Join-Path $OutputDirectory 'heldout_accuracy.png') -Force
foreach ($metric in @('reward', 'entropy', 'kl', 'response_length') | Where-Object { $rlRows }) {
    $null = $rlRows | Export-RlPlot -Y $metric -Title "$metric per GRPO step" -Path (Join-Path $OutputDirectory "$metric.png") -Force
}
[pscustomobject]@{ sft_accuracy = $sft.PassAt1; rl_accuracy = $final.PassAt1; seconds = [math]::Round($clock.Elapsed.TotalSeconds); seed = $Seed; estimator = $Estimator; sft_steps = $sftSteps; rl_steps = $RlSteps } |
    Export-Csv (Join-Path $OutputDirectory 'summary.csv')
'demo: sft_accuracy={0:F3} rl_accuracy={1:F3} seconds={2} seed={3}' -f $sft.PassAt1, $final.PassAt1, [math]::Round($clock.Elapsed.TotalSeconds), $Seed
