namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// GAE, generalised advantage estimation (Schulman et al., "High-Dimensional Continuous Control
/// Using Generalized Advantage Estimation", arXiv 1506.02438; verl <c>gae</c>, OpenRLHF <c>gae</c>).
/// <para>Token rewards: the scalar reward on the last completion token, 0 elsewhere; V beyond the
/// last token is 0. Backwards: δ_t = R_t + γ·V_{t+1} − V_t, A_t = δ_t + γλ·A_{t+1}. Then (when
/// <c>Whiten</c>) batch whitening over every valid token, (A − mean)/√(var + 1e-8), Bessel var (verl).
/// Needs per-token <c>values</c> from a critic. <c>advantage</c> is the mean trained-token advantage.</para>
/// <para>With KL in the reward (Measure-RlAdvantage -KLInReward) R_t also carries −β·KL_t on every trained token (verl).</para>
/// <para><c>loss_mask</c> zeros are skipped as verl skips observation tokens: at a mask-0 step the
/// TD error is dropped and both V_{t+1} and A_{t+1} are carried over (verl: nextvalues = m·V_t + (1 − m)·nextvalues,
/// likewise lastgaelam); the reward sits on the last trained token; mask-0 tokens are out of the
/// whitening statistics and get advantage 0 (verl leaves them whitened; the loss masks them either way).</para>
/// </summary>
public sealed class GaeEstimator : AdvantageEstimatorBase
{
    public override string Name => "GAE";
    public override string Summary => "TD(λ) advantages from per-token values, then batch whitening";
    public override string Source => "Schulman et al. 2015, GAE; verl gae, OpenRLHF gae";
    public override string ArxivId => "1506.02438";
    public override AdvantageLevel Level => AdvantageLevel.Token;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Values;

    [AdvantageParameter("Discount γ (verl 1.0).")]
    public double Gamma { get; set; } = 1.0;

    [AdvantageParameter("GAE λ (verl 1.0; TRL PPO 0.95).")]
    public double Lambda { get; set; } = 1.0;

    [AdvantageParameter("Whiten the advantages over the batch's valid tokens (verl does).")]
    public bool Whiten { get; set; } = true;

    [AdvantageParameter("ε inside the whitening √(var + ε) (verl 1e-8).")]
    public double WhitenEpsilon { get; set; } = 1e-8;

    [AdvantageParameter("Bessel-corrected token variance (verl); false = population (OpenRLHF).")]
    public bool UnbiasedVariance { get; set; } = true;

    protected override void Compute(AdvantageBatch b)
    {
        var tok = b.TokenAdvantages!; var masks = b.Masks!;
        double gamma = Gamma, gl = Gamma * Lambda;
        for (int i = 0; i < b.Count; i++)
        {
            var v = b.Rollouts[i].Values!;
            var m = masks[i];
            int L = v.Length, last = AdvantageMath.LastTrained(L, m);
            var t = new float[L];
            double nextV = 0, next = 0;
            for (int j = L - 1; j >= 0; j--)
            {
                double reward = b.TokenReward(i, j, last);
                double delta = reward + gamma * nextV - v[j];
                double w = AdvantageMath.Weight(m, j);
                next = (delta + gl * next) * w + (1 - w) * next;
                nextV = v[j] * w + (1 - w) * nextV;
                t[j] = m is not null && m[j] == 0 ? 0f : (float)next;
            }
            tok[i] = t;
        }
        if (Whiten) AdvantageMath.WhitenTokens(tok, masks, WhitenEpsilon, UnbiasedVariance);
        for (int i = 0; i < b.Count; i++) b.Advantages[i] = AdvantageMath.MeanOf(tok[i], masks[i]);
    }
}
