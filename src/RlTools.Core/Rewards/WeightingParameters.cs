using System.Collections;
using System.Globalization;

namespace RlTools.Core.Rewards;

/// <summary>
/// Reads a controller's parameter map (a PowerShell hashtable, already unwrapped by the cmdlet):
/// case-insensitive names, numbers given as any numeric type or invariant-culture string, per-component
/// values given either as a list aligned with the components or as a map keyed by component name.
/// Unknown names are errors, so a misspelt parameter never silently falls back to a default.
/// </summary>
public sealed class WeightingParameters
{
    private readonly Dictionary<string, object?> _values;
    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _controller;

    public WeightingParameters(string controller, IDictionary? values)
    {
        _controller = controller;
        _values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (values is null) return;
        foreach (DictionaryEntry e in values)
        {
            string key = Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "";
            if (!_values.TryAdd(key, e.Value))
                throw new ArgumentException($"{_controller}: the parameter '{key}' is given twice.");
        }
    }

    /// <summary>A number, or <paramref name="fallback"/> when absent.</summary>
    public double Double(string name, double fallback)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out object? v) || v is null) return fallback;
        return ToDouble(v, name);
    }

    /// <summary>A number, or null when absent.</summary>
    public double? NullableDouble(string name)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out object? v) || v is null) return null;
        return ToDouble(v, name);
    }

    /// <summary>An integer, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback)
    {
        double d = Double(name, fallback);
        if (d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue)
            throw new ArgumentException($"{_controller}: the parameter '{name}' must be a whole number; got {d.ToString(CultureInfo.InvariantCulture)}.");
        return (int)d;
    }

    /// <summary>A boolean ($true/$false, 1/0, "true"/"false"), or <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string name, bool fallback)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out object? v) || v is null) return fallback;
        return v switch
        {
            bool b => b,
            string s when bool.TryParse(s, out bool b) => b,
            string s when s == "1" || s == "0" => s == "1",
            IConvertible c when IsNumber(v) => c.ToDouble(CultureInfo.InvariantCulture) != 0,
            _ => throw new ArgumentException($"{_controller}: the parameter '{name}' must be $true or $false; got '{v}'."),
        };
    }

    /// <summary>A list of strings (one string is a list of one), or an empty list when absent.</summary>
    public IReadOnlyList<string> Strings(string name)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out object? v) || v is null) return Array.Empty<string>();
        if (v is string s) return new[] { s };
        if (v is IEnumerable e) return e.Cast<object?>().Select(x => Convert.ToString(x, CultureInfo.InvariantCulture) ?? "").ToArray();
        return new[] { Convert.ToString(v, CultureInfo.InvariantCulture) ?? "" };
    }

    /// <summary>
    /// One optional number per component: a list aligned with <paramref name="components"/>, a map keyed
    /// by component name (missing names give null), or a single number applied to every component.
    /// Returns null when the parameter is absent.
    /// </summary>
    public double?[]? PerComponent(string name, IReadOnlyList<string> components, bool allowMissing)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out object? v) || v is null) return null;
        var result = new double?[components.Count];
        if (v is IDictionary map)
        {
            foreach (DictionaryEntry e in map)
            {
                string key = Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "";
                int i = IndexOf(components, key);
                if (i < 0)
                    throw new ArgumentException($"{_controller}: the parameter '{name}' names the component '{key}', which is not one of the components ({string.Join(", ", components)}). Add it to -Components or fix the name.");
                result[i] = e.Value is null ? null : ToDouble(e.Value, $"{name}.{key}");
            }
            if (!allowMissing)
            {
                int missing = Array.FindIndex(result, x => x is null);
                if (missing >= 0)
                    throw new ArgumentException($"{_controller}: the parameter '{name}' has no value for the component '{components[missing]}'. Give one value per component.");
            }
            return result;
        }
        if (v is IEnumerable list and not string)
        {
            object?[] items = list.Cast<object?>().ToArray();
            if (items.Length != components.Count)
                throw new ArgumentException($"{_controller}: the parameter '{name}' has {items.Length} values but there are {components.Count} components ({string.Join(", ", components)}). Give one value per component, in the same order, or a hashtable keyed by component name.");
            for (int i = 0; i < items.Length; i++) result[i] = items[i] is null ? null : ToDouble(items[i]!, name);
            if (!allowMissing && Array.FindIndex(result, x => x is null) is int m && m >= 0)
                throw new ArgumentException($"{_controller}: the parameter '{name}' has no value for the component '{components[m]}'.");
            return result;
        }
        double one = ToDouble(v, name);
        for (int i = 0; i < result.Length; i++) result[i] = one;
        return result;
    }

    /// <summary>Throws when the map holds a name that no Read call asked for.</summary>
    public void RejectUnknown(IEnumerable<string> known)
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"{_controller}: unknown parameter(s) {string.Join(", ", unknown.Select(u => "'" + u + "'"))}. Valid parameters: {string.Join(", ", known)}.");
    }

    internal static int IndexOf(IReadOnlyList<string> components, string name)
    {
        for (int i = 0; i < components.Count; i++)
            if (string.Equals(components[i], name, StringComparison.Ordinal)) return i;
        for (int i = 0; i < components.Count; i++)
            if (string.Equals(components[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    private static bool IsNumber(object v) => v is byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal;

    private double ToDouble(object v, string name)
    {
        double d;
        if (IsNumber(v)) d = Convert.ToDouble(v, CultureInfo.InvariantCulture);
        else if (v is string s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed)) d = parsed;
        else throw new ArgumentException($"{_controller}: the parameter '{name}' must be a number; got '{v}' ({v.GetType().Name}).");
        if (!double.IsFinite(d))
            throw new ArgumentException($"{_controller}: the parameter '{name}' must be a finite number; got {d.ToString(CultureInfo.InvariantCulture)}.");
        return d;
    }
}
