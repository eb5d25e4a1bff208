using System.Collections;
using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using RlTools.Core.Records;

namespace RlTools.Core.IO;

/// <summary>
/// How rollouts look in CSV (one row per rollout, a header row, UTF-8, RFC 4180 quoting):
/// <list type="bullet">
/// <item>Text fields (<c>prompt_id</c>, <c>prompt</c>, <c>completion</c>) as they are.</item>
/// <item><c>answer</c>, <c>finish_reason</c>: an empty cell is null; the empty string, or text that
/// starts with a double quote, is written as a JSON string literal (<c>""</c>, <c>"\"x"</c>) so both
/// read back exactly.</item>
/// <item>Numbers in the shortest round-trip form; <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>; an
/// empty cell is null. <c>is_expert</c> is <c>true</c>/<c>false</c>; <c>is_probe</c>/<c>is_hint</c> are <c>true</c> or empty.</item>
/// <item>The open rollout stage's fields (<see cref="RolloutFields.Optional"/>) are columns of every new file; a file
/// written before they existed is appended to as long as the records leave them empty.</item>
/// <item>Arrays (<c>prompt_tokens</c>, <c>logprobs</c>, …) and maps (<c>rewards</c>, <c>metadata</c>)
/// as JSON in the cell; an empty cell is null.</item>
/// <item>Unknown fields (<see cref="Rollout.Extra"/>): one column each, named by the first record;
/// a cell that parses as JSON is read as that JSON value, anything else as text (strings that would
/// parse as JSON are written as JSON string literals). An empty cell is null.</item>
/// </list>
/// </summary>
public static class RolloutCsv
{
    internal static CsvConfiguration Config() => new(CultureInfo.InvariantCulture)
    {
        NewLine = "\n",
        HasHeaderRecord = true,
        DetectColumnCountChanges = false,
        MissingFieldFound = null,
        HeaderValidated = null,
        // A cell with a bare CR is quoted too: readers drop the CR of a CRLF line end, so only quotes keep it.
        ShouldQuote = args => ConfigurationFunctions.ShouldQuote(args) || args.Field?.Contains('\r') == true,
    };

    internal static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The header of an existing CSV file (for appends), or null when the file is empty.</summary>
    public static string[]? ReadHeader(string path)
    {
        using var rows = new CsvRowReader(SafeFile.OpenRead(path), path);
        try { return rows.ReadHeader() ? rows.Header : null; }
        catch (RecordFormatException e) { throw new InvalidDataException(e.Message, e); }
    }

    internal static string EncodeNullableText(string? s)
        => s is null ? "" : s.Length == 0 || s[0] == '"' ? JsonValues.ToJson(s) : s;

    internal static string? DecodeNullableText(string cell, string field)
    {
        if (cell.Length == 0) return null;
        if (cell[0] != '"') return cell;
        if (JsonValues.TryParse(cell, out object? v) && v is string s) return s;
        throw new FieldException(field, "a cell that starts with a double quote must be a JSON string literal (\"...\"); escape it or remove the quote.");
    }

    internal static string EncodeValue(object? value, Func<object, object?>? foreign)
    {
        if (value is null) return "";
        if (value is string s) return s.Length == 0 || JsonValues.TryParse(s, out _) ? JsonValues.ToJson(s) : s;
        return JsonValues.ToJson(value, foreign);
    }

    internal static object? DecodeValue(string cell)
    {
        if (cell.Length == 0) return null;
        return JsonValues.TryParse(cell, out object? v) ? v : cell;
    }

    internal static string FormatDouble(double? d)
    {
        if (d is not double v) return "";
        Span<byte> buf = stackalloc byte[40];
        int n = JsonValues.FormatDouble(v, buf);
        return Encoding.ASCII.GetString(buf[..n]);
    }

    internal static string FormatInts(int[]? values)
    {
        if (values is null) return "";
        var sb = new StringBuilder(values.Length * 6 + 2).Append('[');
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(values[i].ToString(CultureInfo.InvariantCulture));
        }
        return sb.Append(']').ToString();
    }

    internal static string FormatFloats(float[]? values)
    {
        if (values is null) return "";
        var sb = new StringBuilder(values.Length * 10 + 2).Append('[');
        Span<byte> buf = stackalloc byte[40];
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) sb.Append(',');
            int n = JsonValues.FormatSingle(values[i], buf);
            for (int k = 0; k < n; k++) sb.Append((char)buf[k]);
        }
        return sb.Append(']').ToString();
    }

    internal static string FormatRewards(Dictionary<string, double?>? rewards)
    {
        if (rewards is null) return "";
        var map = new Dictionary<string, object?>(rewards.Count, StringComparer.Ordinal);
        foreach (var kv in rewards) map[kv.Key] = kv.Value;
        return JsonValues.ToJson(map);
    }
}

/// <summary>
/// Reads CSV rows as text cells with the physical line each row starts on (shared by rollouts and
/// datasets). Rows are split on the raw bytes (RFC 4180: a line break inside a quoted cell belongs to
/// the cell), so a row that is not UTF-8, has a stray quote or is too long is reported with its own
/// line and skipped, and every other row still comes out exactly once. LF and CRLF line ends and a
/// UTF-8 BOM read alike.
/// </summary>
internal sealed class CsvRowReader : IDisposable
{
    private readonly Utf8LineReader _lines;
    private readonly Stream _stream;
    private readonly long _length;
    private readonly List<string> _cells = new();
    private readonly StringBuilder _cell = new();

    public CsvRowReader(Stream stream, string file, int maxRowBytes = Utf8LineReader.DefaultMaxRecordBytes)
    {
        _stream = stream;
        _length = stream.CanSeek ? stream.Length : 0;
        File = file;
        _lines = new Utf8LineReader(stream, csvQuotes: true, maxRecordBytes: maxRowBytes);
    }

    public string File { get; }
    public string[] Header { get; private set; } = [];
    public double Progress => _length > 0 ? Math.Min(1.0, (double)_lines.Position / _length) : 0;

    /// <summary>Reads the header; false when the file is empty. Throws <see cref="RecordFormatException"/> when it cannot be read.</summary>
    public bool ReadHeader()
    {
        if (!Next(out string[]? cells, out long line, out RecordFormatException? error)) return false;
        if (error is not null) throw new RecordFormatException(File, line, null, "the header row cannot be read: " + error.Problem);
        Header = cells!;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string h in Header)
            if (!seen.Add(h)) throw new RecordFormatException(File, line, h, "the header names this column twice; rename one of them.");
        return true;
    }

    /// <summary>Next row: cells (null when the row is bad, then <paramref name="error"/> says why) and its first line. Blank lines are skipped.</summary>
    public bool Next(out string[]? cells, out long line, out RecordFormatException? error)
    {
        cells = null;
        error = null;
        do
        {
            if (!_lines.Next()) { line = _lines.LineNumber; return false; }
            line = _lines.LineNumber;
        }
        while (!_lines.Oversized && _lines.Current.IsEmpty);
        if (_lines.Oversized)
        {
            error = new RecordFormatException(File, line, null,
                $"the row is {Utf8LineReader.Describe(_lines.RecordLength)}, over the limit of {Utf8LineReader.Describe(_lines.MaxRecordBytes)} per row; it was skipped. Check for an unclosed double quote, or split the row.");
            return true;
        }
        string text;
        try { text = RolloutCsv.Utf8.GetString(_lines.Current); }
        catch (DecoderFallbackException e)
        {
            error = new RecordFormatException(File, line, null,
                $"the row is not valid UTF-8 (byte 0x{(e.BytesUnknown is { Length: > 0 } b ? b[0] : 0):X2} at offset {Math.Max(0, e.Index)} of the row). Save the file as UTF-8 or fix the row.");
            return true;
        }
        string? problem = Split(text);
        if (problem is not null) error = new RecordFormatException(File, line, null, problem);
        else if (Header.Length > 0 && _cells.Count != Header.Length)
            error = new RecordFormatException(File, line, null, $"the row has {_cells.Count} cells but the header has {Header.Length}; add or remove separators.");
        else cells = _cells.ToArray();
        return true;
    }

    /// <summary>Splits one row into <see cref="_cells"/> (RFC 4180 quoting); returns what is wrong, or null.</summary>
    private string? Split(string row)
    {
        _cells.Clear();
        int i = 0, n = row.Length;
        while (true)
        {
            _cell.Clear();
            if (i < n && row[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= n) return "a quoted cell is never closed (its closing double quote is missing); close it or double the quotes inside it (\"a \"\"b\"\"\").";
                    char c = row[i++];
                    if (c != '"') { _cell.Append(c); continue; }
                    if (i < n && row[i] == '"') { _cell.Append('"'); i++; continue; }
                    break;
                }
                if (i < n && row[i] != ',')
                    return "the row has a stray double quote after a quoted cell; quote the whole cell and double any quote inside it (\"a \"\"b\"\"\").";
            }
            else
            {
                int comma = row.IndexOf(',', i);
                int stop = comma < 0 ? n : comma;
                if (row.AsSpan(i, stop - i).Contains('"'))
                    return "the row has a stray double quote; quote the whole cell and double any quote inside it (\"a \"\"b\"\"\").";
                _cell.Append(row, i, stop - i);
                i = stop;
            }
            _cells.Add(_cell.ToString());
            if (i >= n) return null;
            i++; // the comma
        }
    }

    public void Dispose() => _lines.Dispose();
}

/// <summary>Reads rollouts from CSV (layout: <see cref="RolloutCsv"/>). Streams row by row.</summary>
public sealed class RolloutCsvReader : IRecordReader<Rollout>
{
    private readonly CsvRowReader _rows;
    private readonly RolloutValueReader _values = new();
    private bool _started;

    public RolloutCsvReader(Stream stream, string fileName) => _rows = new CsvRowReader(stream, fileName);

    public static RolloutCsvReader Open(string path)
        => new(SafeFile.OpenRead(path), path);

    public double Progress => _rows.Progress;

    public IEnumerator<RecordResult<Rollout>> GetEnumerator()
    {
        if (_started) throw new InvalidOperationException("A reader can be enumerated once.");
        _started = true;
        RecordFormatException? headerError = null;
        bool any;
        try { any = _rows.ReadHeader(); }
        catch (RecordFormatException e) { headerError = e; any = false; }
        if (headerError is not null) { yield return new RecordResult<Rollout>(headerError); yield break; }
        if (!any) yield break;
        string[] header = _rows.Header;
        while (_rows.Next(out string[]? cells, out long line, out RecordFormatException? error))
        {
            if (error is not null) { yield return new RecordResult<Rollout>(error); continue; }
            RecordResult<Rollout> result;
            try { result = new RecordResult<Rollout>(Map(header, cells!), line); }
            catch (FieldException e) { result = new RecordResult<Rollout>(new RecordFormatException(_rows.File, line, e.Field, e.Message)); }
            yield return result;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private Rollout Map(string[] header, string[] cells)
    {
        var r = new Rollout();
        for (int i = 0; i < header.Length; i++)
        {
            string f = header[i], c = cells[i];
            switch (f)
            {
                case RolloutFields.PromptId: r.PromptId = c; break;
                case RolloutFields.SampleIndex: r.SampleIndex = ParseInt(f, c); break;
                case RolloutFields.Prompt: r.Prompt = c; break;
                case RolloutFields.Answer: r.Answer = RolloutCsv.DecodeNullableText(c, f); break;
                case RolloutFields.Completion: r.Completion = c; break;
                case RolloutFields.FinishReason: r.FinishReason = RolloutCsv.DecodeNullableText(c, f); break;
                case RolloutFields.PromptTokens: r.PromptTokens = Ints(f, c); break;
                case RolloutFields.CompletionTokens: r.CompletionTokens = Ints(f, c); break;
                case RolloutFields.Logprobs: r.Logprobs = Floats(f, c); break;
                case RolloutFields.Entropies: r.Entropies = Floats(f, c); break;
                case RolloutFields.RefLogprobs: r.RefLogprobs = Floats(f, c); break;
                case RolloutFields.PromptLogprobs: r.PromptLogprobs = Floats(f, c); break;
                case RolloutFields.Values: r.Values = Floats(f, c); break;
                case RolloutFields.Reward: r.Reward = ParseDouble(f, c); break;
                case RolloutFields.Rewards: r.Rewards = c.Length == 0 ? null : _values.ParseCell(f, c, RolloutValueReader.ReadRewards); break;
                case RolloutFields.BaselineReward: r.BaselineReward = ParseDouble(f, c); break;
                case RolloutFields.Advantage: r.Advantage = ParseDouble(f, c); break;
                case RolloutFields.TokenAdvantages: r.TokenAdvantages = Floats(f, c); break;
                case RolloutFields.LossMask: r.LossMask = Floats(f, c); break;
                case RolloutFields.IsExpert: r.IsExpert = ParseBool(f, c); break;
                case RolloutFields.Temperatures: r.Temperatures = Floats(f, c); break;
                case RolloutFields.NodeId: r.NodeId = RolloutCsv.DecodeNullableText(c, f); break;
                case RolloutFields.ParentId: r.ParentId = RolloutCsv.DecodeNullableText(c, f); break;
                case RolloutFields.Depth: r.Depth = c.Length == 0 ? null : ParseInt(f, c); break;
                case RolloutFields.CutPositions: r.CutPositions = Ints(f, c); break;
                case RolloutFields.IsProbe: r.IsProbe = ParseBool(f, c); break;
                case RolloutFields.IsHint: r.IsHint = ParseBool(f, c); break;
                case RolloutFields.HintRatio: r.HintRatio = ParseDouble(f, c); break;
                case RolloutFields.EffectiveRank: r.EffectiveRank = ParseDouble(f, c); break;
                case RolloutFields.EffectiveRankVelocity: r.EffectiveRankVelocity = ParseDouble(f, c); break;
                case RolloutFields.EffectiveRankAcceleration: r.EffectiveRankAcceleration = ParseDouble(f, c); break;
                case RolloutFields.Step: r.Step = c.Length == 0 ? null : ParseInt(f, c); break;
                case RolloutFields.Metadata:
                    if (c.Length == 0) break;
                    if (!JsonValues.TryParse(c, out object? m) || m is not Dictionary<string, object?> map)
                        throw new FieldException(f, "must be a JSON object ({\"key\": value}) or empty.");
                    r.Metadata = map;
                    break;
                default: r.Extra[f] = RolloutCsv.DecodeValue(c); break;
            }
        }
        return r;
    }

    private int[]? Ints(string f, string c) => c.Length == 0 ? null : _values.ParseCell(f, c, _values.ReadInts);
    private float[]? Floats(string f, string c) => c.Length == 0 ? null : _values.ParseCell(f, c, _values.ReadFloats);

    private static bool ParseBool(string f, string c) => c switch
    {
        "true" or "True" or "TRUE" or "1" => true,
        "false" or "False" or "FALSE" or "0" or "" => false,
        _ => throw new FieldException(f, $"must be true or false; found '{Clip(c)}'."),
    };

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static int ParseInt(string f, string c)
        => int.TryParse(c, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v
            : throw new FieldException(f, $"must be a whole number in the 32-bit range; found '{Clip(c)}'.");

    private static double? ParseDouble(string f, string c)
    {
        if (c.Length == 0) return null;
        switch (c)
        {
            case "NaN": return double.NaN;
            case "Infinity": return double.PositiveInfinity;
            case "-Infinity": return double.NegativeInfinity;
        }
        if (double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return d;
        throw new FieldException(f, $"must be a number (or NaN, Infinity, -Infinity, or empty for none); found '{Clip(c)}'.");
    }

    public void Dispose() => _rows.Dispose();
}

/// <summary>
/// Writes rollouts as CSV (layout: <see cref="RolloutCsv"/>). The columns are fixed by the header: the
/// rollout fields, then the <see cref="Rollout.Extra"/> names of the first record (or, when appending,
/// the existing header). A record with an unknown field that has no column is refused.
/// </summary>
public sealed class RolloutCsvWriter : IRecordWriter<Rollout>
{
    private readonly StreamWriter _text;
    private readonly CsvWriter _csv;
    private string[]? _header;
    private Dictionary<string, int>? _index;

    /// <param name="stream">Positioned where rows go (the end, when appending).</param>
    /// <param name="existingHeader">The header of the file being appended to, or null for a new file.</param>
    public RolloutCsvWriter(Stream stream, string[]? existingHeader = null)
    {
        if (existingHeader is not null)
        {
            var missing = RolloutFields.All.Except(RolloutFields.Optional).Where(f => Array.IndexOf(existingHeader, f) < 0).ToList();
            if (missing.Count > 0)
                throw new InvalidDataException("The existing CSV is not a rollout file written by RlTools: it lacks the column(s) " +
                    string.Join(", ", missing) + ". Append to a file written by Export-RlRollout, or write a new file.");
            SetHeader(existingHeader);
            if (stream.Length > 0)
            {
                stream.Seek(-1, SeekOrigin.End);
                bool newline = stream.ReadByte() == '\n';
                stream.Seek(0, SeekOrigin.End);
                if (!newline) stream.WriteByte((byte)'\n');
            }
        }
        _text = new StreamWriter(stream, RolloutCsv.Utf8, 1 << 16, leaveOpen: true) { NewLine = "\n" };
        _csv = new CsvWriter(_text, RolloutCsv.Config());
    }

    /// <summary>Converts values of foreign types (e.g. PowerShell objects) in maps; see <see cref="JsonValues.Write"/>.</summary>
    public Func<object, object?>? ForeignValue { get; set; }

    private void SetHeader(string[] header)
    {
        _header = header;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Length; i++) _index[header[i]] = i;
    }

    public void Write(Rollout r)
    {
        bool newHeader = _header is null;
        if (newHeader)
        {
            foreach (string k in r.Extra.Keys)
                if (RolloutFields.IsKnown(k)) throw new ArgumentException($"Extra holds '{k}', which is a rollout field; set the property instead.");
            SetHeader(RolloutFields.All.Concat(r.Extra.Keys).ToArray());
        }
        string[] cells = new string[_header!.Length];
        try
        {
            Fill(r, cells);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            if (newHeader) { _header = null; _index = null; }
            throw new ArgumentException($"Rollout '{r.PromptId}' #{r.SampleIndex} cannot be written: {e.Message}", e);
        }
        if (newHeader)
        {
            foreach (string h in _header) _csv.WriteField(h);
            _csv.NextRecord();
        }
        foreach (string c in cells) _csv.WriteField(c);
        _csv.NextRecord();
    }

    private void Fill(Rollout r, string[] cells)
    {
        var ix = _index!;
        var inv = CultureInfo.InvariantCulture;
        cells[ix[RolloutFields.PromptId]] = r.PromptId;
        cells[ix[RolloutFields.SampleIndex]] = r.SampleIndex.ToString(inv);
        cells[ix[RolloutFields.Prompt]] = r.Prompt;
        cells[ix[RolloutFields.Answer]] = RolloutCsv.EncodeNullableText(r.Answer);
        cells[ix[RolloutFields.Completion]] = r.Completion;
        cells[ix[RolloutFields.FinishReason]] = RolloutCsv.EncodeNullableText(r.FinishReason);
        cells[ix[RolloutFields.PromptTokens]] = RolloutCsv.FormatInts(r.PromptTokens);
        cells[ix[RolloutFields.CompletionTokens]] = RolloutCsv.FormatInts(r.CompletionTokens);
        cells[ix[RolloutFields.Logprobs]] = RolloutCsv.FormatFloats(r.Logprobs);
        cells[ix[RolloutFields.Entropies]] = RolloutCsv.FormatFloats(r.Entropies);
        cells[ix[RolloutFields.RefLogprobs]] = RolloutCsv.FormatFloats(r.RefLogprobs);
        cells[ix[RolloutFields.PromptLogprobs]] = RolloutCsv.FormatFloats(r.PromptLogprobs);
        cells[ix[RolloutFields.Values]] = RolloutCsv.FormatFloats(r.Values);
        cells[ix[RolloutFields.Reward]] = RolloutCsv.FormatDouble(r.Reward);
        cells[ix[RolloutFields.Rewards]] = RolloutCsv.FormatRewards(r.Rewards);
        cells[ix[RolloutFields.BaselineReward]] = RolloutCsv.FormatDouble(r.BaselineReward);
        cells[ix[RolloutFields.Advantage]] = RolloutCsv.FormatDouble(r.Advantage);
        cells[ix[RolloutFields.TokenAdvantages]] = RolloutCsv.FormatFloats(r.TokenAdvantages);
        cells[ix[RolloutFields.LossMask]] = RolloutCsv.FormatFloats(r.LossMask);
        cells[ix[RolloutFields.IsExpert]] = r.IsExpert ? "true" : "false";
        Optional(cells, RolloutFields.Temperatures, RolloutCsv.FormatFloats(r.Temperatures));
        Optional(cells, RolloutFields.NodeId, RolloutCsv.EncodeNullableText(r.NodeId));
        Optional(cells, RolloutFields.ParentId, RolloutCsv.EncodeNullableText(r.ParentId));
        Optional(cells, RolloutFields.Depth, r.Depth?.ToString(inv) ?? "");
        Optional(cells, RolloutFields.CutPositions, RolloutCsv.FormatInts(r.CutPositions));
        Optional(cells, RolloutFields.IsProbe, r.IsProbe ? "true" : "");
        Optional(cells, RolloutFields.IsHint, r.IsHint ? "true" : "");
        Optional(cells, RolloutFields.HintRatio, RolloutCsv.FormatDouble(r.HintRatio));
        Optional(cells, RolloutFields.EffectiveRank, RolloutCsv.FormatDouble(r.EffectiveRank));
        Optional(cells, RolloutFields.EffectiveRankVelocity, RolloutCsv.FormatDouble(r.EffectiveRankVelocity));
        Optional(cells, RolloutFields.EffectiveRankAcceleration, RolloutCsv.FormatDouble(r.EffectiveRankAcceleration));
        cells[ix[RolloutFields.Step]] = r.Step?.ToString(inv) ?? "";
        cells[ix[RolloutFields.Metadata]] = JsonValues.ToJson(r.Metadata ?? new Dictionary<string, object?>(), ForeignValue);
        for (int i = 0; i < cells.Length; i++) cells[i] ??= "";
        foreach (var kv in r.Extra)
        {
            if (!ix.TryGetValue(kv.Key, out int i) || RolloutFields.IsKnown(kv.Key))
                throw new ArgumentException($"it has the field '{kv.Key}', which is not a column of this CSV (columns are fixed by the header). Export to JSONL or Parquet to keep varying fields.");
            cells[i] = RolloutCsv.EncodeValue(kv.Value, ForeignValue);
        }
        foreach (string c in cells)
            if (!JsonValues.IsWellFormed(c)) throw new ArgumentException("a text field holds an unpaired UTF-16 surrogate, which UTF-8 cannot store.");
    }

    /// <summary>
    /// Puts an open-stage field (<see cref="RolloutFields.Optional"/>) in its column; a file written before the field
    /// existed has no such column, which is fine while the value is absent (an empty cell).
    /// </summary>
    private void Optional(string[] cells, string field, string cell)
    {
        if (_index!.TryGetValue(field, out int i)) cells[i] = cell;
        else if (cell.Length > 0)
            throw new ArgumentException($"it has the field '{field}', which this CSV file has no column for (it was written before the field existed). Export to a new file, or to JSONL or Parquet.");
    }

    public void Complete()
    {
        _csv.Flush();
        _text.Flush();
    }

    public void Dispose()
    {
        _csv.Dispose();
        _text.Dispose();
    }
}
