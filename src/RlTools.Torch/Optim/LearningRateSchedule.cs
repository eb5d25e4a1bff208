namespace RlTools.Torch.Optim;

/// <summary>Learning-rate schedule shapes (after the linear warm-up, which all share).</summary>
public enum ScheduleKind { Constant, Linear, Cosine }

/// <summary>
/// Learning rate at optimizer step s (0-based: the step about to be taken). Warm-up: for s &lt; W,
/// lr = base·(s + 1)/W. After it, with p = clamp((s − W)/max(1, S − W), 0, 1) and S = TotalSteps:
/// Constant: base; Linear: min + (base − min)(1 − p); Cosine: min + (base − min)·½(1 + cos πp).
/// Linear and Cosine need TotalSteps &gt; 0.
/// </summary>
public sealed record LearningRateSchedule(ScheduleKind Kind, double BaseLearningRate, long WarmupSteps = 0, long TotalSteps = 0, double MinLearningRate = 0)
{
    public double At(long step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return BaseLearningRate * (step + 1) / WarmupSteps;
        if (Kind == ScheduleKind.Constant) return BaseLearningRate;
        double p = Math.Clamp((double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps), 0, 1);
        double span = BaseLearningRate - MinLearningRate;
        return Kind == ScheduleKind.Linear
            ? MinLearningRate + span * (1 - p)
            : MinLearningRate + span * 0.5 * (1 + Math.Cos(Math.PI * p));
    }
}
