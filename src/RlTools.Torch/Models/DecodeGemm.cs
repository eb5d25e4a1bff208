using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Models;

/// <summary>
/// <c>y = x·Wᵀ + b</c> for the skinny products of KV-cached decoding (a few rows of activations against a large
/// weight matrix), on the CPU in float32, without gradient. Such a product streams every weight once and does
/// only 2·M flops per weight, so it is bound by memory bandwidth; the BLAS behind libtorch treats it as a general
/// GEMM and reaches about a third of the machine's read bandwidth on it (bench/RESULTS.md, "Rollout engine").
/// This kernel walks W once, four rows at a time, passing the activation rows over each block in groups of three while
/// it sits in L1 (AVX2 FMA, twelve 256-bit accumulators), prefetching the next block meanwhile, and splits the rows of W
/// over <c>torch.get_num_threads()</c> workers (or the count <see cref="DecodeThreads"/> kept). Exactly the same sum as the definition, in a different order:
/// results agree with <c>F.linear</c> to float32 rounding (tests: DecodeGemmTests).
/// </summary>
internal static unsafe class DecodeGemm
{
    /// <summary>Largest number of activation rows (batch × new tokens) routed here; larger products go to BLAS.</summary>
    internal const int MaxRows = 16;

    /// <summary>Smallest weight routed here (elements; Qwen2.5-0.5B's 128 × 896 k/v projections qualify): smaller matrices sit in cache, where BLAS is as fast and this adds overhead.</summary>
    internal const long MinWeights = 1 << 16;

    /// <summary>Can be switched off (tests compare both paths; benchmarks measure both).</summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("RLTOOLS_DECODE_GEMM") != "0";

    private static readonly bool Supported = Fma.IsSupported && Avx2.IsSupported;

    /// <summary>Workers for this thread's products when set (> 0); otherwise libtorch's intra-op thread count.</summary>
    [ThreadStatic] private static int workersOverride;

    /// <summary>
    /// For <paramref name="model"/>'s decode loop: libtorch's own ops drop to one intra-op thread and this kernel keeps the
    /// previous count of workers. The remaining libtorch ops of a decode step are small (norms, RoPE, attention over one
    /// query, SwiGLU's elementwise products) and each parallel region costs an OpenMP wake-up; the weights, which are the
    /// work, stay split over every core here. Dispose to restore. Null (nothing to restore) when the kernel cannot serve
    /// the model (off, not float32 on the CPU) or libtorch already has one thread.
    /// </summary>
    internal static IDisposable? DecodeThreads(DecoderLM model)
    {
        int intra = torch.get_num_threads();
        if (!Enabled || !Supported || intra <= 1 || model.Device.type != DeviceType.CPU || model.DType != ScalarType.Float32) return null;
        workersOverride = intra;
        torch.set_num_threads(1);
        return new RestoreThreads(intra);
    }

    private sealed class RestoreThreads(int intra) : IDisposable
    {
        public void Dispose()
        {
            workersOverride = 0;
            torch.set_num_threads(intra);
        }
    }

    /// <summary>Whether <see cref="Linear"/> will take this product (otherwise the caller uses <c>F.linear</c>).</summary>
    internal static bool Applies(Tensor x, Tensor weight, Tensor? bias)
    {
        if (!Enabled || !Supported) return false;
        // Inference only: no autograd graph may be needed through this product.
        if (torch.is_grad_enabled() && (weight.requires_grad || x.requires_grad || (bias?.requires_grad ?? false))) return false;
        long count = weight.numel();
        if (count < MinWeights || count * 4L > int.MaxValue) return false; // Tensor.bytes is an int-length span
        if (x.device_type != DeviceType.CPU || x.dtype != ScalarType.Float32 || weight.dtype != ScalarType.Float32) return false;
        if (weight.dim() != 2 || !weight.is_contiguous()) return false;
        if (bias is not null && (bias.dtype != ScalarType.Float32 || !bias.is_contiguous())) return false;
        long k = weight.shape[1];
        if (k % 8 != 0 || x.shape[^1] != k) return false;
        long m = x.numel() / k;
        return m >= 1 && m <= MaxRows;
    }

    /// <summary><c>x·Wᵀ + b</c> with x <c>[..., K]</c>, W <c>[N, K]</c>, b <c>[N]</c>; call only when <see cref="Applies"/> is true.</summary>
    internal static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        long k = weight.shape[1], n = weight.shape[0];
        Tensor xc = x.is_contiguous() ? x : x.contiguous();
        int m = (int)(xc.numel() / k);
        long[] outShape = x.shape.ToArray();
        outShape[^1] = n;
        Tensor y = empty(outShape, ScalarType.Float32, x.device);
        // CPU tensors live in native memory: the spans' addresses are stable without pinning.
        Run(Address(xc), m, (int)k, Address(weight), (int)n, bias is null ? null : Address(bias), Address(y));
        if (!ReferenceEquals(xc, x)) xc.Dispose();
        return y;
    }

    private static float* Address(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    private static void Run(float* x, int m, int k, float* w, int n, float* b, float* y)
    {
        int workers = Math.Max(1, Math.Min(workersOverride > 0 ? workersOverride : torch.get_num_threads(), Environment.ProcessorCount));
        // Blocks of 64 rows of W (a multiple of four, so 4-row blocks never straddle workers).
        const int block = 64;
        int blocks = (n + block - 1) / block;
        if (workers == 1 || blocks < 4)
        {
            Rows(x, m, k, w, b, y, n, 0, n);
            return;
        }
        // Contiguous stripes per worker keep each core streaming its own part of W (pointers pass the lambda as nint).
        nint xa = (nint)x, wa = (nint)w, ba = (nint)b, ya = (nint)y;
        int perWorker = (blocks + workers - 1) / workers;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, t =>
        {
            int r0 = Math.Min(n, t * perWorker * block), r1 = Math.Min(n, (t + 1) * perWorker * block);
            if (r0 < r1) Rows((float*)xa, m, k, (float*)wa, (float*)ba, (float*)ya, n, r0, r1);
        });
    }

    /// <summary>
    /// Rows <c>[r0, r1)</c> of W in blocks of four (a block stays in L1 while every activation row passes over it):
    /// activation rows in threes (4 × 3 accumulators: four weight and three activation loads per twelve FMAs), then a
    /// pair, then a last row alone; rows of W past the last full block one at a time.
    /// </summary>
    private static void Rows(float* x, int m, int k, float* w, float* b, float* y, int n, int r0, int r1)
    {
        int r = r0;
        for (; r + 3 < r1; r += 4)
        {
            float* w0 = w + (long)r * k;
            // While the passes over this block compute from L1, each pass prefetches one row of the next block, so
            // its load from memory overlaps the arithmetic instead of following it.
            bool next = r + 7 < r1;
            int i = 0, pass = 0;
            for (; i + 2 < m; i += 3, pass++)
                Block4x3(x + (long)i * k, w0, k, b, y + (long)i * n, n, r, next && pass < 4 ? w0 + (4L + pass) * k : w0);
            for (; i + 1 < m; i += 2, pass++)
                Block4x2(x + (long)i * k, w0, k, b, y + (long)i * n, n, r, next && pass < 4 ? w0 + (4L + pass) * k : w0);
            if (i < m) Block4x1(x + (long)i * k, w0, k, b, y + (long)i * n, r);
        }
        for (; r < r1; r++)
            for (int i = 0; i < m; i++)
            {
                float* xi = x + (long)i * k, wr = w + (long)r * k;
                Vector256<float> acc = Vector256<float>.Zero;
                for (int j = 0; j < k; j += 8) acc = Fma.MultiplyAdd(Avx.LoadVector256(xi + j), Avx.LoadVector256(wr + j), acc);
                y[(long)i * n + r] = Vector256.Sum(acc) + (b == null ? 0f : b[r]);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x2(float* xa, float* w0, int k, float* b, float* ya, int n, int r, float* prefetch)
    {
        float* xb = xa + k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int j = 0; j < k; j += 8)
        {
            Sse.Prefetch0(prefetch + j);
            Vector256<float> u = Avx.LoadVector256(xa + j), v = Avx.LoadVector256(xb + j);
            Vector256<float> q = Avx.LoadVector256(w0 + j);
            a0 = Fma.MultiplyAdd(u, q, a0); c0 = Fma.MultiplyAdd(v, q, c0);
            q = Avx.LoadVector256(w1 + j);
            a1 = Fma.MultiplyAdd(u, q, a1); c1 = Fma.MultiplyAdd(v, q, c1);
            q = Avx.LoadVector256(w2 + j);
            a2 = Fma.MultiplyAdd(u, q, a2); c2 = Fma.MultiplyAdd(v, q, c2);
            q = Avx.LoadVector256(w3 + j);
            a3 = Fma.MultiplyAdd(u, q, a3); c3 = Fma.MultiplyAdd(v, q, c3);
        }
        float b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        if (b != null) { b0 = b[r]; b1 = b[r + 1]; b2 = b[r + 2]; b3 = b[r + 3]; }
        float* yb = ya + n;
        ya[r] = Vector256.Sum(a0) + b0; ya[r + 1] = Vector256.Sum(a1) + b1; ya[r + 2] = Vector256.Sum(a2) + b2; ya[r + 3] = Vector256.Sum(a3) + b3;
        yb[r] = Vector256.Sum(c0) + b0; yb[r + 1] = Vector256.Sum(c1) + b1; yb[r + 2] = Vector256.Sum(c2) + b2; yb[r + 3] = Vector256.Sum(c3) + b3;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x3(float* xa, float* w0, int k, float* b, float* ya, int n, int r, float* prefetch)
    {
        float* xb = xa + k, xc = xb + k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default;
        for (int j = 0; j < k; j += 8)
        {
            Sse.Prefetch0(prefetch + j);
            Vector256<float> u = Avx.LoadVector256(xa + j), v = Avx.LoadVector256(xb + j), z = Avx.LoadVector256(xc + j);
            Vector256<float> q = Avx.LoadVector256(w0 + j);
            a0 = Fma.MultiplyAdd(u, q, a0); c0 = Fma.MultiplyAdd(v, q, c0); d0 = Fma.MultiplyAdd(z, q, d0);
            q = Avx.LoadVector256(w1 + j);
            a1 = Fma.MultiplyAdd(u, q, a1); c1 = Fma.MultiplyAdd(v, q, c1); d1 = Fma.MultiplyAdd(z, q, d1);
            q = Avx.LoadVector256(w2 + j);
            a2 = Fma.MultiplyAdd(u, q, a2); c2 = Fma.MultiplyAdd(v, q, c2); d2 = Fma.MultiplyAdd(z, q, d2);
            q = Avx.LoadVector256(w3 + j);
            a3 = Fma.MultiplyAdd(u, q, a3); c3 = Fma.MultiplyAdd(v, q, c3); d3 = Fma.MultiplyAdd(z, q, d3);
        }
        float b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        if (b != null) { b0 = b[r]; b1 = b[r + 1]; b2 = b[r + 2]; b3 = b[r + 3]; }
        float* yb = ya + n, yc = yb + n;
        ya[r] = Vector256.Sum(a0) + b0; ya[r + 1] = Vector256.Sum(a1) + b1; ya[r + 2] = Vector256.Sum(a2) + b2; ya[r + 3] = Vector256.Sum(a3) + b3;
        yb[r] = Vector256.Sum(c0) + b0; yb[r + 1] = Vector256.Sum(c1) + b1; yb[r + 2] = Vector256.Sum(c2) + b2; yb[r + 3] = Vector256.Sum(c3) + b3;
        yc[r] = Vector256.Sum(d0) + b0; yc[r + 1] = Vector256.Sum(d1) + b1; yc[r + 2] = Vector256.Sum(d2) + b2; yc[r + 3] = Vector256.Sum(d3) + b3;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4x1(float* x, float* w0, int k, float* b, float* y, int r)
    {
        float* w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int j = 0; j < k; j += 8)
        {
            Vector256<float> u = Avx.LoadVector256(x + j);
            a0 = Fma.MultiplyAdd(u, Avx.LoadVector256(w0 + j), a0);
            a1 = Fma.MultiplyAdd(u, Avx.LoadVector256(w1 + j), a1);
            a2 = Fma.MultiplyAdd(u, Avx.LoadVector256(w2 + j), a2);
            a3 = Fma.MultiplyAdd(u, Avx.LoadVector256(w3 + j), a3);
        }
        float b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        if (b != null) { b0 = b[r]; b1 = b[r + 1]; b2 = b[r + 2]; b3 = b[r + 3]; }
        y[r] = Vector256.Sum(a0) + b0; y[r + 1] = Vector256.Sum(a1) + b1; y[r + 2] = Vector256.Sum(a2) + b2; y[r + 3] = Vector256.Sum(a3) + b3;
    }
}
