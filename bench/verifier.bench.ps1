#requires -Version 7.4
<#
.SYNOPSIS
    Math verifier throughput and accuracy against a SymPy-based peer, in one run.

.DESCRIPTION
    Both checkers score the labelled golden set (tests/RlTools.Core.Tests/Verifiers/golden-math.jsonl):
      - RlTools: MathVerifier through RewardScorer.Verify on one thread (ThrottleLimit 1), and through
        Measure-RlReward with every core, repeated -Repeat times;
      - peer: bench/verifier_peer_sympy.py (Debian python3-sympy: simple LaTeX-to-text, parse_expr,
        simplify/numeric equality), run once over the set.
    Prints checks/second of each, the single-thread ratio, and each checker's agreement with the labels,
    and writes bench/results/verifier.json. Needs: apt-get install -y python3-sympy.

.EXAMPLE
    dotnet pwsh ./bench/verifier.bench.ps1
#>
[CmdletBinding()]
param(
    [int] $Repeat = 20,
    [string] $Python = $(if (Test-Path /usr/bin/python3) { '/usr/bin/python3' } else { 'python3' })
)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
Import-Module (Join-Path $root 'RlTools.psd1') -Force
$null = Get-RlVerifier   # loads RlTools.Core
$golden = Join-Path $root 'tests' 'RlTools.Core.Tests' 'Verifiers' 'golden-math.jsonl'
$cases = @(Get-Content $golden | Where-Object { $_.Trim() } | ConvertFrom-Json)

function New-Batch {
    foreach ($c in $cases) {
        $r = [RlTools.Core.Records.Rollout]::new()
        $r.Completion = $c.completion; $r.Answer = $c.gold
        $r
    }
}

$math = [RlTools.Core.Verifiers.MathVerifier]::new()
$verifiers = [RlTools.Core.Verifiers.IVerifier[]] @($math)
$batch = [RlTools.Core.Records.Rollout[]] @(New-Batch)

# accuracy (one pass) and warm-up
$first = [RlTools.Core.Verifiers.RewardScorer]::Verify($batch, $verifiers, 1, [System.Threading.CancellationToken]::None)
$agree = 0
for ($i = 0; $i -lt $cases.Count; $i++) { if (($first[$i][0].IsCorrect -eq $true) -eq [bool] $cases[$i].expected) { $agree++ } }

# single thread
$sw = [System.Diagnostics.Stopwatch]::StartNew()
for ($k = 0; $k -lt $Repeat; $k++) { $null = [RlTools.Core.Verifiers.RewardScorer]::Verify($batch, $verifiers, 1, [System.Threading.CancellationToken]::None) }
$sw.Stop()
$oursSingle = $cases.Count * $Repeat / $sw.Elapsed.TotalSeconds

# the cmdlet, all cores
$rollouts = @(for ($k = 0; $k -lt $Repeat; $k++) { New-Batch })
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$null = $rollouts | Measure-RlReward -Verifier Math
$sw.Stop()
$oursCmdlet = $rollouts.Count / $sw.Elapsed.TotalSeconds

# the peer, same machine, same run
$peerJson = & $Python (Join-Path $PSScriptRoot 'verifier_peer_sympy.py') $golden 1
if ($LASTEXITCODE -ne 0) { throw "The SymPy peer failed (exit $LASTEXITCODE). Install it with: apt-get install -y python3-sympy" }
$peer = $peerJson | ConvertFrom-Json

$result = [ordered]@{
    cases                      = $cases.Count
    not_equal_cases            = @($cases | Where-Object { -not $_.expected }).Count
    rltools_checks_per_s_1core = [math]::Round($oursSingle, 1)
    rltools_cmdlet_checks_per_s = [math]::Round($oursCmdlet, 1)
    processors                 = [Environment]::ProcessorCount
    peer                       = $peer.checker
    peer_checks_per_s          = [math]::Round($peer.checks_per_second, 2)
    ratio_1core                = [math]::Round($oursSingle / $peer.checks_per_second, 1)
    rltools_agreement          = [math]::Round($agree / $cases.Count, 4)
    peer_agreement             = [math]::Round($peer.agreement, 4)
    peer_timeouts              = $peer.timeouts
}
$outDir = Join-Path $PSScriptRoot 'results'
$null = New-Item -ItemType Directory -Path $outDir -Force
$result | ConvertTo-Json | Set-Content (Join-Path $outDir 'verifier.json')
[pscustomobject] $result
