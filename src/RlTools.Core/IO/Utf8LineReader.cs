namespace RlTools.Core.IO;

/// <summary>
/// Splits a UTF-8 stream into lines (LF or CRLF) without decoding: one buffer, grown only for a
/// line longer than it, so memory is bounded by the longest line. Skips a leading BOM.
/// </summary>
internal sealed class Utf8LineReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buffer;
    private int _start, _end, _lineStart, _lineLength;
    private bool _eof, _first = true;
    private long _consumed;

    public Utf8LineReader(Stream stream, bool leaveOpen = false, int bufferSize = 1 << 16)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _buffer = new byte[bufferSize];
    }

    /// <summary>1-based number of the line in <see cref="Current"/>.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The current line without its terminator.</summary>
    public ReadOnlySpan<byte> Current => _buffer.AsSpan(_lineStart, _lineLength);

    /// <summary>Bytes of the stream consumed so far.</summary>
    public long Position => _consumed;

    /// <summary>Moves to the next line; false at the end of the stream.</summary>
    public bool Next()
    {
        while (true)
        {
            int nl = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                SetLine(_start, nl);
                _start += nl + 1;
                _consumed += nl + 1;
                return true;
            }
            if (_eof)
            {
                if (_start == _end) return false;
                int len = _end - _start;
                SetLine(_start, len);
                _consumed += len;
                _start = _end;
                return true;
            }
            Fill();
        }
    }

    private void SetLine(int start, int length)
    {
        if (_first)
        {
            _first = false;
            if (length >= 3 && _buffer[start] == 0xEF && _buffer[start + 1] == 0xBB && _buffer[start + 2] == 0xBF) { start += 3; length -= 3; }
        }
        if (length > 0 && _buffer[start + length - 1] == (byte)'\r') length--;
        _lineStart = start;
        _lineLength = length;
        LineNumber++;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, checked(_buffer.Length * 2));
        int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0) _eof = true;
        _end += n;
    }

    /// <summary>True when the line holds only spaces, tabs or nothing.</summary>
    public static bool IsBlank(ReadOnlySpan<byte> line) => line.TrimStart(" \t"u8).IsEmpty;

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
