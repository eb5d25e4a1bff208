using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// PPO clipped surrogate with dual clip (Schulman et al., arXiv:1707.06347; dual clip: Ye et al., arXiv:1912.09729).
/// δ = ℓ − ℓ_old, ρ = exp(clamp(δ, −20, 20)); L₁ = −Aρ, L₂ = −A·clip(ρ, 1−ε_lo, 1+ε_hi), L_c = max(L₁, L₂);
/// for A &lt; 0, L = min(L_c, −c·A) (dual clip, c = DualClip, off when c ≤ 1). Aggregated with the chosen mode.
/// Defaults follow verl's <c>vanilla</c> loss: ε_lo = ε_hi = 0.2, c = 3.
/// </summary>
public class PpoClipLoss : IPolicyLoss
{
    public virtual string Name => "PPO";
    public virtual IReadOnlyList<string> Aliases => new[] { "vanilla", "GRPO" };
    public virtual string Paper => "arXiv:1707.06347 (dual clip arXiv:1912.09729)";
    public virtual string Summary => "Clipped surrogate with dual clip for negative advantages (verl vanilla).";
    protected virtual double DefaultClipLow => 0.2;
    protected virtual double DefaultClipHigh => 0.2;
    protected virtual double DefaultDualClip => 3.0;

    public virtual IReadOnlyList<ParameterSpec> Parameters => new[]
    {
        ParameterSpec.Number("ClipLow", DefaultClipLow, "ε_lo: the ratio's lower bound is 1 − ε_lo."),
        ParameterSpec.Number("ClipHigh", DefaultClipHigh, "ε_hi: the ratio's upper bound is 1 + ε_hi."),
        ParameterSpec.Number("DualClip", DefaultDualClip, "c: for A < 0 the loss is capped at −c·A; ≤ 1 turns the dual clip off."),
    };

    public virtual LossTerms Compute(LossContext ctx)
    {
        var ratio = Surrogate.Ratio(ctx.LogProbs, ctx.OldLogProbs);
        var lo = Surrogate.Scalar(1 - ctx.P("ClipLow"), ratio);
        var hi = Surrogate.Scalar(1 + ctx.P("ClipHigh"), ratio);
        var (loss, clipped, lower) = Surrogate.Clipped(ratio, ctx.Advantages, lo, hi, ctx.P("DualClip"));
        return new LossTerms { Loss = LossAggregator.Aggregate(loss, ctx.Mask, ctx.Aggregation, ctx.Normalizer), Clipped = clipped, ClippedLower = lower };
    }
}

/// <summary>
/// DAPO's asymmetric "clip-higher" surrogate (Yu et al., arXiv:2503.14476): the PPO surrogate of
/// <see cref="PpoClipLoss"/> with a wider upper bound, ε_lo = 0.2, ε_hi = 0.28, so low-probability tokens can
/// grow; dual clip c = 10 as in verl's DAPO recipe; aggregate with TokenMean (the paper's token-level loss).
/// </summary>
public sealed class DapoClipHigherLoss : PpoClipLoss
{
    public override string Name => "DAPO";
    public override IReadOnlyList<string> Aliases => new[] { "ClipHigher" };
    public override string Paper => "arXiv:2503.14476";
    public override string Summary => "PPO surrogate with clip-higher: ε_lo 0.2, ε_hi 0.28 (token-mean).";
    protected override double DefaultClipHigh => 0.28;
    protected override double DefaultDualClip => 10.0;
}

/// <summary>
/// NGRPO's asymmetric clipping (Nan et al., arXiv:2509.18851): the PPO surrogate of <see cref="PpoClipLoss"/>
/// with ε_lo = 0.16 (binds for A &lt; 0) and ε_hi = 0.24 (binds for A &gt; 0), token-mean aggregation, and the
/// dual clip c = 3 of the verl version the authors built on. Pair it with the NGRPO advantage estimator.
/// </summary>
public sealed class NgrpoClipLoss : PpoClipLoss
{
    public override string Name => "NGRPO";
    public override IReadOnlyList<string> Aliases => Array.Empty<string>();
    public override string Paper => "arXiv:2509.18851";
    public override string Summary => "Asymmetric PPO bounds ε_lo 0.16 / ε_hi 0.24 (negative-enhanced GRPO).";
    protected override double DefaultClipLow => 0.16;
    protected override double DefaultClipHigh => 0.24;
}
