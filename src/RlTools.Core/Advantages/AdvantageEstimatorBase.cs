using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using RlTools.Core.Records;

namespace RlTools.Core.Advantages;

/// <summary>
/// Base of every estimator: parameters (public properties marked <see cref="AdvantageParameterAttribute"/>),
/// input checks, grouping by <c>prompt_id</c>, exclusion of groups with bad rollouts, writing the
/// results back, and JSON save/restore. A derived class implements <see cref="Compute"/> over an
/// <see cref="AdvantageBatch"/> and, when stateful, <see cref="SaveState"/>/<see cref="LoadState"/>.
/// </summary>
public abstract class AdvantageEstimatorBase : IAdvantageEstimator
{
    private static readonly ConcurrentDictionary<Type, (PropertyInfo Property, ParameterSpec Info)[]> ParameterCache = new();

    public abstract string Name { get; }
    public abstract string Summary { get; }
    public abstract string Source { get; }
    public abstract string ArxivId { get; }
    public abstract AdvantageLevel Level { get; }
    public abstract AdvantageInputs Inputs { get; }
    public virtual string? Assumptions => null;
    public virtual bool IsStateful => false;

    /// <summary>Name, parameters and state as JSON (a string property, so Export-Clixml keeps it).</summary>
    public string Json => ToJson();

    /// <summary>Current parameter values as "Name=value, ..." (for display).</summary>
    public string Settings => string.Join(", ", Array.ConvertAll(Describe(GetType()), p => p.Info.Name + "=" + ParameterSpec.Format(p.Property.GetValue(this))));

    public IReadOnlyList<ParameterSpec> Parameters => Array.ConvertAll(Describe(GetType()), p => p.Info);

    private static (PropertyInfo Property, ParameterSpec Info)[] Describe(Type type) => ParameterCache.GetOrAdd(type, t =>
    {
        var fresh = Activator.CreateInstance(t)!;
        var list = new List<(PropertyInfo, ParameterSpec)>();
        foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var a = p.GetCustomAttribute<AdvantageParameterAttribute>();
            if (a is null) continue;
            object? def = p.GetValue(fresh);
            if (def is Array arr) def = arr.Clone();
            list.Add((p, new ParameterSpec(p.Name, p.PropertyType, def, a.Description, a.Allowed)));
        }
        return list.ToArray();
    });

    private (PropertyInfo Property, ParameterSpec Info) Find(string name)
    {
        var spec = ParameterSpec.Find(Parameters, name, Name);
        foreach (var p in Describe(GetType())) if (ReferenceEquals(p.Info, spec)) return p;
        throw new InvalidOperationException(name);
    }

    public object? GetParameter(string name) => Find(name).Property.GetValue(this);

    public void SetParameter(string name, object? value)
    {
        var (prop, info) = Find(name);
        prop.SetValue(this, info.Convert(value, Name));
        Validate();
    }

    /// <summary>Checks parameter combinations; throw <see cref="ArgumentException"/> saying what to fix.</summary>
    protected virtual void Validate() { }

    /// <summary>Checks one rollout beyond the generic input checks; return an error id and message, or null.</summary>
    protected virtual (string ErrorId, string Message)? CheckRollout(Rollout r) => null;

    /// <summary>Computes advantages for the batch: fill <see cref="AdvantageBatch.Advantages"/> (and token arrays for token level).</summary>
    protected abstract void Compute(AdvantageBatch batch);

    /// <summary>
    /// Runs the estimator's arithmetic on a prepared batch without input checks, grouping or write-back
    /// (results stay in <see cref="AdvantageBatch.Advantages"/>). For benchmarks and callers that already
    /// hold validated arrays; use <see cref="Estimate(IReadOnlyList{Rollout})"/> otherwise. ADORA still updates its history here; R3Rank does not.
    /// </summary>
    public void ComputeUnchecked(AdvantageBatch batch)
    {
        Array.Clear(batch.Advantages);
        Compute(batch);
    }

    /// <summary>Called after a batch was written back (stateful estimators update their state here).</summary>
    protected virtual void AfterBatch(AdvantageBatch batch) { }

    /// <summary>State to save (a JSON-serialisable object), or null for stateless estimators.</summary>
    protected virtual object? SaveState() => null;

    /// <summary>Restores state saved by <see cref="SaveState"/>.</summary>
    protected virtual void LoadState(JsonElement state) { }

    /// <summary>Clears the state (stateful estimators).</summary>
    public virtual void ResetState() { }

    public AdvantageResult Estimate(IReadOnlyList<Rollout> batch) => Estimate(batch, null);

    public AdvantageResult Estimate(IReadOnlyList<Rollout> batch, KlRewardPenalty? klInReward)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (klInReward is not null && (Inputs & AdvantageInputs.Reward) == 0)
            throw new ArgumentException($"{Name} does not read 'reward', so a KL penalty in the reward would not reach it; leave KL in the reward off or use an estimator that reads 'reward'.");
        var result = new AdvantageResult();
        int n = batch.Count;
        if (n == 0) return result;
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var gid = new int[n];
        var counts = new List<int>();
        bool[]? excluded = null;
        var inputs = Inputs;
        bool needLengths = (inputs & (AdvantageInputs.Lengths | AdvantageInputs.Entropies | AdvantageInputs.Logprobs | AdvantageInputs.Values)) != 0 || Level == AdvantageLevel.Token || klInReward is not null;
        bool simple = (inputs & ~(AdvantageInputs.Reward | AdvantageInputs.FinishReason)) == 0 && klInReward is null;
        double beta = klInReward?.Controller.Value ?? 0;
        var penaltyIn = klInReward is not null ? new double[n][] : null;
        double klSum = 0; int klCount = 0;
        var rewardIn = new double[n];
        var lengthIn = needLengths ? new int[n] : null;
        var maskIn = needLengths ? new float[]?[n] : null;
        for (int i = 0; i < n; i++)
        {
            var r = batch[i] ?? throw new ArgumentException($"Rollout {i} of the batch is null.", nameof(batch));
            ref int slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(ids, r.PromptId ?? "", out bool exists);
            if (!exists) { slot = counts.Count; counts.Add(0); }
            int g = slot;
            gid[i] = g;
            counts[g]++;
            double? reward = r.Reward;
            rewardIn[i] = reward ?? double.NaN;
            if (lengthIn is not null) { lengthIn[i] = AdvantageMath.TokenCount(r); maskIn![i] = r.LossMask; }
            (string ErrorId, string Message)? problem;
            if (simple && (inputs & AdvantageInputs.Reward) != 0 && reward is { } rv && double.IsFinite(rv)) problem = CheckRollout(r);
            else problem = CheckInputs(r, inputs) ?? CheckRollout(r);
            if (problem is null && needLengths && r.LossMask is not null) problem = CheckMask(r.LossMask, lengthIn![i]);
            if (problem is null && klInReward is not null) problem = KlRewardPenalty.Check(r, lengthIn![i]);
            if (problem is null && klInReward is not null)
            {
                var kl = klInReward.TokenKl(r, r.LossMask);
                double sum = 0;
                for (int j = 0; j < kl.Length; j++) { sum += kl[j]; kl[j] *= beta; }
                penaltyIn![i] = kl;
                rewardIn[i] -= beta * sum;
                double trained = AdvantageMath.MaskedCount(kl.Length, r.LossMask);
                if (trained > 0) { klSum += sum / trained; klCount++; }
            }
            if (problem is { } p)
            {
                result.Issues.Add(new AdvantageIssue(i, r, p.ErrorId, $"Rollout prompt_id '{r.PromptId}' sample_index {r.SampleIndex}: {p.Message} Its group is left without advantages."));
                excluded ??= new bool[n];
                excluded[g] = true;
            }
        }
        CheckGroups(batch, gid, counts, (i, id, msg) =>
        {
            var r = batch[i];
            result.Issues.Add(new AdvantageIssue(i, r, id, $"Rollout prompt_id '{r.PromptId}' sample_index {r.SampleIndex}: {msg} Its group is left without advantages."));
            excluded ??= new bool[n];
            excluded[gid[i]] = true;
        });
        var b = AdvantageBatch.Build(batch, gid, counts, excluded, Level == AdvantageLevel.Token, rewardIn, lengthIn, maskIn, penaltyIn);
        if (klInReward is not null)
        {
            result.RewardKlPenaltyCoefficient = beta;
            result.RewardKlPenalty = klCount > 0 ? klSum / klCount : null;
            if (klCount > 0) klInReward.Controller.Update(klSum / klCount, n);
        }
        if (excluded is not null)
        {
            for (int i = 0; i < n; i++)
                if (excluded[gid[i]]) { batch[i].Advantage = null; batch[i].TokenAdvantages = null; }
            for (int g = 0; g < counts.Count; g++) if (excluded[g]) result.ExcludedGroupCount++;
        }
        result.GroupCount = b.GroupCount;
        result.RolloutCount = b.Count;
        if (b.Count > 0) Compute(b);
        var items = b.Rollouts;
        var adv = b.Advantages;
        var tok = b.TokenAdvantages;
        for (int k = 0; k < items.Length; k++)
        {
            items[k].Advantage = adv[k];
            items[k].TokenAdvantages = tok?[k];
        }
        AfterBatch(b);
        return result;
    }

    /// <summary>Group-level checks (e.g. a minimum group size); add issues and mark groups excluded.</summary>
    protected virtual void CheckGroups(IReadOnlyList<Rollout> batch, int[] gid, List<int> counts, Action<int, string, string> reject) { }

    private static (string ErrorId, string Message)? CheckInputs(Rollout r, AdvantageInputs inputs)
    {
        if ((inputs & AdvantageInputs.Reward) != 0)
        {
            if (r.Reward is not { } rw) return ("MissingInput", "the estimator needs 'reward' and it is missing. Score the rollouts with Measure-RlReward first.");
            if (!double.IsFinite(rw)) return ("NonFiniteReward", $"reward is {rw.ToString(CultureInfo.InvariantCulture)}; rewards must be finite numbers. Fix the verifier or drop the rollout.");
        }
        if ((inputs & AdvantageInputs.BaselineReward) != 0)
        {
            if (r.BaselineReward is not { } b) return ("MissingInput", "the estimator needs 'baseline_reward' (the reward of a greedy rollout of the same prompt) and it is missing.");
            if (!double.IsFinite(b)) return ("NonFiniteReward", $"baseline_reward is {b.ToString(CultureInfo.InvariantCulture)}; it must be a finite number.");
        }
        if ((inputs & AdvantageInputs.Rewards) != 0)
        {
            if (r.Rewards is null || r.Rewards.Count == 0) return ("MissingInput", "the estimator needs the per-component 'rewards' map and it is missing or empty.");
            foreach (var kv in r.Rewards)
                if (kv.Value is { } v && !double.IsFinite(v))
                    return ("NonFiniteReward", $"rewards['{kv.Key}'] is {v.ToString(CultureInfo.InvariantCulture)}; reward components must be finite (or null for 'did not apply').");
        }
        int len = AdvantageMath.TokenCount(r);
        if ((inputs & AdvantageInputs.Lengths) != 0 && len < 0)
            return ("MissingInput", "the estimator needs the completion length and the rollout has no 'completion_tokens' (nor logprobs/entropies).");
        if ((inputs & AdvantageInputs.Entropies) != 0 && CheckArray(r.Entropies, "entropies", len) is { } e1) return e1;
        if ((inputs & AdvantageInputs.Logprobs) != 0 && CheckArray(r.Logprobs, "logprobs", len) is { } e2) return e2;
        if ((inputs & AdvantageInputs.Values) != 0 && CheckArray(r.Values, "values", len) is { } e3) return e3;
        return null;
    }

    private static (string ErrorId, string Message)? CheckMask(float[] mask, int len)
    {
        if (len >= 0 && mask.Length != len) return ("InputLengthMismatch", $"'loss_mask' has {mask.Length} values but the completion has {len} tokens; they must align.");
        for (int j = 0; j < mask.Length; j++)
            if (!float.IsFinite(mask[j]) || mask[j] < 0) return ("InvalidLossMask", $"'loss_mask'[{j}] is {mask[j].ToString(CultureInfo.InvariantCulture)}; mask values must be finite and ≥ 0 (0 = not trained).");
        return null;
    }

    private static (string ErrorId, string Message)? CheckArray(float[]? a, string field, int len)
    {
        if (a is null) return ("MissingInput", $"the estimator needs per-token '{field}' and the rollout has none.");
        if (a.Length != len) return ("InputLengthMismatch", $"'{field}' has {a.Length} values but the completion has {len} tokens; they must align.");
        for (int j = 0; j < a.Length; j++)
            if (!float.IsFinite(a[j])) return ("NonFiniteInput", $"'{field}'[{j}] is {a[j].ToString(CultureInfo.InvariantCulture)}; per-token inputs must be finite.");
        return null;
    }

    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("name", Name);
            w.WriteStartObject("parameters");
            foreach (var (prop, info) in Describe(GetType()))
            {
                w.WritePropertyName(info.Name);
                JsonSerializer.Serialize(w, prop.GetValue(this), prop.PropertyType);
            }
            w.WriteEndObject();
            if (SaveState() is { } state)
            {
                w.WritePropertyName("state");
                JsonSerializer.Serialize(w, state, state.GetType());
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    internal void Restore(JsonElement root)
    {
        if (root.TryGetProperty("parameters", out var ps) && ps.ValueKind == JsonValueKind.Object)
            foreach (var p in ps.EnumerateObject()) SetParameter(p.Name, p.Value);
        if (root.TryGetProperty("state", out var st) && st.ValueKind == JsonValueKind.Object) LoadState(st);
    }

    public override string ToString() => Name;
}
