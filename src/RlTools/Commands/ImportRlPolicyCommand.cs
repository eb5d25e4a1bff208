using System.Management.Automation;
using RlTools.Torch;

namespace RlTools.Commands;

/// <summary>Import-RlPolicy: loads a Hugging Face checkpoint folder (config.json, safetensors, tokenizer) as a policy.</summary>
[Cmdlet(VerbsData.Import, "RlPolicy", DefaultParameterSetName = PathSet)]
[OutputType(typeof(Policy))]
public sealed class ImportRlPolicyCommand : RlCmdlet
{
    /// <summary>The checkpoint folder.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The checkpoint folder, taken as typed (no wildcards); Get-Item output binds here.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>cpu, cuda or cuda:N.</summary>
    [Parameter]
    [ValidatePattern(@"^(cpu|cuda(:\d+)?)$")]
    public string Device { get; set; } = "cpu";

    /// <summary>Weight dtype in memory.</summary>
    [Parameter]
    [ValidateSet("float32", "bfloat16")]
    public string DType { get; set; } = "float32";

    /// <summary>Marks the policy as never updated (a reference policy).</summary>
    [Parameter]
    public SwitchParameter Frozen { get; set; }

    /// <summary>
    /// Also restore the trainer state (optimizer moments, step, schedule, RNG) written by
    /// Export-RlPolicy -IncludeOptimizerState, so the next Update-RlPolicy continues the interrupted run exactly.
    /// </summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Load weights that hold NaN or infinite values (refused by default with NonFiniteWeights), e.g. to inspect a diverged run.</summary>
    [Parameter]
    public SwitchParameter AllowNonFiniteWeights { get; set; }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        if (literal) Path = LiteralPath;
        string full = ResolveSinglePath(Path, literal, "checkpoint folder");
        if (File.Exists(full) && System.IO.Path.GetFileName(full) is "config.json" or "model.safetensors" or "model.safetensors.index.json")
            full = System.IO.Path.GetDirectoryName(full)!;
        try
        {
            Policy policy = PolicyEngine.Import(full, Device, DType, Frozen.IsPresent, AllowNonFiniteWeights.IsPresent);
            if (Resume && UpdateEngine.LoadTrainerState(policy, full) is { } error)
            {
                policy.Dispose();
                WriteRlError(error.Id, error.Id == "TrainerStateNotFound" ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidData, Path, error.Message);
                return;
            }
            WriteObject(policy);
        }
        catch (RlEngineException e)
        {
            WriteRlError(e.ErrorId, e.Category, e.Target ?? Path, e.Message, e);
        }
    }
}
