using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// GRPO for pass@k (verl <c>grpo_passk</c>, after Tang et al., "Optimizing Language Models for
/// Inference Time Objectives using Reinforcement Learning", arXiv 2503.19595).
/// <para>Per group (at least two samples): only the best sample i* = argmax r gets
/// A = r_max − r_second, divided by (σ_g + ε) when <c>NormalizeByStd</c>; every other sample gets 0.
/// Ties for the maximum go to the first sample (their difference is 0 anyway). A group of one is
/// reported (GroupTooSmall) and left without advantages, as verl refuses it.</para>
/// </summary>
public sealed class GrpoPassKEstimator : AdvantageEstimatorBase
{
    public override string Name => "GRPOPassK";
    public override string Summary => "only the best sample of a group: r_max − r_second (÷ std)";
    public override string Source => "verl grpo_passk (Tang et al. 2025, inference-time objectives)";
    public override string ArxivId => "2503.19595";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward;

    [AdvantageParameter("ε added to the std (verl 1e-6).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("Divide by (group std + ε) (verl norm_adv_by_std_in_grpo, default true).")]
    public bool NormalizeByStd { get; set; } = true;

    [AdvantageParameter("Bessel-corrected (n−1) std; false = population.")]
    public bool UnbiasedStd { get; set; } = true;

    protected override void CheckGroups(IReadOnlyList<Rollout> batch, int[] gid, List<int> counts, Action<int, string, string> reject)
    {
        for (int i = 0; i < batch.Count; i++)
            if (counts[gid[i]] < 2) reject(i, "GroupTooSmall", "GRPOPassK needs at least two samples per prompt (it compares the best with the second best).");
    }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1];
            int best = s;
            for (int i = s + 1; i < e; i++) if (r[i] > r[best]) best = i;
            double second = double.NegativeInfinity;
            for (int i = s; i < e; i++) if (i != best && r[i] > second) second = r[i];
            double diff = r[best] - second;
            if (NormalizeByStd)
            {
                double mean = AdvantageMath.Mean(r, s, e);
                diff /= AdvantageMath.Std(r, s, e, mean, UnbiasedStd) + Epsilon;
            }
            for (int i = s; i < e; i++) a[i] = 0;
            a[best] = diff;
        }
    }
}
