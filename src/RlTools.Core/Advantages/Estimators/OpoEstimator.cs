namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// OPO, on-policy RL with the optimal reward baseline (Hao et al., "On-Policy RL with Optimal
/// Reward Baseline", arXiv 2505.23585; verl <c>opo</c>).
/// <para>b_g = Σ_j L_j r_j / Σ_j L_j (length-weighted group mean), A_i = r_i − b_g. A group of one
/// has b = 0. When every completion of a group is empty (Σ L = 0, where verl divides by zero) the
/// plain group mean is used. L_j is the number of trained tokens, Σ loss_mask (verl: response_mask.sum(-1)),
/// so tool outputs and injected hints do not count.</para>
/// </summary>
public sealed class OpoEstimator : AdvantageEstimatorBase
{
    public override string Name => "OPO";
    public override string Summary => "r − length-weighted group mean";
    public override string Source => "Hao et al. 2025, OPO; verl opo";
    public override string ArxivId => "2505.23585";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Lengths;

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart; var len = b.TrainedLengths!;
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1];
            double baseline = 0;
            if (e - s > 1)
            {
                double num = 0, den = 0;
                for (int i = s; i < e; i++) { num += len[i] * r[i]; den += len[i]; }
                baseline = den > 0 ? num / den : AdvantageMath.Mean(r, s, e);
            }
            for (int i = s; i < e; i++) a[i] = r[i] - baseline;
        }
    }
}
