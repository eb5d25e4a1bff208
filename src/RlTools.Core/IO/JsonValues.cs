using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace RlTools.Core.IO;

/// <summary>
/// The value model for free maps (<c>metadata</c>, unknown fields, dataset columns) and the JSON
/// codec shared by every reader and writer.
/// </summary>
/// <remarks>
/// <para>Values are <see cref="string"/>, <see cref="long"/> (a JSON number without fraction or
/// exponent that fits 64 bits), <see cref="double"/> (any other number), <see cref="bool"/>, null,
/// <see cref="List{T}"/> of values and <see cref="Dictionary{TKey,TValue}"/> (string keys, insertion order).
/// An integer beyond the 64-bit range is read as a double (the only lossy case, documented in help).</para>
/// <para>Non-finite floats: written as Python's <c>json</c> writes them, bare <c>NaN</c>,
/// <c>Infinity</c>, <c>-Infinity</c> (Python's <c>json.loads</c> reads them back as floats). On read
/// those bare tokens are accepted anywhere a number may stand, and the quoted forms
/// <c>"NaN"</c>/<c>"Infinity"</c>/<c>"-Infinity"</c> are accepted in typed numeric fields (in a free map a
/// quoted form stays a string). A double without fraction or exponent is written with <c>.0</c>, so its
/// type survives; every float is written in the shortest form that parses back to the same bits.</para>
/// </remarks>
public static class JsonValues
{
    /// <summary>Writer options: compact, non-ASCII kept as UTF-8 (control characters, quotes and backslashes still escaped).</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
    };

    internal static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 256 };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // ---- reading ----

    /// <summary>Reads the value at the reader's current token (a value token, or StartObject/StartArray).</summary>
    /// <param name="reader">Positioned on the value's first token; left on its last token.</param>
    /// <param name="bare">Token start offsets of bare NaN/Infinity tokens that were quoted by <see cref="QuoteBareNonFinite"/>, or null.</param>
    internal static object? Read(ref Utf8JsonReader reader, HashSet<long>? bare)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                if (bare is not null && bare.Contains(reader.TokenStartIndex)) return ParseNonFinite(reader.GetString()!);
                return reader.GetString();
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out long l)) return l; // not a ?: — that would widen the long to double
                return reader.GetDouble();
            case JsonTokenType.True: return true;
            case JsonTokenType.False: return false;
            case JsonTokenType.Null: return null;
            case JsonTokenType.StartArray:
            {
                var list = new List<object?>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) list.Add(Read(ref reader, bare));
                return list;
            }
            case JsonTokenType.StartObject:
            {
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string key = reader.GetString()!;
                    reader.Read();
                    map[key] = Read(ref reader, bare);
                }
                return map;
            }
            default:
                throw new JsonException($"Unexpected JSON token {reader.TokenType}.");
        }
    }

    /// <summary>True when the reader's current string token is a non-finite number (bare, or quoted where a number is expected).</summary>
    internal static bool TryReadNonFinite(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.String) return false;
        if (reader.ValueTextEquals("NaN"u8)) { value = double.NaN; return true; }
        if (reader.ValueTextEquals("Infinity"u8)) { value = double.PositiveInfinity; return true; }
        if (reader.ValueTextEquals("-Infinity"u8)) { value = double.NegativeInfinity; return true; }
        return false;
    }

    private static double ParseNonFinite(string s) => s switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => throw new JsonException($"'{s}' is not a number."),
    };

    /// <summary>
    /// Rewrites bare <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c> tokens outside strings into quoted
    /// strings, recording where each landed so the reader can tell them from real strings.
    /// Returns null when the text has no such token.
    /// </summary>
    internal static byte[]? QuoteBareNonFinite(ReadOnlySpan<byte> json, out HashSet<long> positions)
    {
        positions = new HashSet<long>();
        byte[]? output = null;
        int outLen = 0, copied = 0;
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            byte b = json[i];
            if (inString)
            {
                if (b == (byte)'\\') i++;
                else if (b == (byte)'"') inString = false;
                continue;
            }
            if (b == (byte)'"') { inString = true; continue; }
            int len = 0;
            if (b == (byte)'N' && json[i..].StartsWith("NaN"u8)) len = 3;
            else if (b == (byte)'I' && json[i..].StartsWith("Infinity"u8)) len = 8;
            else if (b == (byte)'-' && json[i..].StartsWith("-Infinity"u8)) len = 9;
            if (len == 0) continue;
            output ??= new byte[json.Length + 64];
            int need = outLen + (i - copied) + len + 2 + (json.Length - i);
            if (need > output.Length) Array.Resize(ref output, Math.Max(need, output.Length * 2));
            json[copied..i].CopyTo(output.AsSpan(outLen));
            outLen += i - copied;
            positions.Add(outLen);
            output[outLen++] = (byte)'"';
            json.Slice(i, len).CopyTo(output.AsSpan(outLen));
            outLen += len;
            output[outLen++] = (byte)'"';
            i += len - 1;
            copied = i + 1;
        }
        if (output is null) return null;
        int rest = json.Length - copied;
        if (outLen + rest > output.Length) Array.Resize(ref output, outLen + rest);
        json[copied..].CopyTo(output.AsSpan(outLen));
        Array.Resize(ref output, outLen + rest);
        return output;
    }

    /// <summary>Parses a whole JSON text (one value) into the value model; bare NaN/Infinity accepted.</summary>
    public static bool TryParse(string text, out object? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            value = ParseDocument(bytes, null);
            return true;
        }
        catch (JsonException)
        {
            byte[]? quoted = QuoteBareNonFinite(bytes, out var positions);
            if (quoted is null) return false;
            try { value = ParseDocument(quoted, positions); return true; }
            catch (JsonException) { return false; }
        }
    }

    /// <summary>Parses a whole JSON text; throws <see cref="JsonException"/> with the reason when it is not JSON.</summary>
    public static object? Parse(string text)
    {
        if (TryParse(text, out object? v)) return v;
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        return ParseDocument(bytes, null); // throws with the reader's message
    }

    private static object? ParseDocument(ReadOnlySpan<byte> bytes, HashSet<long>? bare)
    {
        var reader = new Utf8JsonReader(bytes, ReaderOptions);
        if (!reader.Read()) throw new JsonException("Empty JSON text.");
        object? v = Read(ref reader, bare);
        if (reader.Read()) throw new JsonException("Text after the JSON value.");
        return v;
    }

    // ---- writing ----

    /// <summary>
    /// Writes one value of the model. Other CLR values are accepted where unambiguous (other integer
    /// types as <see cref="long"/>, float/decimal as <see cref="double"/>, any <see cref="IDictionary"/> as a
    /// map, any other <see cref="IEnumerable"/> as a list); anything else goes through <paramref name="foreign"/>
    /// (the module unwraps PowerShell objects there) or is refused with <see cref="ArgumentException"/>.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, object? value, Func<object, object?>? foreign = null, int depth = 0)
    {
        if (depth > 200) throw new ArgumentException("Value nests deeper than 200 levels (a cycle?).");
        switch (value)
        {
            case null: writer.WriteNullValue(); return;
            case string s: writer.WriteStringValue(s); return;
            case bool b: writer.WriteBooleanValue(b); return;
            case long l: writer.WriteNumberValue(l); return;
            case int i: writer.WriteNumberValue(i); return;
            case double d: WriteDouble(writer, d); return;
            case float f: WriteDouble(writer, f); return;
            case short or byte or sbyte or ushort or uint: writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); return;
            case ulong ul: if (ul <= long.MaxValue) writer.WriteNumberValue((long)ul); else WriteDouble(writer, ul); return;
            case decimal m: WriteDouble(writer, (double)m); return;
            case char c: writer.WriteStringValue(c.ToString()); return;
            case IDictionary<string, object?> map:
                writer.WriteStartObject();
                foreach (var kv in map) { writer.WritePropertyName(kv.Key); Write(writer, kv.Value, foreign, depth + 1); }
                writer.WriteEndObject();
                return;
            case IDictionary dict:
                writer.WriteStartObject();
                foreach (DictionaryEntry kv in dict)
                {
                    writer.WritePropertyName(Convert.ToString(kv.Key, CultureInfo.InvariantCulture) ?? "");
                    Write(writer, kv.Value, foreign, depth + 1);
                }
                writer.WriteEndObject();
                return;
        }
        if (foreign is not null)
        {
            object? replaced = foreign(value);
            if (!ReferenceEquals(replaced, value)) { Write(writer, replaced, foreign, depth + 1); return; }
        }
        if (value is IEnumerable seq)
        {
            writer.WriteStartArray();
            foreach (object? item in seq) Write(writer, item, foreign, depth + 1);
            writer.WriteEndArray();
            return;
        }
        throw new ArgumentException($"A value of type {value.GetType().FullName} cannot be stored; use a string, number, bool, null, list or map.");
    }

    /// <summary>Writes a double in the shortest round-trip form, with <c>.0</c> when integral, and bare NaN/Infinity.</summary>
    public static void WriteDouble(Utf8JsonWriter writer, double d)
    {
        Span<byte> buf = stackalloc byte[40];
        int n = FormatDouble(d, buf);
        writer.WriteRawValue(buf[..n], skipInputValidation: true);
    }

    /// <summary>Formats a double (see <see cref="WriteDouble"/>) as UTF-8 into <paramref name="dest"/> (40 bytes suffice); returns the length.</summary>
    public static int FormatDouble(double d, Span<byte> dest)
    {
        if (double.IsNaN(d)) { "NaN"u8.CopyTo(dest); return 3; }
        if (double.IsPositiveInfinity(d)) { "Infinity"u8.CopyTo(dest); return 8; }
        if (double.IsNegativeInfinity(d)) { "-Infinity"u8.CopyTo(dest); return 9; }
        d.TryFormat(dest, out int n, "R", CultureInfo.InvariantCulture);
        if (dest[..n].IndexOfAny(".E"u8) < 0) { dest[n++] = (byte)'.'; dest[n++] = (byte)'0'; }
        return n;
    }

    /// <summary>Formats a float in its shortest round-trip form (integral values without <c>.0</c>), bare NaN/Infinity.</summary>
    public static int FormatSingle(float f, Span<byte> dest)
    {
        if (float.IsNaN(f)) { "NaN"u8.CopyTo(dest); return 3; }
        if (float.IsPositiveInfinity(f)) { "Infinity"u8.CopyTo(dest); return 8; }
        if (float.IsNegativeInfinity(f)) { "-Infinity"u8.CopyTo(dest); return 9; }
        f.TryFormat(dest, out int n, "R", CultureInfo.InvariantCulture);
        return n;
    }

    /// <summary>The value as compact JSON text (UTF-8 kept, non-finite floats bare).</summary>
    public static string ToJson(object? value, Func<object, object?>? foreign = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) { Write(writer, value, foreign); }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Deep copy of a value: maps and lists are copied, scalars shared (they are immutable).</summary>
    public static object? DeepClone(object? value) => value switch
    {
        Dictionary<string, object?> map => CloneMap(map),
        List<object?> list => list.ConvertAll(DeepClone),
        Array array => array.Clone(),
        _ => value,
    };

    /// <summary>Deep copy of a map (keeps the ordinal comparer and key order).</summary>
    public static Dictionary<string, object?> CloneMap(Dictionary<string, object?> map)
    {
        var copy = new Dictionary<string, object?>(map.Count, StringComparer.Ordinal);
        foreach (var kv in map) copy[kv.Key] = DeepClone(kv.Value);
        return copy;
    }

    /// <summary>
    /// Semantic equality of two values of the model: numbers by value and type (long vs double),
    /// NaN equals NaN, -0.0 differs from 0.0, maps by keys (order ignored), lists in order.
    /// </summary>
    public static bool DeepEquals(object? a, object? b)
    {
        switch (a)
        {
            case null: return b is null;
            case double x: return b is double y && SameDouble(x, y);
            case IDictionary<string, object?> ma:
                if (b is not IDictionary<string, object?> mb || ma.Count != mb.Count) return false;
                foreach (var kv in ma) if (!mb.TryGetValue(kv.Key, out object? v) || !DeepEquals(kv.Value, v)) return false;
                return true;
            case IList la:
                if (b is not IList lb || la.Count != lb.Count) return false;
                for (int i = 0; i < la.Count; i++) if (!DeepEquals(la[i], lb[i])) return false;
                return true;
            default: return a.Equals(b);
        }
    }

    /// <summary>Bitwise-equal doubles, except that every NaN equals every NaN.</summary>
    public static bool SameDouble(double x, double y)
        => double.IsNaN(x) ? double.IsNaN(y) : BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y);

    /// <summary>True when <paramref name="s"/> is valid UTF-16 (no unpaired surrogate), so UTF-8 files can hold it.</summary>
    public static bool IsWellFormed(string s)
    {
        try { StrictUtf8.GetByteCount(s); return true; }
        catch (EncoderFallbackException) { return false; }
    }
}
