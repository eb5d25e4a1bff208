using System.Collections;
using System.Globalization;

namespace RlTools.Core.IO;

/// <summary>Converts values from other libraries (Parquet rows, CLR collections) into the value model of <see cref="JsonValues"/>.</summary>
internal static class ForeignValues
{
    public static object? ToModel(object? value, int depth = 0)
    {
        if (depth > 200) throw new InvalidDataException("Value nests deeper than 200 levels.");
        switch (value)
        {
            case null: return null;
            case string or bool or long or double: return value;
            case int or short or byte or sbyte or ushort or uint: return Convert.ToInt64(value, CultureInfo.InvariantCulture);
            case ulong ul: return ul <= long.MaxValue ? (long)ul : (double)ul;
            case float f: return (double)f;
            case decimal m: return (double)m;
            case char c: return c.ToString();
            case DateTime dt: return dt.ToString("O", CultureInfo.InvariantCulture);
            case DateTimeOffset dto: return dto.ToString("O", CultureInfo.InvariantCulture);
            case DateOnly d: return d.ToString("O", CultureInfo.InvariantCulture);
            case TimeSpan ts: return ts.ToString("c", CultureInfo.InvariantCulture);
            case Guid g: return g.ToString();
            case byte[] bytes: return Convert.ToBase64String(bytes);
            case ReadOnlyMemory<char> chars: return chars.ToString();
            case ReadOnlyMemory<byte> raw: return Convert.ToBase64String(raw.Span);
            case IDictionary<string, object?> map:
            {
                var copy = new Dictionary<string, object?>(map.Count, StringComparer.Ordinal);
                foreach (var kv in map) copy[kv.Key] = ToModel(kv.Value, depth + 1);
                return copy;
            }
            case IDictionary dict:
            {
                var copy = new Dictionary<string, object?>(dict.Count, StringComparer.Ordinal);
                foreach (DictionaryEntry kv in dict) copy[Convert.ToString(kv.Key, CultureInfo.InvariantCulture) ?? ""] = ToModel(kv.Value, depth + 1);
                return copy;
            }
            case IEnumerable seq:
            {
                var list = new List<object?>();
                foreach (object? item in seq) list.Add(ToModel(item, depth + 1));
                return list;
            }
            default: return Convert.ToString(value, CultureInfo.InvariantCulture);
        }
    }
}
