using RlTools.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Losses;

/// <summary>
/// How per-token losses become one scalar (verl's <c>agg_loss</c>, anchors §2.4). With m the loss mask,
/// L the per-token loss, N_tok the valid tokens and N_seq the non-empty sequences of the whole
/// mini-batch (not the micro-batch, so gradient accumulation gives the same gradient as one big batch):
/// <list type="bullet">
/// <item><c>TokenMean</c>: Σ_{i,t} m L / N_tok (verl token-mean, TRL dapo).</item>
/// <item><c>TokenSum</c>: Σ_{i,t} m L.</item>
/// <item><c>SeqMeanTokenSum</c>: Σ_i (Σ_t m L) / N_seq.</item>
/// <item><c>SeqMeanTokenSumNorm</c>: Σ_i (Σ_t m L) / N_seq / S, S = a run constant (Dr.GRPO, arXiv 2503.20783; verl:
/// the configured response length): the update takes -LossScaleFactor or the rollouts' max_tokens.</item>
/// <item><c>SeqMeanTokenMean</c>: Σ_i [(Σ_t m L)/(|o_i| + 1e-8)] / N_seq (GRPO paper's sample-level mean).</item>
/// </list>
/// </summary>
public enum LossAggregation { TokenMean, TokenSum, SeqMeanTokenSum, SeqMeanTokenSumNorm, SeqMeanTokenMean }

/// <summary>Global normalisers of one mini-batch for one term (see <see cref="LossAggregation"/>).</summary>
public readonly record struct LossNormalizer(double Tokens, double Sequences, double ScaleFactor)
{
    /// <summary>Counts from a mask <c>[B,T]</c> (all of it = one mini-batch); scale factor = T unless given.</summary>
    public static LossNormalizer From(Tensor mask, double? scaleFactor = null)
    {
        using var scope = NewDisposeScope();
        double tokens = mask.sum().ToDouble();
        double seqs = (mask.sum(1) > 0).sum().ToInt64();
        return new LossNormalizer(tokens, seqs, scaleFactor ?? mask.shape[1]);
    }

    /// <summary>Sums two partial counts (used to build a mini-batch's normaliser from its micro-batches).</summary>
    public LossNormalizer Add(LossNormalizer other) => new(Tokens + other.Tokens, Sequences + other.Sequences, Math.Max(ScaleFactor, other.ScaleFactor));
}

/// <summary>Implements <see cref="LossAggregation"/>; an empty normaliser (no tokens) gives 0, not NaN.</summary>
public static class LossAggregator
{
    public static Tensor Aggregate(Tensor perToken, Tensor mask, LossAggregation mode, LossNormalizer norm)
    {
        var masked = perToken * mask;
        double tok = Math.Max(norm.Tokens, 1.0), seq = Math.Max(norm.Sequences, 1.0);
        return mode switch
        {
            LossAggregation.TokenMean => masked.sum() / tok,
            LossAggregation.TokenSum => masked.sum(),
            LossAggregation.SeqMeanTokenSum => masked.sum(1).sum() / seq,
            LossAggregation.SeqMeanTokenSumNorm => masked.sum(1).sum() / seq / norm.ScaleFactor,
            LossAggregation.SeqMeanTokenMean => (masked.sum(1) / (mask.sum(1) + 1e-8)).sum() / seq,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        };
    }

    /// <summary>Masked mean over all tokens of this tensor (a metric helper; 0 for an empty mask).</summary>
    public static double MaskedMean(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        double n = mask.sum().ToDouble();
        return n <= 0 ? 0 : (x.detach() * mask).sum().ToDouble() / n;
    }
}

/// <summary>
/// Everything a loss sees for one micro-batch. Tensors are <c>[B,T]</c> float32 over completion tokens.
/// <see cref="LogProbs"/> carries the gradient; the others are detached inputs.
/// </summary>
public sealed class LossContext
{
    public required Tensor LogProbs { get; init; }
    public required Tensor OldLogProbs { get; init; }
    public required Tensor Advantages { get; init; }
    public required Tensor Mask { get; init; }
    /// <summary>Current-policy per-token entropy (detached); HAPO uses it.</summary>
    public Tensor? Entropy { get; init; }
    /// <summary><c>[B,1]</c> 1 for expert rows (GRAO uses it), else 0.</summary>
    public Tensor? Expert { get; init; }
    public required LossAggregation Aggregation { get; init; }
    public required LossNormalizer Normalizer { get; init; }
    /// <summary>Resolved parameters: ClipLow, ClipHigh, DualClip and each loss's own.</summary>
    public required IReadOnlyDictionary<string, double> Parameters { get; init; }
    /// <summary>Deterministic random source (checkpointed with the trainer state); Clip-Cov draws from it.</summary>
    public required RlTools.Core.SplitMix64 Random { get; init; }

    public double P(string name) => Parameters.TryGetValue(name, out double v) ? v
        : throw new KeyNotFoundException($"Loss parameter '{name}' was not resolved.");
}

/// <summary>What a loss returns for one micro-batch.</summary>
public sealed class LossTerms
{
    /// <summary>The aggregated loss (a scalar tensor with gradient) for this micro-batch under global normalisers.</summary>
    public required Tensor Loss { get; init; }
    /// <summary>Tokens where clipping was active (bool/float <c>[B,T]</c>), for <c>clipfrac</c>.</summary>
    public Tensor? Clipped { get; init; }
    /// <summary>Tokens where the dual-clip lower bound was active, for <c>clipfrac_lower</c>.</summary>
    public Tensor? ClippedLower { get; init; }
    /// <summary>
    /// Per-token values whose masked mean is verl's <c>ppo_kl</c> for this loss; null = verl's default,
    /// −clamp(ℓ − ℓ_old, −20, 20) (KL-Cov reports |ℓ − ℓ_old|, GMPO the unclamped ℓ_old − ℓ).
    /// </summary>
    public Tensor? PpoKl { get; init; }
    /// <summary>Tokens a loss singled out for its own treatment (KL-Cov's penalised tokens), reported as <c>selected_frac</c>.</summary>
    public Tensor? Selected { get; init; }
}

/// <summary>
/// One policy-gradient loss. Implementations are stateless; one class per paper, with the formula in
/// the doc comment. The registry (<see cref="PolicyLossRegistry"/>) lists them.
/// </summary>
public interface IPolicyLoss
{
    /// <summary>Registry name (case-insensitive).</summary>
    string Name { get; }
    /// <summary>Other accepted names.</summary>
    IReadOnlyList<string> Aliases => Array.Empty<string>();
    /// <summary>The paper: "arXiv:NNNN.NNNNN" or a citation.</summary>
    string Paper { get; }
    /// <summary>One line: what it does.</summary>
    string Summary { get; }
    /// <summary>The aggregation the method prescribes regardless of the user's choice (null: the user's choice).</summary>
    LossAggregation? ForcedAggregation => null;
    /// <summary>Parameters and defaults (ClipLow, ClipHigh, DualClip included when the loss uses them).</summary>
    IReadOnlyList<ParameterSpec> Parameters { get; }
    /// <summary>Computes the aggregated loss and its clip masks.</summary>
    LossTerms Compute(LossContext ctx);
}

/// <summary>Shared pieces of the ratio-based losses.</summary>
public static class Surrogate
{
    /// <summary>ρ = exp(clamp(δ, −20, 20)), δ = ℓ − ℓ_old (verl clamps before exp).</summary>
    public static Tensor Ratio(Tensor logp, Tensor oldLogp) => (logp - oldLogp).clamp(-20.0, 20.0).exp();

    /// <summary>
    /// The (dual-)clipped PPO surrogate per token: L₁ = −Aρ, L₂ = −A·clip(ρ, lo, hi), L_c = max(L₁, L₂);
    /// with dual clip c &gt; 1 and A &lt; 0: L = min(L_c, −A·c). <paramref name="low"/>/<paramref name="high"/>
    /// are ratio bounds (scalars or per-token tensors).
    /// </summary>
    public static (Tensor Loss, Tensor Clipped, Tensor ClippedLower) Clipped(Tensor ratio, Tensor adv, Tensor low, Tensor high, double dualClip)
    {
        var l1 = -adv * ratio;
        var l2 = -adv * torch.minimum(torch.maximum(ratio, low), high);
        var lc = torch.maximum(l1, l2);
        var clipped = (l2 > l1).to(ScalarType.Float32);
        if (!(dualClip > 1.0))
            return (lc, clipped, torch.zeros_like(clipped));
        var l3 = -adv * dualClip;
        var neg = adv < 0;
        var loss = torch.where(neg, torch.minimum(lc, l3), lc);
        var lower = ((lc > l3) & neg).to(ScalarType.Float32);
        return (loss, clipped, lower);
    }

    public static Tensor Scalar(double v, Tensor like) => torch.tensor(v, dtype: like.dtype, device: like.device);
}
