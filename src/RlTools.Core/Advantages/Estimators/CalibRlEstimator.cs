using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// CalibRL, expert-calibrated hybrid-policy RLVR (Huang et al., "Controllable Exploration in
/// Hybrid-Policy RLVR for Multi-Modal Reasoning", ICLR 2026, arXiv 2602.20197; code zhh6425/CalibRL
/// <c>compute_mix_grpo_outcome_advantage</c>, <c>compute_mix_policy_loss</c>).
/// <para>Each group holds on-policy samples plus one expert (<c>is_expert</c>) rollout whose <c>logprobs</c>
/// are the old-policy log-probs of the expert response. A_i = r_i − μ_q with μ_q over the on-policy
/// samples only (Dr.GRPO, no std; one on-policy sample: μ = 0). pass_i = r_i &gt; 0.1.</para>
/// <para>The paper's guided loss is LeakyReLU_{0.5}(g_{i,t})·|A_i| with g = −(2·pass_i − 1)·(ℓ_{i,t} − ℓ^exp_t),
/// added with coefficient 0.1. Its gradient at the sampling policy (ratio 1) equals a policy-gradient
/// term with per-token advantage A_i + 0.1·(2·pass_i − 1)·|A_i|·s_{i,t}, s = 1 when g &gt; 0 else 0.5;
/// that is what <c>token_advantages</c> hold (ASSUMPTION: this first-order folding of the loss into
/// token advantages is ours; for the exact loss use the CalibRL loss in Update-RlPolicy). <c>advantage</c>
/// is A_i. Expert rollouts get A_i broadcast (the policy loss must exclude <c>is_expert</c> rows).
/// <c>loss_mask</c> zeros get token advantage 0; the expert's mean log-prob is over its trained tokens.</para>
/// <para>⚠ Released code aligns the expert log-probs by position t and reads padding beyond the expert's
/// length. Default (intent; ASSUMPTION on what the intent is): positions beyond the expert's length
/// compare against the expert's mean token log-prob. <c>ReleasedCode=true</c>: they compare against 0 (padding).</para>
/// </summary>
public sealed class CalibRlEstimator : AdvantageEstimatorBase
{
    public override string Name => "CalibRL";
    public override string Summary => "Dr.GRPO on on-policy samples + LeakyReLU(0.5) expert-calibrated term × |A| (coef 0.1)";
    public override string Source => "Huang et al. 2026, CalibRL (ICLR 2026)";
    public override string ArxivId => "2602.20197";
    public override AdvantageLevel Level => AdvantageLevel.Token;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Logprobs | AdvantageInputs.Expert;
    public override string? Assumptions => "The guided loss is folded into token advantages by its gradient at ratio 1; positions beyond the expert's length compare against the expert's mean log-prob (ReleasedCode: against 0).";

    [AdvantageParameter("Coefficient of the guided term (hard-coded 0.1 in the code).")]
    public double Coefficient { get; set; } = 0.1;

    [AdvantageParameter("LeakyReLU negative slope (hard-coded 0.5).")]
    public double Slope { get; set; } = 0.5;

    [AdvantageParameter("A reward above this counts as pass (0.1: accuracy + 0.1·format).")]
    public double PassThreshold { get; set; } = 0.1;

    [AdvantageParameter("Reproduce the released code's index alignment: positions beyond the expert compare against 0.")]
    public bool ReleasedCode { get; set; }

    protected override void CheckGroups(IReadOnlyList<Rollout> batch, int[] gid, List<int> counts, Action<int, string, string> reject)
    {
        var hasExpert = new bool[counts.Count];
        for (int i = 0; i < batch.Count; i++) if (batch[i].IsExpert) hasExpert[gid[i]] = true;
        var reported = new bool[counts.Count];
        for (int i = 0; i < batch.Count; i++)
            if (!hasExpert[gid[i]] && !reported[gid[i]])
            {
                reported[gid[i]] = true;
                reject(i, "MissingInput", "CalibRL needs one expert rollout (is_expert = true, with logprobs) per prompt; this prompt has none.");
            }
    }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart; var tok = b.TokenAdvantages!;
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1], n = 0, expert = -1;
            double sum = 0;
            for (int i = s; i < e; i++)
            {
                if (b.Rollouts[i].IsExpert) { if (expert < 0) expert = i; continue; }
                n++; sum += r[i];
            }
            double mean = n > 1 ? sum / n : 0;
            var lexp = b.Rollouts[expert].Logprobs!;
            double pad = 0;
            if (!ReleasedCode && lexp.Length > 0) pad = AdvantageMath.MeanOf(lexp, b.Masks![expert]);
            for (int i = s; i < e; i++)
            {
                double adv = r[i] - mean;
                a[i] = adv;
                var lp = b.Rollouts[i].Logprobs!;
                var t = new float[lp.Length];
                var m = b.Masks![i];
                if (b.Rollouts[i].IsExpert) { tok[i] = AdvantageMath.Broadcast(adv, lp.Length, m); continue; }
                double sign = r[i] > PassThreshold ? 1 : -1, mag = Math.Abs(adv);
                for (int j = 0; j < lp.Length; j++)
                {
                    if (m is not null && m[j] == 0) continue;
                    double refLp = j < lexp.Length ? lexp[j] : pad;
                    double gval = -sign * (lp[j] - refLp);
                    double slope = gval > 0 ? 1 : Slope;
                    t[j] = (float)(adv + Coefficient * sign * mag * slope);
                }
                tok[i] = t;
            }
        }
    }
}
