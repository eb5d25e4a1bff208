using RlTools.Core.Advantages;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Generation;

/// <summary>
/// HAPO's adaptive sampling temperature (Liu et al., "From Uniform to Heterogeneous: Tailoring Policy Optimization to
/// Every Token's Nature", arXiv 2509.16591; seed-algorithms-1.md §10): T_t = T·(1 + τ·clamp(ĥ_t, −1, 1)), where ĥ_t is
/// the normalised log-entropy of the current next-token distribution softmax(logits / T):
/// e = ln(max(H, 1e-8)), h = (e − pivot)/s, ĥ = h / max(h⁺) for h &gt; 0 and h / |min(h⁻)| for h &lt; 0 (the paper's
/// intent; the released code's sign slip that makes ĥ ≥ 0 is not reproduced). pivot (the <c>EntropyPivot</c>-quantile,
/// nearest), s = √mean((e − pivot)²) and the two scales come from the PREVIOUS step's rollout entropies, as in the
/// released vLLM sampler; with no previous step every ĥ is 0 and T_t = T.
/// The statistics are the same as <see cref="RlTools.Core.Advantages.Estimators.HapoEstimator.NormalizedEntropy"/>'s.
/// </summary>
public sealed class AdaptiveTemperature
{
    /// <summary>τ (recipe 0.05).</summary>
    public double Tau { get; }
    public double Pivot { get; }
    public double Scale { get; }
    public double PositiveScale { get; }
    public double NegativeScale { get; }
    /// <summary>False when no previous entropies were given (every T_t = T).</summary>
    public bool HasStatistics { get; }

    private AdaptiveTemperature(double tau, double pivot, double scale, double pos, double neg, bool has)
    {
        Tau = tau; Pivot = pivot; Scale = scale; PositiveScale = pos; NegativeScale = neg; HasStatistics = has;
    }

    /// <summary>The statistics of <paramref name="entropies"/> (the previous step's per-token entropies); none: plain T.</summary>
    public static AdaptiveTemperature FromEntropies(IEnumerable<float[]> entropies, double tau = 0.05, double pivotQuantile = 0.8)
    {
        if (!(tau >= 0) || double.IsInfinity(tau)) throw new ArgumentException($"Tau must be a finite number >= 0, not {tau}.", nameof(tau));
        if (!(pivotQuantile >= 0 && pivotQuantile <= 1)) throw new ArgumentException($"The entropy pivot is a quantile in [0, 1], not {pivotQuantile}.", nameof(pivotQuantile));
        var e = new List<double>();
        foreach (float[] t in entropies)
            foreach (float h in t)
                if (float.IsFinite(h)) e.Add(Math.Log(Math.Max(h, 1e-8)));
        if (e.Count == 0) return new AdaptiveTemperature(tau, 0, 0, 1, 1, false);
        var sorted = e.ToArray();
        Array.Sort(sorted);
        double pivot = AdvantageMath.QuantileNearest(sorted, pivotQuantile);
        double ss = 0;
        foreach (double x in e) ss += (x - pivot) * (x - pivot);
        double scale = Math.Sqrt(ss / e.Count);
        double pos = 1e-6, neg = 1e-6;
        if (scale > 0)
            foreach (double x in e)
            {
                double h = (x - pivot) / scale;
                if (h > pos) pos = h;
                if (-h > neg) neg = -h;
            }
        return new AdaptiveTemperature(tau, pivot, scale, pos, neg, scale > 0);
    }

    /// <summary>ĥ for an entropy <paramref name="entropy"/> (nats) under these statistics, in [−1, 1].</summary>
    public double NormalizedEntropy(double entropy)
    {
        if (!HasStatistics) return 0;
        double h = (Math.Log(Math.Max(entropy, 1e-8)) - Pivot) / Scale;
        return Math.Clamp(h > 0 ? h / PositiveScale : h / NegativeScale, -1, 1);
    }

    /// <summary>T_t for every row (and position) of <paramref name="logits"/> <c>[.., V]</c>: float32 <c>[..]</c>.</summary>
    public Tensor Temperatures(Tensor logits, double temperature)
    {
        using var scope = NewDisposeScope();
        Tensor logp = (temperature == 1 ? logits : logits / temperature).log_softmax(-1);
        Tensor entropy = -(logp.exp() * logp).sum(-1);
        if (!HasStatistics) return full_like(entropy, temperature).MoveToOuterDisposeScope();
        Tensor h = (entropy.clamp_min(1e-8).log() - Pivot) / Scale;
        Tensor hat = where(h.gt(0), h / PositiveScale, h / NegativeScale).clamp(-1, 1);
        return (temperature * (1 + Tau * hat)).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
