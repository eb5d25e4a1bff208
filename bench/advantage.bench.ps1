#requires -Version 7.4
<#
.SYNOPSIS
    Advantage estimation benchmark: GRPO, RLOO and DGPO over 1,000,000 rollouts in groups of 16,
    in memory, RlTools (C#, RlTools.Core loaded in this pwsh) against a NumPy vectorised peer
    (bench/advantage_peer.py, Debian python3-numpy), in one run on the same data.

.DESCRIPTION
    Both sides time only the estimator (median of -Repeat runs after a warm-up):
      kernel  C#: estimator.ComputeUnchecked(batch) on arrays already grouped;
              NumPy: np.bincount over integer group indices (any group sizes).
      reshape NumPy only: the (groups, 16) matrix view, its best case (equal contiguous groups).
      e2e     C#: estimator.Estimate(rollouts) - grouping Rollout objects by prompt_id string,
              input checks, and writing advantage back to every object;
              NumPy: np.unique(prompt_id strings, return_inverse) + the bincount kernel.
    The advantages of both sides are compared (max |difference|) before any figure is reported.
    Prints a markdown table with ratios (NumPy time / C# time; > 1 means RlTools is faster).
    The C# side runs a full garbage collection before each timed run (outside the timer).

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build; dotnet pwsh ./bench/advantage.bench.ps1
#>
[CmdletBinding()]
param(
    [int] $Count = 1000000,
    [int] $GroupSize = 16,
    [int] $Repeat = 7,
    [string] $Python = $(if (Test-Path /usr/bin/python3) { '/usr/bin/python3' } else { 'python3' })
)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
Import-Module (Join-Path $root 'RlTools.psd1')
$null = Get-RlAdvantageEstimator GRPO   # loads RlTools.Core
$core = [RlTools.Core.Records.Rollout].Assembly.Location

if (-not ('RlToolsAdvantageBench' -as [type])) {
    Add-Type -ReferencedAssemblies $core, 'System.Collections', 'System.Runtime' -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using RlTools.Core.Advantages;
using RlTools.Core.Records;

public static class RlToolsAdvantageBench
{
    public static List<Rollout> Make(int count, int groupSize, int seed)
    {
        var rng = new Random(seed);
        var list = new List<Rollout>(count);
        for (int i = 0; i < count; i++)
        {
            int g = i / groupSize;
            double p = (g % 17) / 16.0;   // varied difficulty: some all-wrong / all-right groups
            list.Add(new Rollout { PromptId = "p" + g, SampleIndex = i % groupSize, Reward = rng.NextDouble() < p ? 1.0 : 0.0 });
        }
        return list;
    }

    public static void Write(List<Rollout> rs, int groupSize, string dir)
    {
        using (var w = new BinaryWriter(File.Create(Path.Combine(dir, "rewards.f64")))) foreach (var r in rs) w.Write(r.Reward!.Value);
        using (var w = new BinaryWriter(File.Create(Path.Combine(dir, "groups.i64")))) for (int i = 0; i < rs.Count; i++) w.Write((long)(i / groupSize));
    }

    // a full collection before each timed run (outside the timer), so one run does not pay for garbage of the previous one
    static void Settle() { GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(); }

    static double Median(List<double> x) { x.Sort(); return x[x.Count / 2]; }

    public static double KernelMs(string name, List<Rollout> rs, int repeat, string dir)
    {
        var e = (AdvantageEstimatorBase)AdvantageEstimatorRegistry.Create(name);
        var b = AdvantageBatch.FromRollouts(rs);
        e.ComputeUnchecked(b);
        var t = new List<double>();
        for (int k = 0; k < repeat; k++) { Settle(); var sw = Stopwatch.StartNew(); e.ComputeUnchecked(b); t.Add(sw.Elapsed.TotalMilliseconds); }
        using (var w = new BinaryWriter(File.Create(Path.Combine(dir, name + ".csharp.f64")))) foreach (var a in b.Advantages) w.Write(a);
        return Median(t);
    }

    public static double EndToEndMs(string name, List<Rollout> rs, int repeat)
    {
        var e = AdvantageEstimatorRegistry.Create(name);
        e.Estimate(rs);
        var t = new List<double>();
        for (int k = 0; k < repeat; k++) { Settle(); var sw = Stopwatch.StartNew(); e.Estimate(rs); t.Add(sw.Elapsed.TotalMilliseconds); }
        return Median(t);
    }

    public static double MaxDiff(string a, string b)
    {
        var x = File.ReadAllBytes(a); var y = File.ReadAllBytes(b);
        if (x.Length != y.Length) return double.PositiveInfinity;
        double m = 0;
        for (int i = 0; i < x.Length; i += 8) m = Math.Max(m, Math.Abs(BitConverter.ToDouble(x, i) - BitConverter.ToDouble(y, i)));
        return m;
    }
}
'@
}

$dir = Join-Path ([IO.Path]::GetTempPath()) ("rltools-advbench-" + [guid]::NewGuid().ToString('n'))
$null = New-Item -ItemType Directory $dir
try {
    $rollouts = [RlToolsAdvantageBench]::Make($Count, $GroupSize, 42)
    [RlToolsAdvantageBench]::Write($rollouts, $GroupSize, $dir)
    $cs = [ordered]@{}
    foreach ($name in 'GRPO', 'RLOO', 'DGPO') {
        $cs[$name] = @{ Kernel = [RlToolsAdvantageBench]::KernelMs($name, $rollouts, $Repeat, $dir); E2E = [RlToolsAdvantageBench]::EndToEndMs($name, $rollouts, [Math]::Max(1, [int]($Repeat / 2))) }
    }
    $peerJson = & $Python (Join-Path $PSScriptRoot 'advantage_peer.py') $dir $GroupSize $Repeat
    if ($LASTEXITCODE -ne 0) { throw "The NumPy peer failed (exit $LASTEXITCODE). Install it with: apt-get install -y python3-numpy" }
    $peer = $peerJson | ConvertFrom-Json
    $cpu = (Get-Content /proc/cpuinfo -ErrorAction Ignore | Select-String '^model name' | Select-Object -First 1) -replace '^model name\s*:\s*', ''
    "Advantage benchmark: $Count rollouts in groups of $GroupSize; median of $Repeat runs; NumPy $($peer.numpy); .NET $([Environment]::Version); $([Environment]::ProcessorCount) cores $cpu"
    ''
    '| estimator | C# kernel ms | NumPy bincount ms | ratio | NumPy reshape ms | ratio | C# e2e ms | NumPy e2e ms | ratio | max abs diff |'
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
    foreach ($name in $cs.Keys) {
        $p = $peer.results.$name
        $diff = [RlToolsAdvantageBench]::MaxDiff((Join-Path $dir "$name.csharp.f64"), (Join-Path $dir "$name.numpy.f64"))
        if ($diff -gt 1e-9) { throw "$name`: C# and NumPy advantages differ by $diff; not reporting timings." }
        $c = $cs[$name]
        '| {0} | {1:N1} | {2:N1} | {3:N1}x | {4:N1} | {5:N1}x | {6:N1} | {7:N1} | {8:N1}x | {9:E1} |' -f $name, $c.Kernel, $p.kernel_ms, ($p.kernel_ms / $c.Kernel), $p.reshape_ms, ($p.reshape_ms / $c.Kernel), $c.E2E, $p.e2e_ms, ($p.e2e_ms / $c.E2E), $diff
    }
}
finally { Remove-Item $dir -Recurse -Force -ErrorAction Ignore }
