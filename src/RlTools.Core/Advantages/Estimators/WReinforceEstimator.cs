namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// W-REINFORCE, weighted positive–negative reinforcement (Zhu et al., "The Surprising Effectiveness
/// of Negative Reinforcement in LLM Reasoning", arXiv 2506.01347; NGRPO/A-GRAE repos
/// <c>compute_psr_nsr_outcome_advantage</c>, <c>positive_advantage_weight</c>).
/// <para>A correct sample (r &gt; <c>CorrectThreshold</c>) gets A = λ·r, λ = 0.1; a wrong one gets A = r − 1
/// (−1 for a binary 0). No group baseline.</para>
/// </summary>
public sealed class WReinforceEstimator : AdvantageEstimatorBase
{
    public override string Name => "WReinforce";
    public override string Summary => "λ·r for correct samples (λ = 0.1), r − 1 for wrong ones";
    public override string Source => "Zhu et al. 2025, W-REINFORCE";
    public override string ArxivId => "2506.01347";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward;

    [AdvantageParameter("λ, weight of positive samples (positive_advantage_weight, recommended 0.1).")]
    public double PositiveWeight { get; set; } = 0.1;

    [AdvantageParameter("A reward above this is correct (binary rewards: 0.5).")]
    public double CorrectThreshold { get; set; } = 0.5;

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages;
        for (int i = 0; i < r.Length; i++) a[i] = r[i] > CorrectThreshold ? PositiveWeight * r[i] : r[i] - 1;
    }
}
