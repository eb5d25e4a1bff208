using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace RlTools.Core;

/// <summary>
/// One parameter of a registered method — advantage estimator, policy loss, verifier or reward weighting:
/// name, value type, default, allowed values and help. Every registry lists its parameters as these, and
/// <see cref="Convert"/>/<see cref="Bind"/> are the one way values are checked and converted. Values arrive as
/// plain .NET values or JSON elements: the cmdlets unwrap PowerShell objects before they reach Core.
/// </summary>
/// <param name="Name">The name (matched case-insensitively).</param>
/// <param name="ValueType">double, int, bool, string, double[], string[], or object (a method-specific shape).</param>
/// <param name="Default">The default value; null when there is none (a required loss parameter, an optional setting). For object-typed
/// parameters (reward weightings: per-component lists or maps) a short description of the default.</param>
/// <param name="Description">What it does, with the default's origin.</param>
/// <param name="AllowedValues">For string parameters: the allowed values (matched case-insensitively).</param>
public sealed record ParameterSpec(string Name, Type ValueType, object? Default, string Description, IReadOnlyList<string>? AllowedValues = null)
{
    /// <summary>A number parameter; a NaN default means "no default" (the caller must give a value).</summary>
    public static ParameterSpec Number(string name, double defaultValue, string description)
        => new(name, typeof(double), double.IsNaN(defaultValue) ? null : defaultValue, description);

    /// <summary>The type's short name (double, int, bool, string, double[], string[], object).</summary>
    public string Type => TypeName(ValueType);

    public override string ToString() => $"{Name}={Format(Default)}";

    /// <summary>A value as the listings show it (invariant culture, round-trip doubles, arrays as @(...)).</summary>
    public static string Format(object? v) => v switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        double[] a => "@(" + string.Join(", ", a.Select(x => x.ToString("R", CultureInfo.InvariantCulture))) + ")",
        string[] s => "@(" + string.Join(", ", s) + ")",
        _ => System.Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };

    private static string TypeName(Type t) =>
        t == typeof(double) ? "double" : t == typeof(int) ? "int" : t == typeof(bool) ? "bool" :
        t == typeof(string) ? "string" : t == typeof(double[]) ? "double[]" : t == typeof(string[]) ? "string[]" :
        t == typeof(object) ? "object" : t.Name;

    /// <summary>
    /// Converts <paramref name="value"/> to this parameter's type: numbers of any numeric type or invariant-culture
    /// strings, booleans from $true/$false, "true"/"false" or numbers, a scalar where an array is expected as an
    /// array of one, JSON elements as their values. Checks allowed values (returning the canonical spelling) and that
    /// numbers are finite. Throws <see cref="ArgumentException"/> naming <paramref name="owner"/> and the parameter.
    /// </summary>
    public object? Convert(object? value, string owner)
    {
        if (value is JsonElement je) value = FromJson(je);
        object? v;
        try { v = To(value, ValueType); }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
        {
            throw new ArgumentException($"Parameter {Name} of {owner} takes a {Type}; '{Format(value)}' cannot be converted.", Name, e);
        }
        if (AllowedValues is { } allowed && v is string s)
        {
            string? match = null;
            foreach (var a in allowed) if (string.Equals(a, s, StringComparison.OrdinalIgnoreCase)) match = a;
            v = match ?? throw new ArgumentException($"Parameter {Name} of {owner} must be one of: {string.Join(", ", allowed)} (got '{s}').", Name);
        }
        if (v is double d && !double.IsFinite(d))
            throw new ArgumentException($"Parameter {Name} of {owner} must be a finite number (got {d.ToString(CultureInfo.InvariantCulture)}).", Name);
        if (v is double[] arr && Array.Exists(arr, x => !double.IsFinite(x)))
            throw new ArgumentException($"Parameter {Name} of {owner} must hold finite numbers.", Name);
        return v;
    }

    /// <summary>The spec called <paramref name="name"/> (case-insensitive); an <see cref="ArgumentException"/> listing the valid names otherwise.</summary>
    public static ParameterSpec Find(IReadOnlyList<ParameterSpec> specs, string name, string owner)
    {
        foreach (var p in specs)
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p;
        throw new ArgumentException(specs.Count == 0
            ? $"'{name}' is not a parameter of {owner}; {owner} takes no parameters."
            : $"'{name}' is not a parameter of {owner}. Valid parameters: {string.Join(", ", specs.Select(p => p.Name))}.", nameof(name));
    }

    /// <summary>
    /// The defaults of <paramref name="specs"/> overridden by <paramref name="values"/> (a map of name → value; names
    /// case-insensitive), each converted with <see cref="Convert"/>. Unknown names are errors.
    /// </summary>
    public static Dictionary<string, object?> Bind(IReadOnlyList<ParameterSpec> specs, IDictionary? values, string owner)
    {
        var bound = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in specs) bound[p.Name] = p.Default;
        if (values is null) return bound;
        foreach (DictionaryEntry e in values)
        {
            var p = Find(specs, System.Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", owner);
            bound[p.Name] = p.Convert(e.Value, owner);
        }
        return bound;
    }

    private static object? To(object? value, Type target)
    {
        if (target == typeof(object)) return value;
        if (target == typeof(string)) return value is null ? null : System.Convert.ToString(value, CultureInfo.InvariantCulture);
        if (target == typeof(double[]) || target == typeof(string[]))
        {
            if (value is null) return null;
            var items = value is IEnumerable e and not string ? e.Cast<object?>().Select(x => x is JsonElement j ? FromJson(j) : x).ToList() : new List<object?> { value };
            if (target == typeof(double[])) return items.Select(x => System.Convert.ToDouble(x, CultureInfo.InvariantCulture)).ToArray();
            return items.Select(x => System.Convert.ToString(x, CultureInfo.InvariantCulture) ?? "").ToArray();
        }
        if (value is null) throw new InvalidCastException("null");
        if (target == typeof(bool))
        {
            if (value is bool b) return b;
            if (value is string bs) return bool.Parse(bs);
            return System.Convert.ToDouble(value, CultureInfo.InvariantCulture) != 0;
        }
        if (target == typeof(int) && value is double dd)
        {
            if (dd != Math.Floor(dd)) throw new InvalidCastException("not an integer");
            return checked((int)dd);
        }
        return System.Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
    }

    private static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToArray(),
        _ => null,
    };
}
