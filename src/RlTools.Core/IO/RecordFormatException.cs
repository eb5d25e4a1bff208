namespace RlTools.Core.IO;

/// <summary>
/// One record (line or row) of a data file could not be read: names the file, the 1-based line
/// (JSONL, CSV) or row (Parquet), the field, and what to fix. Readers report it and go on.
/// </summary>
public sealed class RecordFormatException : FormatException
{
    public RecordFormatException(string file, long line, string? field, string problem, Exception? inner = null)
        : base(Describe(file, line, field, problem), inner)
    {
        File = file;
        Line = line;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file that holds the bad record.</summary>
    public string File { get; }

    /// <summary>1-based line (JSONL, CSV: physical line where the record starts) or row (Parquet).</summary>
    public long Line { get; }

    /// <summary>The field (JSON key or column) at fault, or null when the record as a whole is bad.</summary>
    public string? Field { get; }

    /// <summary>What is wrong and what to do, without the location prefix.</summary>
    public string Problem { get; }

    private static string Describe(string file, long line, string? field, string problem)
        => field is null ? $"{file}:{line}: {problem}" : $"{file}:{line}: field '{field}': {problem}";
}

/// <summary>One record read from a file: either <see cref="Record"/> or <see cref="Error"/> is set.</summary>
public readonly struct RecordResult<T> where T : class
{
    public RecordResult(T record, long line) { Record = record; Error = null; Line = line; }
    public RecordResult(RecordFormatException error) { Record = null; Error = error; Line = error.Line; }

    /// <summary>The record, or null when the line/row was bad.</summary>
    public T? Record { get; }

    /// <summary>Why the line/row could not be read, or null.</summary>
    public RecordFormatException? Error { get; }

    /// <summary>1-based line or row of the record.</summary>
    public long Line { get; }
}

/// <summary>A streaming reader of records: enumerate once; <see cref="Progress"/> says how far it got.</summary>
public interface IRecordReader<T> : IEnumerable<RecordResult<T>>, IDisposable where T : class
{
    /// <summary>Fraction of the file read so far (0..1); for progress bars.</summary>
    double Progress { get; }
}

/// <summary>A streaming writer of records into an already-open stream (atomicity is the caller's: see <see cref="AtomicFileWriter"/>).</summary>
public interface IRecordWriter<T> : IDisposable where T : class
{
    /// <summary>Writes one record. Throws <see cref="ArgumentException"/> when the record cannot be represented (the file stays consistent).</summary>
    void Write(T record);

    /// <summary>Flushes buffered records and writes any trailer (Parquet footer). Call once before committing the file.</summary>
    void Complete();
}

/// <summary>Where a bad record is: the target object of the ErrorRecords the import cmdlets write.</summary>
public sealed record RecordLocation(string File, long Line, string? Field)
{
    public override string ToString() => Field is null ? $"{File}:{Line}" : $"{File}:{Line} ({Field})";
}
