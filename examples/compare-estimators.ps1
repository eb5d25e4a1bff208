#requires -Version 7.4
<#
.SYNOPSIS
    Compares advantage estimators on the demo task: same SFT start, same prompts, seeds and budget.

.DESCRIPTION
    Starts from the SFT checkpoint of the demo (examples/train-arithmetic.ps1 is run with no RL steps
    to make one when -Checkpoint is not given), then runs Compare-RlAdvantageEstimator over the
    estimators, and writes runs/<name>/metrics.csv, summary.csv (one row per estimator: final and best
    held-out accuracy, mean reward and entropy over the last 10 steps, tokens sampled per step, seconds)
    and two plots:
    heldout_accuracy.png and entropy.png, one line per estimator.

.PARAMETER Tiny
    A smoke run in seconds; used by the Pester suite.

.EXAMPLE
    dotnet pwsh ./examples/compare-estimators.ps1 -Estimator GRPO, RLOO, DrGRPO -Steps 80

.EXAMPLE
    dotnet pwsh ./examples/compare-estimators.ps1 -Name stepmethods -Estimator GRPO, SPO, SPOTree, SPAE, ADHint, VERLER, HAPO
    The methods built on the open rollout stage beside GRPO (probes, trees, hints, effective rank, adaptive temperature).
#>
[CmdletBinding()]
param(
    [string] $Name = 'compare',
    [int] $Seed = 1,
    [string[]] $Estimator = @('GRPO', 'DrGRPO', 'RLOO', 'NGRPO', 'DGPO', 'AGRAE'),
    [int] $Steps = 80,
    [int] $PromptsPerStep = 32,
    [int] $GroupSize = 8,
    [int] $EvalEvery = 10,
    [double] $LearningRate = 5e-4,
    [string] $Checkpoint,
    [int] $Threads = 1,
    [string] $OutputDirectory,
    [switch] $Tiny
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '..' 'RlTools.psd1')
$null = Get-RlDevice -Threads $Threads
if (-not $OutputDirectory) { $OutputDirectory = Join-Path $PSScriptRoot '..' 'runs' $Name }
$null = New-Item -ItemType Directory -Path $OutputDirectory -Force
$evalCount = 400
if ($Tiny) { $Steps = 2; $PromptsPerStep = 2; $GroupSize = 2; $EvalEvery = 1; $evalCount = 8; $Estimator = $Estimator | Select-Object -First 2 }

if (-not $Checkpoint) {
    # The demo's SFT phase alone makes the shared starting point.
    $sftRun = Join-Path $OutputDirectory 'start'
    $demo = @{ Name = "$Name-start"; Seed = $Seed; RlSteps = 0; OutputDirectory = $sftRun; Threads = $Threads; Tiny = $Tiny }
    $null = & (Join-Path $PSScriptRoot 'train-arithmetic.ps1') @demo
    $Checkpoint = Join-Path $sftRun 'sft'
}

$train = @(New-RlDataset -Task ArithmeticFixed -Count 4000 -Seed $Seed -Split Train -WithSolution)   # solutions: ADHint's hints
$test = @(New-RlDataset -Task ArithmeticFixed -Count $evalCount -Seed ($Seed + 1000) -Split Test)
$rows = @(Compare-RlAdvantageEstimator -Path $Checkpoint -Estimator $Estimator -TrainSet $train -TestSet $test -Steps $Steps `
        -PromptsPerStep $PromptsPerStep -GroupSize $GroupSize -MaxTokens 5 -EvalEvery $EvalEvery -LearningRate $LearningRate -Seed $Seed)
$rows | Export-Csv (Join-Path $OutputDirectory 'metrics.csv')

$summary = foreach ($g in $rows | Group-Object Estimator) {
    $last = $g.Group | Select-Object -Last ([math]::Min(10, $Steps))
    [pscustomobject]@{
        estimator           = $g.Name
        start_accuracy      = ($g.Group | Where-Object Step -EQ 0).HeldoutAccuracy
        final_accuracy      = ($g.Group | Select-Object -Last 1).HeldoutAccuracy
        best_accuracy       = ($g.Group | Measure-Object HeldoutAccuracy -Maximum).Maximum
        reward_last10       = [math]::Round(($last | Measure-Object Reward -Average).Average, 4)
        entropy_last10      = [math]::Round(($last | Measure-Object Entropy -Average).Average, 4)
        sampled_tokens_step = [math]::Round(($g.Group | Where-Object Step -GT 0 | Measure-Object SampledTokens -Average).Average, 0)
        seconds             = [math]::Round(($g.Group | Select-Object -Last 1).Seconds, 1)
    }
}
$summary | Export-Csv (Join-Path $OutputDirectory 'summary.csv')
$null = $rows | Export-RlPlot -X Step -Y HeldoutAccuracy -GroupBy Estimator -Title 'Held-out accuracy per estimator' -Path (Join-Path $OutputDirectory 'heldout_accuracy.png') -Force
$null = $rows | Where-Object Step -GT 0 | Export-RlPlot -X Step -Y Entropy -GroupBy Estimator -Title 'Entropy per estimator' -Path (Join-Path $OutputDirectory 'entropy.png') -Force
$summary | Format-Table -AutoSize | Out-String
