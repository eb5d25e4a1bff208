using System.Management.Automation;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>
/// Base for RlTools cmdlets: ErrorRecord helpers with stable ids, and provider-aware paths
/// (so paths work on every PowerShell drive and OS, never assuming Linux separators).
/// </summary>
public abstract class RlCmdlet : PSCmdlet
{
    /// <summary>Reports a bad item and continues (non-terminating): stable id, category, target, what to fix.</summary>
    protected void WriteRlError(string errorId, ErrorCategory category, object? target, string message, Exception? inner = null)
        => WriteError(NewError(errorId, category, target, message, inner));

    /// <summary>Stops the command (terminating) with a stable id, category, target and what to fix.</summary>
    protected void ThrowRlError(string errorId, ErrorCategory category, object? target, string message, Exception? inner = null)
        => ThrowTerminatingError(NewError(errorId, category, target, message, inner));

    /// <summary>Builds an ErrorRecord whose message says what is wrong and what to do.</summary>
    protected static ErrorRecord NewError(string errorId, ErrorCategory category, object? target, string message, Exception? inner = null)
    {
        // ArgumentException appends " (Parameter 'name')" to its message: a .NET detail that names no cmdlet parameter.
        message = ParameterSuffix.Replace(message, "");
        Exception exception = category switch
        {
            ErrorCategory.ObjectNotFound => new ItemNotFoundException(message, inner),
            ErrorCategory.InvalidArgument or ErrorCategory.InvalidData => new ArgumentException(message, inner),
            _ => new InvalidOperationException(message, inner),
        };
        return new ErrorRecord(exception, errorId, category, target);
    }

    /// <summary>
    /// Reads one piped object of a stage that takes rollouts. A prompt record (Import-RlDataset, New-RlDataset) stops
    /// the command with one error that names the missing stage, instead of PowerShell's binding error per object;
    /// anything else that does not convert to a rollout is reported and skipped (null).
    /// </summary>
    protected Rollout? ReadRollout(object? input)
    {
        object? value = input is PSObject ps ? ps.BaseObject : input;
        string me = MyInvocation.MyCommand.Name;
        switch (value)
        {
            case null: return null;
            case Rollout r: return r;
            case PromptRecord p:
                ThrowRlError("PromptNotRollout", ErrorCategory.InvalidArgument, p,
                    $"{me} takes rollouts, and these are prompt records (prompt '{p.Id}', from Import-RlDataset or New-RlDataset). " +
                    $"Sample completions first: $prompts | Invoke-RlRollout -Policy $policy -GroupSize 8 | {me} ...");
                return null;
        }
        try { return LanguagePrimitives.ConvertTo<Rollout>(input); }
        catch (PSInvalidCastException)
        {
            WriteRlError("NotARollout", ErrorCategory.InvalidArgument, input,
                $"{me} takes rollouts (from Invoke-RlRollout, Import-RlRollout or ConvertTo-RlRollout); got a {value.GetType().FullName}. This object is skipped.");
            return null;
        }
    }

    private static readonly System.Text.RegularExpressions.Regex ParameterSuffix = new(@" \(Parameter '[^']*'\)(?=$|\s)", System.Text.RegularExpressions.RegexOptions.Multiline);

    /// <summary>Parameter-set names shared by every cmdlet that takes -Path (wildcards) or -LiteralPath (taken as typed).</summary>
    protected const string PathSet = "Path", LiteralPathSet = "LiteralPath";

    /// <summary>
    /// Resolves the single file or folder named by -Path or -LiteralPath. A literal path (or a -Path without
    /// wildcard characters) is taken as typed, existing or not; a -Path with wildcards must match exactly one
    /// item, else a terminating PathNotFound or AmbiguousPath error that points at -LiteralPath.
    /// </summary>
    protected string ResolveSinglePath(string path, bool literal, string what = "file")
    {
        if (literal || !WildcardPattern.ContainsWildcardCharacters(path)) return GetUnresolvedProviderPathFromPSPath(path);
        System.Collections.ObjectModel.Collection<string> matches;
        ProviderInfo? provider = null;
        try { matches = GetResolvedProviderPathFromPSPath(path, out provider); }
        catch (ItemNotFoundException) { matches = new(); }
        if (provider is not null && provider.Name != "FileSystem")
            ThrowRlError("NotAFileSystemPath", ErrorCategory.InvalidArgument, path, $"'{path}' is not a file-system path.");
        if (matches.Count == 0)
            ThrowRlError("PathNotFound", ErrorCategory.ObjectNotFound, path,
                $"The wildcard path '{path}' matches no {what}. To use a name with [ ] * ? in it as typed, pass it with -LiteralPath.");
        if (matches.Count > 1)
            ThrowRlError("AmbiguousPath", ErrorCategory.InvalidArgument, path,
                $"The wildcard path '{path}' matches {matches.Count} items ({string.Join(", ", matches.Take(3))}{(matches.Count > 3 ? ", ..." : "")}); name one {what}, or use -LiteralPath.");
        return matches[0];
    }

    /// <summary>Resolves a user path (relative, ~, PSDrive) to a file-system path, whether or not it exists yet.</summary>
    protected string ResolveFileSystemPath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>Resolves a path that must exist; reports a clear terminating error when it does not.</summary>
    protected string ResolveExistingPath(string path, string what = "file")
    {
        string full = GetUnresolvedProviderPathFromPSPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
            ThrowRlError("PathNotFound", ErrorCategory.ObjectNotFound, path, $"The {what} '{path}' does not exist. Check the path (resolved to '{full}').");
        return full;
    }
}
