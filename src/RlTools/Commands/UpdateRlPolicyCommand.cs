using System.Collections;
using System.Management.Automation;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>
/// Update-RlPolicy: the last stage of a step. Buffers the piped rollouts (each checked; a bad one is reported
/// and skipped), then runs the update and writes one <see cref="UpdateResult"/> per optimizer step.
/// </summary>
[Cmdlet(VerbsData.Update, "RlPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(UpdateResult))]
public sealed class UpdateRlPolicyCommand : RlCmdlet
{
    private readonly List<Rollout> _rollouts = new();
    private readonly CancellationTokenSource _cancel = new();
    private object _options = null!; // RlTools.Torch UpdateOptions, built once by UpdateEngine.Options
    private object _policy = null!;
    private object? _reference;

    /// <summary>The policy to update (Import-RlPolicy / New-RlPolicy).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public object Policy { get; set; } = null!;

    /// <summary>Rollouts with advantages.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public Rollout? InputObject { get; set; }

    /// <summary>Frozen reference policy for the KL term.</summary>
    [Parameter]
    public object? Reference { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(PolicyLossCompleter))]
    public string Loss { get; set; } = "PPO";

    [Parameter]
    public Hashtable? LossParameter { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double ClipLow { get; set; }

    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double ClipHigh { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1000.0)]
    public double DualClip { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1000.0)]
    [Alias("Beta")]
    public double KLCoefficient { get; set; }

    [Parameter]
    [ValidateKlEstimator]
    [ArgumentCompleter(typeof(KlEstimatorCompleter))]
    public string KLEstimator { get; set; } = "k3";

    /// <summary>Removed: KL in the reward is applied before the estimator, by Measure-RlAdvantage -KLInReward.</summary>
    [Parameter]
    public SwitchParameter KLInReward { get; set; }

    [Parameter]
    [ValidateRange(-10.0, 10.0)]
    public double EntropyCoefficient { get; set; }

    [Parameter]
    [ValidateSet("TokenMean", "TokenSum", "SeqMeanTokenSum", "SeqMeanTokenSumNorm", "SeqMeanTokenMean", IgnoreCase = true)]
    public string? LossAggregation { get; set; }

    [Parameter]
    [ValidateRange(1e-9, 1e12)]
    public double LossScaleFactor { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ObjectiveCompleter))]
    public string Objective { get; set; } = "Rl";

    [Parameter]
    [ValidateRange(0.0, 1000.0)]
    public double ExpertCoefficient { get; set; }

    /// <summary>-Objective CalibRL: a reward above this counts as a pass (default 0.1).</summary>
    [Parameter]
    [ValidateRange(-1e9, 1e9)]
    public double PassThreshold { get; set; } = 0.1;

    [Parameter]
    [ValidateRange(1, 10000)]
    public int Epochs { get; set; } = 1;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MiniBatchSize { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MicroBatchSize { get; set; }

    [Parameter]
    [ValidateRange(0.0, 10.0)]
    public double LearningRate { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1e9)]
    public double MaxGradNorm { get; set; } = 1.0;

    [Parameter]
    [ValidateRange(1e-6, 1000.0)]
    public double Temperature { get; set; } = 1.0;

    [Parameter]
    [ValidateSet("AdamW", "AdamP", "SGD", IgnoreCase = true)]
    public string? Optimizer { get; set; }

    [Parameter]
    [ValidateRange(0.0, 10.0)]
    public double WeightDecay { get; set; }

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double Momentum { get; set; }

    /// <summary>AdamW/AdamP β₁ (first-moment decay); default 0.9 or the saved state's.</summary>
    [Parameter]
    [ValidateRange(0.0, 0.999999)]
    public double Beta1 { get; set; }

    /// <summary>AdamW/AdamP β₂ (second-moment decay); default 0.999 or the saved state's.</summary>
    [Parameter]
    [ValidateRange(0.0, 0.999999999)]
    public double Beta2 { get; set; }

    [Parameter]
    [ValidateSet("Constant", "Linear", "Cosine", IgnoreCase = true)]
    public string? Schedule { get; set; }

    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long WarmupSteps { get; set; }

    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long TotalSteps { get; set; }

    [Parameter]
    [ValidateRange(0.0, 10.0)]
    public double MinLearningRate { get; set; }

    [Parameter]
    public SwitchParameter SparseMask { get; set; }

    [Parameter]
    [ValidateCount(3, 3)]
    [ValidateRange(0, 1_000_000)]
    public int[] SparseMaskSetting { get; set; } = { 128, 128, 200 };

    [Parameter]
    public ulong Seed { get; set; }

    [Parameter]
    public SwitchParameter ResetOptimizer { get; set; }

    protected override void BeginProcessing()
    {
        _policy = Unwrap(Policy)!;
        _reference = Unwrap(Reference);
        if (!UpdateEngine.IsPolicy(_policy))
            ThrowRlError("NotAPolicy", ErrorCategory.InvalidArgument, Policy, $"-Policy must be a policy from Import-RlPolicy or New-RlPolicy, not a {_policy.GetType().Name}.");
        if (_reference != null && !UpdateEngine.IsPolicy(_reference))
            ThrowRlError("NotAPolicy", ErrorCategory.InvalidArgument, Reference, $"-Reference must be a policy from Import-RlPolicy, not a {_reference.GetType().Name}.");
        if (KLInReward.IsPresent)
            ThrowRlError("KLInRewardMoved", ErrorCategory.InvalidArgument, "KLInReward",
                "Update-RlPolicy -KLInReward was removed: verl's use_kl_in_reward shapes the rewards before the advantage estimator, " +
                "so it now lives in the advantage stage. Use Measure-RlAdvantage <estimator> -KLInReward <β> [-KLEstimator k1|k3|...] on rollouts " +
                "that carry logprobs and ref_logprobs, and drop -KLInReward (and -KLCoefficient) here.");
        if (UpdateEngine.IsFrozen(_policy))
            ThrowRlError("PolicyFrozen", ErrorCategory.InvalidOperation, Policy, "The policy is frozen (imported with -Frozen, e.g. a reference); pass the trainable policy to -Policy.");
        if (!UpdateEngine.IsLoss(Loss))
            ThrowRlError("UnknownLoss", ErrorCategory.InvalidArgument, Loss, $"Unknown loss '{Loss}'. Get-RlPolicyLoss lists them: {string.Join(", ", UpdateEngine.LossNames().Select(n => n.Name))}.");
        if (!UpdateEngine.IsObjective(Objective))
            ThrowRlError("UnknownObjective", ErrorCategory.InvalidArgument, Objective, $"Unknown objective '{Objective}'. Objectives: {string.Join(", ", UpdateEngine.ObjectiveNames().Select(n => n.Name))}.");
        var table = LossParameterTable.Convert(LossParameter, out string? problem);
        if (problem != null) ThrowRlError("LossParameterInvalid", ErrorCategory.InvalidArgument, LossParameter, problem);
        _options = UpdateEngine.Options(this, table);
    }

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        if (UpdateEngine.Check(_policy, InputObject, _options) is { } problem)
        {
            WriteRlError(problem.Id, ErrorCategory.InvalidData, InputObject, problem.Message);
            return;
        }
        _rollouts.Add(InputObject);
    }

    protected override void EndProcessing()
    {
        if (_rollouts.Count == 0)
        {
            WriteWarning("Update-RlPolicy received no usable rollouts; the policy was not updated.");
            return;
        }
        if (!ShouldProcess($"policy ({_rollouts.Count} rollouts, loss {Loss})", "Update")) return;
        try
        {
            var error = UpdateEngine.Run(_policy, _reference, _rollouts, _options, r =>
            {
                if (r.Skipped) WriteWarning($"Step {r.Step + 1} was skipped: {r.SkipReason}.");
                WriteObject(r);
            }, _cancel.Token);
            if (error is { } e) ThrowRlError(e.Id, e.Id == "UpdateFailed" ? ErrorCategory.InvalidOperation : ErrorCategory.InvalidArgument, null, e.Message);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C between steps: the steps already taken stay applied.
        }
    }

    protected override void StopProcessing() => _cancel.Cancel();

    private static object? Unwrap(object? o) => o is PSObject ps ? ps.BaseObject : o;
}
