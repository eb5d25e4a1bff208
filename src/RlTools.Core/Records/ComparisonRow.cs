namespace RlTools.Core.Records;

/// <summary>One step of one estimator in <c>Compare-RlAdvantageEstimator</c> (step 0 is the starting checkpoint).</summary>
public sealed class ComparisonRow
{
    public string Estimator { get; set; } = "";
    public int Step { get; set; }
    /// <summary>Mean reward of the step's rollouts (null at step 0).</summary>
    public double? Reward { get; set; }
    /// <summary>Greedy held-out accuracy, measured every EvalEvery steps (carried forward between measurements).</summary>
    public double HeldoutAccuracy { get; set; }
    /// <summary>Mean per-token entropy of the step's rollouts (null at step 0).</summary>
    public double? Entropy { get; set; }
    /// <summary>KL to the starting checkpoint reported by the update (null at step 0).</summary>
    public double? Kl { get; set; }
    /// <summary>Mean completion length in tokens.</summary>
    public double ResponseLength { get; set; }
    /// <summary>Tokens the sampler produced this step for training and values (probes, hinted continuations, tree segments included; 0 at step 0).</summary>
    public long SampledTokens { get; set; }
    /// <summary>Seconds since this estimator's run started.</summary>
    public double Seconds { get; set; }
}
