using System.Collections;
using System.Globalization;

namespace RlTools.Core.Verifiers;

/// <summary>
/// The bound parameter values of one verifier: the registry's defaults overridden by the user's
/// values, names matched case-insensitively and values converted to each parameter's type.
/// </summary>
public sealed class VerifierSettings
{
    private readonly Dictionary<string, object?> _values;

    private VerifierSettings(Dictionary<string, object?> values) => _values = values;

    /// <summary>Binds user values to a parameter list; throws <see cref="ArgumentException"/> naming the bad parameter and the valid ones.</summary>
    public static VerifierSettings Bind(string verifier, IReadOnlyList<VerifierParameter> parameters, IDictionary? values)
    {
        var bound = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in parameters) bound[p.Name] = p.Default;
        if (values is not null)
        {
            foreach (DictionaryEntry e in values)
            {
                string key = e.Key?.ToString() ?? "";
                var p = parameters.FirstOrDefault(x => string.Equals(x.Name, key, StringComparison.OrdinalIgnoreCase));
                if (p is null)
                {
                    string valid = parameters.Count == 0 ? "it takes no parameters" : "valid parameters: " + string.Join(", ", parameters.Select(x => x.Name));
                    throw new ArgumentException($"The {verifier} verifier has no parameter '{key}'; {valid}.");
                }
                bound[p.Name] = Convert(verifier, p, e.Value);
            }
        }
        return new VerifierSettings(bound);
    }

    private static object? Convert(string verifier, VerifierParameter p, object? value)
    {
        value = Unwrap(value);
        if (value is null) return null;
        try
        {
            if (p.Type == typeof(string[]))
            {
                if (value is string s) return new[] { s };
                if (value is IEnumerable en) return en.Cast<object?>().Select(o => Unwrap(o)?.ToString() ?? "").ToArray();
                return new[] { value.ToString() ?? "" };
            }
            if (p.Type == typeof(bool))
            {
                if (value is bool b) return b;
                if (value is string bs) return bool.Parse(bs);
                return System.Convert.ToDouble(value, CultureInfo.InvariantCulture) != 0;
            }
            if (p.Type == typeof(string)) return value.ToString();
            return System.Convert.ChangeType(value, p.Type, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
        {
            throw new ArgumentException($"The {verifier} verifier's parameter '{p.Name}' must be a {p.Type.Name}; '{value}' is not.", e);
        }
    }

    /// <summary>PowerShell hands over PSObject wrappers; they expose the wrapped value through BaseObject.</summary>
    private static object? Unwrap(object? value)
    {
        if (value is null) return null;
        var t = value.GetType();
        if (t.FullName == "System.Management.Automation.PSObject")
            return t.GetProperty("BaseObject")?.GetValue(value);
        return value;
    }

    public double GetDouble(string name) => _values[name] is { } v ? System.Convert.ToDouble(v, CultureInfo.InvariantCulture) : double.NaN;
    public int GetInt(string name) => _values[name] is { } v ? System.Convert.ToInt32(v, CultureInfo.InvariantCulture) : 0;
    public bool GetBool(string name) => _values[name] is bool b && b;
    public string? GetString(string name) => _values[name] as string;
    public string[] GetStrings(string name) => _values[name] as string[] ?? [];

    /// <summary>The bound values (for display).</summary>
    public IReadOnlyDictionary<string, object?> Values => _values;
}
