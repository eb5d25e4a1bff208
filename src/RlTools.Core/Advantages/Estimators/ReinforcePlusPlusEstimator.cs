namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// REINFORCE++ (Hu, "REINFORCE++: A Simple and Efficient Approach for Aligning Large Language
/// Models", arXiv 2501.03262; verl <c>reinforce_plus_plus</c>, OpenRLHF <c>reinforce</c>).
/// <para>The reward sits on the last trained completion token; discounted returns G_t = R_t + γ·G_{t+1}
/// (so G_t = γ^{L−1−t}·r); then batch whitening over every trained token: A = (G − mean)/√(var + 1e-8),
/// var Bessel-corrected as verl (<c>UnbiasedVariance=false</c>: population, as OpenRLHF).</para>
/// <para><c>loss_mask</c> zeros (tool outputs, injected hints) are left out as verl leaves out
/// <c>response_mask</c> zeros: a mask-0 step neither adds a reward nor discounts (the return is carried
/// over it, G_t = m_t·(R_t + γ·G'_{t+1}) + (1 − m_t)·G'_{t+1} for the running return G'), it is out of
/// the whitening statistics, and its token advantage is 0.</para>
/// <para>With KL in the reward (Measure-RlAdvantage -KLInReward) every trained token's reward loses β·KL_t, so each
/// return accumulates the future penalties, as verl's <c>use_kl_in_reward</c>.</para>
/// <para>Sets <c>token_advantages</c>; <c>advantage</c> is the mean of the rollout's trained token
/// advantages (0 for an empty completion, which has no tokens to train).</para>
/// </summary>
public sealed class ReinforcePlusPlusEstimator : AdvantageEstimatorBase
{
    public override string Name => "ReinforcePlusPlus";
    public override string Summary => "discounted token returns, whitened over all valid tokens of the batch";
    public override string Source => "Hu 2025, REINFORCE++; verl reinforce_plus_plus, OpenRLHF reinforce";
    public override string ArxivId => "2501.03262";
    public override AdvantageLevel Level => AdvantageLevel.Token;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Lengths;

    [AdvantageParameter("Discount γ of the token returns (verl/OpenRLHF 1.0).")]
    public double Gamma { get; set; } = 1.0;

    [AdvantageParameter("ε inside the whitening √(var + ε) (verl 1e-8).")]
    public double WhitenEpsilon { get; set; } = 1e-8;

    [AdvantageParameter("Bessel-corrected token variance (verl); false = population (OpenRLHF).")]
    public bool UnbiasedVariance { get; set; } = true;

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var len = b.Lengths!; var tok = b.TokenAdvantages!; var masks = b.Masks!;
        double gamma = Gamma;
        for (int i = 0; i < b.Count; i++)
        {
            var t = new float[len[i]];
            var m = masks[i];
            int last = AdvantageMath.LastTrained(t.Length, m);
            double running = 0;
            for (int j = t.Length - 1; j >= 0; j--)
            {
                double g = b.TokenReward(i, j, last) + gamma * running;
                t[j] = (float)g;
                double w = AdvantageMath.Weight(m, j);
                running = g * w + (1 - w) * running;
            }
            tok[i] = t;
        }
        AdvantageMath.WhitenTokens(tok, masks, WhitenEpsilon, UnbiasedVariance);
        for (int i = 0; i < b.Count; i++) b.Advantages[i] = AdvantageMath.MeanOf(tok[i], masks[i]);
    }
}
