using RlTools.Core.Records;

namespace RlTools.Core.IO;

/// <summary>File formats of datasets and rollout files.</summary>
public enum DataFormat
{
    /// <summary>From the extension: .jsonl/.ndjson/.json → Jsonl, .csv → Csv, .parquet/.pq → Parquet.</summary>
    Auto,
    Jsonl,
    Csv,
    Parquet,
}

/// <summary>Opens readers and writers of rollout files by format.</summary>
public static class RolloutFiles
{
    /// <summary>The format of <paramref name="path"/>: <paramref name="format"/> unless Auto, else by extension; null when the extension says nothing.</summary>
    public static DataFormat? Resolve(string path, DataFormat format)
    {
        if (format != DataFormat.Auto) return format;
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".ndjson" or ".json" => DataFormat.Jsonl,
            ".csv" => DataFormat.Csv,
            ".parquet" or ".pq" => DataFormat.Parquet,
            _ => null,
        };
    }

    /// <summary>Opens a streaming rollout reader.</summary>
    public static IRecordReader<Rollout> OpenReader(string path, DataFormat format) => format switch
    {
        DataFormat.Jsonl => RolloutJsonlReader.Open(path),
        DataFormat.Csv => RolloutCsvReader.Open(path),
        DataFormat.Parquet => RolloutParquetReader.Open(path),
        _ => throw new ArgumentException("Resolve the format first.", nameof(format)),
    };

    /// <summary>
    /// Opens a rollout writer on <paramref name="file"/>'s temporary stream. For appends, the existing
    /// header (CSV) or schema (Parquet) must be a rollout file's; <see cref="InvalidDataException"/> otherwise.
    /// </summary>
    public static IRecordWriter<Rollout> OpenWriter(AtomicFileWriter file, DataFormat format, Func<object, object?>? foreign = null)
    {
        bool appending = file.Appended && file.Stream.Length > 0;
        switch (format)
        {
            case DataFormat.Jsonl:
                if (appending)
                {
                    FileStream s = file.Stream;
                    s.Seek(-1, SeekOrigin.End);
                    bool newline = s.ReadByte() == '\n';
                    s.Seek(0, SeekOrigin.End);
                    if (!newline) s.WriteByte((byte)'\n');
                }
                return new RolloutJsonlWriter(file.Stream, leaveOpen: true) { ForeignValue = foreign };
            case DataFormat.Csv:
                string[]? header = appending ? RolloutCsv.ReadHeader(file.Target) : null;
                return new RolloutCsvWriter(file.Stream, header) { ForeignValue = foreign };
            case DataFormat.Parquet:
                return new RolloutParquetWriter(file.Stream, appending) { ForeignValue = foreign };
            default:
                throw new ArgumentException("Resolve the format first.", nameof(format));
        }
    }
}
