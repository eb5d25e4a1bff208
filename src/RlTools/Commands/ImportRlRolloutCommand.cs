using System.Management.Automation;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>Import-RlRollout: streams rollout records from JSONL, CSV or Parquet files.</summary>
[Cmdlet(VerbsData.Import, "RlRollout")]
[OutputType(typeof(Rollout))]
public sealed class ImportRlRolloutCommand : RlCmdlet
{
    /// <summary>Rollout files (wildcards allowed).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>File format; Auto infers it from the extension.</summary>
    [Parameter]
    public DataFormat Format { get; set; } = DataFormat.Auto;

    protected override void ProcessRecord()
    {
        foreach (string file in DataPaths.ResolveInputs(this, Path))
        {
            DataFormat? format = RolloutFiles.Resolve(file, Format);
            if (format is null)
            {
                WriteRlError("FormatNotInferred", ErrorCategory.InvalidArgument, file,
                    $"Cannot tell the format of '{file}' from its extension; pass -Format Jsonl, Csv or Parquet.");
                continue;
            }
            var progress = new ProgressReporter(this, 31, "Import-RlRollout " + System.IO.Path.GetFileName(file));
            long count = 0;
            try
            {
                using IRecordReader<Rollout> reader = RolloutFiles.OpenReader(file, format.Value);
                foreach (var result in reader)
                {
                    if (result.Error is not null) WriteError(DataCmdletSupport.RecordError(result.Error, "InvalidRolloutRecord"));
                    else { WriteObject(result.Record); count++; }
                    progress.Tick(reader.Progress, count, "rollouts");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteRlError("FileNotReadable", ErrorCategory.ReadError, file, $"Cannot read '{file}': {e.Message}", e);
            }
            finally { progress.Complete(); }
        }
    }
}

internal static class DataPaths
{
    /// <summary>Resolves user paths (wildcards, PSDrives) to existing files; a path that matches nothing is a non-terminating error.</summary>
    public static IEnumerable<string> ResolveInputs(RlCmdlet cmdlet, string[] paths)
    {
        foreach (string p in paths)
        {
            List<string> files = new();
            try
            {
                foreach (string f in cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(p, out ProviderInfo provider))
                {
                    if (provider.Name != "FileSystem")
                        cmdlet.WriteError(new ErrorRecord(new ArgumentException($"'{p}' is not a file-system path."), "NotAFileSystemPath", ErrorCategory.InvalidArgument, p));
                    else if (Directory.Exists(f))
                        cmdlet.WriteError(new ErrorRecord(new ArgumentException($"'{f}' is a directory; give a file (e.g. '{System.IO.Path.Combine(p, "*.jsonl")}')."), "PathIsDirectory", ErrorCategory.InvalidArgument, p));
                    else files.Add(f);
                }
            }
            catch (ItemNotFoundException)
            {
                cmdlet.WriteError(new ErrorRecord(new ItemNotFoundException($"The file '{p}' does not exist. Check the path."), "PathNotFound", ErrorCategory.ObjectNotFound, p));
            }
            foreach (string f in files) yield return f;
        }
    }
}
