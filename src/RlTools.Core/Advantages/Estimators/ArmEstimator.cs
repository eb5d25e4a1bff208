using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// ARM, the advantage re-weighting mechanism of ProGRPO (Li, Goncharova, Kuznetsov, Oseledets,
/// "Back to Basics: Revisiting Exploration in RL for LLM Reasoning via Generative Probabilities",
/// arXiv 2602.05281).
/// <para>Ã_i = A_i for an all-wrong group (Σ r = 0), else Ã_i = A_i + α·(c(q) − c(o_i|q)), with
/// A_i = (r_i − μ)/(σ + δ) the GRPO advantage (unbiased σ, δ = 1e-6, group of one: μ = 0, σ = 1).</para>
/// <para>ASSUMPTIONS (the paper's exact confidence terms and α were not found; no code is public):
/// c(q) = exp(mean prompt-token log-prob) = 1/perplexity of the prompt (needs <c>prompt_logprobs</c>);
/// c(o|q) = exp(mean log-prob over the lowest-probability ⌈ρ·L⌉ completion tokens), ρ = 0.2
/// ("low-probability token length normalisation"), L and the tokens being the trained ones (<c>loss_mask</c> ≠ 0); α = 0.1. "All-wrong" is read as: no reward in
/// the group is above 0 (Σ r = 0 for binary rewards).</para>
/// </summary>
public sealed class ArmEstimator : AdvantageEstimatorBase
{
    public override string Name => "ARM";
    public override string Summary => "GRPO + α(c(q) − c(o|q)) from prompt and low-probability answer confidence, except all-wrong groups";
    public override string Source => "Li et al. 2026, ProGRPO / ARM";
    public override string ArxivId => "2602.05281";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Logprobs | AdvantageInputs.PromptLogprobs;
    public override string? Assumptions => "Not found in the paper: c(q) = exp(mean prompt-token log-prob) (inverse prompt perplexity); c(o|q) = exp(mean log-prob of the lowest-probability ceil(LowProbFraction*L) completion tokens); Alpha default 0.1; all-wrong = no reward above 0.";

    [AdvantageParameter("α scaling the confidence shift (ASSUMED 0.1; the paper's value was not found).")]
    public double Alpha { get; set; } = 0.1;

    [AdvantageParameter("Fraction ρ of lowest-probability completion tokens used for c(o|q) (~20% per the paper's summary).")]
    public double LowProbFraction { get; set; } = 0.2;

    [AdvantageParameter("δ added to the GRPO std (1e-6).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("Bessel-corrected (n−1) std; false = population.")]
    public bool UnbiasedStd { get; set; } = true;

    protected override void Validate()
    {
        if (LowProbFraction <= 0 || LowProbFraction > 1) throw new ArgumentException("ARM LowProbFraction must be in (0, 1].");
    }

    /// <summary>The rollout's prompt log-probs: <c>prompt_logprobs</c>, else <c>metadata.prompt_logprobs</c>.</summary>
    public static float[]? PromptLogprobsOf(Rollout r)
        => r.PromptLogprobs ?? (r.Metadata.TryGetValue("prompt_logprobs", out var v) ? AdvantageMath.TryGetNumbers(v) : null);

    protected override (string ErrorId, string Message)? CheckRollout(Rollout r)
    {
        var p = PromptLogprobsOf(r);
        if (p is null || p.Length == 0) return ("MissingInput", "ARM needs 'prompt_logprobs' (per-token log-probs of the prompt) for the prompt confidence c(q).");
        foreach (var x in p) if (!float.IsFinite(x)) return ("NonFiniteInput", "'prompt_logprobs' holds a non-finite value.");
        if (r.Logprobs!.Length == 0 || (r.LossMask is { } m && m.Length == r.Logprobs.Length && Array.TrueForAll(m, x => x == 0)))
            return ("MissingInput", "ARM needs at least one trained completion token (answer confidence c(o|q)).");
        return null;
    }

    /// <summary>c(q) = exp(mean of the prompt log-probs).</summary>
    public static double PromptConfidence(float[] promptLogprobs)
    {
        double s = 0;
        foreach (var x in promptLogprobs) s += x;
        return Math.Exp(s / promptLogprobs.Length);
    }

    /// <summary>c(o|q) = exp(mean of the ⌈ρ·L⌉ smallest completion log-probs).</summary>
    public static double AnswerConfidence(float[] logprobs, double fraction)
    {
        var sorted = (float[])logprobs.Clone();
        Array.Sort(sorted);
        int k = Math.Max(1, (int)Math.Ceiling(fraction * sorted.Length - 1e-9));
        double s = 0;
        for (int j = 0; j < k; j++) s += sorted[j];
        return Math.Exp(s / k);
    }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1];
            AdvantageMath.GroupMeanStd(r, s, e, UnbiasedStd, out double mean, out double std);
            bool allWrong = true;
            for (int i = s; i < e; i++) if (r[i] > 0) allWrong = false;
            for (int i = s; i < e; i++)
            {
                double x = (r[i] - mean) / (std + Epsilon);
                if (!allWrong)
                    x += Alpha * (PromptConfidence(PromptLogprobsOf(b.Rollouts[i])!) - AnswerConfidence(AdvantageMath.Trained(b.Rollouts[i].Logprobs!, b.Masks![i]), LowProbFraction));
                a[i] = x;
            }
        }
    }
}
