using System.Buffers;
using System.Collections;
using System.Text.Json;
using RlTools.Core.Records;

namespace RlTools.Core.IO;

/// <summary>
/// Reads rollouts from JSON Lines: one object per line, field names as in <see cref="RolloutFields"/>;
/// unknown fields go to <see cref="Rollout.Extra"/>. Streams: memory is bounded by the longest line.
/// Blank lines are skipped. Numbers: see <see cref="JsonValues"/> for NaN/Infinity.
/// </summary>
public sealed class RolloutJsonlReader : IRecordReader<Rollout>
{
    private readonly Utf8LineReader _lines;
    private readonly string _file;
    private readonly long _length;
    private readonly RolloutValueReader _values = new();
    private bool _started;

    public RolloutJsonlReader(Stream stream, string fileName, bool leaveOpen = false, int maxLineBytes = Utf8LineReader.DefaultMaxRecordBytes)
    {
        _lines = new Utf8LineReader(stream, leaveOpen, maxRecordBytes: maxLineBytes);
        _file = fileName;
        _length = stream.CanSeek ? stream.Length : 0;
    }

    /// <summary>Opens a file for reading.</summary>
    public static RolloutJsonlReader Open(string path)
        => new(SafeFile.OpenRead(path), path);

    public double Progress => _length > 0 ? Math.Min(1.0, (double)_lines.Position / _length) : 0;

    public IEnumerator<RecordResult<Rollout>> GetEnumerator()
    {
        if (_started) throw new InvalidOperationException("A reader can be enumerated once.");
        _started = true;
        while (_lines.Next())
        {
            if (_lines.Oversized) { yield return new RecordResult<Rollout>(_lines.OversizedError(_file)); continue; }
            if (Utf8LineReader.IsBlank(_lines.Current)) continue;
            RecordResult<Rollout> result;
            try { result = new RecordResult<Rollout>(ParseLine(_lines.Current, _lines.LineNumber), _lines.LineNumber); }
            catch (RecordFormatException e) { result = new RecordResult<Rollout>(e); }
            yield return result;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Parses one line (exposed for tests and for other readers of JSON cells).</summary>
    internal Rollout ParseLine(ReadOnlySpan<byte> line, long lineNumber)
    {
        string? field = null;
        try
        {
            try { return Parse(line, null, ref field); }
            catch (JsonException)
            {
                byte[]? quoted = JsonValues.QuoteBareNonFinite(line, out var positions);
                if (quoted is null) throw;
                field = null;
                return Parse(quoted, positions, ref field);
            }
        }
        catch (FieldException e) { throw new RecordFormatException(_file, lineNumber, e.Field, e.Message); }
        catch (JsonException e)
        {
            throw new RecordFormatException(_file, lineNumber, field,
                "the line is not valid JSON (" + e.Message.Split(" LineNumber:")[0] + "). Each line must hold one JSON object; fix or remove the line.");
        }
        catch (InvalidOperationException e)
        {
            throw new RecordFormatException(_file, lineNumber, field, "the line could not be decoded (" + e.Message + "). Save the file as UTF-8.");
        }
    }

    private Rollout Parse(ReadOnlySpan<byte> json, HashSet<long>? bare, ref string? field)
    {
        var r = new Utf8JsonReader(json, JsonValues.ReaderOptions);
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            throw new FieldException(null, "a line must hold one JSON object ({ ... }); found " + (r.TokenType == JsonTokenType.None ? "nothing" : r.TokenType.ToString()) + ".");
        var ro = new Rollout();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            field = null;
            if (r.ValueTextEquals("prompt_id"u8)) { field = RolloutFields.PromptId; r.Read(); ro.PromptId = RolloutValueReader.ReadId(ref r, field); }
            else if (r.ValueTextEquals("sample_index"u8)) { field = RolloutFields.SampleIndex; r.Read(); ro.SampleIndex = RolloutValueReader.ReadInt(ref r, field); }
            else if (r.ValueTextEquals("prompt"u8)) { field = RolloutFields.Prompt; r.Read(); ro.Prompt = RolloutValueReader.ReadString(ref r, field, nullable: false)!; }
            else if (r.ValueTextEquals("answer"u8)) { field = RolloutFields.Answer; r.Read(); ro.Answer = RolloutValueReader.ReadString(ref r, field, nullable: true); }
            else if (r.ValueTextEquals("completion"u8)) { field = RolloutFields.Completion; r.Read(); ro.Completion = RolloutValueReader.ReadString(ref r, field, nullable: false)!; }
            else if (r.ValueTextEquals("finish_reason"u8)) { field = RolloutFields.FinishReason; r.Read(); ro.FinishReason = RolloutValueReader.ReadString(ref r, field, nullable: true); }
            else if (r.ValueTextEquals("prompt_tokens"u8)) { field = RolloutFields.PromptTokens; r.Read(); ro.PromptTokens = _values.ReadInts(ref r, field); }
            else if (r.ValueTextEquals("completion_tokens"u8)) { field = RolloutFields.CompletionTokens; r.Read(); ro.CompletionTokens = _values.ReadInts(ref r, field); }
            else if (r.ValueTextEquals("logprobs"u8)) { field = RolloutFields.Logprobs; r.Read(); ro.Logprobs = _values.ReadFloats(ref r, field); }
            else if (r.ValueTextEquals("entropies"u8)) { field = RolloutFields.Entropies; r.Read(); ro.Entropies = _values.ReadFloats(ref r, field); }
            else if (r.ValueTextEquals("ref_logprobs"u8)) { field = RolloutFields.RefLogprobs; r.Read(); ro.RefLogprobs = _values.ReadFloats(ref r, field); }
            else if (r.ValueTextEquals("prompt_logprobs"u8)) { field = RolloutFields.PromptLogprobs; r.Read(); ro.PromptLogprobs = _values.ReadFloats(ref r, field); }
            else if (r.ValueTextEquals("values"u8)) { field = RolloutFields.Values; r.Read(); ro.Values = _values.ReadFloats(ref r, field); }
            else if (r.ValueTextEquals("reward"u8)) { field = RolloutFields.Reward; r.Read(); ro.Reward = RolloutValueReader.ReadDouble(ref r, field); }
            else if (r.ValueTextEquals("rewards"u8)) { field = RolloutFields.Rewards; r.Read(); ro.Rewards = RolloutValueReader.ReadRewards(ref r, field); }
            else if (r.ValueTextEquals("baseline_reward"u8)) { field = RolloutFields.BaselineReward; r.Read(); ro.BaselineReward = RolloutValueReader.ReadDouble(ref r, field); }
            else if (r.ValueTextEquals("advantage"u8)) { field = RolloutFields.Advantage; r.Read(); ro.Advantage = RolloutValueReader.ReadDouble(ref r, field); }
            else if (r.ValueTextEquals("token_advantages"u8)) { field = RolloutFields.TokenAdvantages; r.Read(); ro.TokenAdvantages = _values.ReadFloats(ref r, field); }
            else if (r.ValueTextEquals("loss_mask"u8)) { field = RolloutFields.LossMask; r.Read(); ro.LossMask = _values.ReadFloats(ref r, field); }
            else if (r.ValueTextEquals("is_expert"u8)) { field = RolloutFields.IsExpert; r.Read(); ro.IsExpert = RolloutValueReader.ReadBool(ref r, field); }
            else if (r.ValueTextEquals("temperatures"u8)) { field = RolloutFields.Temperatures; r.Read(); ro.Temperatures = _values.ReadFloats(ref r, field); }
            else if (r.ValueTextEquals("node_id"u8)) { field = RolloutFields.NodeId; r.Read(); ro.NodeId = RolloutValueReader.ReadString(ref r, field, nullable: true); }
            else if (r.ValueTextEquals("parent_id"u8)) { field = RolloutFields.ParentId; r.Read(); ro.ParentId = RolloutValueReader.ReadString(ref r, field, nullable: true); }
            else if (r.ValueTextEquals("depth"u8)) { field = RolloutFields.Depth; r.Read(); ro.Depth = RolloutValueReader.ReadNullableInt(ref r, field); }
            else if (r.ValueTextEquals("cut_positions"u8)) { field = RolloutFields.CutPositions; r.Read(); ro.CutPositions = _values.ReadInts(ref r, field); }
            else if (r.ValueTextEquals("is_probe"u8)) { field = RolloutFields.IsProbe; r.Read(); ro.IsProbe = RolloutValueReader.ReadBool(ref r, field); }
            else if (r.ValueTextEquals("is_hint"u8)) { field = RolloutFields.IsHint; r.Read(); ro.IsHint = RolloutValueReader.ReadBool(ref r, field); }
            else if (r.ValueTextEquals("hint_ratio"u8)) { field = RolloutFields.HintRatio; r.Read(); ro.HintRatio = RolloutValueReader.ReadDouble(ref r, field); }
            else if (r.ValueTextEquals("effective_rank"u8)) { field = RolloutFields.EffectiveRank; r.Read(); ro.EffectiveRank = RolloutValueReader.ReadDouble(ref r, field); }
            else if (r.ValueTextEquals("effective_rank_velocity"u8)) { field = RolloutFields.EffectiveRankVelocity; r.Read(); ro.EffectiveRankVelocity = RolloutValueReader.ReadDouble(ref r, field); }
            else if (r.ValueTextEquals("effective_rank_acceleration"u8)) { field = RolloutFields.EffectiveRankAcceleration; r.Read(); ro.EffectiveRankAcceleration = RolloutValueReader.ReadDouble(ref r, field); }
            else if (r.ValueTextEquals("step"u8)) { field = RolloutFields.Step; r.Read(); ro.Step = RolloutValueReader.ReadNullableInt(ref r, field); }
            else if (r.ValueTextEquals("metadata"u8))
            {
                field = RolloutFields.Metadata;
                r.Read();
                if (r.TokenType != JsonTokenType.StartObject) throw new FieldException(field, "must be a JSON object (a map); found " + RolloutValueReader.Describe(r.TokenType) + ".");
                ro.Metadata = (Dictionary<string, object?>)JsonValues.Read(ref r, bare)!;
            }
            else
            {
                field = r.GetString()!;
                r.Read();
                ro.Extra[field] = JsonValues.Read(ref r, bare);
            }
        }
        field = null;
        if (r.TokenType != JsonTokenType.EndObject) throw new JsonException("The object is not closed.");
        if (r.Read()) throw new FieldException(null, "text follows the JSON object on the same line; put one object per line.");
        return ro;
    }

    public void Dispose() => _lines.Dispose();
}

/// <summary>
/// Writes rollouts as JSON Lines (UTF-8, LF): every known field in the canonical order (nulls
/// included, so the schema is stable), then <see cref="Rollout.Extra"/> fields. Float arrays are
/// written in the shortest form that reads back to the same float32; non-finite numbers as
/// Python's <c>json</c> writes them (bare NaN/Infinity/-Infinity).
/// </summary>
public sealed class RolloutJsonlWriter : IRecordWriter<Rollout>
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json;
    private byte[] _scratch = new byte[4096];

    public RolloutJsonlWriter(Stream stream, bool leaveOpen = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _json = new Utf8JsonWriter(_buffer, JsonValues.WriterOptions);
    }

    /// <summary>Converts values of foreign types (e.g. PowerShell objects) in maps before they are written; return the value unchanged to refuse it.</summary>
    public Func<object, object?>? ForeignValue { get; set; }

    public void Write(Rollout record)
    {
        _buffer.ResetWrittenCount();
        _json.Reset();
        try
        {
            WriteRecord(record);
            _json.Flush();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            _json.Reset();
            _buffer.ResetWrittenCount();
            throw new ArgumentException($"Rollout '{record.PromptId}' #{record.SampleIndex} cannot be written: {e.Message}", e);
        }
        _buffer.Write("\n"u8);
        _stream.Write(_buffer.WrittenSpan);
    }

    private void WriteRecord(Rollout r)
    {
        var w = _json;
        w.WriteStartObject();
        w.WriteString("prompt_id"u8, r.PromptId);
        w.WriteNumber("sample_index"u8, r.SampleIndex);
        w.WriteString("prompt"u8, r.Prompt);
        w.WriteString("answer"u8, r.Answer);
        w.WriteString("completion"u8, r.Completion);
        w.WriteString("finish_reason"u8, r.FinishReason);
        WriteInts("prompt_tokens"u8, r.PromptTokens);
        WriteInts("completion_tokens"u8, r.CompletionTokens);
        WriteFloats("logprobs"u8, r.Logprobs);
        WriteFloats("entropies"u8, r.Entropies);
        WriteFloats("ref_logprobs"u8, r.RefLogprobs);
        WriteFloats("prompt_logprobs"u8, r.PromptLogprobs);
        WriteFloats("values"u8, r.Values);
        WriteDouble("reward"u8, r.Reward);
        w.WritePropertyName("rewards"u8);
        if (r.Rewards is null) w.WriteNullValue();
        else
        {
            w.WriteStartObject();
            foreach (var kv in r.Rewards)
            {
                w.WritePropertyName(kv.Key);
                if (kv.Value is double d) JsonValues.WriteDouble(w, d); else w.WriteNullValue();
            }
            w.WriteEndObject();
        }
        WriteDouble("baseline_reward"u8, r.BaselineReward);
        WriteDouble("advantage"u8, r.Advantage);
        WriteFloats("token_advantages"u8, r.TokenAdvantages);
        WriteFloats("loss_mask"u8, r.LossMask);
        if (r.IsExpert) w.WriteBoolean("is_expert"u8, true); // only when true, so a JSONL → JSONL round trip adds no field
        // The open rollout stage's fields: written only when present, so plain rollouts keep their shape.
        if (r.Temperatures is not null) WriteFloats("temperatures"u8, r.Temperatures);
        if (r.NodeId is not null) w.WriteString("node_id"u8, r.NodeId);
        if (r.ParentId is not null) w.WriteString("parent_id"u8, r.ParentId);
        if (r.Depth is int depth) w.WriteNumber("depth"u8, depth);
        if (r.CutPositions is not null) WriteInts("cut_positions"u8, r.CutPositions);
        if (r.IsProbe) w.WriteBoolean("is_probe"u8, true);
        if (r.IsHint) w.WriteBoolean("is_hint"u8, true);
        if (r.HintRatio is not null) WriteDouble("hint_ratio"u8, r.HintRatio);
        if (r.EffectiveRank is not null) WriteDouble("effective_rank"u8, r.EffectiveRank);
        if (r.EffectiveRankVelocity is not null) WriteDouble("effective_rank_velocity"u8, r.EffectiveRankVelocity);
        if (r.EffectiveRankAcceleration is not null) WriteDouble("effective_rank_acceleration"u8, r.EffectiveRankAcceleration);
        w.WritePropertyName("step"u8);
        if (r.Step is int s) w.WriteNumberValue(s); else w.WriteNullValue();
        w.WritePropertyName("metadata"u8);
        JsonValues.Write(w, r.Metadata ?? new Dictionary<string, object?>(), ForeignValue);
        foreach (var kv in r.Extra)
        {
            if (RolloutFields.IsKnown(kv.Key))
                throw new ArgumentException($"Extra holds '{kv.Key}', which is a rollout field; set the property instead.");
            w.WritePropertyName(kv.Key);
            JsonValues.Write(w, kv.Value, ForeignValue);
        }
        w.WriteEndObject();
    }

    private void WriteDouble(ReadOnlySpan<byte> name, double? value)
    {
        _json.WritePropertyName(name);
        if (value is double d) JsonValues.WriteDouble(_json, d); else _json.WriteNullValue();
    }

    private void WriteInts(ReadOnlySpan<byte> name, int[]? values)
    {
        _json.WritePropertyName(name);
        if (values is null) { _json.WriteNullValue(); return; }
        EnsureScratch(values.Length * 12 + 2);
        int n = 0;
        _scratch[n++] = (byte)'[';
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) _scratch[n++] = (byte)',';
            values[i].TryFormat(_scratch.AsSpan(n), out int written, default, System.Globalization.CultureInfo.InvariantCulture);
            n += written;
        }
        _scratch[n++] = (byte)']';
        _json.WriteRawValue(_scratch.AsSpan(0, n), skipInputValidation: true);
    }

    private void WriteFloats(ReadOnlySpan<byte> name, float[]? values)
    {
        _json.WritePropertyName(name);
        if (values is null) { _json.WriteNullValue(); return; }
        EnsureScratch(values.Length * 18 + 2);
        int n = 0;
        _scratch[n++] = (byte)'[';
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) _scratch[n++] = (byte)',';
            n += JsonValues.FormatSingle(values[i], _scratch.AsSpan(n));
        }
        _scratch[n++] = (byte)']';
        _json.WriteRawValue(_scratch.AsSpan(0, n), skipInputValidation: true);
    }

    private void EnsureScratch(int size)
    {
        if (_scratch.Length < size) _scratch = new byte[Math.Max(size, _scratch.Length * 2)];
    }

    public void Complete() => _stream.Flush();

    public void Dispose()
    {
        _json.Dispose();
        if (!_leaveOpen) _stream.Dispose();
    }
}
