using RlTools.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Models;

internal static class TestModels
{
    public static ModelConfig Config(string type, bool tie, bool bias = false, RopeScaling? scaling = null) => new()
    {
        ModelType = type, HiddenSize = 24, IntermediateSize = 40, NumHiddenLayers = 2, NumAttentionHeads = 6,
        NumKeyValueHeads = 2, HeadDim = 8, RmsNormEps = 1e-6, RopeTheta = 500, MaxPositionEmbeddings = 128,
        VocabSize = 37, TieWordEmbeddings = tie, AttentionBias = bias, RopeScaling = scaling,
    };

    /// <summary>A model whose weights are large enough that attention, norms and biases all matter.</summary>
    public static DecoderLM Random(ModelConfig config, long seed, double std = 0.3)
    {
        var m = new DecoderLM(config, CPU, ScalarType.Float32, seed);
        using var gen = new torch.Generator((ulong)seed + 1, CPU);
        using (no_grad())
            foreach (var (name, p) in m.named_parameters())
            {
                p.copy_(randn(p.shape, generator: gen).mul_(std));
                if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.add_(1.0);
            }
        return m;
    }

    public static int[] Tokens(int n, int vocab, int seed)
    {
        var r = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.Next(vocab)).ToArray();
    }
}
