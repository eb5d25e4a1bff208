namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// GRPO group-normalised advantage (Shao et al., DeepSeekMath, arXiv 2402.03300; verl <c>grpo</c>,
/// TRL <c>scale_rewards</c>, OpenRLHF <c>group_norm</c>).
/// <para>A_i = (r_i − μ_g) / (σ_g + ε), μ_g the group mean, σ_g the unbiased (n−1) group std.</para>
/// <para>Options: <c>NormalizeByStd=false</c> gives r_i − μ_g (Dr.GRPO); <c>UnbiasedStd=false</c> the
/// population std; <c>StdScope=batch</c> divides by the std of all rewards of the batch while keeping
/// the group mean (TRL <c>scale_rewards="batch"</c>). A group of one has μ = 0, σ = 1 (verl), so A = r/(1+ε).</para>
/// </summary>
public sealed class GrpoEstimator : AdvantageEstimatorBase
{
    public override string Name => "GRPO";
    public override string Summary => "(r − group mean) / (group std + ε); options: no std, population std, batch std";
    public override string Source => "Shao et al. 2024, DeepSeekMath; verl grpo, TRL GRPOTrainer";
    public override string ArxivId => "2402.03300";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward;

    [AdvantageParameter("ε added to the std (verl 1e-6; TRL 1e-4; OpenRLHF 1e-9).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("Divide by the std; false gives r − μ (Dr.GRPO, verl norm_adv_by_std_in_grpo=False).")]
    public bool NormalizeByStd { get; set; } = true;

    [AdvantageParameter("Bessel-corrected (n−1) std as verl/TRL/OpenRLHF; false = population std (n).")]
    public bool UnbiasedStd { get; set; } = true;

    [AdvantageParameter("Which std divides: 'group' (default) or 'batch' (std of all rewards of the batch, TRL scale_rewards=\"batch\").", Allowed = new[] { "group", "batch" })]
    public string StdScope { get; set; } = "group";

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        double eps = Epsilon;
        bool norm = NormalizeByStd, unbiased = UnbiasedStd, batchStd = StdScope == "batch";
        double batchInv = 1;
        if (norm && batchStd)
        {
            double bm = AdvantageMath.Mean(r, 0, r.Length);
            double bs = r.Length == 1 ? 1 : AdvantageMath.Std(r, 0, r.Length, bm, unbiased);
            batchInv = 1.0 / (bs + eps);
        }
        for (int g = 0, groups = gs.Length - 1; g < groups; g++)
        {
            int s = gs[g], e = gs[g + 1], n = e - s;
            double mean = 0, inv = 1;
            if (n == 1)
            {
                if (norm) inv = batchStd ? batchInv : 1.0 / (1.0 + eps);
            }
            else
            {
                mean = AdvantageMath.Sum(r, s, e) / n;
                if (norm) inv = batchStd ? batchInv : 1.0 / (Math.Sqrt(AdvantageMath.SumSquaredDeviations(r, s, e, mean) / (unbiased ? n - 1 : n)) + eps);
            }
            AdvantageMath.CenterScale(r, a, s, e, mean, inv);
        }
    }
}
