using System.Collections;
using System.Management.Automation;
using RlTools.Core.Advantages;

namespace RlTools.Commands;

/// <summary>
/// New-RlAdvantageEstimator: makes an estimator object (for stateful estimators such as ADORA and
/// R3Rank, the state lives in it across steps), or restores one from its JSON / an Import-Clixml copy.
/// </summary>
[Cmdlet(VerbsCommon.New, "RlAdvantageEstimator", DefaultParameterSetName = "Name")]
[OutputType(typeof(IAdvantageEstimator))]
public sealed class NewRlAdvantageEstimatorCommand : RlCmdlet
{
    /// <summary>Registry name.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name")]
    [ArgumentCompleter(typeof(AdvantageEstimatorCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Parameters, e.g. @{ Lambda = 0.2 }.</summary>
    [Parameter(ParameterSetName = "Name")]
    public Hashtable? Parameters { get; set; }

    /// <summary>JSON from an estimator's Json property / ToJson(), an estimator read back by Import-Clixml, or a live estimator (copied).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Restore", ValueFromPipeline = true)]
    [ValidateNotNull]
    public object Restore { get; set; } = null!;

    protected override void ProcessRecord()
    {
        try
        {
            if (ParameterSetName == "Name") { WriteObject(EstimatorResolver.FromName(Name, Parameters)); return; }
            object value = Restore is PSObject p ? p.BaseObject : Restore;
            string? json = value switch
            {
                IAdvantageEstimator live => live.ToJson(),
                string s => s,
                _ => Restore is PSObject ps ? EstimatorResolver.DeserializedJson(ps) : null,
            };
            if (json is null)
            {
                WriteRlError("InvalidEstimatorJson", ErrorCategory.InvalidArgument, Restore,
                    "-Restore takes an estimator's JSON (its Json property or ToJson()), an estimator read back by Import-Clixml, or an estimator object.");
                return;
            }
            WriteObject(EstimatorResolver.FromJson(json));
        }
        catch (EstimatorResolver.ResolveException e)
        {
            WriteRlError(e.ErrorId, e.Category, ParameterSetName == "Name" ? Name : Restore, e.Message, e);
        }
    }
}
