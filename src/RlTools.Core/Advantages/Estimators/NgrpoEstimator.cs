namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// NGRPO, negative-enhanced GRPO (Nan et al., arXiv 2509.18851; code nangongrui-ngr/NGRPO
/// <c>compute_ngrpo_outcome_advantage</c>).
/// <para>Each group's statistics include M virtual samples with the maximum reward r_max:
/// R' = {r_1..r_G} ∪ {r_max × M}; μ' = mean(R'), σ' = unbiased std(R') (divide by G+M−1);
/// A_i = (r_i − μ')/(σ' + ε) for the G real samples. All-wrong groups therefore get a negative
/// signal (−1/3 each for G = 8, M = 1); all-correct groups get 0. A group of one falls back to
/// μ = 0, σ = 1 as in GRPO. Pair with the asymmetric clip 0.16/0.24 in the loss.</para>
/// </summary>
public sealed class NgrpoEstimator : AdvantageEstimatorBase
{
    public override string Name => "NGRPO";
    public override string Summary => "GRPO statistics over the group plus M virtual maximum-reward samples";
    public override string Source => "Nan et al. 2025, NGRPO (Ant Group)";
    public override string ArxivId => "2509.18851";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward;

    [AdvantageParameter("Reward of the virtual sample r_max (paper: 1.0 for binary rewards).")]
    public double MaxReward { get; set; } = 1.0;

    [AdvantageParameter("Number M of virtual r_max samples (add_max_reward_num, 1).")]
    public int VirtualCount { get; set; } = 1;

    [AdvantageParameter("ε added to the std (1e-6).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("Bessel-corrected std over the augmented set (code); false = population.")]
    public bool UnbiasedStd { get; set; } = true;

    protected override void Validate()
    {
        if (VirtualCount < 0) throw new ArgumentException("NGRPO VirtualCount must be 0 or more.");
    }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        int m = VirtualCount; double rmax = MaxReward;
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1], n = e - s;
            double mean = 0, std = 1;
            if (n > 1)
            {
                double sum = m * rmax;
                for (int i = s; i < e; i++) sum += r[i];
                int total = n + m;
                mean = sum / total;
                double ss = m * (rmax - mean) * (rmax - mean);
                for (int i = s; i < e; i++) { double d = r[i] - mean; ss += d * d; }
                std = Math.Sqrt(ss / (UnbiasedStd ? total - 1 : total));
            }
            double inv = 1.0 / (std + Epsilon);
            for (int i = s; i < e; i++) a[i] = (r[i] - mean) * inv;
        }
    }
}
