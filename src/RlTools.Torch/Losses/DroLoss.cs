using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// DRO, direct reward optimisation (Richemond et al., arXiv:2405.19107), in verl's per-token form
/// (<c>loss_mode=dro</c>): L = −(A·ℓ − ½β(ℓ − ℓ_old)²). The quadratic term is the regulariser that keeps
/// the policy near the behaviour policy. β (DroBeta) has no default: it must be given and &gt; 0.
/// </summary>
public sealed class DroLoss : IPolicyLoss
{
    public string Name => "DRO";
    public string Paper => "arXiv:2405.19107";
    public string Summary => "Policy gradient with a quadratic log-ratio penalty ½β(ℓ − ℓ_old)².";
    public IReadOnlyList<ParameterSpec> Parameters => new[]
    {
        ParameterSpec.Number("DroBeta", double.NaN, "β > 0: weight of the quadratic log-ratio penalty (required)."),
    };

    public LossTerms Compute(LossContext ctx)
    {
        var d = ctx.LogProbs - ctx.OldLogProbs;
        var loss = -(ctx.Advantages * ctx.LogProbs - 0.5 * ctx.P("DroBeta") * d * d);
        var none = torch.zeros_like(ctx.Mask);
        return new LossTerms { Loss = LossAggregator.Aggregate(loss, ctx.Mask, ctx.Aggregation, ctx.Normalizer), Clipped = none, ClippedLower = none };
    }
}
