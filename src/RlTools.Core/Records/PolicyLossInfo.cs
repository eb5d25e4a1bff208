namespace RlTools.Core.Records;

/// <summary>One entry of the policy-loss registry, as Get-RlPolicyLoss lists it.</summary>
public sealed class PolicyLossInfo
{
    /// <summary>The name -Loss accepts.</summary>
    public string Name { get; set; } = "";
    /// <summary>Other accepted names.</summary>
    public string[] Aliases { get; set; } = Array.Empty<string>();
    /// <summary>The paper (arXiv id).</summary>
    public string Paper { get; set; } = "";
    /// <summary>What the loss does, in one line.</summary>
    public string Summary { get; set; } = "";
    /// <summary>The aggregation the method always uses, whatever -LossAggregation says (null: the user's choice).</summary>
    public string? ForcedAggregation { get; set; }
    /// <summary>The loss's parameters (set through -ClipLow/-ClipHigh/-DualClip or -LossParameter).</summary>
    public ParameterSpec[] Parameters { get; set; } = Array.Empty<ParameterSpec>();
}
