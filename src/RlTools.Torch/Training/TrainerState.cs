using RlTools.Core;
using RlTools.Torch.Checkpoints;
using System.Text.Json;
using System.Text.Json.Serialization;
using RlTools.Core.IO;
using RlTools.Torch.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Training;

/// <summary>
/// What the update stage keeps with a policy between calls (<see cref="Policy.TrainerState"/>): the optimizer
/// and its moments, the step count, the learning-rate schedule, the LIFT masks and the random-number state.
/// Saved and restored exactly (<see cref="Save(Policy, string)"/> / <see cref="Load"/>), so an interrupted run
/// resumes bit for bit on CPU.
/// </summary>
public sealed class TrainerState : IDisposable
{
    /// <summary>File names inside a checkpoint folder.</summary>
    public const string StateFileName = "trainer_state.json", TensorFileName = "optimizer.safetensors";

    private TrainerState(ParameterOptimizer optimizer, LearningRateSchedule schedule, LiftSettings? lift, ulong seed)
    {
        Optimizer = optimizer;
        Schedule = schedule;
        Lift = lift;
        Random = new SplitMix64(seed);
    }

    public ParameterOptimizer Optimizer { get; }
    public LearningRateSchedule Schedule { get; set; }
    public LiftSettings? Lift { get; }
    public SplitMix64 Random { get; }

    /// <summary>Optimizer steps taken (equals <see cref="ParameterOptimizer.StepCount"/>).</summary>
    public long Step => Optimizer.StepCount;

    /// <summary>Creates fresh state for <paramref name="policy"/>'s trainable parameters.</summary>
    public static TrainerState Create(Policy policy, OptimizerSettings optimizer, LearningRateSchedule schedule, LiftSettings? lift, ulong seed)
    {
        var parameters = NamedParameters(policy);
        var opt = ParameterOptimizer.Create(parameters, optimizer);
        if (lift != null) LiftSparseMask.Attach(opt, policy.Model.VocabSize, lift);
        return new TrainerState(opt, schedule, lift, seed);
    }

    internal static List<(string Name, Tensor Param)> NamedParameters(Policy policy) =>
        policy.Model.Module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();

    /// <summary>
    /// Writes the state into the existing folder <paramref name="directory"/> (trainer_state.json and
    /// optimizer.safetensors). Not atomic by itself: call it inside <see cref="AtomicFile.WriteDirectory"/>'s build
    /// callback (as <see cref="Save(Policy, string)"/> and Export-RlPolicy do).
    /// </summary>
    public void WriteTo(string directory)
    {
        var doc = new StateDocument
        {
            Step = Optimizer.StepCount,
            Rng = Random.State.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Optimizer = Optimizer.Settings,
            Schedule = Schedule,
            Lift = Lift,
            Parameters = Optimizer.Parameters.Select(p => new ParameterEntry(p.Name, p.Param.shape)).ToList(),
            Frozen = Optimizer.Frozen.OrderBy(x => x, StringComparer.Ordinal).ToList(),
        };
        AtomicFile.Write(Path.Combine(directory, StateFileName), s => JsonSerializer.Serialize(s, doc, JsonOptions));
        // Tensors keep their own dtype (bf16/f16 state included), so the round trip is bit for bit.
        var tensors = Optimizer.State.Select(kv => (kv.Key, kv.Value))
            .Concat(Optimizer.Masks.Select(kv => ("mask/" + kv.Key, kv.Value)))
            .OrderBy(x => x.Item1, StringComparer.Ordinal).ToList();
        AtomicFile.Write(Path.Combine(directory, TensorFileName), s => SafetensorsFile.Write(s, tensors));
    }

    /// <summary>Saves <paramref name="policy"/>'s trainer state to the folder <paramref name="directory"/>, atomically (the previous folder survives a failed write).</summary>
    public static void Save(Policy policy, string directory)
    {
        var state = policy.TrainerState as TrainerState
            ?? throw new InvalidOperationException("The policy has no trainer state yet: run Update-RlPolicy first.");
        AtomicFile.WriteDirectory(directory, state.WriteTo);
    }

    /// <summary>True when <paramref name="directory"/> holds a saved trainer state.</summary>
    public static bool Exists(string directory) =>
        File.Exists(Path.Combine(directory, StateFileName)) && File.Exists(Path.Combine(directory, TensorFileName));

    /// <summary>
    /// Reads the trainer state saved in <paramref name="directory"/> for <paramref name="policy"/> (whose weights
    /// must already be loaded), attaches it (disposing any previous one) and sets <see cref="Policy.Step"/>.
    /// Throws <see cref="InvalidDataException"/> when the files are missing, corrupt or do not match the model.
    /// </summary>
    public static TrainerState Load(Policy policy, string directory)
    {
        string jsonPath = Path.Combine(directory, StateFileName), tensorPath = Path.Combine(directory, TensorFileName);
        if (!Exists(directory)) throw new InvalidDataException($"'{directory}' holds no trainer state ({StateFileName} and {TensorFileName}).");
        StateDocument doc;
        try { doc = JsonSerializer.Deserialize<StateDocument>(SafeFile.ReadSmallText(jsonPath), JsonOptions) ?? throw new InvalidDataException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"'{jsonPath}' is not a valid trainer state: {e.Message}", e); }
        CheckDocument(doc, jsonPath);
        var parameters = NamedParameters(policy);
        var expected = parameters.Select(p => new ParameterEntry(p.Name, p.Param.shape)).ToList();
        if (doc.Parameters is null || doc.Parameters.Count != expected.Count
            || !doc.Parameters.Zip(expected).All(x => x.First.Name == x.Second.Name && x.First.Shape.SequenceEqual(x.Second.Shape)))
            throw new InvalidDataException($"The trainer state in '{directory}' was saved for a different model (parameter names or shapes differ).");
        var opt = ParameterOptimizer.Create(parameters, doc.Optimizer ?? new OptimizerSettings());
        var state = new TrainerState(opt, doc.Schedule ?? new LearningRateSchedule(ScheduleKind.Constant, 1e-6), doc.Lift,
            ulong.Parse(doc.Rng ?? "0", System.Globalization.CultureInfo.InvariantCulture));
        opt.StepCount = doc.Step;
        foreach (var f in doc.Frozen ?? new List<string>()) opt.Frozen.Add(f);
        var loaded = SafetensorsFile.Open(tensorPath).ReadAll();
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var (key, t) in loaded)
            {
                if (key.StartsWith("mask/", StringComparison.Ordinal))
                {
                    string name = key["mask/".Length..];
                    var p = parameters.FirstOrDefault(x => x.Name == name).Param
                        ?? throw new InvalidDataException($"Mask for unknown parameter '{name}'.");
                    using (var off = (t != 0) & (t != 1))
                        if (off.any().ToBoolean()) throw new InvalidDataException($"LIFT mask '{key}' in '{tensorPath}' holds values other than 0 and 1.");
                    opt.Masks[name] = t.to(p.dtype, p.device).clone().DetachFromDisposeScope();
                }
                else if (opt.State.TryGetValue(key, out var target))
                {
                    if (!target.shape.SequenceEqual(t.shape)) throw new InvalidDataException($"Optimizer tensor '{key}' has the wrong shape.");
                    CheckMoment(key, t, tensorPath);
                    target.copy_(t);
                }
                else throw new InvalidDataException($"Unexpected optimizer tensor '{key}' in '{tensorPath}'.");
            }
            if (opt.State.Keys.Any(k => !loaded.ContainsKey(k)))
                throw new InvalidDataException($"'{tensorPath}' lacks optimizer tensors ({string.Join(", ", opt.State.Keys.Where(k => !loaded.ContainsKey(k)).Take(3))}...).");
        }
        catch
        {
            state.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
        if (!ReferenceEquals(policy.TrainerState, state)) (policy.TrainerState as IDisposable)?.Dispose();
        policy.TrainerState = state;
        policy.Step = (int)state.Step;
        return state;
    }

    public void Dispose() => Optimizer.Dispose();

    /// <summary>Largest magnitude accepted in a saved optimizer moment. Moments are running means of gradients
    /// (and of their squares); anything larger comes from a corrupt or hand-edited file, and would overflow the next step.</summary>
    public const double MaxMoment = 1e30;

    /// <summary>Refuses a trainer_state.json whose numbers cannot come from a real run (negative step, betas outside [0, 1), NaN settings).</summary>
    private static void CheckDocument(StateDocument doc, string file)
    {
        void Bad(string what) => throw new InvalidDataException($"'{file}' is not a plausible trainer state: {what}");
        if (doc.Step < 0 || doc.Step > int.MaxValue) Bad($"step is {doc.Step}; it must be a whole number from 0 to {int.MaxValue}.");
        if (doc.Optimizer is { } o)
        {
            if (!(o.Beta1 >= 0 && o.Beta1 < 1) || !(o.Beta2 >= 0 && o.Beta2 < 1)) Bad($"betas ({o.Beta1}, {o.Beta2}) must lie in [0, 1).");
            if (!(o.Eps > 0 && double.IsFinite(o.Eps))) Bad($"eps ({o.Eps}) must be a positive finite number.");
            if (!double.IsFinite(o.WeightDecay) || o.WeightDecay < 0) Bad($"weight decay ({o.WeightDecay}) must be finite and not negative.");
            if (!double.IsFinite(o.Momentum) || o.Momentum < 0) Bad($"momentum ({o.Momentum}) must be finite and not negative.");
            if (!double.IsFinite(o.Delta) || !double.IsFinite(o.WdRatio) || o.Delta < 0 || o.WdRatio < 0) Bad("AdamP's delta and wd_ratio must be finite and not negative.");
        }
        if (doc.Schedule is { } sc)
        {
            if (!(sc.BaseLearningRate >= 0 && double.IsFinite(sc.BaseLearningRate)) || !(sc.MinLearningRate >= 0 && double.IsFinite(sc.MinLearningRate)))
                Bad($"the learning rates ({sc.BaseLearningRate}, minimum {sc.MinLearningRate}) must be finite and not negative.");
            if (sc.WarmupSteps < 0 || sc.TotalSteps < 0) Bad("warmup and total steps must not be negative.");
        }
        if (doc.Lift is { } l && (l.FilterRank <= 0 || l.BudgetRank <= 0 || l.Interval < 0)) Bad("the LIFT ranks must be positive and the interval not negative.");
    }

    /// <summary>Refuses a saved moment with NaN, infinities, magnitudes over <see cref="MaxMoment"/>, or (second moments) negative entries.</summary>
    private static void CheckMoment(string key, Tensor t, string file)
    {
        using var scope = torch.NewDisposeScope();
        if (t.numel() == 0) return;
        if (!torch.isfinite(t).all().ToBoolean())
            throw new InvalidDataException($"Optimizer tensor '{key}' in '{file}' holds NaN or infinite values; the file is corrupt.");
        double max = t.max().ToDouble(), min = t.min().ToDouble();
        if (max > MaxMoment || min < -MaxMoment)
            throw new InvalidDataException($"Optimizer tensor '{key}' in '{file}' holds values over {MaxMoment:0e0} in magnitude, which no real run produces; the file is corrupt.");
        if (key.StartsWith("exp_avg_sq/", StringComparison.Ordinal) && min < 0)
            throw new InvalidDataException($"Optimizer tensor '{key}' in '{file}' holds negative second moments; the file is corrupt.");
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private sealed record ParameterEntry(string Name, long[] Shape);

    private sealed class StateDocument
    {
        public string Format { get; set; } = "rltools-trainer-state/1";
        public long Step { get; set; }
        public string? Rng { get; set; }
        public OptimizerSettings? Optimizer { get; set; }
        public LearningRateSchedule? Schedule { get; set; }
        public LiftSettings? Lift { get; set; }
        public List<ParameterEntry>? Parameters { get; set; }
        public List<string>? Frozen { get; set; }
    }
}
