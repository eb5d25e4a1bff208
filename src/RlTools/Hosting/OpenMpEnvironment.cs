using System.Runtime.InteropServices;

namespace RlTools.Hosting;

/// <summary>
/// Bounds how long libtorch's idle OpenMP workers spin: <c>GOMP_SPINCOUNT=10000</c> (tens of microseconds) unless the
/// user chose <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c>. GNU OpenMP's default spin (about 300,000 iterations after
/// every parallel region) keeps workers on the cores that the engine's own workers (the decode kernel's
/// <c>Parallel.For</c>) and the PowerShell pipeline need; <c>PASSIVE</c> (no spin) fixes that but pays a futex wake-up
/// per region, which dominates the many small regions of training a small model. Measured on the 2-core VM
/// (bench/RESULTS.md): 0.5B decode step, batch 8, 2 threads: 240 ms with the default spin, 141 ms passive; Tiny
/// forward+backward, 2 threads: 29.5 ms default, 46.7 ms passive, 28.5 ms with a 10,000 spin count.
/// libgomp reads these variables from the C environment when libtorch is loaded, and .NET on Unix keeps its own copy of
/// the environment (<c>$env:</c> in PowerShell does not reach C's <c>getenv</c>), so values are written with libc's
/// <c>setenv</c> before the engine loads libtorch, and into .NET's copy so child processes (benchmark peers) inherit them.
/// </summary>
internal static class OpenMpEnvironment
{
    internal const string WaitPolicy = "OMP_WAIT_POLICY";
    internal const string SpinCount = "GOMP_SPINCOUNT";
    internal const string DefaultSpinCount = "10000";

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>Makes the C environment agree with the user's OpenMP settings, adding the bounded spin when there are none.</summary>
    internal static void Apply()
    {
        string? policy = Environment.GetEnvironmentVariable(WaitPolicy);
        string? spin = Environment.GetEnvironmentVariable(SpinCount);
        if (string.IsNullOrEmpty(policy) && string.IsNullOrEmpty(spin)) spin = DefaultSpinCount;
        if (!string.IsNullOrEmpty(policy)) Set(WaitPolicy, policy);
        if (!string.IsNullOrEmpty(spin)) Set(SpinCount, spin);
    }

    private static void Set(string name, string value)
    {
        if (!OperatingSystem.IsWindows())
        {
            try { SetEnv(name, value, 1); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { /* no libc: nothing to align */ }
        }
        Environment.SetEnvironmentVariable(name, value);
    }
}
