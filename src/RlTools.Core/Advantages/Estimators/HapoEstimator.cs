namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// HAPO, heterogeneous adaptive policy optimisation (Liu et al., "From Uniform to Heterogeneous:
/// Tailoring Policy Optimization to Every Token's Nature", arXiv 2509.16591; code starriver030515/HAPO).
/// <para>L_i is the number of trained tokens (Σ loss_mask); mask-0 tokens are out of the entropy statistics
/// and get token advantage 0.</para>
/// <para>Token-level group average: μ_tok = Σ_i L_i r_i / Σ_i L_i, σ_tok = √(Σ_i L_i (r_i − μ_tok)² / Σ_i L_i),
/// A_i = (r_i − μ_tok)/(σ_tok + 1e-6); if any |A| ≥ 5 in the group, the group falls back to GRPO
/// (unbiased σ). A group of one uses μ = 0, σ = 1 (module convention).</para>
/// <para>Normalised entropy over every valid token of the batch: e = ln(max(H, 1e-8)); pivot = the
/// <c>EntropyPivot</c>-quantile of e (nearest); h = (e − pivot)/s, s = √mean((e − pivot)²);
/// ĥ = h / max(h⁺) for h &gt; 0 and h / |min(h⁻)| for h &lt; 0 (paper: ĥ ∈ [−1, 1]).</para>
/// <para>Differential advantage redistribution: A^ent = A·(1 + β·ĥ); inside the neutral ratio band
/// (1 − ε_lo/2, 1 + ε_hi/2) high-entropy tokens (ĥ &gt; 0) keep A and low-entropy tokens (ĥ ≤ 0) take A^ent;
/// outside it the reverse. <c>token_advantages</c> are computed at the sampling policy (ratio 1, inside
/// the band); the loss re-applies <see cref="Redistribute"/> with the live ratio. <c>advantage</c> is A_i.</para>
/// <para>⚠ Released code divides negative h by min(h) (a negative number), so every ĥ ≥ 0 and the ĥ ≤ 0
/// branches are dead, and its |A| ≥ 5 check also sees padded positions (score 0). <c>ReleasedCode=true</c>
/// reproduces both (padding = positions up to the batch's longest completion).</para>
/// </summary>
public sealed class HapoEstimator : AdvantageEstimatorBase
{
    public override string Name => "HAPO";
    public override string Summary => "token-weighted group mean/std (GRPO fallback if |A| ≥ 5) + entropy-based redistribution";
    public override string Source => "Liu et al. 2025, HAPO";
    public override string ArxivId => "2509.16591";
    public override AdvantageLevel Level => AdvantageLevel.Token;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Entropies;

    [AdvantageParameter("Quantile of log-entropy used as the pivot (recipe 0.8; code default 0.5).")]
    public double EntropyPivot { get; set; } = 0.8;

    [AdvantageParameter("β of the redistribution A·(1 + β·ĥ) (adv_beta, 1.0).")]
    public double Beta { get; set; } = 1.0;

    [AdvantageParameter("ε added to σ_tok and to the fallback GRPO std (1e-6).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("A group whose |A| reaches this falls back to GRPO (5).")]
    public double FallbackThreshold { get; set; } = 5.0;

    [AdvantageParameter("Bessel-corrected std in the GRPO fallback.")]
    public bool UnbiasedStd { get; set; } = true;

    [AdvantageParameter("Reproduce the released code: ĥ of low-entropy tokens positive (h/min h) and padding in the |A| ≥ 5 check.")]
    public bool ReleasedCode { get; set; }

    protected override void Validate()
    {
        if (EntropyPivot < 0 || EntropyPivot > 1) throw new ArgumentException("HAPO EntropyPivot is a quantile in [0, 1].");
    }

    /// <summary>The redistribution rule at a given ratio ρ and (adapted) clip widths.</summary>
    public static double Redistribute(double advantage, double hHat, double ratio, double epsLow, double epsHigh, double beta)
    {
        bool inBand = ratio > 1 - epsLow / 2 && ratio < 1 + epsHigh / 2;
        double ent = advantage * (1 + beta * hHat);
        return hHat > 0 ? (inBand ? advantage : ent) : (inBand ? ent : advantage);
    }

    /// <summary>
    /// The statistics that turn a token entropy H into ĥ: <see cref="Pivot"/> (the quantile of e = ln max(H, 1e-8)),
    /// <see cref="Scale"/> s = √mean((e − pivot)²), and the largest positive / most negative h = (e − pivot)/s
    /// (clamped to ±1e-6). The estimator takes them from the batch; HAPO's adaptive temperature takes them
    /// from the previous step's rollouts (<see cref="AdaptiveTemperature"/>).
    /// </summary>
    public sealed record EntropyStatistics(double Pivot, double Scale, double PositiveMax, double NegativeMin);

    /// <summary>Entropy statistics over every token of <paramref name="entropies"/>, pivot at quantile <paramref name="pivotQuantile"/> (nearest); null when there are no tokens.</summary>
    public static EntropyStatistics? Statistics(IReadOnlyList<float[]> entropies, double pivotQuantile)
    {
        long n = 0;
        foreach (var t in entropies) n += t.Length;
        if (n == 0) return null;
        var all = new double[n];
        long k = 0;
        foreach (var t in entropies) foreach (var h in t) all[k++] = Math.Log(Math.Max(h, 1e-8));
        var sorted = (double[])all.Clone();
        Array.Sort(sorted);
        double pivot = AdvantageMath.QuantileNearest(sorted, pivotQuantile);
        double ss = 0;
        for (long j = 0; j < n; j++) ss += (all[j] - pivot) * (all[j] - pivot);
        double scale = Math.Sqrt(ss / n);
        double posMax = 1e-6, negMin = -1e-6;
        for (long j = 0; j < n; j++)
        {
            double h = scale > 0 ? (all[j] - pivot) / scale : 0;
            if (h > posMax) posMax = h;
            if (h < negMin) negMin = h;
        }
        return new EntropyStatistics(pivot, scale, posMax, negMin);
    }

    /// <summary>ĥ of one entropy under <paramref name="s"/> (paper: in [−1, 1] on the data the statistics came from; <paramref name="releasedCode"/>: h/min h for h &lt; 0).</summary>
    public static double Normalize(double entropy, EntropyStatistics s, bool releasedCode = false)
    {
        double h = s.Scale > 0 ? (Math.Log(Math.Max(entropy, 1e-8)) - s.Pivot) / s.Scale : 0;
        return h > 0 ? h / s.PositiveMax : h < 0 ? (releasedCode ? h / s.NegativeMin : h / Math.Abs(s.NegativeMin)) : 0;
    }

    /// <summary>HAPO's adaptive sampling temperature T_t = T·(1 + τ·clamp(ĥ_t, −1, 1)) (recipe τ = 0.05).</summary>
    public static double AdaptiveTemperature(double temperature, double tau, double hHat) => temperature * (1 + tau * Math.Clamp(hHat, -1, 1));

    /// <summary>ĥ for every token of every rollout (same shapes as the entropies), statistics from the same tokens.</summary>
    public float[][] NormalizedEntropy(float[][] entropies)
    {
        var res = new float[entropies.Length][];
        var st = Statistics(entropies, EntropyPivot);
        for (int i = 0; i < res.Length; i++)
        {
            var t = new float[entropies[i].Length];
            for (int j = 0; j < t.Length; j++) t[j] = (float)Normalize(entropies[i][j], st!, ReleasedCode);
            res[i] = t;
        }
        return res;
    }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart; var len = b.TrainedLengths!; var masks = b.Masks!;
        double maxLen = 0;
        for (int i = 0; i < len.Length; i++) maxLen = Math.Max(maxLen, len[i]);
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1];
            bool fallback = false;
            if (e - s == 1) { a[s] = r[s] / (1 + Epsilon); continue; }
            double num = 0, den = 0;
            for (int i = s; i < e; i++) { num += len[i] * r[i]; den += len[i]; }
            if (den == 0) fallback = true;
            else
            {
                double mu = num / den, ss = 0;
                for (int i = s; i < e; i++) ss += len[i] * (r[i] - mu) * (r[i] - mu);
                double inv = 1.0 / (Math.Sqrt(ss / den) + Epsilon);
                bool padded = false;
                for (int i = s; i < e; i++)
                {
                    a[i] = (r[i] - mu) * inv;
                    if (len[i] > 0 && Math.Abs(a[i]) >= FallbackThreshold) fallback = true;
                    if (len[i] < maxLen) padded = true;
                }
                if (ReleasedCode && padded && Math.Abs((0 - mu) * inv) >= FallbackThreshold) fallback = true;
            }
            if (fallback)
            {
                AdvantageMath.GroupMeanStd(r, s, e, UnbiasedStd, out double mean, out double std);
                for (int i = s; i < e; i++) a[i] = (r[i] - mean) / (std + Epsilon);
            }
        }
        var ent = new float[b.Count][];
        for (int i = 0; i < b.Count; i++) ent[i] = AdvantageMath.Trained(b.Rollouts[i].Entropies!, masks[i]);
        var hHat = NormalizedEntropy(ent);
        for (int i = 0; i < b.Count; i++)
        {
            var m = masks[i];
            var t = new float[b.Lengths![i]];
            for (int j = 0, k = 0; j < t.Length; j++)
                if (m is null || m[j] != 0) t[j] = (float)Redistribute(a[i], hHat[i][k++], 1.0, 0.2, 0.2, Beta);
            b.TokenAdvantages![i] = t;
        }
    }
}
