using RlTools.Core.IO;
using RlTools.Core.Records;
using RlTools.Core.Verifiers.Code;

namespace RlTools.Core.Verifiers;

/// <summary>
/// Code-execution reward: takes the last fenced block of the task's language (Python or PowerShell) from the
/// completion and runs the task's tests in a <see cref="Sandbox"/>. Reward = 1 when every test passes, else 0;
/// with <c>Partial</c>, the fraction of tests passed (open-r1 <c>code_reward</c>, verl <c>prime_code</c> continuous
/// mode). Without <c>Partial</c> it stops at the first failure (LiveCodeBench / TACO early stop).
/// Tests: the rollout's metadata field <c>TestsField</c> (default <c>tests</c>, filled by
/// <c>Import-RlDataset -TestsField</c>), else the gold answer, holding stdin/stdout pairs
/// <c>{"inputs":[…],"outputs":[…]}</c> or assert tests <c>{"test":…,"entry_point":…}</c> / <c>{"test_list":[…]}</c>
/// (<see cref="CodeTests"/>). Output comparison: <see cref="OutputMatcher"/>. Sources: verl
/// <c>utils/reward_score/prime_code</c> and <c>sandbox_fusion</c>; HumanEval (Chen et al. 2021, arXiv:2107.03374);
/// MBPP (Austin et al. 2021, arXiv:2108.07732); DeepCoder's binary reward.
/// </summary>
public sealed class CodeVerifier : IVerifier
{
    public static VerifierInfo Info { get; } = new(
        "Code",
        "Runs the completion's last ```python (or ```powershell) block against the task's tests (stdin/stdout pairs or asserts) in a sandbox. 1 when all pass, else 0 (Partial: fraction passed).",
        "verl prime_code / sandbox_fusion, open-r1 code_reward, HumanEval, MBPP, DeepCoder",
        [
            new ParameterSpec("Language", typeof(string), "Python", "Python or PowerShell; a task's own 'language' field in its tests wins."),
            new ParameterSpec("TimeLimit", typeof(double), 5.0, "Wall-clock seconds per test; the whole process tree is killed after it."),
            new ParameterSpec("MemoryMB", typeof(double), 1024.0, "Memory limit per process in MiB (address space; PowerShell: its GC heap, the address space gets 4 GiB more)."),
            new ParameterSpec("MaxProcesses", typeof(int), 64, "Most processes and threads at once (PowerShell needs ~40 for itself)."),
            new ParameterSpec("MaxOutputKB", typeof(int), 1024, "Most KiB of stdout; more fails the test."),
            new ParameterSpec("Partial", typeof(bool), false, "Score the fraction of tests passed instead of all-or-nothing."),
            new ParameterSpec("Isolation", typeof(string), "Auto", "Auto (the strongest the machine allows), Namespaces (fail where unavailable) or Basic (limits only; see about_RlCodeSandbox)."),
            new ParameterSpec("TestsField", typeof(string), "tests", "Metadata field holding the tests; the gold answer is used when it is absent."),
            new ParameterSpec("Interpreter", typeof(string), null, "Path of python3 or pwsh; found automatically when omitted."),
        ],
        s => new CodeVerifier(s));

    private readonly CodeLanguage _language;
    private readonly bool _partial;
    private readonly string _testsField;
    private readonly SandboxLimits _limits;
    private readonly SandboxIsolation _isolation;
    private readonly string? _interpreter;
    private readonly Lazy<CodeRunner>[] _runners;

    public CodeVerifier(VerifierSettings s)
    {
        _language = ParseLanguage(s.GetString("Language") ?? "Python")
            ?? throw new ArgumentException($"The Code verifier's Language must be Python or PowerShell, not '{s.GetString("Language")}'.");
        double time = s.GetDouble("TimeLimit"), mem = s.GetDouble("MemoryMB");
        int procs = s.GetInt("MaxProcesses"), outKb = s.GetInt("MaxOutputKB");
        if (!(time > 0) || time > 3600) throw new ArgumentException("The Code verifier's TimeLimit must be between 0 and 3600 seconds.");
        if (!(mem >= 16) || mem > 1 << 20) throw new ArgumentException("The Code verifier's MemoryMB must be between 16 and 1048576.");
        if (procs < 1 || procs > 100000) throw new ArgumentException("The Code verifier's MaxProcesses must be between 1 and 100000.");
        if (outKb < 1 || outKb > 1 << 20) throw new ArgumentException("The Code verifier's MaxOutputKB must be between 1 and 1048576.");
        if (!Enum.TryParse(s.GetString("Isolation") ?? "Auto", ignoreCase: true, out _isolation) || !Enum.IsDefined(_isolation))
            throw new ArgumentException($"The Code verifier's Isolation must be Auto, Namespaces or Basic, not '{s.GetString("Isolation")}'.");
        _partial = s.GetBool("Partial");
        _testsField = s.GetString("TestsField") ?? "tests";
        _interpreter = s.GetString("Interpreter");
        _limits = new SandboxLimits
        {
            Time = TimeSpan.FromSeconds(time), MemoryBytes = (long)(mem * 1024 * 1024), MaxProcesses = procs, MaxOutputBytes = outKb * 1024,
        };
        if (_isolation == SandboxIsolation.Namespaces && Sandbox.Capabilities.Best != SandboxIsolation.Namespaces)
            throw new ArgumentException("The Code verifier's Isolation is Namespaces, but this machine does not allow it: " + (Sandbox.Capabilities.NamespaceFailure ?? Sandbox.Capabilities.Description));
        _runners = Enum.GetValues<CodeLanguage>().Select(l => new Lazy<CodeRunner>(() => new CodeRunner(l, _limits, _isolation, l == _language ? _interpreter : null))).ToArray();
    }

    public string Name => "Code";

    public VerificationResult Verify(Rollout rollout)
    {
        try
        {
            object? tests = rollout.Metadata.TryGetValue(_testsField, out object? t) && t is not null ? t
                : string.IsNullOrWhiteSpace(rollout.Answer) ? null : rollout.Answer;
            if (tests is null) return VerificationResult.NotApplicable($"no tests (metadata '{_testsField}' or a gold answer holding them)");
            if (tests is string text && JsonValues.TryParse(text, out object? parsed) && parsed is System.Collections.IDictionary) tests = parsed!;
            var language = TaskLanguage(tests) ?? _language;
            var runner = _runners[(int)language].Value;
            SandboxIsolation level;
            try { level = Sandbox.Resolve(runner.Isolation); }
            catch (PlatformNotSupportedException e) { return VerificationResult.NotApplicable(e.Message); }
            string sandbox = SandboxNote(level);

            string? program = CodeRunner.Extract(rollout.Completion ?? "", language);
            if (program is null || program.Trim().Length == 0)
                return new VerificationResult { Score = 0, IsCorrect = false, Reason = $"no ```{CodeRunner.Tags(language)[0]} block in the completion" };

            IReadOnlyList<CodeTestCase> cases;
            try { cases = CodeTests.Parse(tests, program, language); }
            catch (FormatException e) { return VerificationResult.NotApplicable("the tests cannot be read: " + e.Message); }

            int passed = 0;
            CodeTestResult? firstFailure = null;
            for (int i = 0; i < cases.Count; i++)
            {
                var r = runner.Run(i, program, cases[i]);
                if (r.Outcome == CodeTestOutcome.Passed) { passed++; continue; }
                if (r.Outcome == CodeTestOutcome.SandboxFailure)
                    return new VerificationResult { Score = null, IsCorrect = null, Extracted = program, Reason = $"test {i + 1}: {r.Detail} [{sandbox}]" };
                firstFailure ??= r;
                if (!_partial) break;
            }
            bool all = passed == cases.Count;
            string reason = all ? $"{passed}/{cases.Count} tests passed"
                : $"{passed}/{cases.Count} tests passed; test {firstFailure!.Index + 1} failed: {firstFailure.Detail}";
            if (!all && !_partial && passed + 1 < cases.Count) reason += " (later tests not run)";
            return new VerificationResult
            {
                Score = _partial ? (double)passed / cases.Count : all ? 1 : 0,
                IsCorrect = all, Extracted = program, Reason = reason + $" [{sandbox}]",
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return VerificationResult.NotApplicable("internal error: " + e.GetType().Name + ": " + e.Message);
        }
    }

    private static string SandboxNote(SandboxIsolation level) => level == SandboxIsolation.Namespaces
        ? "sandbox: Linux namespaces"
        : "sandbox: Basic — limits only, network and files NOT isolated (" + Sandbox.Capabilities.Description + ")";

    private static CodeLanguage? TaskLanguage(object tests)
    {
        if (tests is System.Collections.IDictionary d && d.Contains("language") && d["language"] is string s) return ParseLanguage(s);
        return null;
    }

    private static CodeLanguage? ParseLanguage(string s) => s.Trim().ToLowerInvariant() switch
    {
        "python" or "python3" or "py" => CodeLanguage.Python,
        "powershell" or "pwsh" or "ps1" => CodeLanguage.PowerShell,
        _ => null,
    };
}
