using RlTools.Core.Advantages;

namespace RlTools.Commands;

/// <summary>Completes advantage estimator names from <see cref="AdvantageEstimatorRegistry"/>.</summary>
public sealed class AdvantageEstimatorCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names()
    {
        foreach (var info in AdvantageEstimatorRegistry.Describe())
            yield return (info.Name, $"{info.Name} ({info.Level}): {info.Summary}");
    }
}
