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

    /// <summary>
    /// Binds user values (plain values: the cmdlets unwrap PowerShell objects) to a parameter list with
    /// <see cref="ParameterSpec.Bind"/>; throws <see cref="ArgumentException"/> naming the bad parameter and the valid ones.
    /// </summary>
    public static VerifierSettings Bind(string verifier, IReadOnlyList<ParameterSpec> parameters, IDictionary? values)
        => new(ParameterSpec.Bind(parameters, values, $"the {verifier} verifier"));

    public double GetDouble(string name) => _values[name] is { } v ? System.Convert.ToDouble(v, CultureInfo.InvariantCulture) : double.NaN;
    public int GetInt(string name) => _values[name] is { } v ? System.Convert.ToInt32(v, CultureInfo.InvariantCulture) : 0;
    public bool GetBool(string name) => _values[name] is bool b && b;
    public string? GetString(string name) => _values[name] as string;
    public string[] GetStrings(string name) => _values[name] as string[] ?? [];

    /// <summary>The bound values (for display).</summary>
    public IReadOnlyDictionary<string, object?> Values => _values;
}
