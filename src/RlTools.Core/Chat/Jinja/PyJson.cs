using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace RlTools.Core.Chat.Jinja;

/// <summary>
/// Python's <c>json.dumps</c> (the <c>tojson</c> filter transformers installs: <c>ensure_ascii=False</c>, no
/// HTML escaping, <c>(', ', ': ')</c> separators or <c>(',', ': ')</c> with an indent, floats as <c>repr</c>,
/// insertion order), and conversion of JSON and .NET values into template values.
/// </summary>
public static class PyJson
{
    /// <summary>Serialises a template value as Python's <c>json.dumps(value, ensure_ascii, indent, separators, sort_keys)</c>.</summary>
    internal static string Dumps(object? value, object? indent, bool ensureAscii, object? separators, bool sortKeys)
    {
        string? ind = indent switch
        {
            null => null,
            string s => s,
            _ when Py.IsInt(indent) => new string(' ', Math.Max(0, (int)Py.ToBig(indent))),
            _ => throw JinjaException.Type("indent must be an int or a str"),
        };
        string item = ind is null ? ", " : ",", key = ": ";
        if (separators is PyTuple or List<object?>)
        {
            List<object?> seps = JinjaInterpreter.Iterate(separators);
            if (seps.Count != 2) throw new JinjaException("ValueError", "separators must be a pair");
            item = Py.Str(seps[0]);
            key = Py.Str(seps[1]);
        }
        var sb = new StringBuilder();
        Write(sb, value, ind, item, key, ensureAscii, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? v, string? ind, string item, string key, bool ascii, bool sort, int depth)
    {
        switch (v)
        {
            case null: sb.Append("null"); return;
            case bool b: sb.Append(b ? "true" : "false"); return;
            case long or BigInteger: sb.Append(Py.Str(v)); return;
            case double d: sb.Append(Float(d)); return;
            case string s: WriteString(sb, s, ascii); return;
            case List<object?> or PyTuple:
                {
                    List<object?> items = JinjaInterpreter.Iterate(v);
                    if (items.Count == 0) { sb.Append("[]"); return; }
                    sb.Append('[');
                    for (int i = 0; i < items.Count; i++)
                    {
                        if (i > 0) sb.Append(item);
                        NewLine(sb, ind, depth + 1);
                        Write(sb, items[i], ind, item, key, ascii, sort, depth + 1);
                    }
                    NewLine(sb, ind, depth);
                    sb.Append(']');
                    return;
                }
            case PyDict dict:
                {
                    if (dict.Count == 0) { sb.Append("{}"); return; }
                    var pairs = dict.Select(kv => (Key: KeyString(kv.Key), kv.Value)).ToList();
                    if (sort) pairs.Sort((p, q) => Py.CompareCodePoints(p.Key, q.Key));
                    sb.Append('{');
                    for (int i = 0; i < pairs.Count; i++)
                    {
                        if (i > 0) sb.Append(item);
                        NewLine(sb, ind, depth + 1);
                        WriteString(sb, pairs[i].Key, ascii);
                        sb.Append(key);
                        Write(sb, pairs[i].Value, ind, item, key, ascii, sort, depth + 1);
                    }
                    NewLine(sb, ind, depth);
                    sb.Append('}');
                    return;
                }
            default:
                throw JinjaException.Type($"Object of type {Py.TypeName(v)} is not JSON serializable");
        }
    }

    private static void NewLine(StringBuilder sb, string? ind, int depth)
    {
        if (ind is null) return;
        sb.Append('\n');
        for (int i = 0; i < depth; i++) sb.Append(ind);
    }

    private static string KeyString(object k) => k switch
    {
        _ when ReferenceEquals(k, PyKeyComparer.NoneKey) => "null",
        string s => s,
        bool b => b ? "true" : "false",
        long or BigInteger => Py.Str(k),
        double d => Float(d),
        _ => throw JinjaException.Type($"keys must be str, int, float, bool or None, not {Py.TypeName(k)}"),
    };

    private static string Float(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : Py.FloatRepr(d);

    private static void WriteString(StringBuilder sb, string s, bool ascii)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ascii && c > 0x7e)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>A JSON value as a template value: objects become ordered dicts, integers ints, other numbers floats.</summary>
    public static object? FromJson(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                {
                    var d = new PyDict();
                    foreach (JsonProperty p in e.EnumerateObject()) d[p.Name] = FromJson(p.Value);
                    return d;
                }
            case JsonValueKind.Array: return e.EnumerateArray().Select(FromJson).ToList();
            case JsonValueKind.String: return e.GetString();
            case JsonValueKind.Number:
                {
                    string raw = e.GetRawText();
                    if (raw.IndexOfAny(['.', 'e', 'E']) < 0) return Py.Int(BigInteger.Parse(raw, CultureInfo.InvariantCulture));
                    return double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
                }
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            default: return null;
        }
    }

    /// <summary>
    /// A .NET value as a template value: dictionaries (in their enumeration order) become dicts, other
    /// enumerables lists, integral numbers ints, floating numbers floats, strings, booleans and null as themselves;
    /// a <see cref="JsonElement"/> as by <see cref="FromJson"/>; values already converted pass through.
    /// </summary>
    public static object? FromObject(object? v)
    {
        switch (v)
        {
            case null or string or bool or long or double or BigInteger or PyDict or PyTuple or PyNamespace or PyCallable or Undefined: return v;
            case List<object?> l when l.All(x => x is null or string or bool or long or double or PyDict or List<object?>): return v;
            case int or short or byte or sbyte or uint or ushort: return Convert.ToInt64(v, CultureInfo.InvariantCulture);
            case ulong ul: return Py.Int(ul);
            case float f: return (double)f;
            case decimal m: return (double)m;
            case char c: return c.ToString();
            case JsonElement je: return FromJson(je);
            case IDictionary dict:
                {
                    var d = new PyDict();
                    foreach (DictionaryEntry de in dict) d[PyKeyComparer.Key(FromObject(de.Key))] = FromObject(de.Value);
                    return d;
                }
            case IEnumerable en:
                {
                    var list = new List<object?>();
                    foreach (object? x in en) list.Add(FromObject(x));
                    return list;
                }
            default: return Py.Str(v.ToString());
        }
    }
}
