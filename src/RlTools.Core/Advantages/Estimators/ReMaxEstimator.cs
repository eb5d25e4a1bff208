namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// ReMax (Li et al., "ReMax: A Simple, Effective, and Efficient Reinforcement Learning Method for
/// Aligning Large Language Models", arXiv 2310.10505; verl <c>remax</c>).
/// <para>A_i = r_i − b_i, b_i = <c>baseline_reward</c>: the reward of a greedy rollout of the same
/// prompt. No normalisation. (verl writes G_t − b at every token; with the reward on the last token
/// and γ = 1 every token carries r − b, so one sequence value is exact.)</para>
/// </summary>
public sealed class ReMaxEstimator : AdvantageEstimatorBase
{
    public override string Name => "ReMax";
    public override string Summary => "r − reward of a greedy rollout (baseline_reward)";
    public override string Source => "Li et al. 2023, ReMax; verl remax";
    public override string ArxivId => "2310.10505";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.BaselineReward;

    protected override void Compute(AdvantageBatch b)
    {
        for (int i = 0; i < b.Count; i++) b.Advantages[i] = b.Rewards[i] - b.Rollouts[i].BaselineReward!.Value;
    }
}
