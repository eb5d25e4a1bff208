using System.Runtime.CompilerServices;
using RlTools.Core.Records;
using RlTools.Torch.Reports;
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void SavePlot(string path, string title, string xLabel, string yLabel, IReadOnlyList<string> names,
        IReadOnlyList<double[]> xs, IReadOnlyList<double[]> ys, int width, int height)
    {
        var series = new List<PlotSeries>(names.Count);
        for (int i = 0; i < names.Count; i++) series.Add(new PlotSeries(names[i], xs[i], ys[i]));
        LinePlot.SavePng(path, title, xLabel, yLabel, series, width, height);
    }
}
