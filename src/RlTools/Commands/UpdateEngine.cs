using System.Collections;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using RlTools.Core.Records;
using RlTools.Torch;
using RlTools.Torch.Losses;
using RlTools.Torch.Optim;
using RlTools.Torch.Training;

namespace RlTools.Commands;

/// <summary>The update stage's calls into RlTools.Torch, each not inlined (see <see cref="Engine"/>).</summary>
internal static class UpdateEngine
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool IsPolicy(object? o) => o is Policy;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool IsFrozen(object o) => ((Policy)o).Frozen;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static (string Id, string Message)? Check(object policy, Rollout r, object options) =>
        PolicyUpdater.Check(r, (UpdateOptions)options, ((Policy)policy).Model.VocabSize);

    /// <summary>Runs the update; returns an error (id, message) instead of throwing for a broken precondition.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static (string Id, string Message)? Run(object policy, object? reference, IReadOnlyList<Rollout> rollouts, object options,
        Action<UpdateResult> onStep, CancellationToken cancel)
    {
        try
        {
            PolicyUpdater.Update((Policy)policy, rollouts, (UpdateOptions)options, (Policy?)reference, onStep, cancel);
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

    /// <summary>
    /// The one translation of Update-RlPolicy's parameters into <see cref="UpdateOptions"/> (returned opaque, so the
    /// cmdlet holds no Torch type). A parameter that was not bound leaves the option null (the loss's, the saved state's
    /// or the default value); a test checks that every option has its parameter.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static object Options(UpdateRlPolicyCommand c, Dictionary<string, double> lossParameters)
    {
        var bound = c.MyInvocation.BoundParameters;
        double? D(string name, double v) => bound.ContainsKey(name) ? v : null;
        long? L(string name, long v) => bound.ContainsKey(name) ? v : null;
        int? I(string name, int v) => bound.ContainsKey(name) ? v : null;
        return new UpdateOptions
        {
            Loss = c.Loss, LossParameters = lossParameters,
            ClipLow = D(nameof(c.ClipLow), c.ClipLow), ClipHigh = D(nameof(c.ClipHigh), c.ClipHigh), DualClip = D(nameof(c.DualClip), c.DualClip),
            KLCoefficient = c.KLCoefficient, KLEstimator = c.KLEstimator, EntropyCoefficient = c.EntropyCoefficient,
            Aggregation = c.LossAggregation is null ? null : Enum.Parse<LossAggregation>(c.LossAggregation, ignoreCase: true),
            LossScaleFactor = D(nameof(c.LossScaleFactor), c.LossScaleFactor),
            Epochs = c.Epochs, MiniBatchSize = I(nameof(c.MiniBatchSize), c.MiniBatchSize), MicroBatchSize = I(nameof(c.MicroBatchSize), c.MicroBatchSize),
            MaxGradNorm = c.MaxGradNorm, Temperature = c.Temperature,
            Objective = c.Objective, ExpertCoefficient = D(nameof(c.ExpertCoefficient), c.ExpertCoefficient),
            PassThreshold = c.PassThreshold,
            Optimizer = c.Optimizer is null ? null : Enum.Parse<OptimizerKind>(c.Optimizer, ignoreCase: true),
            LearningRate = D(nameof(c.LearningRate), c.LearningRate), WeightDecay = D(nameof(c.WeightDecay), c.WeightDecay),
            Beta1 = D(nameof(c.Beta1), c.Beta1), Beta2 = D(nameof(c.Beta2), c.Beta2), Momentum = D(nameof(c.Momentum), c.Momentum),
            Schedule = c.Schedule is null ? null : Enum.Parse<ScheduleKind>(c.Schedule, ignoreCase: true),
            WarmupSteps = L(nameof(c.WarmupSteps), c.WarmupSteps), TotalSteps = L(nameof(c.TotalSteps), c.TotalSteps),
            MinLearningRate = D(nameof(c.MinLearningRate), c.MinLearningRate),
            Lift = c.SparseMask.IsPresent ? new LiftSettings(c.SparseMaskSetting[0], c.SparseMaskSetting[1], c.SparseMaskSetting[2]) : null,
            Seed = c.Seed, ResetOptimizer = c.ResetOptimizer.IsPresent,
        };
    }

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
        Parameters = l.Parameters.ToArray(),
    }).ToList();

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IEnumerable<(string Name, string Description)> ObjectiveNames() =>
        RlTools.Torch.Training.Objectives.ObjectiveRegistry.All.Select(o => (o.Name, $"{o.Summary} ({o.Paper})")).ToList();

    /// <summary>True when <paramref name="name"/> is a registered update objective.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool IsObjective(string name) => RlTools.Torch.Training.Objectives.ObjectiveRegistry.Find(name) != null;

    /// <summary>True when <paramref name="name"/> is a registered loss or alias.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool IsLoss(string name) => PolicyLossRegistry.Find(name) != null;
}

/// <summary>Tab completion for -Loss from the policy-loss registry.</summary>
public sealed class PolicyLossCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names() => UpdateEngine.LossNames();
}

/// <summary>Tab completion for -Objective from the objective registry.</summary>
public sealed class ObjectiveCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names() => UpdateEngine.ObjectiveNames();
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
            object? v = PowerShellValues.Unwrap(e.Value);
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
