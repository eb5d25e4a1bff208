using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// DGPO, difficulty-aware group policy optimisation (Dai et al., MathForge, ICLR 2026, arXiv
/// 2601.20614; code AMAP-ML/MathForge, TRL-0.20 <c>grpo_trainer.py</c>).
/// <para>DGAE (per group): Â_i = G·(r_i − μ)/(Σ_j |r_j − μ| + 1e-4), i.e. mean-absolute-deviation
/// normalisation, so Σ_i |Â_i| = G for every non-degenerate group.</para>
/// <para>DQW (over the batch): valid questions are groups whose reward std is not ≈ 0 (|σ| &gt; 1e-8);
/// acc_q = group mean of the accuracy reward (<c>AccuracyComponent</c>, or <c>reward</c>); an all-wrong
/// group (acc_q = 0) gets acc_q = 1 (lowest priority, as the code); λ_q = N_valid·softmax_q(−acc_q/T),
/// T = 2; invalid groups get λ = 1. A_i = Â_i·λ_q.</para>
/// <para>The code's token-balancing factors (zero_mask_ratio, global_balancing_ratio) are loss
/// aggregation, not advantage: use a token-mean loss over valid questions in Update-RlPolicy.
/// A group of one uses μ = 0 (the module-wide convention), so Â = r/(|r| + 1e-4).</para>
/// </summary>
public sealed class DgpoEstimator : AdvantageEstimatorBase
{
    public override string Name => "DGPO";
    public override string Summary => "G(r − μ)/(Σ|r − μ| + 1e-4) × N_valid·softmax(−acc/T), T = 2";
    public override string Source => "Dai et al. 2026, MathForge DGPO (DGAE + DQW)";
    public override string ArxivId => "2601.20614";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward;

    [AdvantageParameter("Softmax temperature T of the question weighting (dgpo_dqw_temp, 2.0).")]
    public double Temperature { get; set; } = 2.0;

    [AdvantageParameter("ε added to the sum of absolute deviations (1e-4).")]
    public double MadEpsilon { get; set; } = 1e-4;

    [AdvantageParameter("Apply difficulty-aware question weighting (enable_dgpo_dqw, true).")]
    public bool QuestionWeighting { get; set; } = true;

    [AdvantageParameter("Reward component (key of 'rewards') holding correctness for acc_q; empty = use 'reward'.")]
    public string AccuracyComponent { get; set; } = "";

    [AdvantageParameter("A group whose unbiased reward std is at most this is invalid (zero-std; torch.isclose atol 1e-8).")]
    public double ZeroStdTolerance { get; set; } = 1e-8;

    protected override void Validate()
    {
        if (Temperature <= 0) throw new ArgumentException("DGPO Temperature must be positive.");
    }

    protected override (string ErrorId, string Message)? CheckRollout(Rollout r)
    {
        if (AccuracyComponent.Length == 0) return null;
        if (r.Rewards is null || !r.Rewards.TryGetValue(AccuracyComponent, out var v) || v is null)
            return ("MissingInput", $"DGPO reads accuracy from rewards['{AccuracyComponent}'] and the rollout has no such component.");
        if (!double.IsFinite(v.Value)) return ("NonFiniteReward", $"rewards['{AccuracyComponent}'] is {v.Value}; it must be finite.");
        return null;
    }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        int groups = gs.Length - 1;
        var acc = new double[groups];
        var scale = new double[groups];
        var mean0 = new double[groups];
        var valid = new bool[groups];
        int nValid = 0;
        for (int g = 0; g < groups; g++)
        {
            int s = gs[g], e = gs[g + 1], n = e - s;
            double sampleMean = AdvantageMath.Sum(r, s, e) / n;
            double mean = n == 1 ? 0 : sampleMean;
            mean0[g] = mean;
            scale[g] = n / (AdvantageMath.SumAbsoluteDeviations(r, s, e, mean) + MadEpsilon);
            double std = n == 1 ? 1 : Math.Sqrt(AdvantageMath.SumSquaredDeviations(r, s, e, sampleMean) / (n - 1));
            valid[g] = std > ZeroStdTolerance;
            if (valid[g]) nValid++;
            if (AccuracyComponent.Length == 0) acc[g] = sampleMean;
            else
            {
                double sum = 0;
                for (int i = s; i < e; i++) sum += b.Rollouts[i].Rewards![AccuracyComponent]!.Value;
                acc[g] = sum / n;
            }
            if (acc[g] == 0) acc[g] = 1;
        }
        if (QuestionWeighting && nValid > 0)
        {
            // λ_q = N_valid · softmax(−acc/T) over valid groups (max-shifted); invalid groups keep λ = 1
            double maxLogit = double.NegativeInfinity;
            for (int g = 0; g < groups; g++) if (valid[g]) maxLogit = Math.Max(maxLogit, -acc[g] / Temperature);
            var w = new double[groups];
            double z = 0;
            for (int g = 0; g < groups; g++) if (valid[g]) { w[g] = Math.Exp(-acc[g] / Temperature - maxLogit); z += w[g]; }
            for (int g = 0; g < groups; g++) if (valid[g]) scale[g] *= nValid * w[g] / z;
        }
        for (int g = 0; g < groups; g++) AdvantageMath.CenterScale(r, a, gs[g], gs[g + 1], mean0[g], scale[g]);
    }
}
