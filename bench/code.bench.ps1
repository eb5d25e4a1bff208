#requires -Version 7.4
<#
.SYNOPSIS
    Code verifier benchmark: checks/s of Measure-RlReward -Verifier Code (every test in its own sandbox) against a
    plain Python subprocess runner (bench/code_peer.py: subprocess.run with a timeout, no sandbox), in one run on the
    same programs and tests.

.DESCRIPTION
    -Count programs (half correct, a quarter wrong output, a quarter crashing), each with -Tests stdin/stdout tests.
    Both sides run -ThrottleLimit programs at a time and stop a program at its first failing test, so both run the
    same number of processes. The pass counts of both sides are compared before any figure is printed.

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build; dotnet pwsh ./bench/code.bench.ps1
#>
[CmdletBinding()]
param(
    [int] $Count = 40,
    [int] $Tests = 3,
    [int] $ThrottleLimit = 2,
    [string] $Python = '/usr/bin/python3'
)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
Import-Module (Join-Path $root 'RlTools.psd1')
$fence = '```'
$cases = foreach ($i in 0..($Count - 1)) {
    $code = switch ($i % 4) {
        0 { "a, b = map(int, input().split())`nprint(a + b)" }
        1 { "a, b = map(int, input().split())`nprint(a + b)" }
        2 { "a, b = map(int, input().split())`nprint(a - b)" }
        3 { "a, b = map(int, input().split())`nraise ValueError(a)" }
    }
    $inputs = @(1..$Tests | ForEach-Object { "$($i + $_) $_" })
    $outputs = @(1..$Tests | ForEach-Object { "$($i + 2 * $_)" })
    [pscustomobject]@{ code = $code; inputs = $inputs; outputs = $outputs; timeout = 5 }
}
$json = Join-Path ([IO.Path]::GetTempPath()) "rltools-code-bench-$PID.json"
ConvertTo-Json @($cases) -Depth 4 | Set-Content $json
$rollouts = foreach ($c in $cases) {
    $r = [RlTools.Core.Records.Rollout]::new()
    $r.PromptId = "p$($rollouts.Count)"
    $r.Completion = "$fence" + "python`n$($c.code)`n$fence"
    $r.Metadata['tests'] = [System.Collections.Generic.Dictionary[string, object]]::new()
    $r.Metadata['tests']['inputs'] = [System.Collections.Generic.List[object]]::new([object[]]$c.inputs)
    $r.Metadata['tests']['outputs'] = [System.Collections.Generic.List[object]]::new([object[]]$c.outputs)
    $r
}
# Test runs actually made by either side: every test of a passing program, one for a failing one (first-failure stop).
$checks = $Count / 2 * $Tests + $Count / 2

# Warm-up: the sandbox probe and the first interpreter start.
$null = $rollouts[0].Clone() | Measure-RlReward -Verifier Code
$isolation = [RlTools.Core.Verifiers.Code.Sandbox]::Capabilities.Best

$sw = [Diagnostics.Stopwatch]::StartNew()
$scored = $rollouts | Measure-RlReward -Verifier Code -ThrottleLimit $ThrottleLimit
$ours = $sw.Elapsed.TotalSeconds
$oursPassed = @($scored | Where-Object Reward -EQ 1).Count

$peer = & $Python (Join-Path $PSScriptRoot 'code_peer.py') $json $ThrottleLimit | ConvertFrom-Json
Remove-Item $json
if ($peer.passed -ne $oursPassed) { throw "The two runners disagree: RlTools passed $oursPassed programs, the peer $($peer.passed)." }

"| runner | programs passed | checks/s ($ThrottleLimit at a time) |"
"| --- | ---: | ---: |"
"| RlTools Code verifier, isolation $isolation | $oursPassed/$Count | {0:N1} |" -f ($checks / $ours)
"| plain subprocess.run peer (no sandbox) | $($peer.passed)/$Count | {0:N1} |" -f ($checks / $peer.seconds)
"| **ratio (RlTools / peer)** | | **{0:N2}x** |" -f ($peer.seconds / $ours)
"($checks test runs on each side; RlTools $([math]::Round($ours, 1)) s, peer $([math]::Round($peer.seconds, 1)) s)"
