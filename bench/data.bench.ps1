#requires -Version 7.4
<#
.SYNOPSIS
    Import -> export throughput of a rollout JSONL file: Import-RlRollout | Export-RlRollout against a
    Python json line loop (bench/data_peer.py) on the same file in the same run, plus peak memory at
    two sizes to show that memory stays bounded.

.DESCRIPTION
    For each size in -Rows, generates a synthetic rollout file (bench/data_gen.py, fixed seed), then
    runs, in fresh processes, alternating, -Repeat times each:
      ours:  pwsh -c "Import-Module RlTools; Import-RlRollout in.jsonl | Export-RlRollout out.jsonl -Force"
      peer:  python3 bench/data_peer.py in.jsonl out.jsonl
    Reports the best wall time of each (process start and module import included for ours), rows per
    second, the ratio, the CPU seconds of each process (user + system; steadier than wall time on a
    shared machine), and the peak RSS of each process (VmHWM / ru_maxrss). Checks that our output
    holds the same records as the input (bench/data_check.py). Figures go to bench/RESULTS.md by hand.

.EXAMPLE
    dotnet pwsh ./bench/data.bench.ps1 -Rows 100000, 1000000
#>
[CmdletBinding()]
param(
    [int[]] $Rows = @(100000, 1000000),
    [int] $Tokens = 32,
    [int] $Repeat = 2,
    [string] $WorkDir = (Join-Path ([System.IO.Path]::GetTempPath()) 'rltools-data-bench')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path $PSScriptRoot -Parent
$manifest = Join-Path $root 'RlTools.psd1'
$null = New-Item -ItemType Directory -Force $WorkDir
Set-Location $root  # 'dotnet pwsh' finds the local tool manifest from here

function Invoke-Ours([string] $In, [string] $Out) {
    $script = @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$manifest'
`$sw = [Diagnostics.Stopwatch]::StartNew()
Import-RlRollout '$In' | Export-RlRollout '$Out' -Force
`$s = `$sw.Elapsed.TotalSeconds
`$hwm = (Get-Content /proc/`$PID/status | Where-Object { `$_ -like 'VmHWM:*' }) -replace '\D', ''
`$cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds
[pscustomobject]@{ seconds = `$s; cpu = `$cpu; peak_mib = [double]`$hwm / 1024 } | ConvertTo-Json -Compress
"@
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $json = & dotnet pwsh -NoProfile -NonInteractive -Command $script
    if ($LASTEXITCODE -ne 0) { throw "ours failed: $json" }
    $r = $json | Select-Object -Last 1 | ConvertFrom-Json
    [pscustomobject]@{ Wall = $sw.Elapsed.TotalSeconds; Inner = $r.seconds; Cpu = $r.cpu; PeakMiB = $r.peak_mib }
}

function Invoke-Peer([string] $In, [string] $Out) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $json = & python3 (Join-Path $PSScriptRoot 'data_peer.py') $In $Out
    if ($LASTEXITCODE -ne 0) { throw "peer failed: $json" }
    $r = $json | ConvertFrom-Json
    [pscustomobject]@{ Wall = $sw.Elapsed.TotalSeconds; Inner = $r.seconds; Cpu = $r.cpu; PeakMiB = $r.peak_mib }
}

$results = foreach ($n in $Rows) {
    $in = Join-Path $WorkDir "rollouts-$n.jsonl"
    if (-not (Test-Path $in)) {
        Write-Information "generating $n rows" -InformationAction Continue
        & python3 (Join-Path $PSScriptRoot 'data_gen.py') $in $n $Tokens
        if ($LASTEXITCODE -ne 0) { throw 'generator failed' }
    }
    $mb = (Get-Item $in).Length / 1MB
    $ours = [System.Collections.Generic.List[object]]::new()
    $peer = [System.Collections.Generic.List[object]]::new()
    foreach ($i in 1..$Repeat) {
        $ours.Add((Invoke-Ours $in (Join-Path $WorkDir "ours-$n.jsonl")))
        $peer.Add((Invoke-Peer $in (Join-Path $WorkDir "peer-$n.jsonl")))
    }
    & python3 (Join-Path $PSScriptRoot 'data_check.py') $in (Join-Path $WorkDir "ours-$n.jsonl") 20000
    if ($LASTEXITCODE -ne 0) { throw 'our output differs from the input' }
    $o = $ours | Sort-Object Wall | Select-Object -First 1
    $p = $peer | Sort-Object Wall | Select-Object -First 1
    [pscustomobject]@{
        Rows          = $n
        FileMiB       = [math]::Round($mb)
        OursSeconds   = [math]::Round($o.Wall, 2)
        PeerSeconds   = [math]::Round($p.Wall, 2)
        OursRowsPerS  = [math]::Round($n / $o.Wall)
        PeerRowsPerS  = [math]::Round($n / $p.Wall)
        Speedup       = [math]::Round($p.Wall / $o.Wall, 2)
        OursCpuS      = [math]::Round($o.Cpu, 1)
        PeerCpuS      = [math]::Round($p.Cpu, 1)
        CpuSpeedup    = [math]::Round($p.Cpu / $o.Cpu, 2)
        OursPeakMiB   = [math]::Round(($ours | Measure-Object PeakMiB -Maximum).Maximum)
        PeerPeakMiB   = [math]::Round(($peer | Measure-Object PeakMiB -Maximum).Maximum)
    }
    Remove-Item (Join-Path $WorkDir "ours-$n.jsonl"), (Join-Path $WorkDir "peer-$n.jsonl") -ErrorAction SilentlyContinue
}
$results | Format-List | Out-String -Width 200
