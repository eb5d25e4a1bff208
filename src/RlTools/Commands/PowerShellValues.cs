using System.Collections;
using System.Management.Automation;

namespace RlTools.Commands;

/// <summary>
/// The one place where values from the shell become plain .NET values before they reach Core: PSObject
/// wrappers removed, lists as object[], maps as case-insensitive Hashtables, recursively. Core never sees a
/// PowerShell type.
/// </summary>
internal static class PowerShellValues
{
    public static object? Unwrap(object? value)
    {
        if (value is PSObject ps) value = ps.BaseObject;
        switch (value)
        {
            case null: return null;
            case string s: return s;
            case IDictionary d:
                var h = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry e in d) h[Unwrap(e.Key) ?? ""] = Unwrap(e.Value);
                return h;
            case IEnumerable list:
                return list.Cast<object?>().Select(Unwrap).ToArray();
            default: return value;
        }
    }

    /// <summary>A parameter map from the shell as a plain Hashtable (null stays null).</summary>
    public static Hashtable? Plain(IDictionary? map) => map is null ? null : (Hashtable)Unwrap(map)!;
}
