using RlTools.Core.Verifiers;

namespace RlTools.Commands;

/// <summary>Completes verifier names from <see cref="VerifierRegistry"/>.</summary>
public sealed class VerifierNameCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names() => VerifierRegistry.All.Select(v => (v.Name, v.Description));
}
