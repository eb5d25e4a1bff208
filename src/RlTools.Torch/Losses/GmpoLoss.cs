using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// GMPO, geometric-mean policy optimisation (Zhao et al., arXiv:2507.20673), as verl's <c>geo_mean</c>:
/// a sign-aware clip in log space δ'_{i,t} = sgn(A)·min(sgn(A)·δ, sgn(A)·clip(δ, −ε_lo, ε_hi)); sequence ratio
/// R_i = exp((1/|o_i|) Σ_t m δ'); sequence advantage Ā_i = (1/|o_i|) Σ_t m A; loss = Σ_i (−Ā_i R_i) / N_seq
/// (the aggregation mode is ignored). Defaults ε_lo = ε_hi = 0.4 (the paper's clip range (e^−0.4, e^0.4)).
/// Metrics as verl's geo_mean: clipfrac = share of tokens with δ outside [−ε_lo, ε_hi] and A &gt; 0, clipfrac_lower
/// the same with A &lt; 0, ppo_kl the unclamped token mean of ℓ_old − ℓ. Unlike verl, a row with no trained
/// token (fully masked) adds nothing to the loss (verl divides its zero by 1e-8 and counts it in the mean).
/// </summary>
public sealed class GmpoLoss : IPolicyLoss
{
    public string Name => "GMPO";
    public IReadOnlyList<string> Aliases => new[] { "geo_mean" };
    public string Paper => "arXiv:2507.20673";
    public string Summary => "Geometric mean of token ratios per sequence, clipped in log space.";
    public LossAggregation? ForcedAggregation => LossAggregation.SeqMeanTokenMean;
    public IReadOnlyList<ParameterSpec> Parameters => new[]
    {
        ParameterSpec.Number("ClipLow", 0.4, "ε_lo: log-ratio lower bound −ε_lo."),
        ParameterSpec.Number("ClipHigh", 0.4, "ε_hi: log-ratio upper bound ε_hi."),
    };

    public LossTerms Compute(LossContext ctx)
    {
        var m = ctx.Mask;
        var a = ctx.Advantages;
        var delta = ctx.LogProbs - ctx.OldLogProbs;
        var sgn = torch.sign(a);
        var clippedDelta = delta.clamp(-ctx.P("ClipLow"), ctx.P("ClipHigh"));
        var dPrime = sgn * torch.minimum(sgn * delta, sgn * clippedDelta);
        var len = m.sum(1).clamp_min(1.0);
        var r = ((dPrime * m).sum(1) / len).exp();
        var abar = (a * m).sum(1) / len;
        var nonEmpty = (m.sum(1) > 0).to(ScalarType.Float32);
        var loss = (-abar * r * nonEmpty).sum() / Math.Max(ctx.Normalizer.Sequences, 1.0);
        var outside = (clippedDelta != delta).to(ScalarType.Float32);
        return new LossTerms
        {
            Loss = loss, Clipped = outside * (a > 0).to(ScalarType.Float32), ClippedLower = outside * (a < 0).to(ScalarType.Float32),
            PpoKl = -delta.detach(),
        };
    }
}
