#requires -Version 7.4
<#
.SYNOPSIS
    Update-stage training throughput (forward, backward, AdamW) against a PyTorch eager peer, same architecture.

.DESCRIPTION
    For each shape (Tiny: the rollout bench's 2-layer width-64 Qwen2 decoder over bytes; the Qwen2.5-0.5B shape with
    random weights), Update-RlPolicy trains on one unpadded batch of rollouts (prompt + completion tokens per row) with
    its defaults (PPO dual clip 0.2/3, token-mean, entropy recorded, gradient clipping 1.0, AdamW lr 1e-4 wd 0.01),
    and bench/train_peer.py does the same update on the same architecture in PyTorch eager (Hugging Face-style code:
    logits for every position, sliced to the completion). Reported: completion tokens/s of each (best step), the ratio,
    and each engine's model FLOP/s as a fraction of its own measured 1024³ matmul FLOP/s (model FLOPs per step =
    6 × batch × sequence × matmul parameters, the head counted at every position for both, so the numerator is the
    same work for both engines; RlTools skips the head at prompt positions, which is part of why it is faster).
    Needs the module built and Debian's python3-torch (apt-get install -y python3-torch libopenblas0-pthread).

.EXAMPLE
    dotnet pwsh ./bench/train.bench.ps1 -Shape Tiny, Qwen2.5-0.5B -Threads 2
#>
[CmdletBinding()]
param(
    [ValidateSet('Tiny', 'Qwen2.5-0.5B')]
    [string[]] $Shape = @('Tiny', 'Qwen2.5-0.5B'),
    [int] $Threads = 2,
    [string] $Python = '/usr/bin/python3'
)
$ErrorActionPreference = 'Stop'
# OpenMP: the module bounds the workers' spin on import; the peer inherits the same setting from this process.
Import-Module (Join-Path $PSScriptRoot '..' 'RlTools.psd1')
$null = Get-RlDevice -Threads $Threads

$plans = @{
    'Tiny'         = @{ Peer = 'tiny'; Batch = 16; Prompt = 32; Completion = 96; Steps = 10; Warmup = 3
                        Config = @{ model_type = 'qwen2'; hidden_size = 64; intermediate_size = 176; num_hidden_layers = 2; num_attention_heads = 4; num_key_value_heads = 2; head_dim = 16; rope_theta = 10000.0; vocab_size = 259; tie_word_embeddings = $true } }
    'Qwen2.5-0.5B' = @{ Peer = 'qwen2.5-0.5b'; Batch = 2; Prompt = 32; Completion = 96; Steps = 3; Warmup = 1
                        Config = @{ model_type = 'qwen2'; hidden_size = 896; intermediate_size = 4864; num_hidden_layers = 24; num_attention_heads = 14; num_key_value_heads = 2; head_dim = 64; rope_theta = 1000000.0; max_position_embeddings = 32768; vocab_size = 151936; tie_word_embeddings = $true } }
}

function Measure-Ours($plan) {
    $policy = New-RlPolicy -Config $plan.Config -Seed 1
    $rng = [System.Random]::new(0)
    $rows = foreach ($i in 1..$plan.Batch) {
        $r = [RlTools.Core.Records.Rollout]::new()
        $r.PromptId = "p$i"
        $r.PromptTokens = [int[]](1..$plan.Prompt | ForEach-Object { $rng.Next(0, 256) })
        $r.CompletionTokens = [int[]](1..$plan.Completion | ForEach-Object { $rng.Next(0, 256) })
        $r.Logprobs = [float[]](1..$plan.Completion | ForEach-Object { -9.0 })
        $r.Advantage = $rng.NextDouble() * 2 - 1
        $r
    }
    foreach ($i in 1..$plan.Warmup) { $null = $rows | Update-RlPolicy -Policy $policy -LearningRate 1e-4 -Optimizer AdamW }
    $best = [double]::MaxValue
    foreach ($i in 1..$plan.Steps) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $null = $rows | Update-RlPolicy -Policy $policy -LearningRate 1e-4
        $best = [Math]::Min($best, $sw.Elapsed.TotalSeconds)
    }
    $params = $policy.ParameterCount
    $engine = $policy.GetType().Assembly
    $gflops = $engine.GetType('RlTools.Torch.Runtime.TorchRuntime').GetMethod('MatmulGflops').Invoke($null, @(1024, 10))
    $policy.Dispose()
    [pscustomobject]@{ Seconds = $best; Parameters = $params; MatmulGflops = $gflops }
}

$rows = foreach ($name in $Shape) {
    $plan = $plans[$name]
    $ours = Measure-Ours $plan
    [GC]::Collect()
    $json = & $Python (Join-Path $PSScriptRoot 'train_peer.py') --config $plan.Peer --threads $Threads --steps $plan.Steps --warmup $plan.Warmup `
        --batch $plan.Batch --prompt $plan.Prompt --completion $plan.Completion
    if ($LASTEXITCODE -ne 0) { throw "The PyTorch peer failed for $name (is python3-torch installed?)." }
    $peer = $json | ConvertFrom-Json
    if ($peer.params -ne $ours.Parameters) { throw "parameter counts differ: peer $($peer.params), ours $($ours.Parameters)" }
    $c = $plan.Config
    $embedding = $c.vocab_size * $c.hidden_size
    # Matmul parameters: everything but norms and biases, with the tied embedding counted once, as the output head.
    $matmulParams = $ours.Parameters - $c.num_hidden_layers * (2 * $c.hidden_size) - $c.hidden_size
    $flops = 6.0 * $plan.Batch * ($plan.Prompt + $plan.Completion) * $matmulParams
    $tokens = $plan.Batch * $plan.Completion
    [pscustomobject]@{
        Shape                  = $name
        Config                 = "batch $($plan.Batch), prompt $($plan.Prompt), completion $($plan.Completion), threads $Threads"
        RlToolsTokensPerSecond = [math]::Round($tokens / $ours.Seconds, 1)
        PyTorchTokensPerSecond = [math]::Round($peer.tokens_per_s, 1)
        Ratio                  = [math]::Round($peer.seconds_per_step / $ours.Seconds, 2)
        RlToolsMatmulGflops    = [math]::Round($ours.MatmulGflops, 1)
        PyTorchMatmulGflops    = [math]::Round($peer.matmul_gflops, 1)
        RlToolsFlopFraction    = [math]::Round($flops / $ours.Seconds / 1e9 / $ours.MatmulGflops, 3)
        PyTorchFlopFraction    = [math]::Round($flops / $peer.seconds_per_step / 1e9 / $peer.matmul_gflops, 3)
        PeerTorch              = $peer.torch
    }
}
$rows | Format-List
