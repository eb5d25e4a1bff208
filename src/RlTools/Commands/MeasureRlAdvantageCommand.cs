using System.Collections;
using System.Management.Automation;
using RlTools.Core.Advantages;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>
/// Measure-RlAdvantage: buffers one step's rollouts, runs an advantage estimator over them (groups =
/// rollouts sharing prompt_id) and emits the same rollouts, in input order, with advantage (and
/// token_advantages for token-level estimators) set. Bad rollouts are reported; their group gets none.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "RlAdvantage")]
[OutputType(typeof(Rollout))]
public sealed class MeasureRlAdvantageCommand : RlCmdlet
{
    /// <summary>A registry name (GRPO, RLOO, ...) or an estimator object from New-RlAdvantageEstimator.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(AdvantageEstimatorCompleter))]
    [ValidateNotNull]
    public object Estimator { get; set; } = null!;

    /// <summary>Parameters of the estimator, e.g. @{ Epsilon = 1e-4; UnbiasedStd = $false }.</summary>
    [Parameter]
    public Hashtable? Parameters { get; set; }

    /// <summary>
    /// KL in the reward (verl use_kl_in_reward): a number β (fixed) or a <see cref="KlController"/> (e.g.
    /// [RlTools.Core.Advantages.KlController]::Adaptive(0.001, 0.1, 10000), verl's adaptive controller, updated in place).
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public object? KLInReward { get; set; }

    /// <summary>KL estimator of the reward penalty (verl kl_penalty; default k1, verl's "kl").</summary>
    [Parameter]
    [ValidateKlEstimator]
    [ArgumentCompleter(typeof(KlEstimatorCompleter))]
    public string KLEstimator { get; set; } = "k1";

    /// <summary>Rollouts of one step; typed loosely so that piped prompts get one clear error.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public PSObject? InputObject { get; set; }

    private readonly List<Rollout> _batch = new();
    private IAdvantageEstimator _estimator = null!;
    private KlRewardPenalty? _kl;

    protected override void BeginProcessing()
    {
        try { _estimator = Resolve(); }
        catch (EstimatorResolver.ResolveException e) { ThrowRlError(e.ErrorId, e.Category, Estimator, e.Message, e); }
        if (KLInReward is not null) _kl = KlFromParameter(KLInReward);
        else if (MyInvocation.BoundParameters.ContainsKey(nameof(KLEstimator)))
            WriteWarning("-KLEstimator has no effect without -KLInReward.");
    }

    private KlRewardPenalty? KlFromParameter(object value)
    {
        object v = value is PSObject p ? p.BaseObject : value;
        try
        {
            if (v is KlController c) return new KlRewardPenalty(c, KLEstimator);
            if (v is string or double or float or int or long or decimal)
                return new KlRewardPenalty(KlController.Fixed(Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)), KLEstimator);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            ThrowRlError("InvalidKLInReward", ErrorCategory.InvalidArgument, value, $"-KLInReward: {e.Message}", e);
        }
        ThrowRlError("InvalidKLInReward", ErrorCategory.InvalidArgument, value,
            $"-KLInReward takes a coefficient β (a number ≥ 0) or a controller from [RlTools.Core.Advantages.KlController]::Adaptive(β0, targetKl, horizon); got a {v.GetType().FullName}.");
        return null;
    }

    private IAdvantageEstimator Resolve()
    {
        object value = Estimator is PSObject p ? p.BaseObject : Estimator;
        if (value is IAdvantageEstimator live)
        {
            EstimatorResolver.Apply(live, Parameters);
            return live;
        }
        if (value is string name) return EstimatorResolver.FromName(name, Parameters);
        if (Estimator is PSObject ps && EstimatorResolver.DeserializedJson(ps) is { } json)
        {
            var est = EstimatorResolver.FromJson(json);
            if (est.IsStateful)
                throw new EstimatorResolver.ResolveException("DeserializedEstimator", ErrorCategory.InvalidArgument,
                    $"This {est.Name} estimator was read back by Import-Clixml and is a copy without its live state; updates would be lost. " +
                    "Restore it first: $e = New-RlAdvantageEstimator -Restore (Import-Clixml file.xml), then pass $e.");
            EstimatorResolver.Apply(est, Parameters);
            return est;
        }
        throw new EstimatorResolver.ResolveException("InvalidEstimator", ErrorCategory.InvalidArgument,
            $"-Estimator takes a name ({string.Join(", ", AdvantageEstimatorRegistry.Names)}) or an object from New-RlAdvantageEstimator; got a {value.GetType().FullName}.");
    }

    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            WriteRlError("NullRollout", ErrorCategory.InvalidData, null, "A null rollout reached Measure-RlAdvantage; pipe RlTools.Core.Records.Rollout objects.");
            return;
        }
        if (ReadRollout(InputObject) is { } rollout) _batch.Add(rollout);
    }

    protected override void EndProcessing()
    {
        AdvantageResult result;
        try { result = _estimator.Estimate(_batch, _kl); }
        catch (ArgumentException e)
        {
            ThrowRlError("InvalidEstimatorParameter", ErrorCategory.InvalidArgument, _estimator, e.Message, e);
            return;
        }
        foreach (var issue in result.Issues)
            WriteRlError(issue.ErrorId, ErrorCategory.InvalidData, issue.Rollout, issue.Message + ScoredWithoutReward(issue.Rollout));
        WriteVerbose($"{_estimator.Name}: {result.RolloutCount} rollouts in {result.GroupCount} groups got advantages; {result.ExcludedGroupCount} groups excluded.");
        if (_kl is not null)
            WriteVerbose(FormattableString.Invariant($"KL in reward ({_kl.Estimator}): reward_kl_penalty {result.RewardKlPenalty}, reward_kl_penalty_coeff {result.RewardKlPenaltyCoefficient}; controller now {_kl.Controller}."));
        foreach (var r in _batch) WriteObject(r);
    }

    /// <summary>For a rollout Measure-RlReward did score but left without a reward: why, so that "score it first" is not the last word.</summary>
    private static string ScoredWithoutReward(Rollout r) =>
        r.Reward is null && r.Rewards is { Count: > 0 } components && components.Values.All(v => v is null)
            ? $" Measure-RlReward did run on it, but none of its components ({string.Join(", ", components.Keys)}) applied, so its reward is null; " +
              "Measure-RlReward's errors say why (for example, no gold answer: import the dataset with -AnswerField)."
            : "";
}
