using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// GPG, group policy gradient (Chu et al., arXiv:2504.02546) — plain REINFORCE (Williams 1992) with the
/// supplied advantages: L = −A·ℓ, no ratio and no clipping (on-policy by construction).
/// </summary>
public sealed class GpgLoss : IPolicyLoss
{
    public string Name => "GPG";
    public IReadOnlyList<string> Aliases => new[] { "REINFORCE" };
    public string Paper => "arXiv:2504.02546";
    public string Summary => "Plain policy gradient −A·log π (REINFORCE).";
    public IReadOnlyList<ParameterSpec> Parameters => Array.Empty<ParameterSpec>();

    public LossTerms Compute(LossContext ctx)
    {
        var loss = -ctx.Advantages * ctx.LogProbs;
        var none = torch.zeros_like(ctx.Mask);
        return new LossTerms { Loss = LossAggregator.Aggregate(loss, ctx.Mask, ctx.Aggregation, ctx.Normalizer), Clipped = none, ClippedLower = none };
    }
}
