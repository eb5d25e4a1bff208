using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// CISPO, clipped importance-sampling-weight policy optimisation (MiniMax-M1, arXiv:2506.13585):
/// w = sg(clip(ρ, 1−ε_lo, 1+ε_hi)), L = −w·A·ℓ. Every token keeps a gradient (the weight is clipped, not the
/// update). Defaults ε_lo = ε_hi = 0.2 (verl's shared defaults; the paper tunes only the upper bound).
/// </summary>
public sealed class CispoLoss : IPolicyLoss
{
    public string Name => "CISPO";
    public string Paper => "arXiv:2506.13585";
    public string Summary => "Clipped, detached IS weight times −A·log π (no token loses its gradient).";
    public IReadOnlyList<ParameterSpec> Parameters => new[]
    {
        ParameterSpec.Number("ClipLow", 0.2, "ε_lo: the IS weight is clipped below at 1 − ε_lo."),
        ParameterSpec.Number("ClipHigh", 0.2, "ε_hi: the IS weight is clipped above at 1 + ε_hi."),
    };

    public LossTerms Compute(LossContext ctx)
    {
        var ratio = Surrogate.Ratio(ctx.LogProbs, ctx.OldLogProbs).detach();
        var w = ratio.clamp(1 - ctx.P("ClipLow"), 1 + ctx.P("ClipHigh"));
        var loss = -w * ctx.Advantages * ctx.LogProbs;
        var clipped = (w != ratio).to(ScalarType.Float32);
        return new LossTerms { Loss = LossAggregator.Aggregate(loss, ctx.Mask, ctx.Aggregation, ctx.Normalizer), Clipped = clipped, ClippedLower = torch.zeros_like(clipped) };
    }
}
