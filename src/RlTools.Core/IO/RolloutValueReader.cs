using System.Text;
using System.Text.Json;

namespace RlTools.Core.IO;

/// <summary>A field of one record has the wrong type or value; the reader adds file and line.</summary>
internal sealed class FieldException(string? field, string message) : Exception(message)
{
    public string? Field { get; } = field;
}

/// <summary>Typed readers for rollout field values (shared by the JSONL reader and the JSON cells of CSV).</summary>
internal sealed class RolloutValueReader
{
    private int[] _ints = new int[256];
    private float[] _floats = new float[256];

    internal delegate T ValueReader<T>(ref Utf8JsonReader reader, string field);

    /// <summary>Parses a JSON cell (CSV) with one of the typed readers; bare NaN/Infinity accepted.</summary>
    internal T ParseCell<T>(string field, string cell, ValueReader<T> read)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(cell);
        try { return ParseCell(bytes, field, read); }
        catch (JsonException)
        {
            byte[]? quoted = JsonValues.QuoteBareNonFinite(bytes, out _);
            try
            {
                if (quoted is not null) return ParseCell(quoted, field, read);
            }
            catch (JsonException) { }
            throw new FieldException(field, "the cell is not valid JSON; write lists as [1,2,3] and maps as {\"key\": value}.");
        }
    }

    private static T ParseCell<T>(byte[] bytes, string field, ValueReader<T> read)
    {
        var r = new Utf8JsonReader(bytes, JsonValues.ReaderOptions);
        if (!r.Read()) throw new JsonException("empty");
        T value = read(ref r, field);
        if (r.Read()) throw new JsonException("trailing text");
        return value;
    }

    internal static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "a list",
        JsonTokenType.StartObject => "an object",
        _ => t.ToString(),
    };

    internal static string ReadId(ref Utf8JsonReader r, string field)
    {
        if (r.TokenType == JsonTokenType.String) return r.GetString()!;
        if (r.TokenType == JsonTokenType.Number && r.TryGetInt64(out long id)) return id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        throw new FieldException(field, "must be a string (or an integer); found " + Describe(r.TokenType) + ".");
    }

    internal static string? ReadString(ref Utf8JsonReader r, string field, bool nullable)
    {
        if (r.TokenType == JsonTokenType.String) return r.GetString();
        if (r.TokenType == JsonTokenType.Null && nullable) return null;
        throw new FieldException(field, "must be a string" + (nullable ? " or null" : "") + "; found " + Describe(r.TokenType) + ".");
    }

    internal static int ReadInt(ref Utf8JsonReader r, string field)
    {
        if (r.TokenType == JsonTokenType.Number && r.TryGetInt32(out int v)) return v;
        throw new FieldException(field, "must be a whole number in the 32-bit range; found " + Describe(r.TokenType) + ".");
    }

    internal static int? ReadNullableInt(ref Utf8JsonReader r, string field)
        => r.TokenType == JsonTokenType.Null ? null : ReadInt(ref r, field);

    internal static bool ReadBool(ref Utf8JsonReader r, string field) => r.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new FieldException(field, "must be true or false; found " + Describe(r.TokenType) + "."),
    };

    internal static double? ReadDouble(ref Utf8JsonReader r, string field)
    {
        if (r.TokenType == JsonTokenType.Number) return r.GetDouble();
        if (r.TokenType == JsonTokenType.Null) return null;
        if (JsonValues.TryReadNonFinite(ref r, out double d)) return d;
        throw new FieldException(field, "must be a number, NaN, Infinity, -Infinity or null; found " + Describe(r.TokenType) + ".");
    }

    internal int[]? ReadInts(ref Utf8JsonReader r, string field)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        if (r.TokenType != JsonTokenType.StartArray) throw new FieldException(field, "must be a list of integers or null; found " + Describe(r.TokenType) + ".");
        int n = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.Number || !r.TryGetInt32(out int v))
                throw new FieldException(field, $"item {n} must be a whole number in the 32-bit range; found {Describe(r.TokenType)}.");
            if (n == _ints.Length) Array.Resize(ref _ints, n * 2);
            _ints[n++] = v;
        }
        return _ints.AsSpan(0, n).ToArray();
    }

    internal float[]? ReadFloats(ref Utf8JsonReader r, string field)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        if (r.TokenType != JsonTokenType.StartArray) throw new FieldException(field, "must be a list of numbers or null; found " + Describe(r.TokenType) + ".");
        int n = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            float v;
            if (r.TokenType == JsonTokenType.Number)
            {
                if (!r.TryGetSingle(out v) || float.IsInfinity(v))
                    throw new FieldException(field, $"item {n} is outside the float32 range; per-token values are stored as float32.");
            }
            else if (JsonValues.TryReadNonFinite(ref r, out double d)) v = (float)d;
            else throw new FieldException(field, $"item {n} must be a number (or NaN, Infinity, -Infinity); found {Describe(r.TokenType)}.");
            if (n == _floats.Length) Array.Resize(ref _floats, n * 2);
            _floats[n++] = v;
        }
        return _floats.AsSpan(0, n).ToArray();
    }

    internal static Dictionary<string, double?>? ReadRewards(ref Utf8JsonReader r, string field)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        if (r.TokenType != JsonTokenType.StartObject) throw new FieldException(field, "must be an object mapping verifier names to numbers (or null); found " + Describe(r.TokenType) + ".");
        var map = new Dictionary<string, double?>(StringComparer.Ordinal);
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string key = r.GetString()!;
            r.Read();
            if (r.TokenType == JsonTokenType.Number) map[key] = r.GetDouble();
            else if (r.TokenType == JsonTokenType.Null) map[key] = null;
            else if (JsonValues.TryReadNonFinite(ref r, out double d)) map[key] = d;
            else throw new FieldException(field, $"component '{key}' must be a number or null; found {Describe(r.TokenType)}.");
        }
        return map;
    }

}
