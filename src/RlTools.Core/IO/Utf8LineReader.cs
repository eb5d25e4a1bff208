namespace RlTools.Core.IO;

/// <summary>
/// Splits a UTF-8 stream into records without decoding: lines (LF or CRLF; a trailing CR is dropped),
/// or, with <c>csvQuotes</c>, RFC 4180 records (a line break inside a double-quoted cell does not end
/// the record). One buffer, grown only for a record longer than it and never past
/// <see cref="MaxRecordBytes"/>: a longer record is skipped (read through, not kept) and reported
/// as <see cref="Oversized"/>, so one huge line costs no more than the bound and every later record
/// is still read. Skips a leading BOM.
/// </summary>
internal sealed class Utf8LineReader : IDisposable
{
    /// <summary>The default bound on one line or row (256 MiB); longer ones are skipped with an error.</summary>
    public const int DefaultMaxRecordBytes = 256 << 20;

    private readonly Stream _stream;
    private readonly bool _leaveOpen, _csvQuotes;
    private byte[] _buffer;
    private int _start, _end, _lineStart, _lineLength;
    private bool _eof, _first = true;
    private long _consumed, _nextLine = 1;

    public Utf8LineReader(Stream stream, bool leaveOpen = false, int bufferSize = 1 << 16, bool csvQuotes = false, int maxRecordBytes = DefaultMaxRecordBytes)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _csvQuotes = csvQuotes;
        MaxRecordBytes = maxRecordBytes;
        _buffer = new byte[Math.Min(bufferSize, maxRecordBytes + 1)];
    }

    /// <summary>The longest record kept, in bytes (terminator excluded).</summary>
    public int MaxRecordBytes { get; }

    /// <summary>1-based number of the (first) line of the record in <see cref="Current"/>.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The current record without its terminator (empty when <see cref="Oversized"/>).</summary>
    public ReadOnlySpan<byte> Current => _buffer.AsSpan(_lineStart, _lineLength);

    /// <summary>True when the current record was longer than <see cref="MaxRecordBytes"/> and was skipped.</summary>
    public bool Oversized { get; private set; }

    /// <summary>Length in bytes of the current record (also of a skipped one).</summary>
    public long RecordLength { get; private set; }

    /// <summary>Size of the buffer (for tests of the bound).</summary>
    internal int Capacity => _buffer.Length;

    /// <summary>Bytes of the stream consumed so far.</summary>
    public long Position => _consumed;

    /// <summary>Moves to the next record; false at the end of the stream.</summary>
    public bool Next()
    {
        LineNumber = _nextLine;
        Oversized = false;
        long dropped = 0; // bytes of an oversized record already thrown away
        int scanned = 0;  // bytes after _start already scanned
        int breaks = 0;   // line breaks inside quotes
        _csv = CsvState.FieldStart;
        while (true)
        {
            int end = -1;
            var span = _buffer.AsSpan(_start + scanned, _end - _start - scanned);
            if (!_csvQuotes)
            {
                int nl = span.IndexOf((byte)'\n');
                if (nl >= 0) end = _start + scanned + nl;
            }
            else
            {
                int at = ScanCsv(span, ref breaks);
                if (at >= 0) end = _start + scanned + at;
            }
            if (end >= 0)
            {
                Finish(end - _start, dropped);
                _consumed += end + 1 - _start;
                _start = end + 1;
                _nextLine = LineNumber + breaks + 1;
                return true;
            }
            scanned = _end - _start;
            if (_eof)
            {
                if (scanned == 0 && dropped == 0) return false;
                Finish(scanned, dropped);
                _consumed += scanned;
                _start = _end;
                _nextLine = LineNumber + breaks + 1;
                return true;
            }
            if (scanned > MaxRecordBytes)
            {
                // Too long to keep: drop what is buffered and read on to the record's end.
                dropped += scanned;
                _consumed += scanned;
                _start = _end;
                scanned = 0;
            }
            Fill();
        }
    }

    private enum CsvState { FieldStart, Unquoted, Quoted, AfterQuote }
    private CsvState _csv;

    /// <summary>
    /// RFC 4180 record end: the offset of the first LF outside a quoted cell, or -1. A quote opens a quoted
    /// cell only at the start of a cell (elsewhere it is a stray quote, reported by the cell splitter).
    /// </summary>
    private int ScanCsv(ReadOnlySpan<byte> span, ref int breaks)
    {
        for (int i = 0; i < span.Length; i++)
        {
            byte b = span[i];
            switch (_csv)
            {
                case CsvState.Quoted:
                    int k = span[i..].IndexOfAny((byte)'"', (byte)'\n');
                    if (k < 0) return -1;
                    i += k;
                    if (span[i] == (byte)'"') _csv = CsvState.AfterQuote; else breaks++;
                    break;
                case CsvState.AfterQuote:
                    if (b == (byte)'"') _csv = CsvState.Quoted;
                    else if (b == (byte)',') _csv = CsvState.FieldStart;
                    else if (b == (byte)'\n') return i;
                    else _csv = CsvState.Unquoted;
                    break;
                case CsvState.FieldStart when b == (byte)'"':
                    _csv = CsvState.Quoted;
                    break;
                default:
                    int m = span[i..].IndexOfAny((byte)',', (byte)'\n');
                    if (m < 0) { _csv = CsvState.Unquoted; return -1; }
                    i += m;
                    if (span[i] == (byte)'\n') return i;
                    _csv = CsvState.FieldStart;
                    break;
            }
        }
        return -1;
    }

    private void Finish(int length, long dropped)
    {
        long total = dropped + length;
        if (length > 0 && _buffer[_start + length - 1] == (byte)'\r') { length--; total--; }
        RecordLength = total;
        if (dropped > 0 || length > MaxRecordBytes)
        {
            Oversized = true;
            _first = false;
            _lineStart = _start;
            _lineLength = 0;
            return;
        }
        int start = _start;
        if (_first)
        {
            _first = false;
            if (length >= 3 && _buffer[start] == 0xEF && _buffer[start + 1] == 0xBB && _buffer[start + 2] == 0xBF) { start += 3; length -= 3; }
        }
        _lineStart = start;
        _lineLength = length;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, (int)Math.Min(_buffer.Length * 2L, MaxRecordBytes + 1L));
        int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0) _eof = true;
        _end += n;
    }

    /// <summary>The error for a skipped <see cref="Oversized"/> line.</summary>
    public RecordFormatException OversizedError(string file)
        => new(file, LineNumber, null, $"the line is {Describe(RecordLength)}, over the limit of {Describe(MaxRecordBytes)} per line; it was skipped and the lines after it are read. Split the record or shorten its arrays.");

    /// <summary>True when the line holds only spaces, tabs or nothing.</summary>
    public static bool IsBlank(ReadOnlySpan<byte> line) => line.TrimStart(" \t"u8).IsEmpty;

    /// <summary>The bound in words, for error messages.</summary>
    public static string Describe(long bytes) => bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):0.#} MiB" : bytes >= 1024 ? $"{bytes / 1024.0:0.#} KiB" : $"{bytes} bytes";

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
