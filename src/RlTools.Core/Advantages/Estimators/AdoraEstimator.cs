using System.Text.Json;
using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// ADORA, advantage dynamics via online rollout adaptation (Ren, Huang, …, arXiv 2602.10019; code
/// ShadeCloak/ADORA <c>compute_grpo_outcome_advantage_ADORA</c> and ADORA_VL <c>weight_func</c>).
/// <para>1. GRPO advantages (r − μ)/(σ + ε), unbiased σ, ε = 1e-6 (VLM code: 1e-9).
/// 2. Per group: positives = reward &gt; <c>CorrectScore</c>; negatives = reward ≤ <c>CorrectScore</c> and not
/// truncated (length &lt; <c>MaxLength</c> when set, else <c>finish_reason</c> ≠ length). The group has
/// "length advantage" (TAS) iff max(length of positives) &gt; mean(length of negatives), with −∞ for an
/// empty set (no positives ⇒ TDS for <c>Variant=llm</c>; <c>Variant=vlm</c> gives weight 1 when there are no
/// positives). 3. TDS groups are multiplied by λ = 0.1. Lengths in the comparison count trained tokens
/// (Σ loss_mask, rounded); truncation reads the full completion length.</para>
/// <para>State (this object; save with <c>ToJson</c>/<c>Export-Clixml</c>): per prompt, the largest positive
/// length, the sum and count of negative lengths, how often it was seen and how often it was TDS, and the
/// step count. <c>Criterion=batch</c> (default, = the released code) classifies from the current batch only;
/// <c>Criterion=history</c> classifies from the accumulated per-prompt lengths including this batch.
/// ASSUMPTION: the paper's "Difficulty Advantage" criterion and the amplification factor used for LLMs
/// were not found; the history criterion is our reading of "online" adaptation, not the paper's formula.</para>
/// </summary>
public sealed class AdoraEstimator : AdvantageEstimatorBase
{
    public override string Name => "ADORA";
    public override string Summary => "GRPO; groups without length advantage (TDS) scaled by λ = 0.1; stateful per-prompt history";
    public override string Source => "Ren, Huang et al. 2026, ADORA (Gui & Ren blog 2025)";
    public override string ArxivId => "2602.10019";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Lengths | AdvantageInputs.FinishReason;
    public override bool IsStateful => true;
    public override string? Assumptions => "Not found: the paper's Difficulty Advantage criterion and the LLM amplification factor. Criterion=history (accumulated per-prompt lengths) is our reading of online adaptation; the default Criterion=batch is the released code.";

    [AdvantageParameter("λ multiplying the advantages of TDS groups (lamda / adora_lamda, 0.1).")]
    public double Lambda { get; set; } = 0.1;

    [AdvantageParameter("A reward above this is a positive (correct) sample (VLM code 0.5; LLM K&K scale 1.01).")]
    public double CorrectScore { get; set; } = 0.5;

    [AdvantageParameter("Truncation threshold: negatives must be shorter than this (code 3900/4094); 0 = use finish_reason 'length'.")]
    public int MaxLength { get; set; }

    [AdvantageParameter("'llm' (no positives ⇒ TDS) or 'vlm' (no positives ⇒ weight 1).", Allowed = new[] { "llm", "vlm" })]
    public string Variant { get; set; } = "llm";

    [AdvantageParameter("'batch' (released code: this batch only) or 'history' (accumulated per-prompt lengths; assumption).", Allowed = new[] { "batch", "history" })]
    public string Criterion { get; set; } = "batch";

    [AdvantageParameter("ε added to the group std (1e-6; VLM code 1e-9).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("Bessel-corrected (n−1) std; false = population.")]
    public bool UnbiasedStd { get; set; } = true;

    /// <summary>Per-prompt history kept across batches.</summary>
    public sealed class PromptHistory
    {
        public int Seen { get; set; }
        public int Disadvantaged { get; set; }
        public int MaxPositiveLength { get; set; } = -1;
        public long NegativeLengthSum { get; set; }
        public int NegativeCount { get; set; }
    }

    /// <summary>Saved state.</summary>
    public sealed class AdoraState
    {
        public int Steps { get; set; }
        public Dictionary<string, PromptHistory> Prompts { get; set; } = new(StringComparer.Ordinal);
    }

    /// <summary>The state: per-prompt history and the number of batches seen.</summary>
    public AdoraState State { get; private set; } = new();

    public override void ResetState() => State = new AdoraState();
    protected override object? SaveState() => State;
    protected override void LoadState(JsonElement state)
    {
        var s = state.Deserialize<AdoraState>() ?? new AdoraState();
        State = new AdoraState { Steps = s.Steps, Prompts = new Dictionary<string, PromptHistory>(s.Prompts, StringComparer.Ordinal) };
    }

    private bool Truncated(Rollout r, int length) => MaxLength > 0 ? length >= MaxLength : string.Equals(r.FinishReason, "length", StringComparison.OrdinalIgnoreCase);

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart; var full = b.Lengths!;
        var len = Array.ConvertAll(b.TrainedLengths!, x => (int)Math.Round(x));
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1];
            AdvantageMath.GroupMeanStd(r, s, e, UnbiasedStd, out double mean, out double std);
            double inv = 1.0 / (std + Epsilon);
            int posMax = -1, negCount = 0; long negSum = 0;
            for (int i = s; i < e; i++)
            {
                a[i] = (r[i] - mean) * inv;
                if (r[i] > CorrectScore) posMax = Math.Max(posMax, len[i]);
                else if (!Truncated(b.Rollouts[i], full[i])) { negSum += len[i]; negCount++; }
            }
            string key = b.Rollouts[s].PromptId ?? "";
            if (!State.Prompts.TryGetValue(key, out var h)) State.Prompts[key] = h = new PromptHistory();
            if (Criterion == "history")
            {
                posMax = Math.Max(posMax, h.MaxPositiveLength);
                negSum += h.NegativeLengthSum; negCount += h.NegativeCount;
            }
            double pos = posMax >= 0 ? posMax : double.NegativeInfinity;
            double neg = negCount > 0 ? (double)negSum / negCount : double.NegativeInfinity;
            bool advantaged = pos > neg || (Variant == "vlm" && posMax < 0);
            if (!advantaged) for (int i = s; i < e; i++) a[i] *= Lambda;
            // update the history with this batch only
            h.Seen++;
            if (!advantaged) h.Disadvantaged++;
            for (int i = s; i < e; i++)
            {
                if (r[i] > CorrectScore) h.MaxPositiveLength = Math.Max(h.MaxPositiveLength, len[i]);
                else if (!Truncated(b.Rollouts[i], full[i])) { h.NegativeLengthSum += len[i]; h.NegativeCount++; }
            }
        }
        State.Steps++;
    }
}
