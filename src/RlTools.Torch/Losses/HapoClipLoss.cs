using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// HAPO's entropy-adaptive clipping and advantage redistribution (Liu et al., arXiv:2509.16591).
/// Normalised entropy over the micro-batch's valid tokens: e = log(max(H, 1e-8)); pivot = the
/// EntropyPivot-quantile of e (nearest); h = (e − pivot)/s, s = √(mean (e − pivot)²); ĥ = h/max(h⁺) for h &gt; 0 and
/// h/|min(h⁻)| for h ≤ 0 (the paper's intent, ĥ ∈ [−1, 1]; the released code's sign slip is not reproduced).
/// Bounds per token: low-entropy (ĥ ≤ 0) ε_lo ← ε_lo(1 − αĥ); high-entropy (ĥ &gt; 0) ε_hi ← ε_hi(1 + αĥ).
/// Redistribution: A^ent = A(1 + βĥ); neutral band 1 − ε_lo/2 &lt; ρ &lt; 1 + ε_hi/2 (adapted bounds); high-entropy
/// tokens use A inside the band and A^ent outside, low-entropy tokens the reverse. Then the dual-clip surrogate
/// (c = 10). Defaults: ε_lo = ε_hi = 0.2, α = β = 1, pivot 0.8 (the HAPO recipe). Needs current-policy entropies.
/// </summary>
public sealed class HapoClipLoss : IPolicyLoss
{
    public string Name => "HAPO";
    public string Paper => "arXiv:2509.16591";
    public string Summary => "Entropy-adaptive asymmetric clip bounds and advantage redistribution.";
    public IReadOnlyList<ParameterSpec> Parameters => new[]
    {
        ParameterSpec.Number("ClipLow", 0.2, "Base ε_lo (widened for low-entropy tokens)."),
        ParameterSpec.Number("ClipHigh", 0.2, "Base ε_hi (widened for high-entropy tokens)."),
        ParameterSpec.Number("DualClip", 10.0, "Dual-clip constant c (≤ 1 turns it off)."),
        ParameterSpec.Number("ClipAlpha", 1.0, "α: how far entropy widens the bounds."),
        ParameterSpec.Number("AdvantageBeta", 1.0, "β: entropy redistribution of the advantage (0 turns it off)."),
        ParameterSpec.Number("EntropyPivot", 0.8, "Quantile of log-entropy used as the pivot (0..1)."),
    };

    /// <summary>ĥ for each token (0 at invalid tokens), per the formula above.</summary>
    public static Tensor NormalisedEntropy(Tensor entropy, Tensor mask, double pivotQuantile)
    {
        var e = entropy.detach().clamp_min(1e-8).log();
        var valid = mask > 0;
        double[] vals = e.masked_select(valid).to(ScalarType.Float64).cpu().data<double>().ToArray();
        if (vals.Length == 0) return torch.zeros_like(e);
        Array.Sort(vals);
        int idx = (int)Math.Round(pivotQuantile * (vals.Length - 1), MidpointRounding.ToEven);
        double pivot = vals[Math.Clamp(idx, 0, vals.Length - 1)];
        var c = (e - pivot) * mask;
        double s = Math.Sqrt((c * c).sum().ToDouble() / vals.Length);
        var h = s > 0 ? c / s : torch.zeros_like(c);
        double posMax = Math.Max(h.max().ToDouble(), 1e-8);
        double negMin = Math.Min(torch.where(valid, h, torch.zeros_like(h)).min().ToDouble(), -1e-8);
        var hh = torch.where(h > 0, h / posMax, h / Math.Abs(negMin));
        return hh * mask;
    }

    public LossTerms Compute(LossContext ctx)
    {
        if (ctx.Entropy is null) throw new InvalidOperationException("HAPO needs per-token entropies.");
        var m = ctx.Mask;
        var hhat = NormalisedEntropy(ctx.Entropy, m, ctx.P("EntropyPivot"));
        double alpha = ctx.P("ClipAlpha"), beta = ctx.P("AdvantageBeta");
        var high = hhat > 0;
        var epsLo = torch.where(high, torch.full_like(hhat, ctx.P("ClipLow")), ctx.P("ClipLow") * (1 - alpha * hhat));
        var epsHi = torch.where(high, ctx.P("ClipHigh") * (1 + alpha * hhat), torch.full_like(hhat, ctx.P("ClipHigh")));
        var ratio = Surrogate.Ratio(ctx.LogProbs, ctx.OldLogProbs);
        var a = ctx.Advantages;
        if (beta != 0)
        {
            var r = ratio.detach();
            var aEnt = a * (1 + beta * hhat);
            var band = (r > 1 - epsLo / 2) & (r < 1 + epsHi / 2);
            a = torch.where(high, torch.where(band, a, aEnt), torch.where(band, aEnt, a));
        }
        var (loss, clipped, lower) = Surrogate.Clipped(ratio, a, 1 - epsLo, 1 + epsHi, ctx.P("DualClip"));
        return new LossTerms { Loss = LossAggregator.Aggregate(loss, m, ctx.Aggregation, ctx.Normalizer), Clipped = clipped, ClippedLower = lower };
    }
}
