using System.Management.Automation;
using RlTools.Core.Verifiers;

namespace RlTools.Commands;

/// <summary>Get-RlVerifier: lists the verifier registry (name, what it checks, source, parameters with defaults).</summary>
[Cmdlet(VerbsCommon.Get, "RlVerifier")]
[OutputType(typeof(VerifierInfo))]
public sealed class GetRlVerifierCommand : RlCmdlet
{
    /// <summary>Names or wildcard patterns; all verifiers when omitted.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(VerifierNameCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    protected override void EndProcessing()
    {
        if (Name is null || Name.Length == 0)
        {
            foreach (var v in VerifierRegistry.All) WriteObject(v);
            return;
        }
        foreach (string n in Name)
        {
            var pattern = new WildcardPattern(n, WildcardOptions.IgnoreCase);
            var hits = VerifierRegistry.All.Where(v => pattern.IsMatch(v.Name)).ToList();
            if (hits.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(n))
                WriteRlError("VerifierNotFound", ErrorCategory.ObjectNotFound, n, $"There is no verifier named '{n}'. Valid names: {VerifierRegistry.NameList}.");
            foreach (var v in hits) WriteObject(v);
        }
    }
}
