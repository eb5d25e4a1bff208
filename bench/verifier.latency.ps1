#requires -Version 7.4
<#
.SYNOPSIS
    Math verifier: per-check latency (p50, p99, max) and agreement with the labels, per set and per construct.

.DESCRIPTION
    Builds RlTools.Core (Release) and loads it alone (no Torch, no module layout), then scores each labelled set with
    one MathVerifier at its default parameters (TimeBudgetMs 25, the budget rollouts run under):
      - tests/RlTools.Core.Tests/Verifiers/golden-math.jsonl: the golden set the verifier is tuned on;
      - tests/RlTools.Core.Tests/Verifiers/heldout/heldout-math.jsonl: the held-out set, written before the issue #13
        changes and never tuned on (see its README).
    Every check is timed on its own, wall clock (Stopwatch) and the thread's CPU time (the clock the budget counts),
    -Repeat passes after one warm-up pass, on one thread. Reports agreement with the labels (overall and per construct),
    p50/p99/max milliseconds per check on both clocks, the load average, and how many checks ran out of their time
    budget; writes bench/results/verifier-latency.json.

.EXAMPLE
    dotnet pwsh ./bench/verifier.latency.ps1
#>
[CmdletBinding()]
param(
    [int] $Repeat = 5,
    [switch] $NoBuild
)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
if (-not $NoBuild) {
    dotnet build (Join-Path $root 'src' 'RlTools.Core' 'RlTools.Core.csproj') -c Release -nologo -v q -clp:ErrorsOnly
    if ($LASTEXITCODE -ne 0) { throw "dotnet build failed (exit $LASTEXITCODE)" }
}
Add-Type -Path (Join-Path $root 'src' 'RlTools.Core' 'bin' 'Release' 'net10.0' 'RlTools.Core.dll')

$verifier = [RlTools.Core.Verifiers.MathVerifier]::new()
# the thread's CPU clock the verifier's budget counts (internal; reached by reflection, about a microsecond per read)
$clockType = [RlTools.Core.Verifiers.MathVerifier].Assembly.GetType('RlTools.Core.Verifiers.Math.ThreadClock')
$cpuNow = $clockType.GetMethod('NowSeconds', [System.Reflection.BindingFlags] 'NonPublic, Public, Static')
$cpuIsThread = [bool] $clockType.GetProperty('IsCpuTime', [System.Reflection.BindingFlags] 'NonPublic, Public, Static').GetValue($null)
$sets = [ordered]@{
    golden  = Join-Path $root 'tests' 'RlTools.Core.Tests' 'Verifiers' 'golden-math.jsonl'
    heldout = Join-Path $root 'tests' 'RlTools.Core.Tests' 'Verifiers' 'heldout' 'heldout-math.jsonl'
}

function Get-Percentile([double[]] $sorted, [double] $p) {
    $k = [math]::Min($sorted.Count - 1, [math]::Max(0, [int][math]::Ceiling($p * $sorted.Count) - 1))
    $sorted[$k]
}

$report = [ordered]@{ processors = [Environment]::ProcessorCount; load_average = $(if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0] }); thread_cpu_clock = $cpuIsThread; repeat = $Repeat; sets = [ordered]@{} }
foreach ($name in $sets.Keys) {
    $cases = @(Get-Content $sets[$name] | Where-Object { $_.Trim() } | ConvertFrom-Json)
    foreach ($c in $cases) { $null = $verifier.Check($c.completion, $c.gold) }   # warm-up pass (JIT)
    # agreement
    $agree = 0
    $byConstruct = [ordered]@{}
    foreach ($c in $cases) {
        $r = $verifier.Check($c.completion, $c.gold)
        $ok = (($r.IsCorrect -eq $true) -eq [bool] $c.expected)
        if ($ok) { $agree++ }
        if (-not $byConstruct.Contains($c.construct)) { $byConstruct[$c.construct] = @(0, 0) }
        $byConstruct[$c.construct][1]++
        if ($ok) { $byConstruct[$c.construct][0]++ }
    }
    # latency
    $times = [System.Collections.Generic.List[double]]::new()
    $cpu = [System.Collections.Generic.List[double]]::new()
    $budgetHits = 0
    $sw = [System.Diagnostics.Stopwatch]::new()
    for ($k = 0; $k -lt $Repeat; $k++) {
        foreach ($c in $cases) {
            $t0 = $cpuNow.Invoke($null, $null)
            $sw.Restart()
            $r = $verifier.Check($c.completion, $c.gold)
            $sw.Stop()
            $cpu.Add(($cpuNow.Invoke($null, $null) - $t0) * 1000)
            $times.Add($sw.Elapsed.TotalMilliseconds)
            if ($r.Reason -like 'not verified: time budget*' -or $r.Reason -like '*time budget exceeded*') { $budgetHits++ }
        }
    }
    $sorted = [double[]] ($times | Sort-Object)
    $sortedCpu = [double[]] ($cpu | Sort-Object)
    $report.sets[$name] = [ordered]@{
        cases          = $cases.Count
        not_equal      = @($cases | Where-Object { -not $_.expected }).Count
        agreement      = "$agree/$($cases.Count) = $([math]::Round(100.0 * $agree / $cases.Count, 2)) %"
        p50_ms         = [math]::Round((Get-Percentile $sorted 0.50), 4)
        p99_ms         = [math]::Round((Get-Percentile $sorted 0.99), 4)
        max_ms         = [math]::Round($sorted[-1], 4)
        cpu_p50_ms     = [math]::Round((Get-Percentile $sortedCpu 0.50), 4)
        cpu_p99_ms     = [math]::Round((Get-Percentile $sortedCpu 0.99), 4)
        cpu_max_ms     = [math]::Round($sortedCpu[-1], 4)
        checks_over_budget = $budgetHits
        per_construct  = [ordered]@{}
    }
    foreach ($k in $byConstruct.Keys) {
        $v = $byConstruct[$k]
        $report.sets[$name].per_construct[$k] = "$($v[0])/$($v[1])"
    }
}
$outDir = Join-Path $PSScriptRoot 'results'
$null = New-Item -ItemType Directory -Path $outDir -Force
$report | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $outDir 'verifier-latency.json')
$report | ConvertTo-Json -Depth 5
