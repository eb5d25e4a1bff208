namespace RlTools.Core.Advantages;

/// <summary>
/// Marks a public settable property of an estimator as a parameter: listed by
/// <c>Get-RlAdvantageEstimator</c>, set by <c>-Parameters @{ Name = value }</c>, saved by
/// <see cref="IAdvantageEstimator.ToJson"/>. Supported types: double, int, bool, string, double[], string[].
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AdvantageParameterAttribute : Attribute
{
    public AdvantageParameterAttribute(string description) => Description = description;

    /// <summary>What the parameter does, with the default's origin.</summary>
    public string Description { get; }

    /// <summary>For string parameters: the allowed values (matched case-insensitively).</summary>
    public string[]? Allowed { get; init; }
}
