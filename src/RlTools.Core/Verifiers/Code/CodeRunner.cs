using System.Text.RegularExpressions;

namespace RlTools.Core.Verifiers.Code;

/// <summary>A language the Code verifier runs.</summary>
public enum CodeLanguage
{
    Python,
    PowerShell,
}

/// <summary>Why one test passed or failed.</summary>
public enum CodeTestOutcome
{
    Passed,
    WrongOutput,
    Error,
    Timeout,
    Memory,
    OutputLimit,
    SandboxFailure,
}

/// <summary>One test's verdict, with a short human explanation.</summary>
public sealed record CodeTestResult(int Index, CodeTestOutcome Outcome, string Detail, TimeSpan Elapsed);

/// <summary>
/// Extracts a program from a completion and runs it against tests in the <see cref="Sandbox"/>: interpreter
/// resolution per language, the last fenced block of the language, and classification of each run (wrong output,
/// error, timeout, memory, output limit).
/// </summary>
public sealed class CodeRunner
{
    private static readonly Regex s_fence = new(@"(?ms)^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private readonly IReadOnlyList<string> _command;
    private readonly IReadOnlyList<string> _binds;
    private readonly IReadOnlyDictionary<string, string> _environment;

    public CodeRunner(CodeLanguage language, SandboxLimits limits, SandboxIsolation isolation, string? interpreter)
    {
        Language = language;
        Limits = limits;
        Isolation = isolation;
        (_command, _binds, _environment) = language == CodeLanguage.Python ? ResolvePython(interpreter) : ResolvePowerShell(interpreter, limits);
        // .NET reserves far more address space than it uses (pwsh does not start under 3 GiB), so for PowerShell the
        // memory limit is the GC heap limit and the address-space limit gets 4 GiB of headroom.
        _sandboxLimits = language == CodeLanguage.PowerShell ? limits with { MemoryBytes = limits.MemoryBytes + (4L << 30) } : limits;
    }

    private readonly SandboxLimits _sandboxLimits;

    public CodeLanguage Language { get; }
    public SandboxLimits Limits { get; }
    public SandboxIsolation Isolation { get; }

    /// <summary>The program's file name in the sandbox folder.</summary>
    public string FileName => Language == CodeLanguage.Python ? "main.py" : "main.ps1";

    /// <summary>Fence tags accepted for the language (an untagged block is taken when no tagged one exists).</summary>
    public static IReadOnlyList<string> Tags(CodeLanguage language) => language == CodeLanguage.Python
        ? ["python", "py", "python3"] : ["powershell", "pwsh", "ps1", "ps"];

    /// <summary>The last fenced block tagged with the language, else the last untagged block, else null.</summary>
    public static string? Extract(string completion, CodeLanguage language)
    {
        string? tagged = null, untagged = null;
        try
        {
            foreach (Match m in s_fence.Matches(completion))
            {
                string tag = m.Groups[2].Value;
                if (tag.Length == 0) untagged = m.Groups[3].Value;
                else if (Tags(language).Contains(tag, StringComparer.OrdinalIgnoreCase)) tagged = m.Groups[3].Value;
            }
        }
        catch (RegexMatchTimeoutException) { return null; }
        return tagged ?? untagged;
    }

    /// <summary>Runs one test; never throws for anything the program does.</summary>
    public CodeTestResult Run(int index, string program, CodeTestCase test, CancellationToken cancel = default)
    {
        string source = test.Script ?? program;
        var run = Sandbox.Run(_command.Append(FileName).ToArray(), new Dictionary<string, string> { [FileName] = source },
            test.Stdin ?? "", _sandboxLimits, Isolation, _binds, _environment, cancel);
        return new CodeTestResult(index, Classify(run, test, out string detail), detail, run.Elapsed);
    }

    private CodeTestOutcome Classify(SandboxRun run, CodeTestCase test, out string detail)
    {
        if (run.StartError is not null) { detail = "the sandbox could not run it: " + run.StartError; return CodeTestOutcome.SandboxFailure; }
        if (run.OutputLimitExceeded) { detail = $"output limit: more than {Limits.MaxOutputBytes} bytes on stdout"; return CodeTestOutcome.OutputLimit; }
        if (run.TimedOut) { detail = $"timeout: still running after {Limits.Time.TotalSeconds:0.###} s (process tree killed)"; return CodeTestOutcome.Timeout; }
        string err = LastLines(run.Stderr);
        bool oom = run.Stderr.Contains("MemoryError", StringComparison.Ordinal) || run.Stderr.Contains("OutOfMemoryException", StringComparison.Ordinal)
            || run.Stderr.Contains("Insufficient memory", StringComparison.OrdinalIgnoreCase) || run.Stderr.Contains("Cannot allocate memory", StringComparison.Ordinal);
        if (run.ExitCode != 0 && oom) { detail = $"memory: over the {Limits.MemoryBytes >> 20} MiB limit ({err})"; return CodeTestOutcome.Memory; }
        if (run.ExitCode == 128 + 24) { detail = "timeout: CPU time limit (SIGXCPU)"; return CodeTestOutcome.Timeout; }
        if (run.ExitCode == 128 + 9) { detail = "killed (SIGKILL), most likely out of memory"; return CodeTestOutcome.Memory; }
        if (run.ExitCode != 0)
        {
            string how = run.ExitCode > 128 && run.ExitCode < 160 ? $"killed by signal {run.ExitCode - 128}" : $"exit code {run.ExitCode}";
            detail = err.Length > 0 ? $"error ({how}): {err}" : $"error ({how})";
            return CodeTestOutcome.Error;
        }
        if (test.IsCall)
        {
            int at = run.Stdout.LastIndexOf(CodeTests.ReturnMarker, StringComparison.Ordinal);
            string json = at < 0 ? "" : run.Stdout[(at + CodeTests.ReturnMarker.Length)..].Trim();
            if (at < 0 || !IO.JsonValues.TryParse(json, out object? value))
            {
                detail = "error: the function returned no value that can be read";
                return CodeTestOutcome.Error;
            }
            if (!CodeTests.ReturnMatches(value, test.ExpectedReturn))
            {
                detail = $"wrong output: expected {Quote(IO.JsonValues.ToJson(test.ExpectedReturn))}, got {Quote(json)}";
                return CodeTestOutcome.WrongOutput;
            }
            detail = "passed";
            return CodeTestOutcome.Passed;
        }
        if (test.IsStdio && !OutputMatcher.Matches(run.Stdout, test.ExpectedStdout ?? ""))
        {
            detail = $"wrong output: expected {Quote(test.ExpectedStdout ?? "")}, got {Quote(run.Stdout)}";
            return CodeTestOutcome.WrongOutput;
        }
        detail = "passed";
        return CodeTestOutcome.Passed;
    }

    private static string LastLines(string stderr)
    {
        var lines = stderr.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        string last = lines.Length == 0 ? "" : lines[^1];
        return last.Length > 200 ? last[..200] + "…" : last;
    }

    private static string Quote(string s)
    {
        s = s.Trim();
        if (s.Length > 80) s = s[..80] + "…";
        return "\"" + s.Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
    }

    // ---- interpreters -----------------------------------------------------------------------------------------

    private static (IReadOnlyList<string>, IReadOnlyList<string>, IReadOnlyDictionary<string, string>) ResolvePython(string? interpreter)
    {
        var env = new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1", ["PYTHONUNBUFFERED"] = "1" };
        if (OperatingSystem.IsWindows())
            return ([interpreter ?? FindOnPath("python.exe") ?? "python.exe", "-I", "-B"], [], env);
        string? path = interpreter ?? new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists) ?? FindOnPath("python3");
        if (path is null) return (["/usr/bin/python3", "-I", "-B"], [], env);
        string real = RealPath(path);
        var binds = new List<string>();
        // An interpreter outside /usr (pyenv, conda) needs its prefix inside the sandbox.
        if (!real.StartsWith("/usr/", StringComparison.Ordinal) && Path.GetDirectoryName(Path.GetDirectoryName(real)) is { Length: > 1 } prefix) binds.Add(prefix);
        return ([real, "-I", "-B"], binds, env);
    }

    private static (IReadOnlyList<string>, IReadOnlyList<string>, IReadOnlyDictionary<string, string>) ResolvePowerShell(string? interpreter, SandboxLimits limits)
    {
        var env = new Dictionary<string, string>
        {
            ["POWERSHELL_TELEMETRY_OPTOUT"] = "1", ["POWERSHELL_UPDATECHECK"] = "Off", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1", ["DOTNET_EnableDiagnostics"] = "0", ["DOTNET_gcServer"] = "0",
            // The memory limit of a PowerShell program: its managed heap.
            ["DOTNET_GCHeapHardLimit"] = "0x" + limits.MemoryBytes.ToString("X", System.Globalization.CultureInfo.InvariantCulture),
        };
        string[] args = ["-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File"];
        if (interpreter is not null) return ([interpreter, .. args], Dirs(interpreter), env);
        if (FindOnPath(OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh") is { } pwsh)
        {
            string real = OperatingSystem.IsWindows() ? pwsh : RealPath(pwsh);
            return ([real, .. args], Dirs(real), env);
        }
        // Running inside `dotnet pwsh` (a local tool): the same dotnet host and pwsh.dll.
        string dll = Path.Combine(AppContext.BaseDirectory, "pwsh.dll");
        if (File.Exists(dll) && Environment.ProcessPath is { } host)
        {
            string realHost = OperatingSystem.IsWindows() ? host : RealPath(host);
            return ([realHost, dll, .. args], [.. Dirs(realHost), AppContext.BaseDirectory.TrimEnd('/')], env);
        }
        return (["pwsh", .. args], [], env);

        static List<string> Dirs(string exe) => Path.GetDirectoryName(exe) is { } d && !d.StartsWith("/usr/", StringComparison.Ordinal) ? [d] : [];
    }

    private static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string RealPath(string path)
    {
        try { return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path); }
        catch (IOException) { return path; }
    }
}
