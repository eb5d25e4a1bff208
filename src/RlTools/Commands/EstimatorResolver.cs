using System.Collections;
using System.Management.Automation;
using RlTools.Core.Advantages;

namespace RlTools.Commands;

/// <summary>Turns what a user passes as an estimator (a name, a live object, JSON, or an object read back by Import-Clixml) into a live estimator.</summary>
internal static class EstimatorResolver
{
    internal sealed class ResolveException : Exception
    {
        public ResolveException(string errorId, ErrorCategory category, string message, Exception? inner = null) : base(message, inner)
        {
            ErrorId = errorId;
            Category = category;
        }
        public string ErrorId { get; }
        public ErrorCategory Category { get; }
    }

    internal static IAdvantageEstimator FromName(string name, Hashtable? parameters)
    {
        IAdvantageEstimator est;
        try { est = AdvantageEstimatorRegistry.Create(name); }
        catch (KeyNotFoundException e) { throw new ResolveException("UnknownEstimator", ErrorCategory.ObjectNotFound, e.Message, e); }
        Apply(est, parameters);
        return est;
    }

    internal static void Apply(IAdvantageEstimator est, Hashtable? parameters)
    {
        if (parameters is null) return;
        foreach (DictionaryEntry kv in parameters)
        {
            try { est.SetParameter(Convert.ToString(kv.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "", PowerShellValues.Unwrap(kv.Value)); }
            catch (ArgumentException e) { throw new ResolveException("InvalidEstimatorParameter", ErrorCategory.InvalidArgument, e.Message, e); }
        }
    }

    /// <summary>JSON of a deserialized (Import-Clixml) estimator, or null when the object is not one.</summary>
    internal static string? DeserializedJson(PSObject p)
    {
        bool deserialized = false;
        foreach (var t in p.TypeNames)
            if (t.StartsWith("Deserialized.RlTools.Core.Advantages.", StringComparison.Ordinal)) deserialized = true;
        if (!deserialized) return null;
        return p.Properties["Json"]?.Value as string;
    }

    internal static IAdvantageEstimator FromJson(string json)
    {
        try { return AdvantageEstimatorRegistry.FromJson(json); }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or ArgumentException)
        { throw new ResolveException("InvalidEstimatorJson", ErrorCategory.InvalidData, "The estimator JSON could not be read: " + e.Message + " Pass the Json property (or ToJson()) of an estimator.", e); }
        catch (KeyNotFoundException e) { throw new ResolveException("UnknownEstimator", ErrorCategory.ObjectNotFound, e.Message, e); }
    }
}
