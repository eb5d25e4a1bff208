using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// GRAO, group relative alignment optimisation (Wang et al., arXiv:2508.07750) — an RlTools reading of the
/// paper. The exact "Group Direct Alignment Loss" is not public (no formula beyond the abstract, no code); the
/// paper names three ingredients: (1) an exploration term on the policy's own samples and (2) an imitation
/// term on the reference answer, both weighted by the intra-group relative advantage, and (3) a
/// reference-aware alignment regulariser. RlTools realises them as: on-policy rows (IsExpert = false) use the
/// dual-clipped PPO surrogate −A·clip(ρ) (exploration); expert rows (IsExpert = true, the reference answer,
/// scored in the same group so its advantage is relative) use the off-policy advantage-weighted likelihood
/// −A·ℓ (imitation, no ratio since the text was not sampled from π_old); the regulariser is the KL-to-reference
/// term of Update-RlPolicy (-KLCoefficient, -Reference). Defaults ε_lo = ε_hi = 0.2, c = 3.
/// </summary>
public sealed class GraoLoss : IPolicyLoss
{
    public string Name => "GRAO";
    public string Paper => "arXiv:2508.07750";
    public string Summary => "Advantage-weighted imitation of expert rows + clipped exploration on own samples (interpretation).";
    public IReadOnlyList<ParameterSpec> Parameters => new[]
    {
        ParameterSpec.Number("ClipLow", 0.2, "ε_lo of the exploration surrogate."),
        ParameterSpec.Number("ClipHigh", 0.2, "ε_hi of the exploration surrogate."),
        ParameterSpec.Number("DualClip", 3.0, "Dual-clip constant c of the exploration surrogate."),
    };

    public LossTerms Compute(LossContext ctx)
    {
        var ratio = Surrogate.Ratio(ctx.LogProbs, ctx.OldLogProbs);
        var (ppo, clipped, lower) = Surrogate.Clipped(ratio, ctx.Advantages,
            Surrogate.Scalar(1 - ctx.P("ClipLow"), ratio), Surrogate.Scalar(1 + ctx.P("ClipHigh"), ratio), ctx.P("DualClip"));
        var expert = (ctx.Expert ?? torch.zeros(ratio.shape[0], 1, device: ratio.device)).expand_as(ratio);
        var imitation = -ctx.Advantages * ctx.LogProbs;
        var loss = torch.where(expert > 0, imitation, ppo);
        var onPolicy = 1 - expert;
        return new LossTerms { Loss = LossAggregator.Aggregate(loss, ctx.Mask, ctx.Aggregation, ctx.Normalizer), Clipped = clipped * onPolicy, ClippedLower = lower * onPolicy };
    }
}
