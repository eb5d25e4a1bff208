using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// ADHint, adaptive hints with difficulty priors (Zhang et al., "ADHint: Adaptive Hints with Difficulty
/// Priors for Reinforcement Learning", arXiv 2512.13095). Only the abstract is public (no code), so every
/// formula below is ours; the ASSUMPTIONS are numbered here and repeated in <see cref="Assumptions"/>.
/// <para>Input: a group per prompt mixing unhinted rollouts and hinted ones (<c>is_hint</c>; the hint tokens
/// are the leading <c>loss_mask</c>-0 tokens, teacher-forced <c>logprobs</c>), as
/// <c>Invoke-RlRollout -Hint -HintSchedule Difficulty</c> emits them.</para>
/// <list type="number">
/// <item>Difficulty prior → hint ratio (rollout stage): ratio = r_max·(1 − p_u), p_u the unhinted pass rate
/// (<see cref="ScheduledHintRatio"/>; H1).</item>
/// <item>Advantage with the rollout-difficulty posterior: A_i = (r_i − μ)/(σ + ε) over the whole group (GRPO,
/// unbiased σ), then every hinted rollout's A is multiplied by w_h = clamp(d_h / d_u, 0, 1), with
/// d_u = 1 − p_u and d_h = 1 − p_h the posterior difficulties (pass rate = fraction of rewards &gt;
/// <c>CorrectScore</c>) of the unhinted and hinted rollouts; w_h = 1 when the group has no unhinted rollout or
/// d_u = 0 (H2). A hint that makes the problem easy weighs its rollouts down; one that does not help keeps them.</item>
/// <item>Selective masking for hint preservation: hint tokens never get a negative advantage — pushing a
/// reference solution down is the destructive update the paper avoids (H3).</item>
/// <item>Consistency-based gradient modulation (<c>HintTokens=modulate</c>): a hint token j of a rollout with
/// w_h·A &gt; 0 gets w_h·A·c_j, c_j = exp(logprob_j)^γ the policy's agreement with the hint (H4), and its
/// <c>loss_mask</c> is set to 1 so the update trains it; <c>metadata.hint_tokens</c> records how many leading
/// tokens were hint tokens so a later run finds them again. <c>HintTokens=mask</c> (default) leaves hint
/// tokens at 0 with loss_mask 0.</item>
/// </list>
/// <para>Generated tokens carry the rollout's (weighted) advantage; interior loss_mask zeros after the hint
/// stay 0. <c>advantage</c> is the weighted sequence advantage.</para>
/// </summary>
public sealed class AdHintEstimator : AdvantageEstimatorBase
{
    /// <summary>Metadata key holding the number of leading hint tokens (written by <c>HintTokens=modulate</c>).</summary>
    public const string HintTokensKey = "hint_tokens";

    public override string Name => "ADHint";
    public override string Summary => "GRPO over hinted + unhinted rollouts; hinted advantages weighted by the posterior difficulty ratio; hint tokens masked or consistency-modulated";
    public override string Source => "Zhang et al. 2025, ADHint (abstract only; formulas ours)";
    public override string ArxivId => "2512.13095";
    public override AdvantageLevel Level => AdvantageLevel.Token;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Hint;
    public override string? Assumptions =>
        "No formulas are published. H1 hint ratio = MaxHintRatio * (1 - unhinted pass rate) (the rollout's -HintSchedule Difficulty). " +
        "H2 hinted advantages *= clamp((1 - p_hinted) / (1 - p_unhinted), 0, 1) after GRPO over the whole group (1 without unhinted rollouts or when p_unhinted = 1). " +
        "H3 hint tokens never get a negative advantage. H4 HintTokens=modulate: a hint token gets A * exp(logprob)^Gamma when A > 0 and is trained (loss_mask set to 1).";

    [AdvantageParameter("A reward above this counts as a pass in the pass rates (0.5).")]
    public double CorrectScore { get; set; } = 0.5;

    [AdvantageParameter("'mask' (hint tokens get 0, default) or 'modulate' (trained with the consistency-weighted advantage when it is positive).", Allowed = new[] { "mask", "modulate" })]
    public string HintTokens { get; set; } = "mask";

    [AdvantageParameter("γ of the consistency weight exp(logprob)^γ on hint tokens (ASSUMED 1).")]
    public double Gamma { get; set; } = 1.0;

    [AdvantageParameter("Largest hint ratio of the difficulty schedule (for ScheduledHintRatio; ASSUMED 1).")]
    public double MaxHintRatio { get; set; } = 1.0;

    [AdvantageParameter("ε added to the group std (1e-6).")]
    public double Epsilon { get; set; } = 1e-6;

    protected override void Validate()
    {
        if (Gamma < 0) throw new ArgumentException("ADHint Gamma must be ≥ 0.");
        if (MaxHintRatio < 0 || MaxHintRatio > 1) throw new ArgumentException("ADHint MaxHintRatio is a fraction in [0, 1].");
    }

    /// <summary>H1: the hint ratio for a prompt whose unhinted pass rate is <paramref name="passRate"/>.</summary>
    public static double ScheduledHintRatio(double passRate, double maxRatio) => maxRatio * (1 - Math.Clamp(passRate, 0, 1));

    /// <summary>H2: the posterior weight of the hinted rollouts.</summary>
    public static double HintedWeight(double? unhintedPassRate, double hintedPassRate)
    {
        if (unhintedPassRate is not { } pu || pu >= 1) return 1;
        return Math.Clamp((1 - hintedPassRate) / (1 - pu), 0, 1);
    }

    /// <summary>The number of leading hint tokens: <c>metadata.hint_tokens</c> when recorded, else the leading loss_mask-0 run.</summary>
    public static int HintLength(Rollout r)
    {
        if (!r.IsHint) return 0;
        int len = AdvantageMath.TokenCount(r);
        if (r.Metadata.TryGetValue(HintTokensKey, out var v) && AdvantageMath.TryGetNumber(v, out double n)) return (int)Math.Clamp(n, 0, len);
        int k = 0;
        while (r.LossMask is { } m && k < m.Length && m[k] == 0) k++;
        return k;
    }

    protected override (string ErrorId, string Message)? CheckRollout(Rollout r)
    {
        if (StepInputs.CheckLossMask(r) is { } m) return m;
        if (r.IsHint && HintTokens == "modulate" && HintLength(r) > 0 && (r.Logprobs is null || r.Logprobs.Length != AdvantageMath.TokenCount(r)))
            return ("MissingInput", "HintTokens=modulate needs the hint tokens' 'logprobs' (teacher-forced by Invoke-RlRollout -Hint).");
        return null;
    }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var tok = b.TokenAdvantages!;
        for (int g = 0; g < b.GroupCount; g++)
        {
            int s = b.GroupStart[g], e = b.GroupStart[g + 1];
            AdvantageMath.GroupMeanStd(r, s, e, true, out double mean, out double std);
            int nu = 0, pu = 0, nh = 0, ph = 0;
            for (int i = s; i < e; i++)
            {
                bool pass = r[i] > CorrectScore;
                if (b.Rollouts[i].IsHint) { nh++; if (pass) ph++; } else { nu++; if (pass) pu++; }
            }
            double w = nh == 0 ? 1 : HintedWeight(nu == 0 ? null : (double)pu / nu, (double)ph / nh);
            for (int i = s; i < e; i++)
            {
                var ro = b.Rollouts[i];
                double adv = (r[i] - mean) / (std + Epsilon) * (ro.IsHint ? w : 1);
                a[i] = adv;
                int len = b.Lengths![i];
                int hint = HintLength(ro);
                var t = new float[len];
                for (int j = hint; j < len; j++) t[j] = ro.LossMask is null || ro.LossMask[j] != 0 ? (float)adv : 0f;
                if (hint > 0 && HintTokens == "modulate")
                {
                    ro.Metadata[HintTokensKey] = (long)hint;
                    ro.LossMask ??= AdvantageMath.Broadcast(1, len);
                    if (adv > 0)
                    {
                        for (int j = 0; j < hint; j++)
                        {
                            t[j] = (float)(adv * Math.Pow(Math.Exp(ro.Logprobs![j]), Gamma));
                            ro.LossMask[j] = 1;
                        }
                    }
                    else for (int j = 0; j < hint; j++) ro.LossMask[j] = 0;
                }
                tok[i] = t;
            }
        }
    }
}
