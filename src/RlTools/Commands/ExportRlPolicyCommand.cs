using System.Management.Automation;
using RlTools.Torch;

namespace RlTools.Commands;

/// <summary>Export-RlPolicy: writes a policy as a Hugging Face checkpoint folder, atomically.</summary>
[Cmdlet(VerbsData.Export, "RlPolicy", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(DirectoryInfo))]
public sealed class ExportRlPolicyCommand : RlCmdlet
{
    /// <summary>The policy to write.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Policy? Policy { get; set; }

    /// <summary>The folder to write.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The folder to write, taken as typed (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>Replace an existing folder.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// Also write the trainer state (optimizer moments, step, learning-rate schedule, LIFT masks, RNG state) into the
    /// same folder, in the same atomic write as the weights, so Import-RlPolicy -Resume can continue the run exactly.
    /// A policy that has not been updated yet has no trainer state: the weights are written alone, with a warning.
    /// </summary>
    [Parameter]
    public SwitchParameter IncludeOptimizerState { get; set; }

    /// <summary>Emit the written folder.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        if (literal) Path = LiteralPath;
        string full = ResolveSinglePath(Path, literal, "folder");
        if (File.Exists(full))
        {
            WriteRlError("PathIsFile", ErrorCategory.InvalidArgument, Path, $"'{full}' is a file; give a folder path for the checkpoint.");
            return;
        }
        // An earlier export killed between its two renames left no folder at the target, only the previous checkpoint
        // beside it (.<name>.<id>.old): put it back first, so that it is never replaced without -Force.
        try { RlTools.Core.IO.AtomicFile.RecoverDirectory(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any() && !Force)
        {
            WriteRlError("CheckpointExists", ErrorCategory.ResourceExists, Path, $"The folder '{full}' exists and is not empty. Use -Force to replace it.");
            return;
        }
        if (!ShouldProcess(full, "Export policy")) return;
        try
        {
            bool withState = IncludeOptimizerState && UpdateEngine.HasTrainerState(Policy!);
            if (IncludeOptimizerState && !withState)
                WriteWarning($"The policy has no trainer state yet (it has not been through Update-RlPolicy); '{full}' gets the weights only, and Import-RlPolicy -Resume on it will report TrainerStateNotFound.");
            PolicyEngine.Export(Policy!, full, withState);
            if (PassThru) WriteObject(new DirectoryInfo(full));
        }
        catch (RlEngineException e)
        {
            WriteRlError(e.ErrorId, e.Category, e.Target ?? Path, e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteRlError("ExportFailed", ErrorCategory.WriteError, Path, $"Could not write '{full}': {e.Message} The previous folder, if any, is unchanged.", e);
        }
    }
}
