using System.Text.Json;
using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// R³ ranking reward with cross-context replay (Jiang et al., "R³: Replay, Reflection, and Ranking
/// Rewards", arXiv 2601.19620). The paper's formulas were NOT found (abstract and a summary only; no
/// code released); everything below implements what the paper states with our ASSUMPTIONS, kept here
/// and in <see cref="Assumptions"/>:
/// <list type="number">
/// <item>Structural entropy ranking reward: failed (r ≤ <c>FailThreshold</c>) or truncated
/// (<c>finish_reason</c> = length) samples are ranked by a structural score
/// z = (mean of the top ⌈ρ·L⌉ token entropies, "local exploration") − κ·(population std of the
/// window means of the entropies over windows of <c>Window</c> tokens, "global instability"), over the
/// trained tokens only (mask-0 tokens of <c>loss_mask</c> removed first);
/// ρ = 0.2, κ = 1. With n_f ≥ 2 such samples, the k-th lowest score (k = 0..n_f−1) gets the graded
/// reward r + <c>RankBonus</c>·k/(n_f − 1), RankBonus = 0.1 (below a correct reward of 1).</item>
/// <item>Cross-context replay (stateful): the estimator keeps the last <c>BufferSize</c> raw rewards of
/// every prompt. When a group's (graded) rewards are all equal, up to <c>ReplayCount</c> of the most
/// recent stored rewards that differ from the group's value join the group's statistics as virtual
/// samples (they restore reward variance; they are not emitted, since replaying trajectories needs
/// their behaviour log-probs).</item>
/// <item>A_i = (r'_i − μ)/(σ + ε), unbiased σ over the group plus replayed values; a group of one with
/// nothing replayed uses μ = 0, σ = 1.</item>
/// </list>
/// In-context self-reflection (re-prompting with past failures) is a rollout-stage feature, not an estimator.
/// </summary>
public sealed class R3RankEstimator : AdvantageEstimatorBase
{
    public override string Name => "R3Rank";
    public override string Summary => "graded ranking reward for failed/truncated samples by entropy structure; replay of past rewards for homogeneous groups (stateful)";
    public override string Source => "Jiang et al. 2026, R³ (Replay, Reflection, Ranking Rewards)";
    public override string ArxivId => "2601.19620";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Entropies | AdvantageInputs.FinishReason;
    public override bool IsStateful => true;
    public override string? Assumptions => "Formulas not found: structural score = mean of top-rho token entropies - kappa * std of window-mean entropies; graded reward r + RankBonus*rank/(n-1) among failed/truncated samples; replay adds up to ReplayCount stored rewards (different from the group's value) to a homogeneous group's statistics.";

    [AdvantageParameter("A reward at or below this is a failed sample (binary rewards: 0.5).")]
    public double FailThreshold { get; set; } = 0.5;

    [AdvantageParameter("Largest graded bonus given to the best-ranked failed/truncated sample (ASSUMED 0.1).")]
    public double RankBonus { get; set; } = 0.1;

    [AdvantageParameter("Fraction ρ of highest-entropy tokens in the local-exploration term (ASSUMED 0.2).")]
    public double TopFraction { get; set; } = 0.2;

    [AdvantageParameter("Weight κ of the global-instability term (ASSUMED 1.0).")]
    public double StabilityWeight { get; set; } = 1.0;

    [AdvantageParameter("Window length in tokens for the global-stability term (ASSUMED 16).")]
    public int Window { get; set; } = 16;

    [AdvantageParameter("Use cross-context replay for homogeneous groups.")]
    public bool Replay { get; set; } = true;

    [AdvantageParameter("Stored rewards per prompt (ASSUMED 8).")]
    public int BufferSize { get; set; } = 8;

    [AdvantageParameter("Replayed values added to a homogeneous group (ASSUMED 1).")]
    public int ReplayCount { get; set; } = 1;

    [AdvantageParameter("ε added to the std (1e-6).")]
    public double Epsilon { get; set; } = 1e-6;

    protected override void Validate()
    {
        if (Window < 1 || BufferSize < 0 || ReplayCount < 0) throw new ArgumentException("R3Rank needs Window ≥ 1, BufferSize ≥ 0 and ReplayCount ≥ 0.");
        if (TopFraction <= 0 || TopFraction > 1) throw new ArgumentException("R3Rank TopFraction must be in (0, 1].");
    }

    /// <summary>Saved state: the reward buffer per prompt (oldest first) and the number of batches seen.</summary>
    public sealed class R3State
    {
        public int Steps { get; set; }
        public Dictionary<string, List<double>> Buffers { get; set; } = new(StringComparer.Ordinal);
    }

    /// <summary>The state.</summary>
    public R3State State { get; private set; } = new();

    public override void ResetState() => State = new R3State();
    protected override object? SaveState() => State;
    protected override void LoadState(JsonElement state)
    {
        var s = state.Deserialize<R3State>() ?? new R3State();
        State = new R3State { Steps = s.Steps, Buffers = new Dictionary<string, List<double>>(s.Buffers, StringComparer.Ordinal) };
    }

    /// <summary>Structural score z of one completion's token entropies (−∞ for an empty one).</summary>
    public double StructuralScore(float[] h)
    {
        if (h.Length == 0) return double.NegativeInfinity;
        var sorted = (float[])h.Clone();
        Array.Sort(sorted);
        int k = Math.Max(1, (int)Math.Ceiling(TopFraction * h.Length - 1e-9));
        double top = 0;
        for (int j = h.Length - k; j < h.Length; j++) top += sorted[j];
        top /= k;
        int windows = (h.Length + Window - 1) / Window;
        double instability = 0;
        if (windows >= 2)
        {
            var means = new double[windows];
            for (int w = 0; w < windows; w++)
            {
                int s = w * Window, e = Math.Min(h.Length, s + Window);
                double sum = 0;
                for (int j = s; j < e; j++) sum += h[j];
                means[w] = sum / (e - s);
            }
            double m = AdvantageMath.Mean(means, 0, windows);
            instability = AdvantageMath.Std(means, 0, windows, m, false);
        }
        return top - StabilityWeight * instability;
    }

    private bool Candidate(Rollout r, double reward) => reward <= FailThreshold || string.Equals(r.FinishReason, "length", StringComparison.OrdinalIgnoreCase);

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        var shaped = (double[])r.Clone();
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1];
            var cand = new List<(double Score, int Index)>();
            for (int i = s; i < e; i++)
                if (Candidate(b.Rollouts[i], r[i])) cand.Add((StructuralScore(AdvantageMath.Trained(b.Rollouts[i].Entropies!, b.Masks![i])), i));
            if (cand.Count >= 2)
            {
                cand.Sort((x, y) => x.Score != y.Score ? x.Score.CompareTo(y.Score) : x.Index.CompareTo(y.Index));
                for (int k = 0; k < cand.Count; k++) shaped[cand[k].Index] += RankBonus * k / (cand.Count - 1);
            }
            var values = new List<double>(e - s + ReplayCount);
            for (int i = s; i < e; i++) values.Add(shaped[i]);
            bool homogeneous = true;
            for (int i = s + 1; i < e; i++) if (shaped[i] != shaped[s]) homogeneous = false;
            string key = b.Rollouts[s].PromptId ?? "";
            if (Replay && homogeneous && State.Buffers.TryGetValue(key, out var buf))
            {
                int added = 0;
                for (int k = buf.Count - 1; k >= 0 && added < ReplayCount; k--)
                    if (buf[k] != shaped[s]) { values.Add(buf[k]); added++; }
            }
            double mean = 0, std = 1;
            if (values.Count > 1)
            {
                var arr = values.ToArray();
                mean = AdvantageMath.Mean(arr, 0, arr.Length);
                std = AdvantageMath.Std(arr, 0, arr.Length, mean, true);
            }
            for (int i = s; i < e; i++) a[i] = (shaped[i] - mean) / (std + Epsilon);
        }
    }

    protected override void AfterBatch(AdvantageBatch b)
    {
        for (int i = 0; i < b.Count; i++)
        {
            string key = b.Rollouts[i].PromptId ?? "";
            if (!State.Buffers.TryGetValue(key, out var buf)) State.Buffers[key] = buf = new List<double>();
            buf.Add(b.Rewards[i]);
            if (buf.Count > BufferSize) buf.RemoveRange(0, buf.Count - BufferSize);
        }
        State.Steps++;
    }
}
