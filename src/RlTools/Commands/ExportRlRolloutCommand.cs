using System.Management.Automation;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>
/// Export-RlRollout: streams rollouts into a JSONL, CSV or Parquet file through a temporary file
/// that replaces the target only when every record is written (appends copy the file first).
/// </summary>
[Cmdlet(VerbsData.Export, "RlRollout", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PathSet)]
[OutputType(typeof(void))]
public sealed class ExportRlRolloutCommand : RlCmdlet, IDisposable
{
    private AtomicFileWriter? _file;
    private IRecordWriter<Rollout>? _writer;
    private ProgressReporter? _progress;
    private long _count;

    /// <summary>The file to write.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The file to write, taken as typed (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>The rollout to write (bound once per pipeline object; a single object, not an array, keeps binding cheap on million-row pipelines).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public Rollout? InputObject { get; set; }

    /// <summary>Add to the end of an existing file instead of replacing it.</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>Replace an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>File format; Auto infers it from the extension.</summary>
    [Parameter]
    public DataFormat Format { get; set; } = DataFormat.Auto;

    protected override void BeginProcessing()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        if (literal) Path = LiteralPath;
        string full = ResolveSinglePath(Path, literal);
        DataFormat format = RolloutFiles.Resolve(full, Format) ?? DataFormat.Auto;
        if (format == DataFormat.Auto)
            ThrowRlError("FormatNotInferred", ErrorCategory.InvalidArgument, Path,
                $"Cannot tell the format of '{Path}' from its extension; use .jsonl, .csv or .parquet, or pass -Format.");
        if (Directory.Exists(full))
            ThrowRlError("PathIsDirectory", ErrorCategory.InvalidArgument, Path, $"'{full}' is a directory; give a file name.");
        if (File.Exists(full) && !Append && !Force)
            ThrowRlError("FileExists", ErrorCategory.ResourceExists, Path,
                $"'{full}' already exists. Use -Force to replace it or -Append to add to it.");
        if (!ShouldProcess(full, Append && File.Exists(full) ? "Append rollouts" : "Write rollouts")) return;
        try
        {
            _file = AtomicFileWriter.Create(full, Append);
            _writer = RolloutFiles.OpenWriter(_file, format, DataCmdletSupport.UnwrapPowerShell);
        }
        catch (InvalidDataException e)
        {
            Cleanup();
            ThrowRlError("AppendSchemaMismatch", ErrorCategory.InvalidData, Path, e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Parquet.ParquetException)
        {
            Cleanup();
            ThrowRlError("ExportFailed", ErrorCategory.WriteError, Path, $"Cannot write '{full}': {e.Message}", e);
        }
        _progress = new ProgressReporter(this, 33, "Export-RlRollout " + System.IO.Path.GetFileName(full));
    }

    protected override void ProcessRecord()
    {
        if (_writer is null || InputObject is not Rollout r) return;
        {
            try
            {
                _writer.Write(r);
                _count++;
            }
            catch (ArgumentException e)
            {
                WriteRlError("RolloutNotWritable", ErrorCategory.InvalidData, r, e.Message + " The rollout was skipped; the other rollouts are written.", e);
            }
            catch (IOException e)
            {
                Cleanup();
                ThrowRlError("ExportFailed", ErrorCategory.WriteError, Path, $"Writing '{Path}' failed: {e.Message}. The original file is unchanged.", e);
            }
            _progress!.Tick(-1, _count, "rollouts written");
        }
    }

    protected override void EndProcessing()
    {
        if (_writer is null || _file is null) return;
        if (_count == 0)
        {
            // An empty pipeline (a path that matched nothing, a filter that dropped everything) never replaces a file.
            _progress?.Complete();
            string full = _file.Target;
            Cleanup();
            if (File.Exists(full) && !Append)
                WriteRlError("NoRolloutsReceived", ErrorCategory.InvalidData, Path,
                    $"No rollouts reached Export-RlRollout, so '{full}' was left as it was (an export never replaces a file with an empty one). Check the command before the pipe.");
            else if (!File.Exists(full))
                WriteWarning($"No rollouts reached Export-RlRollout; '{full}' was not created.");
            return;
        }
        try
        {
            _writer.Complete();
            _writer.Dispose();
            _writer = null;
            _file.Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Parquet.ParquetException)
        {
            Cleanup();
            ThrowRlError("ExportFailed", ErrorCategory.WriteError, Path, $"Writing '{Path}' failed: {e.Message}. The original file is unchanged.", e);
        }
        finally { _progress?.Complete(); }
    }

    private void Cleanup()
    {
        _writer?.Dispose();
        _writer = null;
        _file?.Dispose();
        _file = null;
    }

    /// <summary>Runs after the pipeline ends, also after Ctrl+C or a terminating error: an uncommitted temporary file is deleted.</summary>
    public void Dispose() => Cleanup();
}
