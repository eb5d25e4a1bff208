using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// GSPO, group sequence policy optimisation (Zheng et al., arXiv:2507.18071). Sequence log-ratio
/// s̄_i = (1/|o_i|) Σ_t m δ_{i,t}; per-token ratio s_{i,t} = exp(ℓ_{i,t} − sg(ℓ_{i,t}) + sg(s̄_i)) (value e^{s̄_i},
/// gradient e^{s̄_i}·∇ℓ; the log is clamped at 10 as in verl); L = max(−A·s, −A·clip(s, 1−ε_lo, 1+ε_hi)).
/// Always aggregated with SeqMeanTokenMean. Defaults are the paper's: ε_lo = 3e-4, ε_hi = 4e-4.
/// </summary>
public sealed class GspoLoss : IPolicyLoss
{
    public string Name => "GSPO";
    public string Paper => "arXiv:2507.18071";
    public string Summary => "Sequence-level (length-normalised) importance ratio, clipped per sequence.";
    public LossAggregation? ForcedAggregation => LossAggregation.SeqMeanTokenMean;
    public IReadOnlyList<ParameterSpec> Parameters => new[]
    {
        ParameterSpec.Number("ClipLow", 3e-4, "ε_lo: lower bound 1 − ε_lo of the sequence ratio."),
        ParameterSpec.Number("ClipHigh", 4e-4, "ε_hi: upper bound 1 + ε_hi of the sequence ratio."),
    };

    public LossTerms Compute(LossContext ctx)
    {
        var m = ctx.Mask;
        var delta = (ctx.LogProbs - ctx.OldLogProbs) * m;
        var seqLog = delta.sum(1, keepdim: true) / m.sum(1, keepdim: true).clamp_min(1.0);
        var logS = ctx.LogProbs - ctx.LogProbs.detach() + seqLog.detach();
        var s = logS.clamp_max(10.0).exp();
        var l1 = -ctx.Advantages * s;
        var l2 = -ctx.Advantages * s.clamp(1 - ctx.P("ClipLow"), 1 + ctx.P("ClipHigh"));
        var loss = torch.maximum(l1, l2);
        var clipped = (l2 > l1).to(ScalarType.Float32);
        return new LossTerms
        {
            Loss = LossAggregator.Aggregate(loss, m, LossAggregation.SeqMeanTokenMean, ctx.Normalizer),
            Clipped = clipped, ClippedLower = torch.zeros_like(clipped),
        };
    }
}
