namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// Dr.GRPO (Liu et al., "Understanding R1-Zero-Like Training: A Critical Perspective", arXiv 2503.20783;
/// verl <c>grpo</c> with <c>norm_adv_by_std_in_grpo=False</c>, OpenRLHF <c>dr_grpo</c>).
/// <para>A_i = r_i − μ_g (no std division; a group of one has μ = 0). Pair it with the
/// <c>SeqMeanTokenSumNorm</c> loss aggregation, as the paper does.</para>
/// </summary>
public sealed class DrGrpoEstimator : AdvantageEstimatorBase
{
    public override string Name => "DrGRPO";
    public override string Summary => "r − group mean (no std division)";
    public override string Source => "Liu et al. 2025, Dr.GRPO; verl grpo (no std), OpenRLHF dr_grpo";
    public override string ArxivId => "2503.20783";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward;

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1];
            double mean = AdvantageMath.GroupMean(r, s, e);
            for (int i = s; i < e; i++) a[i] = r[i] - mean;
        }
    }
}
