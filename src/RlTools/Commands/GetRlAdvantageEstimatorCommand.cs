using System.Management.Automation;
using RlTools.Core.Advantages;

namespace RlTools.Commands;

/// <summary>Get-RlAdvantageEstimator: lists the registered estimators (name, level, source, inputs, parameters with defaults).</summary>
[Cmdlet(VerbsCommon.Get, "RlAdvantageEstimator")]
[OutputType(typeof(AdvantageEstimatorInfo))]
public sealed class GetRlAdvantageEstimatorCommand : RlCmdlet
{
    /// <summary>Names or wildcard patterns; all when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [ArgumentCompleter(typeof(AdvantageEstimatorCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var all = AdvantageEstimatorRegistry.Describe();
        if (Name is null || Name.Length == 0) { foreach (var i in all) WriteObject(i); return; }
        foreach (var n in Name)
        {
            var pattern = new WildcardPattern(n, WildcardOptions.IgnoreCase);
            bool any = false;
            foreach (var i in all)
                if (pattern.IsMatch(i.Name)) { WriteObject(i); any = true; }
            if (!any && !WildcardPattern.ContainsWildcardCharacters(n))
                WriteRlError("UnknownEstimator", ErrorCategory.ObjectNotFound, n,
                    $"'{n}' is not a registered advantage estimator. Valid names: {string.Join(", ", AdvantageEstimatorRegistry.Names)}.");
        }
    }
}
