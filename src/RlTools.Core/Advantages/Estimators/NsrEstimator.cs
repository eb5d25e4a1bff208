namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// NSR, negative sample reinforcement (Zhu et al., "The Surprising Effectiveness of Negative
/// Reinforcement in LLM Reasoning", arXiv 2506.01347; as implemented in the NGRPO and A-GRAE repos,
/// <c>compute_psr_nsr_outcome_advantage</c>), and its group-relative form GRPO-N from the
/// capability-boundary paper (Yao et al., "The Debate on RLVR Reasoning Capability Boundary:
/// Shrinkage, Expansion, or Both? A Two-Stage Dynamic View", arXiv 2510.04028).
/// <para>Absolute (default): a wrong sample (r ≤ <c>CorrectThreshold</c>) gets A = r − 1 (−1 for a binary 0);
/// a correct one gets 0 (the code trains on the wrong subset only).</para>
/// <para><c>Relative=true</c> (GRPO-N): A = min(0, GRPO advantage), i.e. only relative negative gradients.
/// ASSUMPTION: the paper's exact objective was not found; this follows its TL;DR (keep samples with
/// negative group-relative advantage), with the GRPO defaults (unbiased σ, ε = 1e-6).</para>
/// </summary>
public sealed class NsrEstimator : AdvantageEstimatorBase
{
    public override string Name => "NSR";
    public override string Summary => "negative samples only: r − 1 for wrong answers (or min(0, GRPO) with Relative)";
    public override string Source => "Zhu et al. 2025 (NSR); Yao et al. 2025 (GRPO-N, arXiv 2510.04028)";
    public override string ArxivId => "2506.01347";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward;
    public override string? Assumptions => "Relative=true (GRPO-N of arXiv 2510.04028): the paper's objective was not found; implemented as min(0, GRPO advantage).";

    [AdvantageParameter("A reward above this is correct (binary rewards: 0.5).")]
    public double CorrectThreshold { get; set; } = 0.5;

    [AdvantageParameter("Group-relative form GRPO-N: min(0, GRPO advantage) (arXiv 2510.04028).")]
    public bool Relative { get; set; }

    [AdvantageParameter("ε of the GRPO std when Relative (1e-6).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("Bessel-corrected (n−1) std when Relative.")]
    public bool UnbiasedStd { get; set; } = true;

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        if (!Relative)
        {
            for (int i = 0; i < r.Length; i++) a[i] = r[i] > CorrectThreshold ? 0 : r[i] - 1;
            return;
        }
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1];
            AdvantageMath.GroupMeanStd(r, s, e, UnbiasedStd, out double mean, out double std);
            for (int i = s; i < e; i++) a[i] = Math.Min(0, (r[i] - mean) / (std + Epsilon));
        }
    }
}
