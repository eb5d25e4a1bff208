using System.Diagnostics;
using System.Runtime.InteropServices;

namespace RlTools.Core.Verifiers.Math;

/// <summary>
/// CPU time consumed by the calling thread, so that a check's budget counts its own work and not the time it waits for a
/// core on a loaded machine (the same input then gets the same result under any load). Linux: clock_gettime with
/// CLOCK_THREAD_CPUTIME_ID; Windows: GetThreadTimes. Probed once; where neither answers (or on another OS) it falls back to
/// the wall clock, and <see cref="IsCpuTime"/> says so.
/// </summary>
internal static class ThreadClock
{
    private enum Source { Wall, Linux, Windows }

    private static readonly Source Kind = Probe();

    /// <summary>True when <see cref="NowSeconds"/> measures the thread's CPU time, false when it is the wall clock.</summary>
    public static bool IsCpuTime => Kind != Source.Wall;

    /// <summary>Seconds on the clock (only differences are meaningful).</summary>
    public static double NowSeconds()
    {
        switch (Kind)
        {
            case Source.Linux:
                if (clock_gettime(ClockThreadCpuTimeId, out var ts) == 0) return ts.Seconds + ts.Nanoseconds * 1e-9;
                break;
            case Source.Windows:
                if (GetThreadTimes(GetCurrentThread(), out _, out _, out long kernel, out long user)) return (kernel + user) * 1e-7;
                break;
        }
        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }

    private static Source Probe()
    {
        try
        {
            if (OperatingSystem.IsLinux() && clock_gettime(ClockThreadCpuTimeId, out _) == 0) return Source.Linux;
            if (OperatingSystem.IsWindows() && GetThreadTimes(GetCurrentThread(), out _, out _, out _, out _)) return Source.Windows;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
        {
        }
        return Source.Wall;
    }

    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clockId, out TimeSpec time);

    [DllImport("kernel32")]
    private static extern IntPtr GetCurrentThread();

    [DllImport("kernel32")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool GetThreadTimes(IntPtr thread, out long creation, out long exit, out long kernel, out long user);
}
