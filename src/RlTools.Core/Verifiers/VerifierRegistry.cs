using System.Collections;

namespace RlTools.Core.Verifiers;

/// <summary>A registry entry: name, what it checks, where the rule comes from, parameters with defaults, and a factory.</summary>
public sealed class VerifierInfo
{
    internal VerifierInfo(string name, string description, string source, IReadOnlyList<ParameterSpec> parameters, Func<VerifierSettings, IVerifier>? factory)
    {
        Name = name;
        Description = description;
        Source = source;
        Parameters = parameters;
        Factory = factory;
    }

    /// <summary>Registry name, as given to <c>Measure-RlReward -Verifier</c>.</summary>
    public string Name { get; }

    /// <summary>What the verifier checks and what it returns.</summary>
    public string Description { get; }

    /// <summary>Where the rule comes from (paper or framework).</summary>
    public string Source { get; }

    /// <summary>Parameters with their defaults.</summary>
    public IReadOnlyList<ParameterSpec> Parameters { get; }

    /// <summary>True when the verifier is made by the host (the PowerShell script-block verifier), not by <see cref="Create"/>.</summary>
    public bool HostProvided => Factory is null;

    private Func<VerifierSettings, IVerifier>? Factory { get; }

    /// <summary>Binds parameters (name → value, case-insensitive) over the defaults and builds the verifier.</summary>
    /// <exception cref="ArgumentException">An unknown parameter, a value of the wrong type, or an invalid combination.</exception>
    public IVerifier Create(IDictionary? parameters = null)
    {
        if (Factory is null) throw new InvalidOperationException($"The {Name} verifier is provided by the host (Measure-RlReward -ScriptBlock).");
        return Factory(VerifierSettings.Bind(Name, Parameters, parameters));
    }

    /// <summary>Parameters with defaults on one line ("Fallback = $true; ...").</summary>
    public string ParameterSummary => string.Join("; ", Parameters.Select(p => p.Default is null ? $"{p.Name} <{p.ValueType.Name}>" : $"{p.Name} = {FormatValue(p.Default)}"));

    private static string FormatValue(object? v) => v switch
    {
        null => "null",
        string s => $"'{s}'",
        string[] a => "@(" + string.Join(", ", a.Select(x => $"'{x}'")) + ")",
        bool b => b ? "$true" : "$false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    public override string ToString() => Name;
}

/// <summary>
/// The verifiers, as a typed list: <c>Get-RlVerifier</c>, <c>Measure-RlReward -Verifier</c> and its tab completion all read it.
/// Adding a verifier means adding one class with a static <c>Info</c> and listing it here.
/// </summary>
public static class VerifierRegistry
{
    /// <summary>Name of the host-provided script-block verifier.</summary>
    public const string ScriptBlockName = "ScriptBlock";

    /// <summary>Every verifier, in display order.</summary>
    public static IReadOnlyList<VerifierInfo> All { get; } =
    [
        MathVerifier.Info,
        ExactMatchVerifier.Info,
        NumericVerifier.Info,
        ChoiceVerifier.Info,
        RegexVerifier.Info,
        FormatVerifier.Info,
        LengthVerifier.Info,
        CodeVerifier.Info,
        new VerifierInfo(ScriptBlockName,
            "Your own PowerShell script block (Measure-RlReward -ScriptBlock): it receives the rollout as $_ and returns a number, or $null when it does not apply.",
            "TRL reward-function contract (a callable returning a float or None per completion).",
            [], null),
    ];

    /// <summary>The entry with this name (case-insensitive), or null.</summary>
    public static VerifierInfo? Find(string name) => All.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Valid names, comma-separated (for error messages).</summary>
    public static string NameList => string.Join(", ", All.Select(v => v.Name));
}
