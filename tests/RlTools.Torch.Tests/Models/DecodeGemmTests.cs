using RlTools.Torch.Generation;
using RlTools.Torch.Models;
using RlTools.Torch.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace RlTools.Torch.Tests.Models;

// DecodeGemm.Enabled is process-wide; these tests switch it, so they must not run beside other decoding tests.
[Collection("DecodeGemm")]
public class DecodeGemmTests
{
    /// <summary>Σ_k x[i,k]·W[r,k] + b[r] in double: the definition, independent of both engines.</summary>
    private static double[,] Direct(float[] x, int m, float[] w, int n, int k, float[]? b)
    {
        var y = new double[m, n];
        for (int i = 0; i < m; i++)
            for (int r = 0; r < n; r++)
            {
                double s = b?[r] ?? 0;
                for (int j = 0; j < k; j++) s += (double)x[i * k + j] * w[r * k + j];
                y[i, r] = s;
            }
        return y;
    }

    [Theory]
    [InlineData(1, 515, 256, true, 1)]   // one row, rows of W not a multiple of four (tail path)
    [InlineData(2, 512, 256, false, 2)]  // a pair of activation rows, two workers
    [InlineData(3, 1027, 128, true, 2)]  // a pair plus an odd row, tail rows, two workers
    [InlineData(8, 640, 512, true, 1)]   // a decode batch of eight
    [InlineData(16, 520, 256, false, 2)] // the largest batch routed to the kernel
    public void Equals_the_definition(int m, int n, int k, bool withBias, int threads)
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(threads);
        try
        {
            var rng = new System.Random(m * 1000 + n);
            float[] x = Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            float[] w = Enumerable.Range(0, n * k).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            float[]? b = withBias ? Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray() : null;
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Tensor xt = tensor(x, new long[] { m, 1, k }), wt = tensor(w, new long[] { n, k });
            Tensor? bt = b is null ? null : tensor(b);
            Assert.True(DecodeGemm.Applies(xt, wt, bt));
            Tensor y = DecodeGemm.Linear(xt, wt, bt);
            Assert.Equal(new long[] { m, 1, n }, y.shape);
            float[] got = y.data<float>().ToArray();
            double[,] want = Direct(x, m, w, n, k, b);
            for (int i = 0; i < m; i++)
                for (int r = 0; r < n; r++)
                    Assert.True(Math.Abs(got[i * n + r] - want[i, r]) <= 1e-4 * Math.Max(1, Math.Abs(want[i, r])),
                        $"y[{i},{r}] = {got[i * n + r]}, definition {want[i, r]}");
        }
        finally { torch.set_num_threads(before); }
    }

    [Fact]
    public void A_decode_loop_keeps_the_kernel_workers_while_libtorch_runs_on_one_thread()
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(2);
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var model = new DecoderLM(Wide(), seed: 1);
            Tensor x = randn(8, 256), w = randn(1030, 256);
            float[] want = F.linear(x, w).data<float>().ToArray();
            using (DecodeGemm.DecodeThreads(model))
            {
                Assert.Equal(1, torch.get_num_threads());
                float[] got = DecodeGemm.Linear(x, w, null).data<float>().ToArray();
                for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-3f);
            }
            Assert.Equal(2, torch.get_num_threads());
        }
        finally { torch.set_num_threads(before); }
    }

    [Fact]
    public void Declines_what_it_cannot_compute()
    {
        using var scope = NewDisposeScope();
        Tensor w = randn(1024, 256);
        using (no_grad())
        {
            Assert.False(DecodeGemm.Applies(randn(17, 256), w, null));                    // more rows than a decode step
            Assert.False(DecodeGemm.Applies(randn(2, 250), randn(1024, 250), null));      // K not a multiple of 8
            Assert.False(DecodeGemm.Applies(randn(2, 256), w.t().contiguous().t(), null)); // W not contiguous
            Assert.False(DecodeGemm.Applies(randn(2, 64), randn(64, 64), null));          // small enough for BLAS
            Assert.False(DecodeGemm.Applies(randn(2, 256, ScalarType.BFloat16), w.to(ScalarType.BFloat16), null));
        }
        Tensor p = randn(1024, 256).requires_grad_(true);
        Assert.False(DecodeGemm.Applies(randn(2, 256), p, null)); // autograd needs the graph
        using (no_grad()) Assert.True(DecodeGemm.Applies(randn(2, 256), p, null));
    }

    private static ModelConfig Wide() => new()
    {
        // Large enough that the MLP projections and the tied output head reach the kernel (≥ 2^16 weights).
        ModelType = "qwen2", HiddenSize = 128, IntermediateSize = 1024, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, HeadDim = 32, RmsNormEps = 1e-6, RopeTheta = 10000, MaxPositionEmbeddings = 64,
        VocabSize = 1024, TieWordEmbeddings = true, AttentionBias = true,
    };

    [Fact]
    public void Sampling_with_the_kernel_matches_BLAS_and_the_full_forward()
    {
        using var model = TestModels.Random(Wide(), seed: 3, std: 0.1);
        var prompts = new[] { TestModels.Tokens(5, 256, 1), TestModels.Tokens(9, 256, 2), TestModels.Tokens(3, 256, 3) };
        var options = new SamplingOptions { MaxNewTokens = 12, Seed = 11, IgnoreEos = true, Temperature = 0.7 };
        var tok = new ByteTokenizer();
        Completion[] fast, blas;
        try
        {
            DecodeGemm.Enabled = true;
            fast = TextGenerator.Generate(model, tok, prompts, options);
            DecodeGemm.Enabled = false;
            blas = TextGenerator.Generate(model, tok, prompts, options);
        }
        finally { DecodeGemm.Enabled = true; }
        var (full, _) = TextGenerator.LogProbs(model, prompts.Zip(fast, (p, c) => (p, c.Tokens)).ToList(), temperature: 0.7);
        for (int r = 0; r < prompts.Length; r++)
        {
            Assert.Equal(blas[r].Tokens, fast[r].Tokens);
            for (int t = 0; t < fast[r].Tokens.Length; t++)
            {
                Assert.Equal(blas[r].Logprobs[t], fast[r].Logprobs[t], 1e-4f);
                Assert.Equal(full[r][t], fast[r].Logprobs[t], 1e-4f);
            }
        }
    }
}
