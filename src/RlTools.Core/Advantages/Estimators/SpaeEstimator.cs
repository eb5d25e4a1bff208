using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// SPAE, step potential advantage estimation (Wu et al., "Step Potential Advantage Estimation: Harnessing
/// Intermediate Confidence and Correctness for Efficient Mathematical Reasoning", arXiv 2601.03823;
/// code cii030/SPAE-RL <c>inference/probe_mechanism_example.py</c>, README).
/// <para>Input: source rollouts with their step boundaries in <c>cut_positions</c> and, per boundary, probe
/// records (<c>Invoke-RlRollout -Probe -CutAt Step -ProbeSuffix "**Final Answer**\n\\boxed{"</c>) scored by
/// <c>Measure-RlReward</c>. For the k-th boundary c_k (k = 1..m):</para>
/// <para>Conf_k = (1/N) Σ_n exp(−mean of the probe's entropies over its continuation tokens) (paper formula);
/// Acc_k = mean reward of the N probes (ASSUMPTION A1); Φ_k = 1.5·Acc_k·Conf_k + 0.5·Acc_k − Conf_k ∈ [−1, 1]
/// (code: −1 confident and wrong, 1 confident and right); ΔΦ_1 = 0, ΔΦ_k = Φ_k − Φ_{k−1}.</para>
/// <para>Â_{i,j} = Â^Group_i·f + ξ·g(ΔΦ_{M(j)}), with Â^Group the GRPO advantage over the group's
/// non-probe rollouts, M(j) = k for tokens j ∈ [c_{k−1}, c_k) (c_0 = 0) and the tokens after the last
/// boundary an unprobed final step (ΔΦ = 0). The result is whitened over the batch's trained tokens
/// ("Batch Norm" in the paper's overview) and optimised with a token-mean loss.</para>
/// <para>The paper does not publish f, g or the saturation rule; the ASSUMPTIONS (all in <see cref="Assumptions"/>):
/// A1 Acc = mean probe reward, a Monte-Carlo estimate of reaching the ground truth from the prefix (the paper
/// averages the teacher-forced probability of the answer tokens, which a sampled probe does not give);
/// A2 a step is saturated when an earlier boundary of the rollout reached Φ ≥ <c>SaturationThreshold</c> (0.9,
/// the example script's "reached the solution" mark); A3 f = 1 − α for a positive and 1 + α for a negative
/// Â^Group on saturated steps (a penalty of α·|Â|, pushing towards timely termination), else 1;
/// A4 g(ΔΦ) = ΔΦ (amplifies gains, penalises drops, linearly).</para>
/// </summary>
public sealed class SpaeEstimator : AdvantageEstimatorBase
{
    public override string Name => "SPAE";
    public override string Summary => "GRPO outcome advantage × saturation penalty + ξ·ΔΦ per reasoning step; Φ from probe accuracy and confidence; batch-whitened";
    public override string Source => "Wu et al. 2026, SPAE (ACL Findings 2026); code cii030/SPAE-RL";
    public override string ArxivId => "2601.03823";
    public override AdvantageLevel Level => AdvantageLevel.Token;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Probes;
    public override string? Assumptions =>
        "Not published: f, g and the saturation rule. A1 Acc = mean probe reward (paper: mean teacher-forced probability of the answer tokens). " +
        "A2 a step is saturated once an earlier boundary reached Phi >= SaturationThreshold (0.9). " +
        "A3 f = 1 - alpha on saturated steps when the group advantage is positive, 1 + alpha when negative, else 1. " +
        "A4 g(dPhi) = dPhi. Tokens after the last boundary: an unprobed final step (dPhi = 0, saturated if any boundary was).";

    [AdvantageParameter("α of the potential saturation penalty (paper Table 2: 0.5).")]
    public double Alpha { get; set; } = 0.5;

    [AdvantageParameter("ξ of the potential difference shaping (paper Table 2: 0.5).")]
    public double Xi { get; set; } = 0.5;

    [AdvantageParameter("Φ at or above this marks the potential saturated (ASSUMED 0.9, the example script's mark).")]
    public double SaturationThreshold { get; set; } = 0.9;

    [AdvantageParameter("Whiten the token advantages over the batch's trained tokens (paper: batch norm).")]
    public bool Whiten { get; set; } = true;

    [AdvantageParameter("ε added to the group std of the outcome advantage (1e-6).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("ε inside the whitening √(var + ε) (1e-8).")]
    public double WhitenEpsilon { get; set; } = 1e-8;

    protected override void Validate()
    {
        if (Alpha < 0 || Alpha > 1) throw new ArgumentException("SPAE Alpha must be in [0, 1].");
        if (Xi < 0) throw new ArgumentException("SPAE Xi must be ≥ 0.");
    }

    protected override (string ErrorId, string Message)? CheckRollout(Rollout r)
    {
        if (r.IsProbe && (r.Entropies is null || r.Entropies.Length != AdvantageMath.TokenCount(r)))
            return ("MissingInput", "an SPAE probe needs one entropy per completion token (its confidence is read from them).");
        return StepInputs.CheckCuts(r);
    }

    protected override void CheckGroups(IReadOnlyList<Rollout> batch, int[] gid, List<int> counts, Action<int, string, string> reject)
    {
        StepInputs.CheckProbes(batch, gid, reject);
        var sources = new HashSet<int>();
        for (int i = 0; i < batch.Count; i++) if (!batch[i].IsProbe) sources.Add(gid[i]);
        for (int i = 0; i < batch.Count; i++)
            if (batch[i].IsProbe && !sources.Contains(gid[i])) reject(i, "ProbeWithoutSource", "the group has probes but no rollout to train on.");
    }

    /// <summary>Φ = 1.5·Acc·Conf + 0.5·Acc − Conf (code's step potential).</summary>
    public static double StepPotential(double accuracy, double confidence) => 1.5 * accuracy * confidence + 0.5 * accuracy - confidence;

    /// <summary>exp(−mean entropy) over a probe's continuation (its loss_mask-1 tokens); 0 when it has none.</summary>
    public static double ProbeConfidence(Rollout probe)
    {
        double m = StepInputs.MaskedMean(probe.Entropies!, probe);
        return double.IsNaN(m) ? 0 : Math.Exp(-m);
    }

    /// <summary>
    /// SPAE token advantages of one rollout (before whitening): <paramref name="groupAdvantage"/>·f + ξ·ΔΦ per step,
    /// <paramref name="cuts"/> the step boundaries with potentials <paramref name="phi"/>; loss_mask-0 tokens get 0.
    /// </summary>
    public static float[] TokenAdvantages(int length, int[] cuts, double[] phi, double groupAdvantage, double alpha, double xi, double saturation, float[]? lossMask)
    {
        var t = new float[length];
        double penalised = groupAdvantage - alpha * Math.Abs(groupAdvantage);
        double best = double.NegativeInfinity;
        int start = 0;
        for (int k = 0; k <= cuts.Length; k++)
        {
            int end = k < cuts.Length ? cuts[k] : length;
            bool saturated = best >= saturation;
            double dPhi = k < cuts.Length && k > 0 ? phi[k] - phi[k - 1] : 0;
            float a = (float)((saturated ? penalised : groupAdvantage) + xi * dPhi);
            for (int j = start; j < end; j++) t[j] = lossMask is null || lossMask[j] != 0 ? a : 0f;
            if (k < cuts.Length) best = Math.Max(best, phi[k]);
            start = end;
        }
        return t;
    }

    protected override void Compute(AdvantageBatch b)
    {
        int n = b.Count;
        var tok = b.TokenAdvantages!;
        var trained = new bool[n][];
        for (int g = 0; g < b.GroupCount; g++)
        {
            int s = b.GroupStart[g], e = b.GroupStart[g + 1];
            var rewards = new List<double>();
            for (int i = s; i < e; i++) if (!b.Rollouts[i].IsProbe) rewards.Add(b.Rewards[i]);
            var rw = rewards.ToArray();
            AdvantageMath.GroupMeanStd(rw, 0, rw.Length, true, out double mean, out double std);
            double inv = 1.0 / (std + Epsilon);
            var probes = StepInputs.ProbesBySource(b, s, e);
            for (int i = s; i < e; i++)
            {
                var r = b.Rollouts[i];
                int len = b.Lengths![i];
                trained[i] = new bool[len];
                if (r.IsProbe) { tok[i] = new float[len]; continue; }
                var cuts = r.CutPositions ?? Array.Empty<int>();
                var phi = new double[cuts.Length];
                for (int k = 0; k < cuts.Length; k++)
                {
                    var ps = probes[i][cuts[k]];
                    double acc = 0, conf = 0;
                    foreach (int p in ps) { acc += b.Rewards[p]; conf += ProbeConfidence(b.Rollouts[p]); }
                    phi[k] = StepPotential(acc / ps.Count, conf / ps.Count);
                }
                tok[i] = TokenAdvantages(len, cuts, phi, (b.Rewards[i] - mean) * inv, Alpha, Xi, SaturationThreshold, r.LossMask);
                for (int j = 0; j < len; j++) trained[i][j] = r.LossMask is null || r.LossMask[j] != 0;
            }
        }
        if (Whiten) SpoEstimator.WhitenMasked(tok, trained, trained, WhitenEpsilon);
        for (int i = 0; i < n; i++) b.Advantages[i] = SpoEstimator.TrainedMean(tok[i], trained[i]);
    }
}
