using System.Collections;
using System.Text.Json.Nodes;
using RlTools.Core.Records;

namespace RlTools.Core.Rewards;

/// <summary>
/// Hypervolume-guided dynamic reward weighting — Lu et al., "Learning to Optimize Multi-Objective
/// Alignment Through Dynamic Reward Weighting", arXiv 2509.11452, method 1 (released code:
/// <c>ray_trainer_vanilla.py</c>, <c>hypervolumn_contribution.py</c>; research notes seed-1 §13).
/// </summary>
/// <remarks>
/// <para>Formula. The reward is a fixed-weight scalarisation r = Σ_k w_k·r_k (Σ w_k = 1), scaled by a
/// meta-reward m that rewards progress of the Pareto front. A buffer B starts with the reference point
/// (the objective vector before training). After each step the objective vector v_t (oriented for
/// maximisation: objectives listed in <c>Minimize</c> are negated) gives</para>
/// <para>  Δ = max(0, HV(B ∪ {v_t}) − HV(B)),  m = 0.5 + 1.5·tanh(Δ) ∈ [0.5, 2),</para>
/// <para>HV measured against the reference point B[0]; v_t joins B when Δ &gt; 0; the next batch's weights
/// are m·w_k (m = 1 until the first contribution is computed). Buffer points that a new point dominates
/// are dropped (they add no volume, so every Δ is unchanged), keeping the buffer the Pareto front. HV is the exact dominated volume,
/// computed by recursive slicing (While, Hingston, Barone &amp; Huband, "A faster algorithm for calculating
/// hypervolume", IEEE TEC 2006; Fonseca et al. 2006).</para>
/// <para>Assumptions (the paper validates on a held-out set after every step). <see cref="Observe"/> uses
/// the scored batch's per-component means (over the rollouts where the component applied) as v_t, so
/// the vector describes the policy that sampled the batch, one step behind the paper's post-update
/// validation. Without a <c>Reference</c> parameter the first observed vector becomes the reference.
/// Callers with real validation metrics pass them to <see cref="ObserveVector"/>. A point that does
/// not dominate the reference in some objective adds no volume (exact HV), so Δ is never negative and
/// the paper's clip at 0 only matters for the released code's signed products. HV is in the units of
/// the rewards: objectives on very different scales (tokens vs accuracy) make Δ, and so m, dominated by
/// the large one; normalise such rewards first.</para>
/// <para>Edge cases: one component — HV is the gain over the best value so far; an empty batch or a
/// component that applied to no rollout — no update (LastUpdate says why); NaN/Inf —
/// <see cref="NonFiniteRewardException"/> and no update. Under GRPO with std normalisation a uniform
/// scale m largely cancels (seed-1 §13 inference); it acts through REINFORCE/RLOO-style estimators.</para>
/// </remarks>
public sealed class HypervolumeWeighting : RewardWeightingController
{
    /// <summary>Registry name.</summary>
    public const string RegistryName = "Hypervolume";

    private readonly double[] _baseWeights;
    private readonly bool[] _minimize;
    private readonly List<double[]> _buffer = new();

    /// <summary>Creates the controller.</summary>
    /// <param name="components">Reward components.</param>
    /// <param name="weights">Fixed scalarisation weights (sum 1); null means uniform.</param>
    /// <param name="minimize">Per component: true when smaller is better (e.g. length); null means all maximised.</param>
    /// <param name="reference">Raw (un-oriented) reference vector; null means "the first observed vector".</param>
    /// <param name="metaBase">0.5 in the paper.</param>
    /// <param name="metaScale">1.5 in the paper.</param>
    public HypervolumeWeighting(IReadOnlyList<string> components, IReadOnlyList<double>? weights = null, IReadOnlyList<bool>? minimize = null,
        IReadOnlyList<double>? reference = null, double metaBase = 0.5, double metaScale = 1.5)
        : base(components)
    {
        int k = ComponentNames.Length;
        if (weights is not null)
        {
            if (weights.Count != k) throw new ArgumentException($"{RegistryName}: Weights has {weights.Count} values for {k} components.");
            if (weights.Any(w => !(w >= 0) || !double.IsFinite(w))) throw new ArgumentException($"{RegistryName}: Weights must be finite numbers ≥ 0.");
            if (Math.Abs(weights.Sum() - 1.0) > 1e-6)
                throw new ArgumentException($"{RegistryName}: Weights must sum to 1 (the paper's scalarisation); they sum to {Format(weights.Sum())}.");
            _baseWeights = weights.ToArray();
        }
        else _baseWeights = Enumerable.Repeat(1.0 / k, k).ToArray();
        if (minimize is not null && minimize.Count != k) throw new ArgumentException($"{RegistryName}: Minimize has {minimize.Count} flags for {k} components.");
        _minimize = minimize?.ToArray() ?? new bool[k];
        if (!double.IsFinite(metaBase) || !double.IsFinite(metaScale)) throw new ArgumentException($"{RegistryName}: MetaBase and MetaScale must be finite.");
        MetaBase = metaBase;
        MetaScale = metaScale;
        if (reference is not null)
        {
            if (reference.Count != k) throw new ArgumentException($"{RegistryName}: Reference has {reference.Count} values for {k} components.");
            if (reference.Any(x => !double.IsFinite(x))) throw new ArgumentException($"{RegistryName}: Reference must hold finite numbers.");
            _buffer.Add(Orient(reference));
        }
    }

    /// <inheritdoc />
    public override string Name => RegistryName;

    /// <summary>The current meta-reward m (1 until the first hypervolume contribution).</summary>
    public double MetaReward { get; private set; } = 1.0;

    /// <summary>The last hypervolume contribution Δ (after the clip at 0).</summary>
    public double LastContribution { get; private set; }

    /// <summary>m = MetaBase + MetaScale·tanh(Δ).</summary>
    public double MetaBase { get; }

    /// <summary>m = MetaBase + MetaScale·tanh(Δ).</summary>
    public double MetaScale { get; }

    /// <summary>The fixed scalarisation weights w (before the meta-reward).</summary>
    public IReadOnlyList<double> BaseWeights => _baseWeights;

    /// <summary>Per component: whether it is minimised.</summary>
    public IReadOnlyList<bool> Minimize => _minimize;

    /// <summary>The Pareto buffer in maximisation orientation; [0] is the reference point.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Buffer => _buffer.Select(p => (IReadOnlyList<double>)p.ToArray()).ToArray();

    private protected override double[] CurrentWeights() => _baseWeights.Select(w => MetaReward * w).ToArray();

    /// <summary>Observes a scored batch: its per-component means are the objective vector v_t.</summary>
    public override void Observe(IReadOnlyList<Rollout> batch)
    {
        double?[][] m = ReadBatch(batch);
        if (m.Length == 0) { LastUpdate = "empty batch: no update"; return; }
        double?[] means = ComponentMeans(m, ComponentNames.Length);
        int missing = Array.FindIndex(means, x => x is null);
        if (missing >= 0)
        {
            LastUpdate = $"no update: the component '{ComponentNames[missing]}' applied to no rollout of the batch";
            return;
        }
        ObserveVector(means.Select(x => x!.Value).ToArray());
    }

    /// <summary>Observes an objective vector (raw values in component order, e.g. validation metrics).</summary>
    public void ObserveVector(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != ComponentNames.Length)
            throw new ArgumentException($"{RegistryName}: the objective vector has {values.Count} values for {ComponentNames.Length} components.");
        for (int k = 0; k < values.Count; k++)
            if (!double.IsFinite(values[k])) throw new ArgumentException($"{RegistryName}: the objective '{ComponentNames[k]}' is {values[k]}; the weights were not updated.");
        double[] v = Orient(values);
        if (_buffer.Count == 0)
        {
            _buffer.Add(v);
            LastUpdate = "reference point set";
            return;
        }
        double[] reference = _buffer[0];
        double before = Hypervolume(_buffer.Skip(1).ToList(), reference);
        double after = Hypervolume(_buffer.Skip(1).Append(v).ToList(), reference);
        double delta = Math.Max(0.0, after - before);
        LastContribution = delta;
        MetaReward = MetaBase + MetaScale * Math.Tanh(delta);
        if (delta > 0)
        {
            // Points v dominates lie inside v's box and add no volume: drop them so the buffer stays the
            // Pareto front (HV, and so every later Δ, is unchanged) and HV stays cheap over long runs.
            for (int i = _buffer.Count - 1; i >= 1; i--)
                if (WeaklyDominates(v, _buffer[i])) _buffer.RemoveAt(i);
            _buffer.Add(v);
        }
        Updates++;
        LastUpdate = $"Δ = {Format(delta)}, m = {Format(MetaReward)}" + (delta > 0 ? ", added to the Pareto buffer" : "");
    }

    private static bool WeaklyDominates(double[] a, double[] b)
    {
        for (int k = 0; k < a.Length; k++) if (a[k] < b[k]) return false;
        return true;
    }

    private double[] Orient(IReadOnlyList<double> raw)
    {
        var v = new double[raw.Count];
        for (int k = 0; k < v.Length; k++) v[k] = _minimize[k] ? -raw[k] : raw[k];
        return v;
    }

    /// <summary>
    /// Exact hypervolume (maximisation) of the region dominated by <paramref name="points"/> and
    /// dominating <paramref name="reference"/>: the volume of ⋃_p [ref, p]. Points that do not exceed
    /// the reference in every objective add nothing. Recursive slicing on the last objective.
    /// </summary>
    public static double Hypervolume(IReadOnlyList<IReadOnlyList<double>> points, IReadOnlyList<double> reference)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(reference);
        int d = reference.Count;
        var shifted = new List<double[]>();
        foreach (var p in points)
        {
            if (p.Count != d) throw new ArgumentException("Every point needs as many objectives as the reference.");
            var q = new double[d];
            bool inside = true;
            for (int k = 0; k < d; k++) { q[k] = p[k] - reference[k]; if (!(q[k] > 0)) inside = false; }
            if (inside) shifted.Add(q);
        }
        return d == 0 ? 0 : Slice(shifted, d);
    }

    private static double Hypervolume(List<double[]> points, double[] reference)
        => Hypervolume(points.Select(p => (IReadOnlyList<double>)p).ToList(), reference);

    // Volume of ⋃ [0, q] over q (all coordinates > 0) in the first d dimensions.
    private static double Slice(List<double[]> points, int d)
    {
        if (points.Count == 0) return 0;
        if (d == 1) return points.Max(p => p[0]);
        double[] levels = points.Select(p => p[d - 1]).Distinct().OrderByDescending(x => x).ToArray();
        double volume = 0;
        for (int j = 0; j < levels.Length; j++)
        {
            double next = j + 1 < levels.Length ? levels[j + 1] : 0;
            // Between 'next' and levels[j], the cross-section is the union over points reaching levels[j].
            var section = points.Where(p => p[d - 1] >= levels[j]).ToList();
            volume += (levels[j] - next) * Slice(section, d - 1);
        }
        return volume;
    }

    private protected override void WriteState(JsonObject state)
    {
        state["weights"] = ToArray(_baseWeights);
        state["minimize"] = new JsonArray(_minimize.Select(b => (JsonNode?)JsonValue.Create(b)).ToArray());
        state["metaBase"] = MetaBase;
        state["metaScale"] = MetaScale;
        state["metaReward"] = MetaReward;
        state["lastContribution"] = LastContribution;
        state["buffer"] = new JsonArray(_buffer.Select(p => (JsonNode?)ToArray(p)).ToArray());
    }

    internal static HypervolumeWeighting Restore(string[] components, JsonObject o)
    {
        bool[] minimize = GetArray(o, "minimize").Select(n => n?.GetValue<bool>() ?? false).ToArray();
        var h = new HypervolumeWeighting(components, GetDoubles(o, "weights", components.Length), minimize, null,
            Get<double>(o, "metaBase"), Get<double>(o, "metaScale"))
        {
            MetaReward = Get<double>(o, "metaReward"),
            LastContribution = Get<double>(o, "lastContribution"),
        };
        var buffer = GetArray(o, "buffer");
        for (int i = 0; i < buffer.Count; i++)
        {
            var point = new JsonObject { ["p"] = buffer[i]?.DeepClone() };
            h._buffer.Add(GetDoubles(point, "p", components.Length));
        }
        return h;
    }

    internal static HypervolumeWeighting Create(IReadOnlyList<string> components, IDictionary? parameters)
    {
        var p = new WeightingParameters(RegistryName, parameters);
        double?[]? weights = p.PerComponent("Weights", components, allowMissing: false);
        IReadOnlyList<string> minimizeNames = p.Strings("Minimize");
        var minimize = new bool[components.Count];
        foreach (string name in minimizeNames)
        {
            int i = WeightingParameters.IndexOf(components, name);
            if (i < 0) throw new ArgumentException($"{RegistryName}: Minimize names '{name}', which is not one of the components ({string.Join(", ", components)}).");
            minimize[i] = true;
        }
        double?[]? reference = p.PerComponent("Reference", components, allowMissing: false);
        var h = new HypervolumeWeighting(components, weights?.Select(x => x!.Value).ToArray(), minimize,
            reference?.Select(x => x!.Value).ToArray(), p.Double("MetaBase", 0.5), p.Double("MetaScale", 1.5));
        p.RejectUnknown(RewardWeightingRegistry.Find(RegistryName)!.Parameters.Select(x => x.Name));
        return h;
    }
}
