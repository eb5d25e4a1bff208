using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// SAPO, soft adaptive policy optimisation (Gao et al., Qwen, arXiv:2511.20347): a smooth sigmoid gate instead
/// of a hard clip. f(ρ) = σ(τ(ρ − 1))·4/τ with τ = τ₊ if A &gt; 0 else τ₋; L = −f(ρ)·A (∂f/∂ρ = 1 at ρ = 1, so
/// on-policy it matches the policy gradient). Always aggregated with SeqMeanTokenMean. Defaults τ₊ = 1.0, τ₋ = 1.05.
/// </summary>
public sealed class SapoLoss : IPolicyLoss
{
    public string Name => "SAPO";
    public string Paper => "arXiv:2511.20347";
    public string Summary => "Soft sigmoid gate on the ratio (temperatures τ+ 1.0, τ− 1.05).";
    public LossAggregation? ForcedAggregation => LossAggregation.SeqMeanTokenMean;
    public IReadOnlyList<ParameterSpec> Parameters => new[]
    {
        ParameterSpec.Number("TauPositive", 1.0, "τ₊: gate temperature for A > 0."),
        ParameterSpec.Number("TauNegative", 1.05, "τ₋: gate temperature for A ≤ 0."),
    };

    public LossTerms Compute(LossContext ctx)
    {
        var ratio = Surrogate.Ratio(ctx.LogProbs, ctx.OldLogProbs);
        var tau = torch.where(ctx.Advantages > 0, Surrogate.Scalar(ctx.P("TauPositive"), ratio), Surrogate.Scalar(ctx.P("TauNegative"), ratio));
        var gate = torch.sigmoid(tau * (ratio - 1)) * 4 / tau;
        var loss = -gate * ctx.Advantages;
        var none = torch.zeros_like(ratio);
        return new LossTerms { Loss = LossAggregator.Aggregate(loss, ctx.Mask, LossAggregation.SeqMeanTokenMean, ctx.Normalizer), Clipped = none, ClippedLower = none };
    }
}
