namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// RLOO leave-one-out baseline (Ahmadian et al., "Back to Basics: Revisiting REINFORCE Style
/// Optimization for Learning from Human Feedback in LLMs", arXiv 2402.14740; Kool et al. 2019;
/// verl <c>rloo</c>, TRL RLOOTrainer, OpenRLHF <c>rloo</c>).
/// <para>A_i = r_i − (Σ_{j≠i} r_j)/(G−1) = G/(G−1)·(r_i − μ_g).</para>
/// <para>A group of one keeps its reward (A = r, verl <c>rloo</c>); <c>SingletonZero=true</c> gives 0
/// instead (verl <c>rloo_vectorized</c>).</para>
/// </summary>
public sealed class RlooEstimator : AdvantageEstimatorBase
{
    public override string Name => "RLOO";
    public override string Summary => "r − mean of the other G−1 rewards; a group of one keeps r";
    public override string Source => "Ahmadian et al. 2024 (RLOO); verl rloo, TRL RLOOTrainer, OpenRLHF rloo";
    public override string ArxivId => "2402.14740";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward;

    [AdvantageParameter("A group of one gets 0 instead of its reward (verl rloo_vectorized).")]
    public bool SingletonZero { get; set; }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        bool zero = SingletonZero;
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1], n = e - s;
            if (n == 1) { a[s] = zero ? 0 : r[s]; continue; }
            double mean = AdvantageMath.Sum(r, s, e) / n;
            AdvantageMath.CenterScale(r, a, s, e, mean, (double)n / (n - 1));
        }
    }
}
