namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// GPG, group policy gradient (Chu et al., "GPG: A Simple and Strong Reinforcement Learning Baseline
/// for Model Reasoning", arXiv 2504.02546; verl <c>gpg</c>).
/// <para>α = B / max(1, number of non-zero rewards in the batch), B = rollouts in the batch;
/// A_i = α·(r_i − μ_g) (a group of one has μ = 0; the std is not used, f = 1).</para>
/// </summary>
public sealed class GpgEstimator : AdvantageEstimatorBase
{
    public override string Name => "GPG";
    public override string Summary => "α·(r − group mean), α = batch size / number of non-zero rewards";
    public override string Source => "Chu et al. 2025, GPG; verl gpg";
    public override string ArxivId => "2504.02546";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward;

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        int nonZero = 0;
        for (int i = 0; i < r.Length; i++) if (r[i] != 0) nonZero++;
        double alpha = (double)r.Length / Math.Max(1, nonZero);
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1];
            double mean = AdvantageMath.GroupMean(r, s, e);
            for (int i = s; i < e; i++) a[i] = alpha * (r[i] - mean);
        }
    }
}
