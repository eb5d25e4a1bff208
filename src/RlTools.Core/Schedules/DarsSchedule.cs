using System.Globalization;
using RlTools.Core.Records;

namespace RlTools.Core.Schedules;

/// <summary>How DARS sizes a hard prompt's extra rollouts.</summary>
public enum DarsMode
{
    /// <summary>ET, equal treatment: raise every low-accuracy prompt's cumulative advantage to the peak A_peak.</summary>
    EqualTreatment,
    /// <summary>HW, hardness-weighted: raise it to 2(1 − p)·A_peak, so harder prompts get more.</summary>
    HardnessWeighted,
}

/// <summary>One prompt's line of a DARS plan: first-pass pass rate and size, and the extra rollouts it gets.</summary>
public sealed record DarsAllocation(string PromptId, double PassRate, int FirstPassRollouts, int ExtraRollouts);

/// <summary>Settings of a DARS schedule (defaults: the paper's HW runs, N = 8, no std).</summary>
public sealed record DarsOptions
{
    /// <summary>N: rollouts per prompt in the first pass (the group size the pass rates come from).</summary>
    public int FirstPassRollouts { get; init; } = 8;

    /// <summary>ET or HW.</summary>
    public DarsMode Mode { get; init; } = DarsMode.HardnessWeighted;

    /// <summary>N_max: most rollouts a prompt can have in total; null means 32 for ET, 64 for HW (the paper's scripts).</summary>
    public int? MaxRollouts { get; init; }

    /// <summary>Whether the advantage divides by the group std (S(p) = 2√(p(1−p)), peak N) or not (S(p) = 2p(1−p), peak N/2; the paper's runs).</summary>
    public bool UseStd { get; init; }

    /// <summary>Optional cap on the total extra rollouts of a batch (not in the paper; see <see cref="DarsSchedule.Allocate"/>).</summary>
    public int? TotalBudget { get; init; }

    /// <summary>DARS-B ("breadth"): the trainer should update on the whole batch as one mini-batch for <see cref="BreadthEpochs"/> epochs.</summary>
    public bool Breadth { get; init; }

    /// <summary>PPO epochs over the full batch with <see cref="Breadth"/> (2 in the paper's scripts).</summary>
    public int BreadthEpochs { get; init; } = 2;

    /// <summary>N_max after defaults.</summary>
    public int EffectiveMaxRollouts => MaxRollouts ?? (Mode == DarsMode.EqualTreatment ? 32 : 64);
}

/// <summary>
/// Difficulty-adaptive rollout schedules DARS and DARS-B — Yang et al., "Depth-Breadth Synergy in RLVR"
/// (arXiv 2508.13755; released code <c>ray_dars_trainer.py</c> schedule_ET / schedule_HW; research notes
/// seed-1 §9). A pure function: first-pass pass rates in, extra rollouts per prompt out.
/// </summary>
/// <remarks>
/// <para>Formula. A group of N rollouts at accuracy p has cumulative advantage Σ_i|A_i| = N·S(p), with
/// S(p) = 2p(1 − p) and peak A_peak = N/2 without std normalisation, or S(p) = 2√(p(1 − p)) and
/// A_peak = N with it. Prompts with p ≥ 0.5 get nothing; p = 0 counts as p = 0.5/N; otherwise</para>
/// <para>  ET: ΔN = ⌈(A_peak − N·S(p)) / S(p)⌉,  HW: ΔN = ⌈(2(1 − p)·A_peak − N·S(p)) / S(p)⌉,</para>
/// <para>capped at N_max − N. With N = 8 and no std this gives, for p = 0, 1/8, 2/8, 3/8: ET (N_max 32)
/// 24, 11, 3, 1 and HW (N_max 64) 56, 24, 8, 3 — the paper's table. After the second pass the N + ΔN
/// rollouts form one group, and groups with p = 0 or p ≥ the upper threshold (default 1) are dropped
/// (<see cref="KeepGroup"/>).</para>
/// <para>DARS-B adds breadth, not a different allocation: the same schedule (HW in the paper) with a very
/// large batch updated as one mini-batch over 2 PPO epochs (<see cref="DarsOptions.Breadth"/> carries the
/// flag for the trainer).</para>
/// <para>Assumption: a total budget across prompts (<see cref="DarsOptions.TotalBudget"/>) is not in the
/// paper, whose budget is the per-prompt N_max. When the schedule asks for more than the total, the
/// allocations are scaled down proportionally (floor), and the leftover rollouts go one each to the
/// largest fractional remainders (ties: harder prompt first, then input order), so the shape of the
/// schedule is kept. A ceiling is taken with a 1e-9 tolerance so exact quotients such as 56.0 are not
/// rounded up by floating-point noise.</para>
/// </remarks>
public static class DarsSchedule
{
    /// <summary>The schedule names Invoke-RlRollout -Schedule takes: DARS (HW), DARS-ET, DARS-B (HW with breadth).</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "DARS", "DARS-ET", "DARS-B" };

    /// <summary>Options for a schedule name (case-insensitive); null for an unknown name.</summary>
    public static DarsOptions? ForName(string? name, int firstPassRollouts = 8) => name?.ToUpperInvariant() switch
    {
        "DARS" or "DARS-HW" => new DarsOptions { FirstPassRollouts = firstPassRollouts, Mode = DarsMode.HardnessWeighted },
        "DARS-ET" => new DarsOptions { FirstPassRollouts = firstPassRollouts, Mode = DarsMode.EqualTreatment },
        "DARS-B" => new DarsOptions { FirstPassRollouts = firstPassRollouts, Mode = DarsMode.HardnessWeighted, Breadth = true },
        _ => null,
    };

    /// <summary>S(p): cumulative advantage per rollout at accuracy p.</summary>
    public static double CumulativeAdvantageRate(double p, bool useStd)
        => useStd ? 2 * Math.Sqrt(p * (1 - p)) : 2 * p * (1 - p);

    /// <summary>ΔN for one prompt with first-pass accuracy <paramref name="passRate"/>.</summary>
    public static int ExtraRollouts(double passRate, DarsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        if (!(passRate >= 0 && passRate <= 1))
            throw new ArgumentOutOfRangeException(nameof(passRate), $"A pass rate must be a number in [0, 1]; got {passRate.ToString(CultureInfo.InvariantCulture)}.");
        int n = options.FirstPassRollouts;
        if (passRate >= 0.5) return 0;
        double p = passRate == 0 ? 0.5 / n : passRate;
        double s = CumulativeAdvantageRate(p, options.UseStd);
        double peak = options.UseStd ? n : 0.5 * n;
        double target = options.Mode == DarsMode.EqualTreatment ? peak : 2 * (1 - p) * peak;
        double raw = (target - n * s) / s;
        int delta = (int)Math.Max(0, Math.Ceiling(raw - 1e-9));
        return Math.Min(delta, Math.Max(0, options.EffectiveMaxRollouts - n));
    }

    /// <summary>ΔN for every prompt, in input order; with a total budget, scaled down as the remarks describe.</summary>
    public static int[] Allocate(IReadOnlyList<double> passRates, DarsOptions options)
    {
        ArgumentNullException.ThrowIfNull(passRates);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var extra = new int[passRates.Count];
        for (int i = 0; i < extra.Length; i++)
        {
            if (!(passRates[i] >= 0 && passRates[i] <= 1))
                throw new ArgumentOutOfRangeException(nameof(passRates), $"The pass rate of prompt {i} is {passRates[i].ToString(CultureInfo.InvariantCulture)}; pass rates must be numbers in [0, 1].");
            extra[i] = ExtraRollouts(passRates[i], options);
        }
        long total = extra.Sum(x => (long)x);
        if (options.TotalBudget is not int budget || total <= budget) return extra;

        return ScaleToBudget(extra, passRates, budget);
    }

    private static int[] ScaleToBudget(int[] extra, IReadOnlyList<double> passRates, int budget)
    {
        long total = extra.Sum(x => (long)x);
        var scaled = new int[extra.Length];
        var remainders = new List<(double Fraction, double PassRate, int Index)>();
        for (int i = 0; i < extra.Length; i++)
        {
            double exact = (double)extra[i] * budget / total;
            scaled[i] = (int)Math.Floor(exact);
            remainders.Add((exact - scaled[i], passRates[i], i));
        }
        int left = budget - scaled.Sum();
        foreach (var r in remainders.Where(r => r.Fraction > 0).OrderByDescending(r => r.Fraction).ThenBy(r => r.PassRate).ThenBy(r => r.Index))
        {
            if (left == 0) break;
            scaled[r.Index]++;
            left--;
        }
        return scaled;
    }

    /// <summary>Whether a combined group is kept for training: 0 &lt; p &lt; <paramref name="upperThreshold"/> (default 1).</summary>
    public static bool KeepGroup(int correct, int total, double upperThreshold = 1.0)
    {
        if (total <= 0 || correct < 0 || correct > total) throw new ArgumentOutOfRangeException(nameof(correct), "Need 0 ≤ correct ≤ total and total > 0.");
        double p = (double)correct / total;
        return p > 0 && p < upperThreshold;
    }

    /// <summary>
    /// First-pass pass rates from scored rollouts, per prompt_id in first-seen order: the fraction of a
    /// group's rollouts with reward ≥ <paramref name="successThreshold"/>. A rollout without a reward, or
    /// with a NaN/Inf reward, is an error naming it (a pass rate must not silently count it as a failure).
    /// </summary>
    public static IReadOnlyList<(string PromptId, double PassRate, int Rollouts)> PassRates(IEnumerable<Rollout> rollouts, double successThreshold = 1.0)
    {
        ArgumentNullException.ThrowIfNull(rollouts);
        var order = new List<string>();
        var counts = new Dictionary<string, (int Pass, int Total)>(StringComparer.Ordinal);
        foreach (Rollout r in rollouts)
        {
            if (r.Reward is not double reward || !double.IsFinite(reward))
                throw new ArgumentException($"The rollout '{r.PromptId}' (sample {r.SampleIndex}) has reward {(r.Reward is null ? "null" : r.Reward.Value.ToString(CultureInfo.InvariantCulture))}; " +
                                            "DARS needs a finite reward on every first-pass rollout (run Measure-RlReward first, drop broken rollouts).");
            if (!counts.TryGetValue(r.PromptId, out var c)) { order.Add(r.PromptId); c = (0, 0); }
            counts[r.PromptId] = (c.Pass + (reward >= successThreshold ? 1 : 0), c.Total + 1);
        }
        return order.Select(id => (id, (double)counts[id].Pass / counts[id].Total, counts[id].Total)).ToArray();
    }

    /// <summary>
    /// The whole second-pass plan from first-pass rollouts: per prompt_id (first-seen order) its pass rate,
    /// first-pass size and extra rollouts. Each prompt's own group size is used as N, so uneven groups are
    /// handled; <see cref="DarsOptions.FirstPassRollouts"/> is ignored here.
    /// </summary>
    public static IReadOnlyList<DarsAllocation> Plan(IEnumerable<Rollout> firstPass, DarsOptions options, double successThreshold = 1.0)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rates = PassRates(firstPass, successThreshold);
        var extra = new int[rates.Count];
        for (int i = 0; i < rates.Count; i++) extra[i] = ExtraRollouts(rates[i].PassRate, options with { FirstPassRollouts = rates[i].Rollouts });
        if (options.TotalBudget is int budget && extra.Sum(x => (long)x) > budget)
        {
            // Reuse the proportional scaling on the per-prompt allocations.
            extra = ScaleToBudget(extra, rates.Select(r => r.PassRate).ToArray(), budget);
        }
        return rates.Select((r, i) => new DarsAllocation(r.PromptId, r.PassRate, r.Rollouts, extra[i])).ToArray();
    }

    private static void Validate(DarsOptions o)
    {
        if (o.FirstPassRollouts < 1) throw new ArgumentOutOfRangeException(nameof(o), "FirstPassRollouts (N) must be at least 1.");
        if (o.MaxRollouts is int m && m < 1) throw new ArgumentOutOfRangeException(nameof(o), "MaxRollouts (N_max) must be at least 1.");
        if (o.TotalBudget is int b && b < 0) throw new ArgumentOutOfRangeException(nameof(o), "TotalBudget must be 0 or more.");
    }
}
