using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RlTools.Torch.Models;

/// <summary>
/// A tiny causal LM for tests, smoke runs and benchmarks of the update stage: each position's logits depend on
/// its own token only (a bigram model with one hidden layer): logits = W_out·tanh(W_h·E[x] + b_h) + b_out.
/// Weights are drawn from N(0, 0.1²) with a private generator seeded by <c>seed</c>, so two instances with the
/// same seed are identical. The attention mask is accepted and ignored (no position looks at another).
/// </summary>
public sealed class TinyCausalLM : ICausalLM
{
    private readonly TinyModule _module;

    public TinyCausalLM(int vocabSize, int dim = 16, long seed = 0, ScalarType dtype = ScalarType.Float32)
    {
        VocabSize = vocabSize;
        _module = new TinyModule(vocabSize, dim);
        if (dtype != ScalarType.Float32) _module.to(dtype);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var gen = new Generator((ulong)seed);
        foreach (var (_, p) in _module.named_parameters())
            p.copy_(torch.randn(p.shape, dtype: ScalarType.Float32, generator: gen).to(dtype) * 0.1);
    }

    public long VocabSize { get; }
    public nn.Module Module => _module;

    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null) => _module.forward(inputIds);

    public void Dispose() => _module.Dispose();

    private sealed class TinyModule : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding embed;
        private readonly Linear hidden;
        private readonly Linear head;

        public TinyModule(int vocab, int dim) : base("TinyCausalLM")
        {
            embed = nn.Embedding(vocab, dim);
            hidden = nn.Linear(dim, dim);
            head = nn.Linear(dim, vocab);
            RegisterComponents();
        }

        public override Tensor forward(Tensor ids) => head.forward(torch.tanh(hidden.forward(embed.forward(ids))));
    }
}
