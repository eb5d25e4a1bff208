using System.Runtime.CompilerServices;
using RlTools.Core.Records;
using RlTools.Torch.Runtime;

namespace RlTools.Commands;

/// <summary>
/// The only place cmdlets touch the engine assembly directly for backend facts. Methods are not
/// inlined so that RlTools.Torch is resolved (through the module's load context) only when a
/// Torch-backed command runs, never when the module is imported.
/// </summary>
internal static class Engine
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static DeviceInfo Describe(int? threads, bool check)
    {
        if (threads is int t) TorchRuntime.SetThreads(t);
        DeviceInfo info = TorchRuntime.Describe();
        if (check) info.Check = TorchRuntime.SelfCheck() ?? "passed";
        return info;
    }
}
