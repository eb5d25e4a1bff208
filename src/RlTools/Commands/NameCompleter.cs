using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace RlTools.Commands;

/// <summary>
/// Tab completion from a registry: derive a class that returns the registry's names (and a
/// one-line description for the tooltip). PowerShellStandard has no IValidateSetValuesGenerator,
/// so cmdlets validate names against the same registry themselves and report a clear error.
/// </summary>
public abstract class NameCompleter : IArgumentCompleter
{
    /// <summary>The registry's (name, description) pairs.</summary>
    protected abstract IEnumerable<(string Name, string Description)> Names();

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        foreach (var (name, description) in Names())
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, string.IsNullOrEmpty(description) ? name : description);
        }
    }
}
