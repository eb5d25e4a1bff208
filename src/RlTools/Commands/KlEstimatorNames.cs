using System.Management.Automation;
using RlTools.Core.Advantages;

namespace RlTools.Commands;

/// <summary>Completes KL estimator names from <see cref="KlPenalty.Names"/>.</summary>
public sealed class KlEstimatorCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names() => KlPenalty.Names.Select(n => (n, "KL estimator " + n));
}

/// <summary>Accepts exactly the names <see cref="KlPenalty.Names"/> lists (the same list the completer and help show).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateKlEstimatorAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        string name = (arguments is PSObject p ? p.BaseObject : arguments)?.ToString() ?? "";
        try { KlPenalty.Parse(name); }
        catch (ArgumentException e) { throw new ValidationMetadataException(e.Message); }
    }
}
