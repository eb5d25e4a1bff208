using System.Text.Json;
using RlTools.Core.Advantages.Estimators;

namespace RlTools.Core.Advantages;

/// <summary>What <c>Get-RlAdvantageEstimator</c> lists for one registered estimator.</summary>
public sealed record AdvantageEstimatorInfo(
    string Name,
    AdvantageLevel Level,
    string Summary,
    string Source,
    string ArxivId,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<ParameterSpec> Parameters,
    bool Stateful,
    string? Assumptions)
{
    /// <summary>Parameters as "Name=default" for the table view.</summary>
    public string ParameterSummary => string.Join(", ", Parameters.Select(p => p.ToString()));
}

/// <summary>
/// The typed registry of advantage estimators: one entry per class. <c>Measure-RlAdvantage</c>,
/// <c>New-RlAdvantageEstimator</c>, <c>Get-RlAdvantageEstimator</c> and tab completion all read it.
/// Adding an estimator = one class + one line here + its golden tests.
/// </summary>
public static class AdvantageEstimatorRegistry
{
    private static readonly (string Name, Func<AdvantageEstimatorBase> Create)[] Entries =
    {
        ("GRPO", () => new GrpoEstimator()),
        ("DrGRPO", () => new DrGrpoEstimator()),
        ("RLOO", () => new RlooEstimator()),
        ("ReinforcePlusPlus", () => new ReinforcePlusPlusEstimator()),
        ("ReinforcePlusPlusBaseline", () => new ReinforcePlusPlusBaselineEstimator()),
        ("ReMax", () => new ReMaxEstimator()),
        ("OPO", () => new OpoEstimator()),
        ("GPG", () => new GpgEstimator()),
        ("GRPOPassK", () => new GrpoPassKEstimator()),
        ("GDPO", () => new GdpoEstimator()),
        ("GAE", () => new GaeEstimator()),
        ("NGRPO", () => new NgrpoEstimator()),
        ("DGPO", () => new DgpoEstimator()),
        ("AGRAE", () => new AgraeEstimator()),
        ("ARM", () => new ArmEstimator()),
        ("CANON", () => new CanonEstimator()),
        ("ADORA", () => new AdoraEstimator()),
        ("QHawkeye", () => new QHawkeyeEstimator()),
        ("CalibRL", () => new CalibRlEstimator()),
        ("HAPO", () => new HapoEstimator()),
        ("NSR", () => new NsrEstimator()),
        ("WReinforce", () => new WReinforceEstimator()),
        ("R3Rank", () => new R3RankEstimator()),
        ("SPO", () => new SpoEstimator()),
        ("SPOTree", () => new SpoTreeEstimator()),
        ("SPAE", () => new SpaeEstimator()),
        ("VERLER", () => new VerlErEstimator()),
        ("ADHint", () => new AdHintEstimator()),
    };

    /// <summary>Registered names, in registry order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.ConvertAll(Entries, e => e.Name);

    /// <summary>Finds a name case-insensitively; returns the canonical spelling or null.</summary>
    public static string? Resolve(string name)
    {
        foreach (var e in Entries) if (string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)) return e.Name;
        return null;
    }

    /// <summary>A new estimator with default parameters; throws <see cref="KeyNotFoundException"/> listing the valid names.</summary>
    public static IAdvantageEstimator Create(string name)
    {
        foreach (var e in Entries) if (string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)) return e.Create();
        throw new KeyNotFoundException($"'{name}' is not a registered advantage estimator. Valid names: {string.Join(", ", Names)}.");
    }

    /// <summary>A new estimator with the given parameters (names case-insensitive).</summary>
    public static IAdvantageEstimator Create(string name, IEnumerable<KeyValuePair<string, object?>>? parameters)
    {
        var est = Create(name);
        if (parameters is not null) foreach (var kv in parameters) est.SetParameter(kv.Key, kv.Value);
        return est;
    }

    /// <summary>Restores an estimator (name, parameters, state) from <see cref="IAdvantageEstimator.ToJson"/>.</summary>
    public static IAdvantageEstimator FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
            throw new FormatException("Estimator JSON must be an object with a 'name' (as written by ToJson).");
        var est = (AdvantageEstimatorBase)Create(n.GetString()!);
        est.Restore(root);
        return est;
    }

    /// <summary>Descriptions of every registered estimator.</summary>
    public static IReadOnlyList<AdvantageEstimatorInfo> Describe()
    {
        var list = new List<AdvantageEstimatorInfo>(Entries.Length);
        foreach (var e in Entries) list.Add(Describe(e.Create()));
        return list;
    }

    /// <summary>Description of one estimator.</summary>
    public static AdvantageEstimatorInfo Describe(IAdvantageEstimator e)
        => new(e.Name, e.Level, e.Summary, e.Source, e.ArxivId, InputNames(e.Inputs), e.Parameters, e.IsStateful, e.Assumptions);

    /// <summary>JSONL field names for an input set.</summary>
    public static IReadOnlyList<string> InputNames(AdvantageInputs inputs)
    {
        var list = new List<string>();
        if ((inputs & AdvantageInputs.Reward) != 0) list.Add("reward");
        if ((inputs & AdvantageInputs.Rewards) != 0) list.Add("rewards");
        if ((inputs & AdvantageInputs.BaselineReward) != 0) list.Add("baseline_reward");
        if ((inputs & AdvantageInputs.Lengths) != 0) list.Add("completion_tokens");
        if ((inputs & AdvantageInputs.Entropies) != 0) list.Add("entropies");
        if ((inputs & AdvantageInputs.Logprobs) != 0) list.Add("logprobs");
        if ((inputs & AdvantageInputs.PromptLogprobs) != 0) list.Add("prompt_logprobs");
        if ((inputs & AdvantageInputs.Values) != 0) list.Add("values");
        if ((inputs & AdvantageInputs.PredictedScore) != 0) list.Add("predicted_score (optional; else <answer> in completion)");
        if ((inputs & AdvantageInputs.Expert) != 0) list.Add("is_expert (one per prompt)");
        if ((inputs & AdvantageInputs.FinishReason) != 0) list.Add("finish_reason (optional)");
        if ((inputs & AdvantageInputs.Probes) != 0) list.Add("cut_positions + probe records (is_probe, parent_id = node_id)");
        if ((inputs & AdvantageInputs.Tree) != 0) list.Add("node_id, parent_id, depth");
        if ((inputs & AdvantageInputs.Hint) != 0) list.Add("is_hint, loss_mask (optional)");
        if ((inputs & AdvantageInputs.EffectiveRank) != 0) list.Add("effective_rank, effective_rank_velocity, effective_rank_acceleration");
        return list;
    }
}
