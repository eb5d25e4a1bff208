using System.Collections;
using System.Globalization;
using System.Text.Json;
using RlTools.Core.Records;

namespace RlTools.Core.IO;

/// <summary>Which columns of a dataset hold the prompt, the answer and the id, and how to reduce the answer.</summary>
public sealed class DatasetOptions
{
    /// <summary>Prompt column; null picks the first of <see cref="PromptCandidates"/> present in the row.</summary>
    public string? PromptField { get; set; }
    /// <summary>Answer column; null picks the first of <see cref="AnswerCandidates"/> present (none: no answer).</summary>
    public string? AnswerField { get; set; }
    /// <summary>Id column; null picks the first of <see cref="IdCandidates"/> present, else ids are <c>&lt;file stem&gt;:&lt;record index&gt;</c>.</summary>
    public string? IdField { get; set; }
    /// <summary>Column holding a code task's tests (<c>Code</c> verifier); copied to the metadata field <c>tests</c>.</summary>
    public string? TestsField { get; set; }
    /// <summary>How to reduce the answer (GSM8K <c>####</c>, MATH <c>\boxed{}</c>).</summary>
    public AnswerExtraction AnswerExtract { get; set; }

    public static readonly string[] PromptCandidates = ["prompt", "question", "problem", "messages", "conversations", "input", "query"];
    public static readonly string[] AnswerCandidates = ["answer", "solution", "ground_truth", "target", "output"];
    public static readonly string[] IdCandidates = ["id", "unique_id", "idx", "prompt_id"];
}

/// <summary>
/// Reads a dataset (JSONL, CSV or Parquet, streaming) into <see cref="PromptRecord"/>s, one per row.
/// The prompt column may hold text or a chat (a list of <c>{role, content}</c> maps), which becomes
/// <see cref="PromptRecord.Messages"/> with <see cref="PromptRecord.Prompt"/> set to the last user
/// message. Every other column goes to <see cref="PromptRecord.Metadata"/>. Ids come from the id
/// column, else <c>&lt;file stem&gt;:&lt;n&gt;</c> where n counts the file's records from 0 (bad rows
/// included, so ids never shift when a row is fixed).
/// </summary>
public sealed class DatasetReader : IRecordReader<PromptRecord>
{
    private readonly string _path;
    private readonly DataFormat _format;
    private readonly DatasetOptions _options;
    private readonly string _stem;
    private Func<double> _progress = () => 0;
    private bool _started;
    private Dictionary<string, string>? _literals; // the current JSONL row's number literals

    public DatasetReader(string path, DataFormat format, DatasetOptions options)
    {
        if (format == DataFormat.Auto) throw new ArgumentException("Resolve the format first.", nameof(format));
        _path = path;
        _format = format;
        _options = options;
        _stem = Path.GetFileNameWithoutExtension(path);
    }

    public double Progress => _progress();

    public IEnumerator<RecordResult<PromptRecord>> GetEnumerator()
    {
        if (_started) throw new InvalidOperationException("A reader can be enumerated once.");
        _started = true;
        long index = 0;
        foreach (var row in Rows())
        {
            long n = index++;
            if (row.Error is not null) { yield return new RecordResult<PromptRecord>(row.Error); continue; }
            RecordResult<PromptRecord> result;
            try { result = new RecordResult<PromptRecord>(Map(row.Record!, n), row.Line); }
            catch (FieldException e) { result = new RecordResult<PromptRecord>(new RecordFormatException(_path, row.Line, e.Field, e.Message)); }
            yield return result;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Maps one row to a prompt (exposed for tests).</summary>
    internal PromptRecord Map(Dictionary<string, object?> row, long index)
    {
        string promptField = Pick(row, _options.PromptField, DatasetOptions.PromptCandidates)
            ?? throw new FieldException(_options.PromptField ?? "prompt",
                _options.PromptField is null
                    ? "no prompt column found (looked for " + string.Join(", ", DatasetOptions.PromptCandidates) + "); name it with -PromptField."
                    : "the row has no such field; check -PromptField against the file's columns.");
        string? answerField = Pick(row, _options.AnswerField, DatasetOptions.AnswerCandidates);
        if (_options.AnswerField is not null && answerField is null)
            throw new FieldException(_options.AnswerField, "the row has no such field; check -AnswerField against the file's columns.");
        string? idField = Pick(row, _options.IdField, DatasetOptions.IdCandidates);
        if (_options.IdField is not null && idField is null)
            throw new FieldException(_options.IdField, "the row has no such field; check -IdField against the file's columns.");

        var record = new PromptRecord();
        object? prompt = row[promptField];
        switch (prompt)
        {
            case string s: record.Prompt = s; break;
            case List<object?> list: record.Messages = Messages(promptField, list); record.Prompt = LastUser(record.Messages); break;
            default: throw new FieldException(promptField, "must be text or a list of {role, content} messages; found " + Kind(prompt) + ".");
        }

        if (answerField is not null)
        {
            string? answer = Scalar(answerField, row[answerField], _literals);
            if (answer is not null && _options.AnswerExtract != AnswerExtraction.None)
            {
                answer = DatasetAnswerExtractor.Extract(answer, _options.AnswerExtract)
                    ?? throw new FieldException(answerField, _options.AnswerExtract == AnswerExtraction.Gsm8k
                        ? "has no '#### <number>' line to extract; use -AnswerExtract None or fix the row."
                        : "has no balanced \\boxed{...} to extract; use -AnswerExtract None or fix the row.");
            }
            record.Answer = answer;
        }

        record.Id = idField is not null
            ? Scalar(idField, row[idField], _literals) ?? throw new FieldException(idField, "is empty; every row needs an id (or omit -IdField to derive ids).")
            : _stem + ":" + index.ToString(CultureInfo.InvariantCulture);
        if (record.Id.Length == 0) throw new FieldException(idField, "is empty; every row needs an id (or omit -IdField to derive ids).");

        foreach (var kv in row)
            if (kv.Key != promptField && kv.Key != answerField && kv.Key != idField && kv.Key != _options.TestsField) record.Metadata[kv.Key] = kv.Value;
        if (_options.TestsField is { } testsField)
        {
            if (!row.TryGetValue(testsField, out object? tests))
                throw new FieldException(testsField, "the row has no such field; check -TestsField against the file's columns.");
            if (tests is null || tests is string { Length: 0 })
                throw new FieldException(testsField, "is empty; every code task needs its tests ({\"inputs\",\"outputs\"} or {\"test\",\"entry_point\"}).");
            record.Metadata["tests"] = tests;
        }
        return record;
    }

    private static string? Pick(Dictionary<string, object?> row, string? given, string[] candidates)
    {
        if (given is not null) return row.ContainsKey(given) ? given : null;
        foreach (string c in candidates) if (row.ContainsKey(c)) return c;
        return null;
    }

    private static string Kind(object? v) => v switch
    {
        null => "null",
        string => "text",
        long or double => "a number",
        bool => "a boolean",
        List<object?> => "a list",
        _ => "a map",
    };

    /// <summary>A text value of a scalar cell; a JSON number keeps its literal text (no trip through double).</summary>
    private static string? Scalar(string field, object? v, Dictionary<string, string>? literals) => v switch
    {
        null => null,
        long or double when literals is not null && literals.TryGetValue(field, out string? literal) => literal,
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => throw new FieldException(field, "must be text or a number; found " + Kind(v) + "."),
    };

    private static List<ChatMessage> Messages(string field, List<object?> list)
    {
        var messages = new List<ChatMessage>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not Dictionary<string, object?> m
                || !m.TryGetValue("role", out object? role) || role is not string r
                || !m.TryGetValue("content", out object? content) || content is not string c)
                throw new FieldException(field, $"message {i} must be a map with text 'role' and 'content'.");
            messages.Add(new ChatMessage(r, c));
        }
        if (messages.Count == 0) throw new FieldException(field, "the chat has no messages.");
        return messages;
    }

    private static string LastUser(List<ChatMessage> messages)
    {
        for (int i = messages.Count - 1; i >= 0; i--) if (messages[i].Role == "user") return messages[i].Content;
        return messages[^1].Content;
    }

    private IEnumerable<RecordResult<Dictionary<string, object?>>> Rows() => _format switch
    {
        DataFormat.Jsonl => JsonlRows(),
        DataFormat.Csv => CsvRows(),
        _ => ParquetRowsOf(),
    };

    private IEnumerable<RecordResult<Dictionary<string, object?>>> JsonlRows()
    {
        var stream = SafeFile.OpenRead(_path);
        long length = stream.Length;
        using var lines = new Utf8LineReader(stream);
        _progress = () => length > 0 ? Math.Min(1.0, (double)lines.Position / length) : 0;
        while (lines.Next())
        {
            _literals = null;
            if (lines.Oversized) { yield return new(lines.OversizedError(_path)); continue; }
            if (Utf8LineReader.IsBlank(lines.Current)) continue;
            RecordResult<Dictionary<string, object?>> result;
            try { result = new(ParseObject(lines.Current, lines.LineNumber), lines.LineNumber); }
            catch (RecordFormatException e) { result = new(e); }
            yield return result;
        }
    }

    private Dictionary<string, object?> ParseObject(ReadOnlySpan<byte> line, long number)
    {
        object? value;
        try { value = Parse(line, null); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            byte[]? quoted = JsonValues.QuoteBareNonFinite(line, out var positions);
            try
            {
                if (quoted is null) throw;
                value = Parse(quoted, positions);
            }
            catch (Exception e2) when (e2 is JsonException or InvalidOperationException)
            {
                throw new RecordFormatException(_path, number, null, "the line is not valid JSON (" + e.Message.Split(" LineNumber:")[0] + "). Each line must hold one JSON object; fix or remove the line.");
            }
        }
        var row = value as Dictionary<string, object?>
            ?? throw new RecordFormatException(_path, number, null, "a line must hold one JSON object ({ ... }); found " + Kind(value) + ".");
        _literals = null;
        foreach (var kv in row)
            if (kv.Value is long or double) { _literals = NumberLiterals(line); break; }
        return row;
    }

    /// <summary>The source text of each top-level number of a JSON object, so an answer or id keeps its exact digits.</summary>
    private static Dictionary<string, string> NumberLiterals(ReadOnlySpan<byte> json)
    {
        var literals = new Dictionary<string, string>(StringComparer.Ordinal);
        var r = new Utf8JsonReader(json, JsonValues.ReaderOptions);
        try
        {
            r.Read();
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                string key = r.GetString()!;
                r.Read();
                if (r.TokenType == JsonTokenType.Number) literals[key] = System.Text.Encoding.UTF8.GetString(r.ValueSpan);
                else r.Skip();
            }
        }
        catch (JsonException) { } // bare NaN/Infinity: those are no literals to keep
        return literals;
    }

    private static object? Parse(ReadOnlySpan<byte> json, HashSet<long>? bare)
    {
        var r = new Utf8JsonReader(json, JsonValues.ReaderOptions);
        if (!r.Read()) throw new JsonException("Empty line.");
        object? v = JsonValues.Read(ref r, bare);
        if (r.Read()) throw new JsonException("Text after the JSON value.");
        return v;
    }

    private IEnumerable<RecordResult<Dictionary<string, object?>>> CsvRows()
    {
        var stream = SafeFile.OpenRead(_path);
        using var rows = new CsvRowReader(stream, _path);
        _progress = () => rows.Progress;
        RecordFormatException? headerError = null;
        bool any;
        try { any = rows.ReadHeader(); }
        catch (RecordFormatException e) { headerError = e; any = false; }
        if (headerError is not null) { yield return new(headerError); yield break; }
        if (!any) yield break;
        string promptField = _options.PromptField ?? DatasetOptions.PromptCandidates.FirstOrDefault(c => rows.Header.Contains(c)) ?? "";
        while (rows.Next(out string[]? cells, out long line, out RecordFormatException? error))
        {
            if (error is not null) { yield return new(error); continue; }
            var map = new Dictionary<string, object?>(cells!.Length, StringComparer.Ordinal);
            RecordFormatException? bad = null;
            for (int i = 0; i < cells.Length; i++)
            {
                string h = rows.Header[i], c = cells[i];
                // A chat column in CSV holds the message list as JSON.
                if (h == promptField && c.StartsWith('['))
                {
                    if (JsonValues.TryParse(c, out object? chat)) { map[h] = chat; continue; }
                    bad = new RecordFormatException(_path, line, h, "starts with '[' but is not a JSON list of {role, content} messages.");
                    break;
                }
                map[h] = c;
            }
            yield return bad is null ? new(map, line) : new(bad);
        }
    }

    private IEnumerable<RecordResult<Dictionary<string, object?>>> ParquetRowsOf()
    {
        using var stream = SafeFile.OpenRead(_path, 1 << 16, FileOptions.None);
        int groups = 0, group = 0;
        _progress = () => groups > 0 ? (double)group / groups : 0;
        RecordFormatException? open = null;
        string[] columns = [];
        try { (groups, _) = ParquetRows.Open(stream, r => { columns = r.Schema.Fields.Select(f => f.Name).ToArray(); return true; }); }
        catch (Exception e) when (e is IOException or InvalidDataException or Parquet.ParquetException or NotSupportedException)
        {
            open = new RecordFormatException(_path, 0, null, "not a readable Parquet file (" + e.Message + ").");
        }
        if (open is not null) { yield return new(open); yield break; }
        long row = 0;
        for (group = 0; group < groups; group++)
        {
            IList<Dictionary<string, object>> rows;
            RecordFormatException? bad = null;
            try { rows = ParquetRows.ReadGroup(stream, group); }
            catch (Exception e) when (e is IOException or InvalidDataException or Parquet.ParquetException or NotSupportedException or InvalidOperationException or ApplicationException)
            {
                bad = new RecordFormatException(_path, row + 1, null, $"row group {group} could not be read ({e.Message}).");
                rows = [];
            }
            if (bad is not null) { yield return new(bad); continue; }
            foreach (var values in rows)
            {
                row++;
                var map = (Dictionary<string, object?>)ForeignValues.ToModel(values)!;
                foreach (string c in columns) map.TryAdd(c, null); // the reader leaves null cells out; they are columns all the same
                yield return new(map, row);
            }
        }
    }

    public void Dispose() { }
}
