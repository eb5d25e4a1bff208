using System.Management.Automation;
using RlTools.Torch;

namespace RlTools.Commands;

/// <summary>Export-RlPolicy: writes a policy as a Hugging Face checkpoint folder, atomically.</summary>
[Cmdlet(VerbsData.Export, "RlPolicy", SupportsShouldProcess = true)]
[OutputType(typeof(DirectoryInfo))]
public sealed class ExportRlPolicyCommand : RlCmdlet
{
    /// <summary>The policy to write.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Policy? Policy { get; set; }

    /// <summary>The folder to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Replace an existing folder.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Emit the written folder.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        string full = ResolveFileSystemPath(Path);
        if (File.Exists(full))
        {
            WriteRlError("PathIsFile", ErrorCategory.InvalidArgument, Path, $"'{full}' is a file; give a folder path for the checkpoint.");
            return;
        }
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any() && !Force)
        {
            WriteRlError("CheckpointExists", ErrorCategory.ResourceExists, Path, $"The folder '{full}' exists and is not empty. Use -Force to replace it.");
            return;
        }
        if (!ShouldProcess(full, "Export policy")) return;
        try
        {
            PolicyEngine.Export(Policy!, full);
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
