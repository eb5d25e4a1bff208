namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// REINFORCE++-baseline (Hu, arXiv 2501.03262; verl <c>reinforce_plus_plus_baseline</c>, OpenRLHF
/// <c>reinforce_baseline</c>).
/// <para>A_i = r_i − μ_g (a group of one has μ = 0), broadcast to every completion token, then
/// whitened over all valid tokens of the batch: (A − mean)/√(var + 1e-8), var Bessel-corrected
/// (verl) or population (OpenRLHF, <c>UnbiasedVariance=false</c>). Each token of a rollout carries
/// the same value, which is also its <c>advantage</c>. <c>loss_mask</c> zeros are out of the whitening
/// statistics (each rollout weighs by Σ loss_mask, verl's masked_whiten) and get token advantage 0.</para>
/// </summary>
public sealed class ReinforcePlusPlusBaselineEstimator : AdvantageEstimatorBase
{
    public override string Name => "ReinforcePlusPlusBaseline";
    public override string Summary => "r − group mean broadcast to tokens, then batch token whitening";
    public override string Source => "Hu 2025, REINFORCE++-baseline; verl reinforce_plus_plus_baseline, OpenRLHF reinforce_baseline";
    public override string ArxivId => "2501.03262";
    public override AdvantageLevel Level => AdvantageLevel.Token;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Lengths;

    [AdvantageParameter("ε inside the whitening √(var + ε) (verl 1e-8).")]
    public double WhitenEpsilon { get; set; } = 1e-8;

    [AdvantageParameter("Bessel-corrected token variance (verl); false = population (OpenRLHF).")]
    public bool UnbiasedVariance { get; set; } = true;

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1];
            double mean = AdvantageMath.GroupMean(r, s, e);
            for (int i = s; i < e; i++) a[i] = r[i] - mean;
        }
        AdvantageMath.WhitenSequenceConstants(a, b.TrainedLengths!, WhitenEpsilon, UnbiasedVariance);
        for (int i = 0; i < b.Count; i++) b.TokenAdvantages![i] = AdvantageMath.Broadcast(a[i], b.Lengths![i], b.Masks![i]);
    }
}
