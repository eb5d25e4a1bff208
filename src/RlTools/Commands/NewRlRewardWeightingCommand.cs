using System.Collections;
using System.Management.Automation;
using RlTools.Core.Rewards;

namespace RlTools.Commands;

/// <summary>Completes -Name of New-RlRewardWeighting from the controller registry.</summary>
public sealed class RewardWeightingNameCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names()
        => RewardWeightingRegistry.All.Select(i => (i.Name, i.Description));
}

/// <summary>
/// New-RlRewardWeighting: creates a stateful reward-weight controller (hypervolume-guided or gradient-based
/// dynamic weighting, constrained-RLHF Lagrange multipliers) for Measure-RlReward -WeightController, or
/// restores one from its JSON state.
/// </summary>
[Cmdlet(VerbsCommon.New, "RlRewardWeighting", DefaultParameterSetName = NewSet)]
[OutputType(typeof(RewardWeightingController))]
public sealed class NewRlRewardWeightingCommand : RlCmdlet
{
    private const string NewSet = "New";
    private const string JsonSet = "Json";

    /// <summary>Registry name: Hypervolume, Gradient or Lagrange.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NewSet)]
    [ArgumentCompleter(typeof(RewardWeightingNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The reward components (keys of the rollouts' rewards map), in order.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = NewSet)]
    [ValidateNotNullOrEmpty]
    public string[] Components { get; set; } = Array.Empty<string>();

    /// <summary>Controller parameters (see the help for each controller's names and defaults).</summary>
    [Parameter(ParameterSetName = NewSet)]
    public Hashtable? Parameters { get; set; }

    /// <summary>A state written by the controller's ToJson() method, to restore it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = JsonSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("State")]
    [ValidateNotNullOrEmpty]
    public string Json { get; set; } = "";

    protected override void ProcessRecord()
    {
        if (ParameterSetName == JsonSet)
        {
            try { WriteObject(RewardWeightingController.FromJson(Json)); }
            catch (ArgumentException e)
            {
                WriteRlError("InvalidRewardWeightingState", ErrorCategory.InvalidData, Json,
                    e.Message + " Pass the text written by the controller's ToJson() method, e.g. -Json (Get-Content state.json -Raw).", e);
            }
            return;
        }

        RewardWeightingInfo? info = RewardWeightingRegistry.Find(Name);
        if (info is null)
        {
            ThrowRlError("UnknownRewardWeighting", ErrorCategory.InvalidArgument, Name,
                $"'{Name}' is not a reward-weight controller. Choose one of: {string.Join(", ", RewardWeightingRegistry.All.Select(i => i.Name))}.");
            return;
        }
        try
        {
            WriteObject(info.Create(Components, PowerShellValues.Plain(Parameters)));
        }
        catch (ArgumentException e)
        {
            ThrowRlError("InvalidRewardWeightingParameter", ErrorCategory.InvalidArgument, Parameters ?? (object)Components,
                e.Message + $" Valid parameters of {info.Name}: " + string.Join("; ", info.Parameters.Select(p => $"{p.Name} (default {p.Default})")) + ".", e);
        }
    }
}
