#requires -Version 7.4
<#
.SYNOPSIS
    Extra cost of the open rollout stage: continuing and probing against plain rollout, in generated tokens/s.

.DESCRIPTION
    Same policy (random weights, float32), same sampling (temperature 1), all through Invoke-RlRollout, and the same
    work in every mode: R rows of N new tokens each, decoded in batches of B (so every mode pays the same per-batch
    setup), best of -Repeats. What differs is the context each row starts from:
      plain     R rows sampled from the prompts (the peer every ratio is taken against);
      continue  R rollouts of 2N tokens continued by N (-Continue): the 2N-token prefix is teacher-forced (prefill plus
                its log-probs and entropies);
      probe     R/4 rollouts of 4N tokens probed at cuts 0, N, 2N, 3N with one sample of N tokens (-Probe): prefixes of
                different lengths share a batch (left padding);
      tree      -Branching R/P/2, 2 per prompt with segments of N (-Branching): the second depth re-prefills its parent.
    Reported: generated tokens per second (only sampled tokens count; a random policy draws EOS now and then) and the
    ratio to plain in the same run.

.EXAMPLE
    dotnet pwsh ./bench/rollout-open.bench.ps1 -Shape Tiny, Qwen2.5-0.5B
#>
[CmdletBinding()]
param(
    [ValidateSet('Tiny', 'Qwen2.5-0.5B')]
    [string[]] $Shape = @('Tiny'),
    [int] $Repeats = 3
)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
Import-Module (Join-Path $root 'RlTools.psd1')

$plans = @{
    'Tiny'         = @{ Prompts = 8; Rows = 64; Tokens = 16; Batch = 32
                        Config = @{ model_type = 'qwen2'; hidden_size = 64; intermediate_size = 176; num_hidden_layers = 2; num_attention_heads = 4; num_key_value_heads = 2; head_dim = 16; rope_theta = 10000.0; vocab_size = 259; tie_word_embeddings = $true } }
    'Qwen2.5-0.5B' = @{ Prompts = 2; Rows = 8; Tokens = 8; Batch = 8
                        Config = @{ model_type = 'qwen2'; hidden_size = 896; intermediate_size = 4864; num_hidden_layers = 24; num_attention_heads = 14; num_key_value_heads = 2; head_dim = 64; rope_theta = 1000000.0; max_position_embeddings = 32768; vocab_size = 151936; tie_word_embeddings = $true } }
}

function Time-Best([scriptblock] $Run) {
    $best = [double]::MaxValue; $out = $null
    foreach ($i in 1..$Repeats) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $out = @(& $Run)
        $best = [Math]::Min($best, $sw.Elapsed.TotalSeconds)
    }
    , @($best, $out)
}

$rows = foreach ($name in $Shape) {
    $plan = $plans[$name]
    $policy = New-RlPolicy -Config $plan.Config -Seed 1
    $prompts = @(foreach ($i in 1..$plan.Prompts) { [pscustomobject]@{ Id = "p$i"; Prompt = "Prompt number $i, with a few bytes of text." } })
    $common = @{ Policy = $policy; BatchSize = $plan.Batch; Seed = 1 }
    $n = $plan.Tokens; $group = [int]($plan.Rows / $plan.Prompts)
    $null = $prompts | Invoke-RlRollout @common -GroupSize 1 -MaxTokens 2  # warm-up
    $long = @($prompts | Invoke-RlRollout @common -GroupSize $group -MaxTokens (4 * $n))
    $mid = @($prompts | Invoke-RlRollout @common -GroupSize $group -MaxTokens (2 * $n))
    $modes = [ordered]@{
        plain    = { $prompts | Invoke-RlRollout @common -GroupSize $group -MaxTokens $n }
        continue = { $mid | ForEach-Object { $x = $_.Clone(); $x.FinishReason = 'length'; $x } | Invoke-RlRollout @common -Continue -NoDedup -MaxTokens $n }
        probe    = { $long | Select-Object -First ($plan.Rows / 4) | Invoke-RlRollout @common -Probe -CutAt Positions -CutPosition 0, $n, (2 * $n), (3 * $n) -ProbeSamples 1 -NoDedup -MaxTokens $n }
        tree     = { $prompts | Invoke-RlRollout @common -Branching ([int]($group / 2)), 2 -SegmentTokens $n -MaxTokens (2 * $n) }
    }
    $counts = @{
        plain    = { param($o) ($o | Measure-Object CompletionLength -Sum).Sum }
        continue = { param($o) ($o | Measure-Object CompletionLength -Sum).Sum - ($mid | Measure-Object CompletionLength -Sum).Sum }
        probe    = { param($o) ($o | Where-Object IsProbe | Measure-Object { $_.CompletionLength - $_.CutPositions[0] } -Sum).Sum }
        tree     = { param($o) ($o | Measure-Object { $_.CompletionLength - $(if ($_.Depth -gt 0) { $_.CutPositions[-1] } else { 0 }) } -Sum).Sum }
    }
    $plainRate = $null
    foreach ($mode in $modes.Keys) {
        $run = Time-Best $modes[$mode]
        $new = & $counts[$mode] $run[1]
        $rate = $new / $run[0]
        if ($mode -eq 'plain') { $plainRate = $rate }
        [pscustomobject]@{
            Shape = $name; Mode = $mode; Rows = @($run[1] | Where-Object { $mode -ne 'probe' -or $_.IsProbe }).Count; NewTokens = $new; Seconds = [Math]::Round($run[0], 3)
            TokensPerSecond = [Math]::Round($rate, 1); RatioToPlain = [Math]::Round($rate / $plainRate, 3)
        }
    }
    $policy.Dispose()
}
$rows | Format-Table -AutoSize | Out-String | Write-Output
