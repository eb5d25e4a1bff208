using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTools.Core.Records;

namespace RlTools.Core.Rewards;

/// <summary>
/// A reward component that is NaN or infinite in a batch given to <see cref="IRewardWeighting.Observe"/>.
/// The controller's state is left unchanged; the caller reports the rollout and drops or fixes it.
/// </summary>
public sealed class NonFiniteRewardException : ArgumentException
{
    public NonFiniteRewardException(string promptId, int sampleIndex, string component, double value)
        : base($"The reward component '{component}' of rollout '{promptId}' (sample {sampleIndex}) is {value.ToString(CultureInfo.InvariantCulture)}. " +
               "Reward components must be finite numbers or null (did not apply); fix the verifier or drop the rollout. The weights were not updated.")
    {
        PromptId = promptId;
        SampleIndex = sampleIndex;
        Component = component;
        Value = value;
    }

    /// <summary>The rollout's prompt_id.</summary>
    public string PromptId { get; }
    /// <summary>The rollout's sample_index.</summary>
    public int SampleIndex { get; }
    /// <summary>The offending component.</summary>
    public string Component { get; }
    /// <summary>The offending value (NaN or ±Infinity).</summary>
    public double Value { get; }
}

/// <summary>
/// Common plumbing of the reward-weight controllers: a fixed, ordered component list; weights looked
/// up by name (<see cref="GetWeights"/> may ask in any order); a batch read into a component matrix
/// with null for "did not apply"; JSON state with a <c>name</c> and <c>version</c> so
/// <see cref="FromJson"/> can restore any controller.
/// </summary>
public abstract class RewardWeightingController : IRewardWeighting
{
    /// <summary>Version of the JSON state layout.</summary>
    public const int StateVersion = 1;

    private protected RewardWeightingController(IReadOnlyList<string>? components)
    {
        ArgumentNullException.ThrowIfNull(components);
        if (components.Count == 0) throw new ArgumentException($"{GetType().Name}: give at least one reward component (-Components).");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string? c in components)
        {
            if (string.IsNullOrWhiteSpace(c)) throw new ArgumentException($"{GetType().Name}: a component name is empty; every component needs a name (the keys of the rollouts' 'rewards' map).");
            if (!seen.Add(c)) throw new ArgumentException($"{GetType().Name}: the component '{c}' is listed twice.");
        }
        ComponentNames = components.ToArray();
    }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The reward components, in the order the weights are kept.</summary>
    public IReadOnlyList<string> Components => ComponentNames;

    private protected string[] ComponentNames { get; }

    /// <summary>Number of updates applied so far (batches or vectors that changed the state).</summary>
    public int Updates { get; private protected set; }

    /// <summary>What the last <c>Observe</c> call did (updated, skipped and why).</summary>
    public string LastUpdate { get; private protected set; } = "none yet";

    /// <summary>The current weights keyed by component (what <see cref="GetWeights"/> returns).</summary>
    public IReadOnlyDictionary<string, double> Weights
    {
        get
        {
            double[] w = CurrentWeights();
            var d = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int i = 0; i < w.Length; i++) d[ComponentNames[i]] = w[i];
            return d;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<double> GetWeights(IReadOnlyList<string> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        double[] w = CurrentWeights();
        var result = new double[components.Count];
        for (int i = 0; i < components.Count; i++)
        {
            int k = WeightingParameters.IndexOf(ComponentNames, components[i] ?? "");
            if (k < 0)
                throw new ArgumentException($"{Name}: the reward component '{components[i]}' is not one of this controller's components ({string.Join(", ", ComponentNames)}). " +
                                            "Create the controller with -Components listing every reward component.");
            result[i] = w[k];
        }
        return result;
    }

    /// <inheritdoc />
    public abstract void Observe(IReadOnlyList<Rollout> batch);

    /// <summary>The current weights in component order.</summary>
    private protected abstract double[] CurrentWeights();

    /// <summary>
    /// The state as JSON (same as <see cref="ToJson"/>): a plain property, so <c>Export-Clixml</c> keeps it and
    /// <c>Import-Clixml x.xml | New-RlRewardWeighting</c> restores the controller.
    /// </summary>
    public string State => ToJson();

    /// <summary>Writes the controller's state; <see cref="FromJson"/> restores it exactly.</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["name"] = Name,
            ["version"] = StateVersion,
            ["components"] = new JsonArray(ComponentNames.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
            ["updates"] = Updates,
            ["lastUpdate"] = LastUpdate,
        };
        WriteState(o);
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private protected abstract void WriteState(JsonObject state);

    /// <summary>Restores a controller written by <see cref="ToJson"/> (any of the registered kinds).</summary>
    public static RewardWeightingController FromJson(string json)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(json ?? throw new ArgumentNullException(nameof(json))) as JsonObject
                ?? throw new ArgumentException("The controller state must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ArgumentException("The controller state is not valid JSON: " + e.Message, e);
        }
        string name = Get<string>(o, "name");
        int version = Get<int>(o, "version");
        if (version != StateVersion)
            throw new ArgumentException($"The controller state has version {version}; this RlTools reads version {StateVersion}.");
        string[] components = GetArray(o, "components").Select(n => n?.GetValue<string>() ?? "").ToArray();
        RewardWeightingController c = RewardWeightingRegistry.Find(name)?.Restore(components, o)
            ?? throw new ArgumentException($"The controller state names '{name}', which is not a registered reward-weight controller ({string.Join(", ", RewardWeightingRegistry.All.Select(r => r.Name))}).");
        c.Updates = Get<int>(o, "updates");
        c.LastUpdate = o["lastUpdate"]?.GetValue<string>() ?? "";
        return c;
    }

    private protected static T Get<T>(JsonObject o, string key)
    {
        JsonNode? n = o[key] ?? throw new ArgumentException($"The controller state has no '{key}' field.");
        try { return n.GetValue<T>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"The controller state's '{key}' field is not a {typeof(T).Name}.", e);
        }
    }

    private protected static JsonArray GetArray(JsonObject o, string key)
        => o[key] as JsonArray ?? throw new ArgumentException($"The controller state has no '{key}' array.");

    private protected static double[] GetDoubles(JsonObject o, string key, int expected)
    {
        double[] v = GetArray(o, key).Select(n => n is null ? double.NaN : n.GetValue<double>()).ToArray();
        if (v.Length != expected) throw new ArgumentException($"The controller state's '{key}' has {v.Length} values; expected {expected}.");
        if (v.Any(x => !double.IsFinite(x))) throw new ArgumentException($"The controller state's '{key}' holds a non-finite value.");
        return v;
    }

    private protected static JsonArray ToArray(IEnumerable<double> values)
        => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>
    /// The batch as a matrix <c>[rollout][component]</c> of reward values, null where the rollout has no
    /// <c>rewards</c> map, lacks the component, or the component is null (did not apply). Throws
    /// <see cref="NonFiniteRewardException"/> on NaN/Inf before any state changes.
    /// </summary>
    private protected double?[][] ReadBatch(IReadOnlyList<Rollout> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var m = new double?[batch.Count][];
        for (int i = 0; i < batch.Count; i++)
        {
            Rollout r = batch[i] ?? throw new ArgumentException($"{Name}: the batch holds a null rollout at position {i}.");
            var row = new double?[ComponentNames.Length];
            if (r.Rewards is not null)
            {
                for (int k = 0; k < ComponentNames.Length; k++)
                {
                    double? v = Lookup(r.Rewards, ComponentNames[k]);
                    if (v is double d && !double.IsFinite(d)) throw new NonFiniteRewardException(r.PromptId, r.SampleIndex, ComponentNames[k], d);
                    row[k] = v;
                }
            }
            m[i] = row;
        }
        return m;
    }

    private static double? Lookup(Dictionary<string, double?> rewards, string component)
    {
        if (rewards.TryGetValue(component, out double? v)) return v;
        foreach (var kv in rewards)
            if (string.Equals(kv.Key, component, StringComparison.OrdinalIgnoreCase)) return kv.Value;
        return null;
    }

    /// <summary>Mean of each component over the rollouts where it applied; null when it applied nowhere.</summary>
    private protected static double?[] ComponentMeans(double?[][] matrix, int components)
    {
        var means = new double?[components];
        for (int k = 0; k < components; k++)
        {
            double sum = 0; int n = 0;
            foreach (double?[] row in matrix)
                if (row[k] is double v) { sum += v; n++; }
            means[k] = n == 0 ? null : sum / n;
        }
        return means;
    }

    private protected static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public override string ToString()
        => $"{Name}({string.Join(", ", ComponentNames.Zip(CurrentWeights(), (c, w) => c + "=" + Format(w)))})";
}
