using System.Management.Automation;

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
        Exception exception = category switch
        {
            ErrorCategory.ObjectNotFound => new ItemNotFoundException(message, inner),
            ErrorCategory.InvalidArgument or ErrorCategory.InvalidData => new ArgumentException(message, inner),
            _ => new InvalidOperationException(message, inner),
        };
        return new ErrorRecord(exception, errorId, category, target);
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
