using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// KL-Cov (Cui et al., arXiv:2505.22617), as verl's <c>kl_cov</c>: L = −Aρ for every token, except the top-k
/// tokens by covariance c_t = (A_t − mean A)(ℓ_t − mean sg(ℓ)) (k = max(1, ⌊ratio·N_valid⌋)), where
/// L = −Aρ + κ·|δ| (δ = ℓ − ℓ_old, unclamped ratio). Defaults: ratio 2e-4, κ = 0.1 (verl's ppo_kl_coef).
/// Metrics as verl: ppo_kl is the token mean of |δ| and clipfrac is 0 (nothing is clipped); the share of
/// penalised tokens is reported separately as selected_frac.
/// </summary>
public sealed class KlCovLoss : IPolicyLoss
{
    public string Name => "KLCov";
    public IReadOnlyList<string> Aliases => new[] { "kl_cov" };
    public string Paper => "arXiv:2505.22617";
    public string Summary => "KL penalty |δ| on the top-covariance tokens only.";
    public IReadOnlyList<ParameterSpec> Parameters => new[]
    {
        ParameterSpec.Number("KlCovRatio", 2e-4, "Share of valid tokens that get the penalty (at least one)."),
        ParameterSpec.Number("KlCovCoefficient", 0.1, "κ: weight of |ℓ − ℓ_old| on the selected tokens."),
    };

    public LossTerms Compute(LossContext ctx)
    {
        var m = ctx.Mask;
        var a = ctx.Advantages;
        var delta = ctx.LogProbs - ctx.OldLogProbs;
        var ratio = delta.exp();
        var basic = -a * ratio;
        long valid = (long)m.sum().ToDouble();
        var selected = torch.zeros_like(m);
        if (valid > 0)
        {
            int k = Math.Max((int)(ctx.P("KlCovRatio") * valid), 1);
            var cov = Covariance.Token(a, ctx.LogProbs.detach(), m).flatten();
            var idx = cov.topk(k).indexes;
            selected = selected.flatten().index_fill(0, idx, 1.0).reshape(m.shape);
        }
        var loss = basic + selected * ctx.P("KlCovCoefficient") * delta.abs();
        return new LossTerms
        {
            Loss = LossAggregator.Aggregate(loss, m, ctx.Aggregation, ctx.Normalizer),
            Clipped = torch.zeros_like(selected), ClippedLower = torch.zeros_like(selected), PpoKl = delta.detach().abs(), Selected = selected,
        };
    }
}
