using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// Clip-Cov (Cui et al., "The Entropy Mechanism of Reinforcement Learning for Reasoning Language Models",
/// arXiv:2505.22617), as verl's <c>clip_cov</c>. Token covariance c_t = (A_t − mean A)(ℓ_t − mean sg(ℓ)) over
/// valid tokens; among tokens not already clipped by the PPO bounds with lb &lt; c_t &lt; ub, k = max(1,
/// ⌊ratio·N_valid⌋) are drawn at random and their loss set to 0 (no gradient); L = max(L₁, L₂)·keep with the
/// unclamped ratio. Defaults: ratio 2e-4, lb 1, ub 5, ε_lo = ε_hi = 0.2. The draw uses the trainer's
/// checkpointed RNG, so runs are reproducible. clipfrac reports the share of detached tokens.
/// </summary>
public sealed class ClipCovLoss : IPolicyLoss
{
    public string Name => "ClipCov";
    public IReadOnlyList<string> Aliases => new[] { "clip_cov" };
    public string Paper => "arXiv:2505.22617";
    public string Summary => "Detach a random few high-covariance tokens to keep entropy from collapsing.";
    public IReadOnlyList<ParameterSpec> Parameters => new[]
    {
        ParameterSpec.Number("ClipLow", 0.2, "ε_lo of the PPO surrogate."),
        ParameterSpec.Number("ClipHigh", 0.2, "ε_hi of the PPO surrogate."),
        ParameterSpec.Number("ClipCovRatio", 2e-4, "Share of valid tokens to detach (at least one)."),
        ParameterSpec.Number("ClipCovLower", 1.0, "lb: only tokens with covariance above lb are candidates."),
        ParameterSpec.Number("ClipCovUpper", 5.0, "ub: only tokens with covariance below ub are candidates."),
    };

    public LossTerms Compute(LossContext ctx)
    {
        var m = ctx.Mask;
        var a = ctx.Advantages;
        var ratio = (ctx.LogProbs - ctx.OldLogProbs).exp();
        var l1 = -a * ratio;
        var l2 = -a * ratio.clamp(1 - ctx.P("ClipLow"), 1 + ctx.P("ClipHigh"));
        var clippedByPpo = (l2 > l1) & (m > 0);
        var cov = Covariance.Token(a, ctx.LogProbs.detach(), m);
        var candidates = (cov > ctx.P("ClipCovLower")) & (cov < ctx.P("ClipCovUpper")) & (m > 0) & clippedByPpo.logical_not();
        long valid = (long)m.sum().ToDouble();
        int k = Math.Max((int)(ctx.P("ClipCovRatio") * valid), 1);
        long[] flat = candidates.flatten().nonzero().flatten().cpu().data<long>().ToArray();
        var keepFlat = new float[m.numel()];
        Array.Fill(keepFlat, 1f);
        int take = Math.Min(k, flat.Length);
        for (int i = 0; i < take; i++)
        {
            int j = i + (int)ctx.Random.NextBelow((ulong)(flat.Length - i));
            (flat[i], flat[j]) = (flat[j], flat[i]);
            keepFlat[flat[i]] = 0f;
        }
        var keep = torch.tensor(keepFlat, m.shape, dtype: ScalarType.Float32, device: m.device);
        var loss = torch.maximum(l1, l2) * keep;
        var detached = (keep == 0).to(ScalarType.Float32) * m;
        return new LossTerms { Loss = LossAggregator.Aggregate(loss, m, ctx.Aggregation, ctx.Normalizer), Clipped = detached, ClippedLower = torch.zeros_like(detached) };
    }
}

/// <summary>Token covariance used by Clip-Cov and KL-Cov.</summary>
public static class Covariance
{
    /// <summary>c_t = (A_t − mean A)(ℓ_t − mean ℓ), means over valid tokens; invalid tokens get −inf.</summary>
    public static Tensor Token(Tensor adv, Tensor logp, Tensor mask)
    {
        var n = mask.sum().clamp_min(1.0);
        var ma = (adv * mask).sum() / n;
        var ml = (logp * mask).sum() / n;
        var c = (adv - ma) * (logp - ml);
        return torch.where(mask > 0, c, torch.full_like(c, double.NegativeInfinity));
    }
}
