#requires -Version 7.4
<#
.SYNOPSIS
    Decode throughput of the RlTools rollout engine against a PyTorch eager peer, plus the memory-bandwidth roofline.

.DESCRIPTION
    For each shape (Tiny; the Qwen2.5-0.5B shape with random weights), both engines build the same decoder with random
    weights in float32, prefill a batch of random prompts and sample -Tokens new tokens per row with a KV cache
    (temperature 1, recording log-prob and entropy, EOS ignored so every row decodes every step). Reported:
    decoded tokens/s end to end (batch x tokens / best-of-N wall time, prefill included) and of the decode steps
    alone (batch x (tokens - 1) / (time(tokens) - time(1))), the ratios to the peer, and the decode fraction
    of the roofline: a decode step must stream every weight once, so tokens/s <= batch x bandwidth / weight bytes,
    with the read bandwidth measured by the peer process in the same run (sum over 1 GiB, best of 5).

    The peer (bench/rollout_peer.py) runs on Debian's python3-torch with libopenblas0-pthread:
        apt-get install -y python3-torch libopenblas0-pthread

.EXAMPLE
    dotnet pwsh ./bench/rollout.bench.ps1 -Shape Tiny, Qwen2.5-0.5B -Threads 1, 2
#>
[CmdletBinding()]
param(
    [ValidateSet('Tiny', 'Qwen2.5-0.5B', 'Qwen2.5-0.5B@1')]
    [string[]] $Shape = @('Tiny', 'Qwen2.5-0.5B'),
    [int[]] $Threads = @(2),
    [int] $Repeats = 3,
    [string] $Python = '/usr/bin/python3'
)
$ErrorActionPreference = 'Stop'
# OpenMP settings: the module bounds the workers' spin on import (src/RlTools/Hosting/OpenMpEnvironment.cs) and
# writes it into this process's environment, which the peer inherits, so both engines run with the same settings.
$root = Split-Path $PSScriptRoot -Parent
Import-Module (Join-Path $root 'RlTools.psd1')

$plans = @{
    'Tiny'         = @{ Peer = 'tiny'; Batch = 16; Prompt = 16; Tokens = 128
                        Config = @{ model_type = 'qwen2'; hidden_size = 64; intermediate_size = 176; num_hidden_layers = 2; num_attention_heads = 4; num_key_value_heads = 2; head_dim = 16; rope_theta = 10000.0; vocab_size = 259; tie_word_embeddings = $true } }
    'Qwen2.5-0.5B' = @{ Peer = 'qwen2.5-0.5b'; Batch = 8; Prompt = 16; Tokens = 12
                        Config = @{ model_type = 'qwen2'; hidden_size = 896; intermediate_size = 4864; num_hidden_layers = 24; num_attention_heads = 14; num_key_value_heads = 2; head_dim = 64; rope_theta = 1000000.0; max_position_embeddings = 32768; vocab_size = 151936; tie_word_embeddings = $true } }
}
# Batch 1: the purely bandwidth-bound case (2 flops per weight per step), where the roofline is the whole story.
$plans['Qwen2.5-0.5B@1'] = @{ Peer = 'qwen2.5-0.5b'; Batch = 1; Prompt = 16; Tokens = 24; Config = $plans['Qwen2.5-0.5B'].Config }

function Measure-Ours($plan) {
    $policy = New-RlPolicy -Config $plan.Config -Seed 1
    $rng = [Random]::new(1)
    $prompts = [int[][]]@(foreach ($r in 1..$plan.Batch) { , [int[]]@(foreach ($j in 1..$plan.Prompt) { $rng.Next(256) }) })
    # The engine lives in its own load context, so its types are reached through the policy's assembly.
    $engine = $policy.GetType().Assembly
    $opts = [Activator]::CreateInstance($engine.GetType('RlTools.Torch.Generation.SamplingOptions'))
    $generate = $engine.GetType('RlTools.Torch.Generation.TextGenerator').GetMethods() | Where-Object { $_.Name -eq 'Generate' -and $_.GetParameters().Count -eq 4 }
    $opts.MaxNewTokens = [Math]::Min($plan.Tokens, 4); $opts.IgnoreEos = $true; $opts.Seed = 1
    $null = $generate.Invoke($null, @($policy.Model, $policy.Tokenizer, $prompts, $opts))  # warm-up
    $opts.MaxNewTokens = $plan.Tokens
    $best = [double]::MaxValue; $best1 = [double]::MaxValue
    foreach ($i in 1..$Repeats) {
        $opts.MaxNewTokens = 1  # prefill and the first token only
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $null = $generate.Invoke($null, @($policy.Model, $policy.Tokenizer, $prompts, $opts))
        $best1 = [Math]::Min($best1, $sw.Elapsed.TotalSeconds)
        $opts.MaxNewTokens = $plan.Tokens
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $out = $generate.Invoke($null, @($policy.Model, $policy.Tokenizer, $prompts, $opts))
        $best = [Math]::Min($best, $sw.Elapsed.TotalSeconds)
        if (@($out | Where-Object { $_.Tokens.Count -ne $plan.Tokens }).Count) { throw 'a row did not decode every step' }
    }
    [pscustomobject]@{
        Seconds = $best; TokensPerSecond = $plan.Batch * $plan.Tokens / $best
        DecodeTokensPerSecond = $plan.Batch * ($plan.Tokens - 1) / [Math]::Max($best - $best1, 1e-9); Parameters = $policy.ParameterCount
    }
    $policy.Dispose()
}

$rows = foreach ($name in $Shape) { foreach ($threadCount in $Threads) {
    $plan = $plans[$name]
    $null = Get-RlDevice -Threads $threadCount
    $ours = Measure-Ours $plan
    $peerArgs = @((Join-Path $PSScriptRoot 'rollout_peer.py'), '--config', $plan.Peer, '--batch', $plan.Batch, '--prompt', $plan.Prompt, '--tokens', $plan.Tokens, '--threads', $threadCount, '--repeats', $Repeats, '--bandwidth')
    $peer = & $Python @peerArgs | ConvertFrom-Json
    if ($LASTEXITCODE -ne 0) { throw "peer failed for $name" }
    $peer1 = $null
    if ($name -eq 'Tiny' -and $threadCount -ne 1) {
        $peerArgs[10] = 1
        $peer1 = & $Python @peerArgs | ConvertFrom-Json
    }
    if ($peer.params -ne $ours.Parameters) { throw "parameter counts differ: peer $($peer.params), ours $($ours.Parameters)" }
    $weightBytes = 4.0 * $ours.Parameters
    $roofline = $plan.Batch * $peer.read_bandwidth_gbs * 1e9 / $weightBytes  # decode steps only
    [pscustomobject]@{
        Shape              = $name
        Batch              = $plan.Batch
        Tokens             = $plan.Tokens
        Threads            = $threadCount
        RlToolsTokPerS     = [Math]::Round($ours.TokensPerSecond, 1)
        PeerTokPerS        = [Math]::Round($peer.tokens_per_s, 1)
        Ratio              = [Math]::Round($ours.TokensPerSecond / $peer.tokens_per_s, 2)
        RlToolsDecodeTokPerS = [Math]::Round($ours.DecodeTokensPerSecond, 1)
        PeerDecodeTokPerS  = [Math]::Round($peer.decode_tokens_per_s, 1)
        DecodeRatio        = [Math]::Round($ours.DecodeTokensPerSecond / $peer.decode_tokens_per_s, 2)
        Peer1ThreadTokPerS = if ($peer1) { [Math]::Round($peer1.tokens_per_s, 1) } else { $null }
        RatioVsPeer1Thread = if ($peer1) { [Math]::Round($ours.TokensPerSecond / $peer1.tokens_per_s, 2) } else { $null }
        BandwidthGBs       = [Math]::Round($peer.read_bandwidth_gbs, 2)
        RooflineTokPerS    = [Math]::Round($roofline, 1)
        FractionOfRoofline = [Math]::Round($ours.DecodeTokensPerSecond / $roofline, 3)
        PeerTorch          = $peer.torch
    }
} }
$rows | Format-List
