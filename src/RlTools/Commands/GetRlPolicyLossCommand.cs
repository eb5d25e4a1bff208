using System.Management.Automation;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>Get-RlPolicyLoss: lists the policy-loss registry (names, papers, parameters and defaults).</summary>
[Cmdlet(VerbsCommon.Get, "RlPolicyLoss")]
[OutputType(typeof(PolicyLossInfo))]
public sealed class GetRlPolicyLossCommand : RlCmdlet
{
    /// <summary>Names or aliases to list (wildcards allowed); all when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [ArgumentCompleter(typeof(PolicyLossCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    private List<PolicyLossInfo>? _all;

    protected override void BeginProcessing() => _all = UpdateEngine.Losses();

    protected override void ProcessRecord()
    {
        if (Name is null || Name.Length == 0)
        {
            foreach (var l in _all!) WriteObject(l);
            return;
        }
        foreach (string n in Name)
        {
            var pattern = new WildcardPattern(n, WildcardOptions.IgnoreCase);
            var hits = _all!.Where(l => pattern.IsMatch(l.Name) || l.Aliases.Any(pattern.IsMatch)).ToList();
            if (hits.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(n))
                WriteRlError("UnknownLoss", ErrorCategory.ObjectNotFound, n, $"No policy loss is named '{n}'. Run Get-RlPolicyLoss to list them.");
            foreach (var l in hits) WriteObject(l);
        }
    }
}
