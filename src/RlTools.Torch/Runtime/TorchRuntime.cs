using System.Reflection;
using System.Runtime.Loader;
using RlTools.Core.Records;
using TorchSharp;

namespace RlTools.Torch.Runtime;

/// <summary>Facts about the Torch backend of this process; the entry point cmdlets use to reach TorchSharp.</summary>
public static class TorchRuntime
{
    /// <summary>The backend this assembly was built for (MSBuild property RlTorchBackend).</summary>
    public static string Backend =>
        typeof(TorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RlTorchBackend")?.Value ?? "cpu";

    /// <summary>Reports versions, threads and CUDA availability. Loads libtorch on first call.</summary>
    public static DeviceInfo Describe()
    {
        bool cuda = torch.cuda.is_available();
        Assembly ts = typeof(torch).Assembly;
        return new DeviceInfo
        {
            LibTorchVersion = torch.__version__,
            TorchSharpVersion = ts.GetName().Version?.ToString() ?? "",
            Backend = Backend,
            Threads = torch.get_num_threads(),
            CudaAvailable = cuda,
            CudaDeviceCount = cuda ? torch.cuda.device_count() : 0,
            DefaultDevice = cuda ? "cuda" : "cpu",
            NativePath = Path.GetDirectoryName(ts.Location) ?? "",
            LoadContext = AssemblyLoadContext.GetLoadContext(ts)?.Name ?? "",
        };
    }

    /// <summary>
    /// Runs a matmul and a backward pass and checks the gradient against the closed form:
    /// for S = sum(X·X), dS/dX[a,b] = rowsum(X)[b] + colsum(X)[a]; X = [[1,2],[3,4]] gives [[7,11],[9,13]].
    /// Returns null when the result is right, else what went wrong.
    /// </summary>
    public static string? SelfCheck()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 }, requires_grad: true);
        var s = x.matmul(x).sum();
        s.backward();
        float[] grad = x.grad!.data<float>().ToArray();
        float[] expected = { 7, 11, 9, 13 };
        float sum = s.item<float>();
        if (sum != 54f) return $"matmul: sum(X·X) = {sum}, expected 54";
        for (int i = 0; i < 4; i++)
            if (grad[i] != expected[i]) return $"autograd: grad[{i}] = {grad[i]}, expected {expected[i]}";
        return null;
    }

    /// <summary>float32 GFLOP/s of an n×n×n matmul on the CPU with the current thread count (best of <paramref name="repeats"/>); benchmarks report model FLOP/s as a fraction of it.</summary>
    public static double MatmulGflops(int n = 1024, int repeats = 10)
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(n, n);
        var b = torch.randn(n, n);
        for (int i = 0; i < 3; i++) a.matmul(b).Dispose();
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            a.matmul(b).Dispose();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }

    /// <summary>Sets the number of intra-op threads libtorch uses.</summary>
    public static void SetThreads(int threads) => torch.set_num_threads(threads);
}
