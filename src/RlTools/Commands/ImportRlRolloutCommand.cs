using System.Management.Automation;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>Import-RlRollout: streams rollout records from JSONL, CSV or Parquet files.</summary>
[Cmdlet(VerbsData.Import, "RlRollout", DefaultParameterSetName = PathSet)]
[OutputType(typeof(Rollout))]
public sealed class ImportRlRolloutCommand : RlCmdlet
{
    /// <summary>Rollout files (wildcards allowed).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Rollout files, taken as typed (no wildcards); Get-ChildItem output binds here.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>File format; Auto infers it from the extension.</summary>
    [Parameter]
    public DataFormat Format { get; set; } = DataFormat.Auto;

    protected override void ProcessRecord()
    {
        foreach (string file in DataPaths.ResolveInputs(this, ParameterSetName == LiteralPathSet ? LiteralPath : Path, ParameterSetName == LiteralPathSet))
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
            catch (UnsafeFileException e)
            {
                WriteRlError(e.ErrorId, ErrorCategory.InvalidArgument, file, e.Message, e);
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
    /// <summary>
    /// Resolves user paths (wildcards unless <paramref name="literal"/>, PSDrives) to existing files. A path that
    /// matches nothing, names a folder or another provider is a non-terminating error; the others are still read.
    /// </summary>
    public static IEnumerable<string> ResolveInputs(RlCmdlet cmdlet, string[] paths, bool literal)
    {
        foreach (string p in paths)
        {
            List<string> files = new();
            try
            {
                ProviderInfo provider;
                IEnumerable<string> found;
                if (literal)
                {
                    string f = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(p, out provider, out _);
                    if (!File.Exists(f) && !Directory.Exists(f)) throw new ItemNotFoundException();
                    found = [f];
                }
                else found = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(p, out provider);
                foreach (string f in found)
                {
                    if (provider.Name != "FileSystem")
                        cmdlet.WriteError(new ErrorRecord(new ArgumentException($"'{p}' is not a file-system path."), "NotAFileSystemPath", ErrorCategory.InvalidArgument, p));
                    else if (Directory.Exists(f))
                        cmdlet.WriteError(new ErrorRecord(new ArgumentException($"'{f}' is a directory; give a file (e.g. '{System.IO.Path.Combine(p, "*.jsonl")}')."), "PathIsDirectory", ErrorCategory.InvalidArgument, p));
                    else files.Add(f);
                }
                if (found is ICollection<string> { Count: 0 }) // only a wildcard path can match nothing without throwing
                    cmdlet.WriteError(new ErrorRecord(new ItemNotFoundException($"The wildcard path '{p}' matches no file. Check the path; to read a file whose name has [ ] * ? in it, pass it with -LiteralPath."), "PathNotFound", ErrorCategory.ObjectNotFound, p));
            }
            catch (ItemNotFoundException)
            {
                cmdlet.WriteError(new ErrorRecord(new ItemNotFoundException($"The file '{p}' does not exist. Check the path."), "PathNotFound", ErrorCategory.ObjectNotFound, p));
            }
            foreach (string f in files) yield return f;
        }
    }
}
