using System.Collections;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using RlTools.Core.Records;
using RlTools.Torch;
using RlTools.Torch.Losses;
using RlTools.Torch.Optim;
using RlTools.Torch.Training;

namespace RlTools.Commands;

/// <summary>Plain-data settings Update-RlPolicy hands to the engine (no Torch types, so the cmdlet stays Torch-free).</summary>
internal sealed class UpdateRequest
{
    public string Loss = "PPO";
    public Dictionary<string, double> LossParameters = new(StringComparer.OrdinalIgnoreCase);
    public double? ClipLow, ClipHigh, DualClip, ExpertCoefficient, LearningRate, WeightDecay, Momentum, MinLearningRate, LossScaleFactor;
    public double KLCoefficient, EntropyCoefficient, MaxGradNorm = 1.0, Temperature = 1.0;
    public string KLEstimator = "k3";
    public bool ResetOptimizer;
    public string? Aggregation, Optimizer, Schedule;
    public string Objective = "Rl";
    public int Epochs = 1;
    public int? MiniBatchSize, MicroBatchSize;
    public long? WarmupSteps, TotalSteps;
    public int[]? Lift;
    public ulong Seed;
    public Action<int, int>? MicroBatchDone;
}

/// <summary>The update stage's calls into RlTools.Torch, each not inlined (see <see cref="Engine"/>).</summary>
internal static class UpdateEngine
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool IsPolicy(object? o) => o is Policy;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool IsFrozen(object o) => ((Policy)o).Frozen;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static (string Id, string Message)? Check(object policy, Rollout r, UpdateRequest q) =>
        PolicyUpdater.Check(r, Options(q), ((Policy)policy).Model.VocabSize);

    /// <summary>Runs the update; returns an error (id, message) instead of throwing for a broken precondition.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static (string Id, string Message)? Run(object policy, object? reference, IReadOnlyList<Rollout> rollouts, UpdateRequest q,
        Action<UpdateResult> onStep, CancellationToken cancel)
    {
        try
        {
            PolicyUpdater.Update((Policy)policy, rollouts, Options(q), (Policy?)reference, onStep, cancel);
            return null;
        }
        catch (UpdateException e)
        {
            return (e.ErrorId, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException and not PipelineStoppedException)
        {
            // libtorch failures (out of memory, a model that rejects the batch): report, never a stack trace.
            return ("UpdateFailed", $"The update failed: {e.Message} Steps before the failure stay applied; try a smaller -MicroBatchSize if memory ran out.");
        }
    }

    private static UpdateOptions Options(UpdateRequest q) => new()
    {
        Loss = q.Loss, LossParameters = q.LossParameters, ClipLow = q.ClipLow, ClipHigh = q.ClipHigh, DualClip = q.DualClip,
        KLCoefficient = q.KLCoefficient, KLEstimator = q.KLEstimator, EntropyCoefficient = q.EntropyCoefficient,
        Aggregation = q.Aggregation is null ? null : Enum.Parse<LossAggregation>(q.Aggregation, ignoreCase: true),
        LossScaleFactor = q.LossScaleFactor,
        Epochs = q.Epochs, MiniBatchSize = q.MiniBatchSize, MicroBatchSize = q.MicroBatchSize, MaxGradNorm = q.MaxGradNorm,
        Temperature = q.Temperature, Objective = Enum.Parse<UpdateObjective>(q.Objective, ignoreCase: true), ExpertCoefficient = q.ExpertCoefficient,
        Optimizer = q.Optimizer is null ? null : Enum.Parse<OptimizerKind>(q.Optimizer, ignoreCase: true),
        LearningRate = q.LearningRate, WeightDecay = q.WeightDecay, Momentum = q.Momentum,
        Schedule = q.Schedule is null ? null : Enum.Parse<ScheduleKind>(q.Schedule, ignoreCase: true),
        WarmupSteps = q.WarmupSteps, TotalSteps = q.TotalSteps, MinLearningRate = q.MinLearningRate,
        Lift = q.Lift is { } l ? new LiftSettings(l[0], l[1], l[2]) : null, Seed = q.Seed, ResetOptimizer = q.ResetOptimizer,
        MicroBatchDone = q.MicroBatchDone,
    };

    /// <summary>True when the policy holds trainer state (it has been through Update-RlPolicy).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool HasTrainerState(object policy) => ((Policy)policy).TrainerState is TrainerState;

    /// <summary>
    /// Loads the trainer state saved in <paramref name="directory"/> into <paramref name="policy"/> (weights already
    /// loaded) and sets its Step; returns null, or an error (id, message) when the folder has none or it is invalid.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static (string Id, string Message)? LoadTrainerState(object policy, string directory)
    {
        if (!TrainerState.Exists(directory))
            return ("TrainerStateNotFound", $"'{directory}' holds no trainer state ({TrainerState.StateFileName} and {TrainerState.TensorFileName}). " +
                "Export the policy with Export-RlPolicy -IncludeOptimizerState after Update-RlPolicy, or import without -Resume.");
        try
        {
            TrainerState.Load((Policy)policy, directory);
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException or OverflowException
            or ArgumentException or NotSupportedException or InvalidOperationException or KeyNotFoundException
            or System.Text.Json.JsonException or RlTools.Torch.Checkpoints.CheckpointException)
        {
            return ("TrainerStateInvalid", $"The trainer state in '{directory}' cannot be restored: {e.Message} " +
                "Re-export it with Export-RlPolicy -IncludeOptimizerState, or import without -Resume to start fresh optimizer state.");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IEnumerable<(string Name, string Description)> LossNames() =>
        PolicyLossRegistry.All.Select(l => (l.Name, $"{l.Summary} ({l.Paper})")).ToList();

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static List<PolicyLossInfo> Losses() => PolicyLossRegistry.All.Select(l => new PolicyLossInfo
    {
        Name = l.Name, Aliases = l.Aliases.ToArray(), Paper = l.Paper, Summary = l.Summary,
        ForcedAggregation = l.ForcedAggregation?.ToString(),
        Parameters = l.Parameters.Select(p => new PolicyLossParameterInfo { Name = p.Name, Default = double.IsNaN(p.Default) ? null : p.Default, Description = p.Description }).ToArray(),
    }).ToList();

    /// <summary>True when <paramref name="name"/> is a registered loss or alias.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool IsLoss(string name) => PolicyLossRegistry.Find(name) != null;
}

/// <summary>Tab completion for -Loss from the policy-loss registry.</summary>
public sealed class PolicyLossCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names() => UpdateEngine.LossNames();
}

/// <summary>Converts a -LossParameter hashtable to names and numbers.</summary>
internal static class LossParameterTable
{
    public static Dictionary<string, double> Convert(Hashtable? table, out string? problem)
    {
        problem = null;
        var d = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        if (table is null) return d;
        foreach (DictionaryEntry e in table)
        {
            object? v = e.Value is PSObject ps ? ps.BaseObject : e.Value;
            try { d[e.Key.ToString() ?? ""] = System.Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture); }
            catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
            {
                problem = $"-LossParameter '{e.Key}' must be a number, not '{v}'.";
                return d;
            }
        }
        return d;
    }
}
