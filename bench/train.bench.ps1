#requires -Version 7.4
<#
.SYNOPSIS
    Update-stage training throughput (forward, backward, AdamW) against a PyTorch eager peer.
.DESCRIPTION
    Runs Update-RlPolicy on the engine's TinyCausalLM (embedding -> tanh(linear) -> linear) with one padded
    batch of rollouts (PPO dual clip, token-mean, entropy, gradient clipping, AdamW), then bench/train_peer.py
    with the same model, batch, sequence lengths, loss and optimizer, alternating the two -Rounds times.
    Reports completion tokens/s for each, their ratio, and the fraction of the measured 1024^3 matmul FLOP/s
    each reaches (model FLOPs per step = 6 x tokens x (dim^2 + dim x vocab), forward + backward).
    Needs the module built (build.ps1 -Task Build) and python3 with torch (apt-get install python3-torch).
.EXAMPLE
    dotnet pwsh ./bench/train.bench.ps1 -Threads 2
#>
[CmdletBinding()]
param(
    [int] $Threads = 2,
    [int] $Steps = 20,
    [int] $Rounds = 3,
    [int] $Batch = 16,
    [int] $PromptLength = 32,
    [int] $CompletionLength = 96,
    [int] $Dim = 256,
    [int] $Vocab = 8192,
    [string] $Python = '/usr/bin/python3'
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '..' 'RlTools.psd1')
$null = Get-RlDevice -Threads $Threads

$assemblies = [AppDomain]::CurrentDomain.GetAssemblies()
$engine = $assemblies | Where-Object { $_.GetName().Name -eq 'RlTools.Torch' } | Select-Object -First 1
$torch = $assemblies | Where-Object { $_.GetName().Name -eq 'TorchSharp' } | Select-Object -First 1
$float32 = [Enum]::Parse($torch.GetType('TorchSharp.torch+ScalarType'), 'Float32')
$model = [Activator]::CreateInstance($engine.GetType('RlTools.Torch.Models.TinyCausalLM'), @($Vocab, $Dim, [long] 0, $float32))
$policy = [Activator]::CreateInstance($engine.GetType('RlTools.Torch.Policy'), @($model, [Activator]::CreateInstance($engine.GetType('RlTools.Torch.Tokenizers.ByteTokenizer')), $false))

$rng = [System.Random]::new(0)
$rows = foreach ($i in 1..$Batch) {
    $r = [RlTools.Core.Records.Rollout]::new()
    $r.PromptId = "p$i"
    $r.PromptTokens = [int[]](1..$PromptLength | ForEach-Object { $rng.Next(0, 256) })
    $r.CompletionTokens = [int[]](1..$CompletionLength | ForEach-Object { $rng.Next(0, 256) })
    $r.Logprobs = [float[]](1..$CompletionLength | ForEach-Object { -9.0 })
    $r.Advantage = $rng.NextDouble() * 2 - 1
    $r
}
$flopsPerStep = 6.0 * $Batch * ($PromptLength + $CompletionLength) * ($Dim * $Dim + $Dim * $Vocab)
$ours = @(); $peer = @()
foreach ($round in 1..$Rounds) {
    foreach ($i in 1..3) { $null = $rows | Update-RlPolicy -Policy $policy -LearningRate 1e-4 -Optimizer AdamW } # warm-up
    $sw = [Diagnostics.Stopwatch]::StartNew()
    foreach ($i in 1..$Steps) { $null = $rows | Update-RlPolicy -Policy $policy -LearningRate 1e-4 }
    $ours += $sw.Elapsed.TotalSeconds / $Steps
    $json = & $Python (Join-Path $PSScriptRoot 'train_peer.py') --threads $Threads --steps $Steps --batch $Batch `
        --prompt $PromptLength --completion $CompletionLength --dim $Dim --vocab $Vocab
    if ($LASTEXITCODE -ne 0) { throw "The PyTorch peer failed (is python3-torch installed?)." }
    $peer += $json | ConvertFrom-Json
}
$policy.Dispose()
$oursStep = ($ours | Measure-Object -Minimum).Minimum
$peerStep = ($peer.seconds_per_step | Measure-Object -Minimum).Minimum
$mm = ($peer.matmul_gflops | Measure-Object -Maximum).Maximum
[pscustomobject]@{
    Config = "batch $Batch, prompt $PromptLength, completion $CompletionLength, dim $Dim, vocab $Vocab, threads $Threads"
    RlToolsTokensPerSecond = [math]::Round($Batch * $CompletionLength / $oursStep, 1)
    PyTorchTokensPerSecond = [math]::Round($Batch * $CompletionLength / $peerStep, 1)
    Ratio = [math]::Round($peerStep / $oursStep, 3)
    MatmulGflops = [math]::Round($mm, 1)
    RlToolsFlopFraction = [math]::Round($flopsPerStep / $oursStep / 1e9 / $mm, 3)
    PyTorchFlopFraction = [math]::Round($flopsPerStep / $peerStep / 1e9 / $mm, 3)
}
