namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// A-GRAE, asymmetric group-relative advantage estimation (Yu et al., "Unveiling Implicit Advantage
/// Symmetry: Why GRPO Struggles with Exploration and Difficulty Adaptation", arXiv 2602.05548; code
/// Yu7-code/A-GRAE <c>compute_grpo_outcome_advantage</c>).
/// <list type="number">
/// <item>A_i = (r_i − μ_q)/(σ_q + ε) (GRPO, unbiased σ, ε = 1e-6).</item>
/// <item>μ_B = mean over the batch's groups of their mean reward (batch accuracy), clamped to [0, 1].</item>
/// <item>With p = μ_q clamped to [0, 1]: A_hard = 0.5·A/(√p + ε), A_easy = 0.5·A/(1 − √p + ε),
/// A' = (1 − μ_B)·A_easy + μ_B·A_hard.</item>
/// <item>If A' &gt; 0: A' ← A'·min(1, μ_B/α) (α = 1 for maths).</item>
/// </list>
/// <para>⚠ Released code: the A-GRAE branch runs only when an interpolated <c>grpo_weight</c> equals 2.0
/// exactly, which never happens, so the released scripts train plain GRPO. The paper's steps are the
/// default; <c>ReleasedCode=true</c> reproduces the code (plain GRPO). Assumption: a group of one keeps its
/// GRPO value (μ = 0, σ = 1) in step 1 and skips step 3 (p is undefined for it); its reward still counts in μ_B.</para>
/// </summary>
public sealed class AgraeEstimator : AdvantageEstimatorBase
{
    public override string Name => "AGRAE";
    public override string Summary => "GRPO with a difficulty curriculum by batch accuracy and damped positive advantages";
    public override string Source => "Yu et al. 2026, A-GRAE";
    public override string ArxivId => "2602.05548";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward;
    public override string? Assumptions => "A group of one keeps its GRPO value (mu = 0, sigma = 1) and skips the difficulty mix (p undefined); its reward counts in the batch accuracy. p and mu_B are clamped to [0, 1] (the paper assumes binary rewards).";

    [AdvantageParameter("α of the positive-advantage damping min(1, μ_B/α): 1 for maths, 0.5 for Geo3K/medical (code comment).")]
    public double Alpha { get; set; } = 1.0;

    [AdvantageParameter("ε of the GRPO std and of the √p denominators (1e-6).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("Divide by the std in step 1 (norm_adv_by_std_in_grpo, true).")]
    public bool NormalizeByStd { get; set; } = true;

    [AdvantageParameter("Bessel-corrected (n−1) std; false = population.")]
    public bool UnbiasedStd { get; set; } = true;

    [AdvantageParameter("Reproduce the released code, whose A-GRAE branch never fires: plain GRPO.")]
    public bool ReleasedCode { get; set; }

    protected override void Validate()
    {
        if (Alpha <= 0) throw new ArgumentException("AGRAE Alpha must be positive.");
    }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        int groups = gs.Length - 1;
        var p = new double[groups];
        double muB = 0;
        for (int g = 0; g < groups; g++)
        {
            int s = gs[g], e = gs[g + 1];
            AdvantageMath.GroupMeanStd(r, s, e, UnbiasedStd, out double mean, out double std);
            double inv = NormalizeByStd ? 1.0 / (std + Epsilon) : 1.0;
            for (int i = s; i < e; i++) a[i] = (r[i] - mean) * inv;
            p[g] = AdvantageMath.Mean(r, s, e);
            muB += p[g];
        }
        if (ReleasedCode) return;
        muB = Math.Clamp(muB / groups, 0, 1);
        double damp = Math.Min(1, muB / Alpha);
        for (int g = 0; g < groups; g++)
        {
            int s = gs[g], e = gs[g + 1];
            double sp = Math.Sqrt(Math.Clamp(p[g], 0, 1));
            bool mix = e - s > 1;
            for (int i = s; i < e; i++)
            {
                double x = a[i];
                if (mix)
                {
                    double hard = 0.5 * x / (sp + Epsilon), easy = 0.5 * x / (1 - sp + Epsilon);
                    x = (1 - muB) * easy + muB * hard;
                }
                if (x > 0) x *= damp;
                a[i] = x;
            }
        }
    }
}
