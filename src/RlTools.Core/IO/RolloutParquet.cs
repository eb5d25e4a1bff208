using System.Collections;
using System.Globalization;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using RlTools.Core.Records;

namespace RlTools.Core.IO;

/// <summary>
/// How rollouts look in Parquet: one column per field with native types — strings (UTF-8),
/// <c>sample_index</c>/<c>step</c> int32, <c>reward</c>/<c>baseline_reward</c>/<c>advantage</c> float64,
/// <c>is_expert</c> boolean, token arrays list&lt;int32&gt;, per-token arrays list&lt;float&gt; (null and
/// empty lists stay distinct); <c>rewards</c> and <c>metadata</c> as JSON text (exact, any nesting),
/// and every <see cref="Rollout.Extra"/> field inside one JSON column <c>extra_json</c>. The file's
/// key-value metadata carries <c>rltools.format = rollout/1</c>. Foreign Parquet files are read too:
/// their unknown columns become <see cref="Rollout.Extra"/> fields, maps and lists included.
/// Written in row groups of at most 10,000 rows (fewer for long sequences), so memory stays bounded.
/// </summary>
public static class RolloutParquet
{
    public const string ExtraColumn = "extra_json";
    public const string FormatKey = "rltools.format";
    public const string FormatValue = "rollout/1";

    public static readonly ParquetSchema Schema = new(
        new DataField<string>(RolloutFields.PromptId, true),
        new DataField<int>(RolloutFields.SampleIndex),
        new DataField<string>(RolloutFields.Prompt, true),
        new DataField<string>(RolloutFields.Answer, true),
        new DataField<string>(RolloutFields.Completion, true),
        new DataField<string>(RolloutFields.FinishReason, true),
        new ListField(RolloutFields.PromptTokens, new DataField<int>("element")),
        new ListField(RolloutFields.CompletionTokens, new DataField<int>("element")),
        new ListField(RolloutFields.Logprobs, new DataField<float>("element")),
        new ListField(RolloutFields.Entropies, new DataField<float>("element")),
        new ListField(RolloutFields.RefLogprobs, new DataField<float>("element")),
        new ListField(RolloutFields.PromptLogprobs, new DataField<float>("element")),
        new ListField(RolloutFields.Values, new DataField<float>("element")),
        new DataField<double?>(RolloutFields.Reward),
        new DataField<string>(RolloutFields.Rewards, true),
        new DataField<double?>(RolloutFields.BaselineReward),
        new DataField<double?>(RolloutFields.Advantage),
        new ListField(RolloutFields.TokenAdvantages, new DataField<float>("element")),
        new ListField(RolloutFields.LossMask, new DataField<float>("element")),
        new DataField<bool>(RolloutFields.IsExpert),
        new ListField(RolloutFields.Temperatures, new DataField<float>("element")),
        new DataField<string>(RolloutFields.NodeId, true),
        new DataField<string>(RolloutFields.ParentId, true),
        new DataField<int?>(RolloutFields.Depth),
        new ListField(RolloutFields.CutPositions, new DataField<int>("element")),
        new DataField<bool>(RolloutFields.IsProbe),
        new DataField<bool>(RolloutFields.IsHint),
        new DataField<double?>(RolloutFields.HintRatio),
        new DataField<double?>(RolloutFields.EffectiveRank),
        new DataField<double?>(RolloutFields.EffectiveRankVelocity),
        new DataField<double?>(RolloutFields.EffectiveRankAcceleration),
        new DataField<int?>(RolloutFields.Step),
        new DataField<string>(RolloutFields.Metadata, true),
        new DataField<string>(ExtraColumn, true));

    internal static readonly IReadOnlyDictionary<string, string> FileMetadata = new Dictionary<string, string> { [FormatKey] = FormatValue };
}

/// <summary>Reads rollouts from Parquet one row group at a time (layout: <see cref="RolloutParquet"/>).</summary>
public sealed class RolloutParquetReader : IRecordReader<Rollout>
{
    private readonly Stream _stream;
    private readonly string _file;
    private int _groups = 1, _group;
    private bool _started;

    public RolloutParquetReader(Stream stream, string fileName)
    {
        _stream = stream;
        _file = fileName;
    }

    public static RolloutParquetReader Open(string path)
        => new(SafeFile.OpenRead(path, 1 << 16, FileOptions.None), path);

    public double Progress => _groups > 0 ? (double)_group / _groups : 0;

    public IEnumerator<RecordResult<Rollout>> GetEnumerator()
    {
        if (_started) throw new InvalidOperationException("A reader can be enumerated once.");
        _started = true;
        bool ours;
        RecordFormatException? open = null;
        try
        {
            (_groups, ours) = ParquetRows.Open(_stream, r => r.CustomMetadata.TryGetValue(RolloutParquet.FormatKey, out string? v) && v == RolloutParquet.FormatValue);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ParquetException or NotSupportedException)
        {
            open = new RecordFormatException(_file, 0, null, "not a readable Parquet file (" + e.Message + ").");
            ours = false;
        }
        if (open is not null) { yield return new RecordResult<Rollout>(open); yield break; }
        long row = 0;
        for (_group = 0; _group < _groups; _group++)
        {
            IList<Dictionary<string, object>> rows;
            RecordFormatException? bad = null;
            try { rows = ParquetRows.ReadGroup(_stream, _group); }
            catch (Exception e) when (e is IOException or InvalidDataException or ParquetException or NotSupportedException or InvalidOperationException or ApplicationException)
            {
                bad = new RecordFormatException(_file, row + 1, null, $"row group {_group} could not be read ({e.Message}).");
                rows = [];
            }
            if (bad is not null) { yield return new RecordResult<Rollout>(bad); continue; }
            foreach (var values in rows)
            {
                row++;
                RecordResult<Rollout> result;
                try { result = new RecordResult<Rollout>(Map(values, ours), row); }
                catch (FieldException e) { result = new RecordResult<Rollout>(new RecordFormatException(_file, row, e.Field, e.Message)); }
                yield return result;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static Rollout Map(Dictionary<string, object> values, bool ours)
    {
        var r = new Rollout();
        foreach (var (f, v) in values)
        {
            switch (f)
            {
                case RolloutFields.PromptId: r.PromptId = v is string s ? s : ToLong(f, v)?.ToString(CultureInfo.InvariantCulture) ?? ""; break;
                case RolloutFields.SampleIndex: r.SampleIndex = ToInt(f, v) ?? 0; break;
                case RolloutFields.Prompt: r.Prompt = Text(f, v) ?? ""; break;
                case RolloutFields.Answer: r.Answer = Text(f, v); break;
                case RolloutFields.Completion: r.Completion = Text(f, v) ?? ""; break;
                case RolloutFields.FinishReason: r.FinishReason = Text(f, v); break;
                case RolloutFields.PromptTokens: r.PromptTokens = Ints(f, v); break;
                case RolloutFields.CompletionTokens: r.CompletionTokens = Ints(f, v); break;
                case RolloutFields.Logprobs: r.Logprobs = Floats(f, v); break;
                case RolloutFields.Entropies: r.Entropies = Floats(f, v); break;
                case RolloutFields.RefLogprobs: r.RefLogprobs = Floats(f, v); break;
                case RolloutFields.PromptLogprobs: r.PromptLogprobs = Floats(f, v); break;
                case RolloutFields.Values: r.Values = Floats(f, v); break;
                case RolloutFields.Reward: r.Reward = ToDouble(f, v); break;
                case RolloutFields.Rewards: r.Rewards = Rewards(f, v); break;
                case RolloutFields.BaselineReward: r.BaselineReward = ToDouble(f, v); break;
                case RolloutFields.Advantage: r.Advantage = ToDouble(f, v); break;
                case RolloutFields.TokenAdvantages: r.TokenAdvantages = Floats(f, v); break;
                case RolloutFields.LossMask: r.LossMask = Floats(f, v); break;
                case RolloutFields.IsExpert: r.IsExpert = Bool(f, v); break;
                case RolloutFields.Temperatures: r.Temperatures = Floats(f, v); break;
                case RolloutFields.NodeId: r.NodeId = Text(f, v); break;
                case RolloutFields.ParentId: r.ParentId = Text(f, v); break;
                case RolloutFields.Depth: r.Depth = ToInt(f, v); break;
                case RolloutFields.CutPositions: r.CutPositions = Ints(f, v); break;
                case RolloutFields.IsProbe: r.IsProbe = Bool(f, v); break;
                case RolloutFields.IsHint: r.IsHint = Bool(f, v); break;
                case RolloutFields.HintRatio: r.HintRatio = ToDouble(f, v); break;
                case RolloutFields.EffectiveRank: r.EffectiveRank = ToDouble(f, v); break;
                case RolloutFields.EffectiveRankVelocity: r.EffectiveRankVelocity = ToDouble(f, v); break;
                case RolloutFields.EffectiveRankAcceleration: r.EffectiveRankAcceleration = ToDouble(f, v); break;
                case RolloutFields.Step: r.Step = ToInt(f, v); break;
                case RolloutFields.Metadata: r.Metadata = Map(f, v) ?? new(StringComparer.Ordinal); break;
                case RolloutParquet.ExtraColumn when ours:
                    if (Map(f, v) is { } extra) foreach (var kv in extra) r.Extra[kv.Key] = kv.Value;
                    break;
                default: r.Extra[f] = ForeignValues.ToModel(v); break;
            }
        }
        return r;
    }

    private static bool Bool(string f, object? v) => v switch { null => false, bool b => b, _ => throw new FieldException(f, "must be a boolean column.") };

    private static string? Text(string f, object? v) => v switch
    {
        null => null,
        string s => s,
        _ => throw new FieldException(f, "must be a string column."),
    };

    private static long? ToLong(string f, object? v) => v switch
    {
        null => null,
        int i => i,
        long l => l,
        short or byte or sbyte or ushort or uint => Convert.ToInt64(v, CultureInfo.InvariantCulture),
        _ => throw new FieldException(f, "must be an integer column."),
    };

    private static int? ToInt(string f, object? v)
    {
        long? l = ToLong(f, v);
        if (l is long x && (x < int.MinValue || x > int.MaxValue)) throw new FieldException(f, "is outside the 32-bit range.");
        return (int?)l;
    }

    private static double? ToDouble(string f, object? v) => v switch
    {
        null => null,
        double d => d,
        float s => s,
        int or long or short => Convert.ToDouble(v, CultureInfo.InvariantCulture),
        _ => throw new FieldException(f, "must be a floating-point column."),
    };

    private static int[]? Ints(string f, object? v)
    {
        if (v is null) return null;
        if (v is int[] a) return a;
        if (v is not IEnumerable seq || v is string) throw new FieldException(f, "must be a list of integers.");
        var list = new List<int>();
        foreach (object? item in seq) list.Add(ToInt(f, item) ?? throw new FieldException(f, $"item {list.Count} is null; token lists hold integers only."));
        return list.ToArray();
    }

    private static float[]? Floats(string f, object? v)
    {
        if (v is null) return null;
        if (v is float[] a) return a;
        if (v is not IEnumerable seq || v is string) throw new FieldException(f, "must be a list of numbers.");
        var list = new List<float>();
        foreach (object? item in seq)
        {
            list.Add(item switch
            {
                float s => s,
                double d => (float)d,
                null => throw new FieldException(f, $"item {list.Count} is null; per-token lists hold numbers only."),
                _ => throw new FieldException(f, $"item {list.Count} is not a floating-point number."),
            });
        }
        return list.ToArray();
    }

    private static Dictionary<string, object?>? Map(string f, object? v)
    {
        switch (v)
        {
            case null: return null;
            case string json:
                if (JsonValues.TryParse(json, out object? parsed) && parsed is Dictionary<string, object?> map) return map;
                throw new FieldException(f, "must hold a JSON object ({\"key\": value}).");
            case IDictionary:
                return (Dictionary<string, object?>)ForeignValues.ToModel(v)!;
            default: throw new FieldException(f, "must be a map (or JSON text of an object).");
        }
    }

    private static Dictionary<string, double?>? Rewards(string f, object? v)
    {
        var map = Map(f, v);
        if (map is null) return null;
        var rewards = new Dictionary<string, double?>(map.Count, StringComparer.Ordinal);
        foreach (var kv in map)
        {
            rewards[kv.Key] = kv.Value switch
            {
                null => null,
                double d => d,
                long l => l,
                _ => throw new FieldException(f, $"component '{kv.Key}' must be a number or null."),
            };
        }
        return rewards;
    }

    public void Dispose() => _stream.Dispose();
}

/// <summary>Row-group access shared by the rollout and dataset readers.</summary>
internal static class ParquetRows
{
    public static (int Groups, bool Flag) Open(Stream stream, Func<ParquetReader, bool> inspect)
    {
        ParquetReader reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
        try { return (reader.RowGroupCount, inspect(reader)); }
        finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    public static IList<Dictionary<string, object>> ReadGroup(Stream stream, int group)
    {
        stream.Seek(0, SeekOrigin.Begin);
        var result = ParquetSerializer.DeserializeUntypedAsync(stream, new ParquetOptions(), group).GetAwaiter().GetResult();
        return result.Data;
    }
}

/// <summary>Writes rollouts to Parquet (layout: <see cref="RolloutParquet"/>), a row group at a time.</summary>
public sealed class RolloutParquetWriter : IRecordWriter<Rollout>
{
    private const int MaxRows = 10_000;
    private const long MaxValues = 4_000_000;
    private readonly Stream _stream;
    private readonly List<IDictionary<string, object?>> _batch = new();
    private long _values;
    private bool _append;

    /// <param name="stream">Readable, writable, seekable.</param>
    /// <param name="append">True when <paramref name="stream"/> already holds a rollout Parquet file to add row groups to.</param>
    public RolloutParquetWriter(Stream stream, bool append)
    {
        _stream = stream;
        _append = append;
        if (append)
        {
            stream.Seek(0, SeekOrigin.Begin);
            var (_, same) = ParquetRows.Open(stream, reader => reader.Schema.Equals(RolloutParquet.Schema));
            if (!same)
                throw new InvalidDataException("The existing Parquet file does not have the rollout schema of Export-RlRollout; append to a file it wrote, or write a new file.");
        }
    }

    /// <summary>Converts values of foreign types (e.g. PowerShell objects) in maps; see <see cref="JsonValues.Write"/>.</summary>
    public Func<object, object?>? ForeignValue { get; set; }

    public void Write(Rollout r)
    {
        Dictionary<string, object?> row;
        try
        {
            foreach (string k in r.Extra.Keys)
                if (RolloutFields.IsKnown(k)) throw new ArgumentException($"Extra holds '{k}', which is a rollout field; set the property instead.");
            row = new Dictionary<string, object?>(34, StringComparer.Ordinal)
            {
                [RolloutFields.PromptId] = Checked(r.PromptId),
                [RolloutFields.SampleIndex] = r.SampleIndex,
                [RolloutFields.Prompt] = Checked(r.Prompt),
                [RolloutFields.Answer] = Checked(r.Answer),
                [RolloutFields.Completion] = Checked(r.Completion),
                [RolloutFields.FinishReason] = Checked(r.FinishReason),
                [RolloutFields.PromptTokens] = r.PromptTokens,
                [RolloutFields.CompletionTokens] = r.CompletionTokens,
                [RolloutFields.Logprobs] = r.Logprobs,
                [RolloutFields.Entropies] = r.Entropies,
                [RolloutFields.RefLogprobs] = r.RefLogprobs,
                [RolloutFields.PromptLogprobs] = r.PromptLogprobs,
                [RolloutFields.Values] = r.Values,
                [RolloutFields.Reward] = r.Reward,
                [RolloutFields.Rewards] = r.Rewards is null ? null : RolloutCsv.FormatRewards(r.Rewards),
                [RolloutFields.BaselineReward] = r.BaselineReward,
                [RolloutFields.Advantage] = r.Advantage,
                [RolloutFields.TokenAdvantages] = r.TokenAdvantages,
                [RolloutFields.LossMask] = r.LossMask,
                [RolloutFields.IsExpert] = r.IsExpert,
                [RolloutFields.Temperatures] = r.Temperatures,
                [RolloutFields.NodeId] = Checked(r.NodeId),
                [RolloutFields.ParentId] = Checked(r.ParentId),
                [RolloutFields.Depth] = r.Depth,
                [RolloutFields.CutPositions] = r.CutPositions,
                [RolloutFields.IsProbe] = r.IsProbe,
                [RolloutFields.IsHint] = r.IsHint,
                [RolloutFields.HintRatio] = r.HintRatio,
                [RolloutFields.EffectiveRank] = r.EffectiveRank,
                [RolloutFields.EffectiveRankVelocity] = r.EffectiveRankVelocity,
                [RolloutFields.EffectiveRankAcceleration] = r.EffectiveRankAcceleration,
                [RolloutFields.Step] = r.Step,
                [RolloutFields.Metadata] = Checked(JsonValues.ToJson(r.Metadata ?? new Dictionary<string, object?>(), ForeignValue)),
                [RolloutParquet.ExtraColumn] = r.Extra.Count == 0 ? null : Checked(JsonValues.ToJson(r.Extra, ForeignValue)),
            };
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"Rollout '{r.PromptId}' #{r.SampleIndex} cannot be written: {e.Message}", e);
        }
        _batch.Add(row);
        _values += (r.PromptTokens?.Length ?? 0) + (r.CompletionTokens?.Length ?? 0) + (r.Logprobs?.Length ?? 0) + (r.Entropies?.Length ?? 0)
            + (r.RefLogprobs?.Length ?? 0) + (r.PromptLogprobs?.Length ?? 0) + (r.Values?.Length ?? 0)
            + (r.TokenAdvantages?.Length ?? 0) + (r.LossMask?.Length ?? 0) + (r.Temperatures?.Length ?? 0) + (r.CutPositions?.Length ?? 0)
            + (r.Prompt.Length + r.Completion.Length) / 4;
        if (_batch.Count >= MaxRows || _values >= MaxValues) Flush();
    }

    private static string? Checked(string? s)
        => s is null || JsonValues.IsWellFormed(s) ? s : throw new ArgumentException("a text field holds an unpaired UTF-16 surrogate, which UTF-8 cannot store.");

    private void Flush()
    {
        if (_batch.Count == 0) return;
        _stream.Seek(0, SeekOrigin.End);
        var options = new ParquetOptions { Append = _append };
        ParquetSerializer.SerializeUntypedAsync(_batch, RolloutParquet.Schema, _stream, options, RolloutParquet.FileMetadata).GetAwaiter().GetResult();
        _append = true;
        _batch.Clear();
        _values = 0;
    }

    public void Complete()
    {
        if (_batch.Count > 0 || !_append)
        {
            if (_batch.Count == 0 && !_append)
            {
                // An empty export still yields a valid Parquet file with the schema and no rows.
                ParquetWriter writer = ParquetWriter.CreateAsync(RolloutParquet.Schema, _stream, new ParquetOptions()).GetAwaiter().GetResult();
                writer.CustomMetadata = new Dictionary<string, string>(RolloutParquet.FileMetadata);
                writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
                _append = true;
            }
            else Flush();
        }
        _stream.Flush();
    }

    public void Dispose() { }
}
