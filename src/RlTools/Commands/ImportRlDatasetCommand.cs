using System.Management.Automation;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>Import-RlDataset: streams prompts (with gold answers) from JSONL, CSV or Parquet datasets.</summary>
[Cmdlet(VerbsData.Import, "RlDataset", DefaultParameterSetName = PathSet)]
[OutputType(typeof(PromptRecord))]
public sealed class ImportRlDatasetCommand : RlCmdlet
{
    /// <summary>Dataset files (wildcards allowed).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Dataset files, taken as typed (no wildcards); Get-ChildItem output binds here.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Column holding the prompt text or chat messages.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PromptField { get; set; }

    /// <summary>Column holding the gold answer.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AnswerField { get; set; }

    /// <summary>Column holding a stable id.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IdField { get; set; }

    /// <summary>Column holding a code task's tests (stdin/stdout pairs or assert tests); it goes to the metadata field 'tests' that the Code verifier reads.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TestsField { get; set; }

    /// <summary>File format; Auto infers it from the extension.</summary>
    [Parameter]
    public DataFormat Format { get; set; } = DataFormat.Auto;

    /// <summary>Reduce the answer: None, Gsm8k (#### n) or Boxed (\boxed{...}).</summary>
    [Parameter]
    public AnswerExtraction AnswerExtract { get; set; } = AnswerExtraction.None;

    protected override void ProcessRecord()
    {
        var options = new DatasetOptions { PromptField = PromptField, AnswerField = AnswerField, IdField = IdField, TestsField = TestsField, AnswerExtract = AnswerExtract };
        foreach (string file in DataPaths.ResolveInputs(this, ParameterSetName == LiteralPathSet ? LiteralPath : Path, ParameterSetName == LiteralPathSet))
        {
            DataFormat? format = RolloutFiles.Resolve(file, Format);
            if (format is null)
            {
                WriteRlError("FormatNotInferred", ErrorCategory.InvalidArgument, file,
                    $"Cannot tell the format of '{file}' from its extension; pass -Format Jsonl, Csv or Parquet.");
                continue;
            }
            var progress = new ProgressReporter(this, 32, "Import-RlDataset " + System.IO.Path.GetFileName(file));
            long count = 0;
            try
            {
                using var reader = new DatasetReader(file, format.Value, options);
                foreach (var result in reader)
                {
                    if (result.Error is not null) WriteError(DataCmdletSupport.RecordError(result.Error, "InvalidDatasetRow"));
                    else { WriteObject(result.Record); count++; }
                    progress.Tick(reader.Progress, count, "prompts");
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
