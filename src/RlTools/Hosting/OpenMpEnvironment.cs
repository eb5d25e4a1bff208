using System.Runtime.InteropServices;

namespace RlTools.Hosting;

/// <summary>
/// Makes libtorch's OpenMP workers sleep between parallel regions (<c>OMP_WAIT_POLICY=PASSIVE</c>) unless the user
/// chose a policy. GNU OpenMP's default lets idle workers spin for a while after every region; on a small machine
/// they then hold the cores that the engine's own workers (the decode kernel's <c>Parallel.For</c>) and the
/// PowerShell pipeline need. Measured on the 2-core VM, Qwen2.5-0.5B shape, batch 8, 2 threads: 240 ms per decode
/// step with spinning workers, 141 ms with passive ones (bench/RESULTS.md).
/// libgomp reads the variable from the C environment when libtorch is loaded, and .NET on Unix keeps its own copy
/// of the environment (<c>$env:</c> in PowerShell does not reach C's <c>getenv</c>), so the value is written with
/// libc's <c>setenv</c>, before the engine loads libtorch.
/// </summary>
internal static class OpenMpEnvironment
{
    internal const string Variable = "OMP_WAIT_POLICY";

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>The policy in effect for libgomp: the user's (from PowerShell's or the process's environment), else PASSIVE.</summary>
    internal static string Apply()
    {
        string value = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } user ? user : "PASSIVE";
        if (!OperatingSystem.IsWindows())
        {
            try { SetEnv(Variable, value, 1); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { /* no libc: nothing to align */ }
        }
        Environment.SetEnvironmentVariable(Variable, value);
        return value;
    }
}
