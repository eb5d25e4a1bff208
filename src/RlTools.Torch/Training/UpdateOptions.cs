using RlTools.Torch.Losses;
using RlTools.Torch.Optim;

namespace RlTools.Torch.Training;

/// <summary>
/// What an update optimises.
/// <list type="bullet">
/// <item><c>Rl</c>: the chosen policy loss on every rollout (expert rows included; only GRAO treats them apart).</item>
/// <item><c>Sft</c>: cross-entropy −ℓ on every completion token (advantages ignored), aggregated with the chosen mode.</item>
/// <item><c>Hybrid</c>: the policy loss on on-policy rows (IsExpert = false) plus ExpertCoefficient (default 1) ×
/// the SFT cross-entropy on expert rows — the off-policy/expert mix of LUFFY (arXiv:2504.14945) and SRFT
/// (arXiv:2506.19767), and the shape hint-based methods such as ADHint (arXiv:2512.13095) reduce to when hint
/// tokens are masked with LossMask.</item>
/// <item><c>CalibRL</c> (Huang et al., arXiv:2602.20197): the policy loss on on-policy rows plus ExpertCoefficient
/// (default 0.1) × the guided term LeakyReLU_{0.5}(−(2·pass_i − 1)(ℓ_{i,t} − ℓ^exp_t))·|A_i|, token-mean over
/// on-policy tokens, where ℓ^exp_t is the behaviour log-prob of the group's expert row (same PromptId,
/// IsExpert = true) at the same index t and pass_i = Reward_i &gt; PassThreshold (0.1). The expert row itself gets
/// no policy-gradient term. Positions beyond the expert's length are left out (the released code compares them
/// with padding; RlTools does not).</item>
/// </list>
/// </summary>
public enum UpdateObjective { Rl, Sft, Hybrid, CalibRL }

/// <summary>Options of one <see cref="PolicyUpdater.Update"/> call (Update-RlPolicy's parameters). Null = the loss's or the saved state's value.</summary>
public sealed class UpdateOptions
{
    public string Loss { get; set; } = "PPO";
    /// <summary>Loss-specific parameters (see Get-RlPolicyLoss); ClipLow/ClipHigh/DualClip below override the same names.</summary>
    public Dictionary<string, double> LossParameters { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public double? ClipLow { get; set; }
    public double? ClipHigh { get; set; }
    public double? DualClip { get; set; }
    public double KLCoefficient { get; set; }
    public string KLEstimator { get; set; } = "k3";
    public double EntropyCoefficient { get; set; }
    /// <summary>Null: TokenMean (or the loss's forced mode).</summary>
    public LossAggregation? Aggregation { get; set; }
    /// <summary>S of SeqMeanTokenSumNorm; null = the rollouts' metadata.max_tokens (required when they do not carry it).</summary>
    public double? LossScaleFactor { get; set; }
    public int Epochs { get; set; } = 1;
    /// <summary>Rollouts per optimizer step; null = all of them (one step per epoch).</summary>
    public int? MiniBatchSize { get; set; }
    /// <summary>Rollouts per forward/backward pass (gradient accumulation); null = the mini-batch.</summary>
    public int? MicroBatchSize { get; set; }
    public double MaxGradNorm { get; set; } = 1.0;
    public double Temperature { get; set; } = 1.0;
    public UpdateObjective Objective { get; set; } = UpdateObjective.Rl;
    public double? ExpertCoefficient { get; set; }
    public double PassThreshold { get; set; } = 0.1;

    // Optimizer and schedule: null keeps the policy's saved value (or the default on the first update).
    public OptimizerKind? Optimizer { get; set; }
    public double? LearningRate { get; set; }
    public double? WeightDecay { get; set; }
    public double? Beta1 { get; set; }
    public double? Beta2 { get; set; }
    public double? Momentum { get; set; }
    public ScheduleKind? Schedule { get; set; }
    public long? WarmupSteps { get; set; }
    public long? TotalSteps { get; set; }
    public double? MinLearningRate { get; set; }
    /// <summary>LIFT sparse masks (only when the trainer state is created or reset).</summary>
    public LiftSettings? Lift { get; set; }
    /// <summary>Seed of the trainer's random source (only when the state is created or reset).</summary>
    public ulong Seed { get; set; }
    /// <summary>Discard the policy's optimizer moments and start a fresh trainer state.</summary>
    public bool ResetOptimizer { get; set; }
    /// <summary>
    /// Told after each micro-batch's backward pass (micro-batches done in the step, micro-batches of the step), on the
    /// calling thread; Update-RlPolicy's progress bar. Not part of the trainer state.
    /// </summary>
    public Action<int, int>? MicroBatchDone { get; set; }
}

/// <summary>An update that cannot start; <see cref="ErrorId"/> is the stable id the cmdlet reports.</summary>
public sealed class UpdateException : Exception
{
    public UpdateException(string errorId, string message, bool invalidArgument = true) : base(message)
    {
        ErrorId = errorId;
        InvalidArgument = invalidArgument;
    }

    public string ErrorId { get; }
    public bool InvalidArgument { get; }
}
