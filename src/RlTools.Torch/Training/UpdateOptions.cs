using RlTools.Torch.Losses;
using RlTools.Torch.Optim;

namespace RlTools.Torch.Training;

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
    /// <summary>What the update optimises: a name from <see cref="Objectives.ObjectiveRegistry"/> (Rl, Sft, Hybrid, CalibRL).</summary>
    public string Objective { get; set; } = "Rl";
    /// <summary>Weight c_E of the objective's auxiliary term; null = the objective's default.</summary>
    public double? ExpertCoefficient { get; set; }
    /// <summary>CalibRL: a reward above this counts as a pass.</summary>
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
