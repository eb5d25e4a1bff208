using System.Collections;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RlTools.Core.Records;
using RlTools.Core.Verifiers;
using RlTools.Core.Verifiers.Code;

namespace RlTools.Core.Tests.Verifiers;

/// <summary>
/// The Code verifier and its sandbox on correct, wrong, crashing, slow and hostile programs (our own cases).
/// Robust by construction: limits are generous (a 10x slower machine still passes), hostile verdicts are asserted as
/// classes that hold however many processes the kernel allows, leftovers are found by the run's own marker and waited
/// for, and where the machine lacks namespaces the documented fallback is asserted instead.
/// </summary>
public sealed class CodeVerifierTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // Generous: the machine may be loaded and 10x slower than a laptop.
    private static readonly Hashtable Slow = new() { ["TimeLimit"] = 60.0 };

    private static IVerifier Make(Hashtable? p = null) => VerifierRegistry.Find("Code")!.Create(p ?? Slow);

    private static Rollout R(string code, object tests, string lang = "python") => new()
    {
        Completion = $"Here is my solution.\n```{lang}\n{code}\n```\n",
        Metadata = new Dictionary<string, object?> { ["tests"] = tests },
    };

    private static Dictionary<string, object?> Stdio(params (string In, string Out)[] pairs) => new()
    {
        ["inputs"] = pairs.Select(p => (object?)p.In).ToList(),
        ["outputs"] = pairs.Select(p => (object?)p.Out).ToList(),
    };

    private static bool Namespaces => Sandbox.Capabilities.Best == SandboxIsolation.Namespaces;

    /// <summary>The python3 the verifier would find (.ci/run installs Debian's), or null where there is none.</summary>
    private static readonly string? Python = OperatingSystem.IsWindows() ? null
        : new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists);

    // ---- extraction and comparison (no process) ----------------------------------------------------------------

    [Fact]
    public void TheLastBlockOfTheLanguageIsTaken()
    {
        string text = "```python\nprint(1)\n```\ntext\n```js\nconsole.log(2)\n```\n```py\nprint(3)\n```\n```\nuntagged\n```";
        Assert.Equal("print(3)\n", CodeRunner.Extract(text, CodeLanguage.Python));
        Assert.Equal("untagged\n", CodeRunner.Extract("```\nuntagged\n```", CodeLanguage.Python));
        Assert.Null(CodeRunner.Extract("no code at all", CodeLanguage.Python));
        Assert.Equal("Write-Output 4\n", CodeRunner.Extract("```powershell\nWrite-Output 4\n```\n```python\nx\n```", CodeLanguage.PowerShell));
    }

    [Theory]
    [InlineData("3\n", "3", true)]
    [InlineData("1 2 \n\n", "1 2", true)]         // trailing spaces and blank lines
    [InlineData("0.3333333", "0.33333333", true)]  // |a-b| = 3e-9 <= 1e-8 + 1e-5*0.33
    [InlineData("0.33", "0.3333", false)]          // 3.3e-3 > 3.3e-6
    [InlineData("3", "4", false)]
    [InlineData("1\n2", "1 2", false)]             // line structure matters
    [InlineData("", "0", false)]
    [InlineData("YES", "yes", false)]              // case matters
    public void OutputComparisonFollowsPrimeCode(string actual, string expected, bool equal) =>
        Assert.Equal(equal, OutputMatcher.Matches(actual, expected));

    [Fact]
    public void BadTestsDoNotApplyAndMissingCodeScoresZero()
    {
        var v = Make();
        Assert.Null(v.Verify(R("print(1)", "not json")).Score);
        Assert.Null(v.Verify(R("print(1)", new Dictionary<string, object?> { ["inputs"] = new List<object?> { "1" }, ["outputs"] = new List<object?>() })).Score);
        Assert.Null(v.Verify(new Rollout { Completion = "```python\nprint(1)\n```" }).Score);
        var none = v.Verify(new Rollout { Completion = "I think the answer is 3", Answer = "{\"inputs\":[\"\"],\"outputs\":[\"3\"]}" });
        Assert.Equal(0, none.Score);
        Assert.Contains("no ```python block", none.Reason);
    }

    [Fact]
    public void BadParametersAreRejectedWithTheirName()
    {
        var e = Assert.Throws<ArgumentException>(() => Make(new Hashtable { ["Language"] = "Cobol" }));
        Assert.Contains("Language", e.Message);
        Assert.Throws<ArgumentException>(() => Make(new Hashtable { ["TimeLimit"] = -1 }));
        Assert.Throws<ArgumentException>(() => Make(new Hashtable { ["Isolation"] = "Docker" }));
    }

    [Fact]
    public void NamespacesAreUsedWheneverTheKernelAllowsThem()
    {
        if (!OperatingSystem.IsLinux()) return;
        // An independent probe of every kernel operation the namespace level needs (new namespaces, tmpfs, read-only
        // bind mounts of folders and device files, a fresh /proc, pivot_root, dropping capabilities). If they all work
        // here, the sandbox must not have fallen back (that would hide a bug in its own setup); if any fails, it must
        // have fallen back and said why.
        bool independent = false;
        if (File.Exists("/usr/bin/unshare") && File.Exists("/usr/bin/setpriv"))
        {
            string dir = Path.Combine(Path.GetTempPath(), "rltools-probe-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                const string script = """
                    set -e; R="$1"; PATH=/usr/sbin:/usr/bin:/sbin:/bin
                    mount -t tmpfs -o size=1m,mode=0755,nosuid,nodev t "$R"
                    mkdir "$R/usr" "$R/proc" "$R/dev" "$R/old"; touch "$R/dev/null"
                    mount --bind -o ro /usr "$R/usr"; mount --bind /dev/null "$R/dev/null"
                    mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
                    /usr/bin/setpriv --no-new-privs --bounding-set=-all --inh-caps=-all -- /bin/sh -c 'exit 0'
                    cd "$R"; pivot_root . old; cd /
                    test -d /usr/bin && test -d /old/usr
                    """;
                var psi = new ProcessStartInfo("/usr/bin/unshare") { RedirectStandardError = true, RedirectStandardOutput = true };
                if (Environment.UserName != "root") { psi.ArgumentList.Add("--user"); psi.ArgumentList.Add("--map-root-user"); }
                foreach (string a in new[] { "--mount", "--pid", "--net", "--ipc", "--uts", "--fork", "--kill-child", "--", "/bin/sh", "-c", script, "probe", dir })
                    psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                _ = p.StandardOutput.ReadToEndAsync();
                _ = p.StandardError.ReadToEndAsync();
                independent = p.WaitForExit(120_000) && p.ExitCode == 0;
                if (!p.HasExited) p.Kill(true);
            }
            finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
        }
        var caps = Sandbox.Capabilities;
        output.WriteLine($"independent probe: {independent}; sandbox: {caps}; exact process limit (Basic/Namespaces): " +
            $"{caps.ExactProcessLimit(SandboxIsolation.Basic)}/{caps.ExactProcessLimit(SandboxIsolation.Namespaces)}, enforced: {caps.ProcessLimitEnforced(SandboxIsolation.Basic)}");
        if (independent) Assert.True(caps.Best == SandboxIsolation.Namespaces, "namespaces work here but the sandbox fell back: " + caps.Description);
        if (caps.Best == SandboxIsolation.Basic)
        {
            Assert.False(string.IsNullOrWhiteSpace(caps.NamespaceFailure));
            Assert.Contains("NOT isolated", caps.Description);
        }
    }

    // ---- correct, wrong, crashing ------------------------------------------------------------------------------

    [Fact]
    public void CorrectStdinProgramScoresOne()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        var r = Make().Verify(R("a, b = map(int, input().split())\nprint(a + b)", Stdio(("1 2", "3"), ("10 -4", "6\n"))));
        Assert.True(r.Score == 1, r.Reason);
        Assert.StartsWith("2/2 tests passed", r.Reason);
    }

    [Fact]
    public void WrongOutputScoresZeroAndSaysWhichTest()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        var r = Make().Verify(R("a, b = map(int, input().split())\nprint(a * b)", Stdio(("2 2", "4"), ("2 3", "5"), ("1 1", "2"))));
        Assert.Equal(0, r.Score);
        Assert.Contains("test 2 failed: wrong output: expected \"5\", got \"6\"", r.Reason);
    }

    [Fact]
    public void PartialGivesTheFractionPassed()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        var p = new Hashtable { ["TimeLimit"] = 60.0, ["Partial"] = true };
        var r = Make(p).Verify(R("a, b = map(int, input().split())\nprint(a * b)", Stdio(("2 2", "4"), ("2 3", "5"), ("1 1", "2"), ("0 5", "0"))));
        Assert.Equal(0.5, r.Score!.Value, 12);
        Assert.StartsWith("2/4 tests passed; test 2 failed", r.Reason);
    }

    [Fact]
    public void HumanEvalStyleAssertTestsRunTheCheckFunction()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        var tests = new Dictionary<string, object?> { ["test"] = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n", ["entry_point"] = "add" };
        Assert.Equal(1, Make().Verify(R("def add(a, b):\n    return a + b", tests)).Score);
        var wrong = Make().Verify(R("def add(a, b):\n    return a - b", tests));
        Assert.Equal(0, wrong.Score);
        Assert.Contains("AssertionError", wrong.Reason);
    }

    [Fact]
    public void MbppStyleTestListCountsEachAssert()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        string json = "{\"test_list\":[\"assert sq(2) == 4\",\"assert sq(3) == 9\",\"assert sq(-1) == -1\"]}";
        var r = Make(new Hashtable { ["TimeLimit"] = 60.0, ["Partial"] = true }).Verify(new Rollout
        {
            Completion = "```python\ndef sq(x):\n    return x * x\n```", Answer = json,
        });
        Assert.Equal(2.0 / 3, r.Score!.Value, 12);
        Assert.Contains("test 3 failed: error", r.Reason);
    }

    [Fact]
    public void CallBasedTestsCallTheFunctionAndCompareItsReturnValue()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        // APPS / TACO: inputs are argument lists, outputs often wrapped in a one-element list.
        var apps = new Dictionary<string, object?>
        {
            ["fn_name"] = "add",
            ["inputs"] = new List<object?> { new List<object?> { 1L, 2L }, new List<object?> { 3L, 4L } },
            ["outputs"] = new List<object?> { new List<object?> { 3L }, 7L },
        };
        var ok = Make().Verify(R("def add(a, b):\n    print('debug output is ignored')\n    return a + b", apps));
        Assert.True(ok.Score == 1, ok.Reason);
        var wrong = Make().Verify(R("def add(a, b):\n    return a - b", apps));
        Assert.Equal(0, wrong.Score);
        Assert.Contains("test 1 failed: wrong output: expected \"[3]\", got \"-1\"", wrong.Reason);
        // LeetCode style: a method of class Solution; a tuple equals a list.
        string json = "{\"fn_name\": \"twoSum\", \"inputs\": [[[2, 7, 11], 9], [[3, 3], 6]], \"outputs\": [[0, 1], [0, 1]]}";
        var leet = Make().Verify(new Rollout
        {
            Completion = "```python\nclass Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return (seen[target - x], i)\n            seen[x] = i\n```",
            Answer = json,
        });
        Assert.True(leet.Score == 1, leet.Reason);
        // LiveCodeBench: each input a string of one JSON argument per line, each output a JSON string.
        var lcb = new Dictionary<string, object?> { ["fn_name"] = "scale", ["inputs"] = new List<object?> { "[1, 2]\n3" }, ["outputs"] = new List<object?> { "[3, 6]" } };
        var l = Make().Verify(R("def scale(xs, k):\n    return [x * k for x in xs]", lcb));
        Assert.True(l.Score == 1, l.Reason);
        var missing = Make().Verify(R("def other(a, b):\n    return 0", apps));
        Assert.Contains("NameError", missing.Reason);
    }

    [Theory]
    [InlineData("1", "1.0", true)]
    [InlineData("true", "1", true)]          // Python: True == 1
    [InlineData("[1, 2]", "[[1, 2]]", true)] // the one-element wrapper of APPS
    [InlineData("[1, 2]", "[2, 1]", false)]
    [InlineData("{\"a\": [1]}", "{\"a\": [1.0]}", true)]
    [InlineData("\"3\"", "3", false)]       // a string is not a number
    [InlineData("null", "[]", false)]
    public void ReturnValuesCompareLikePython(string actual, string expected, bool equal) =>
        Assert.Equal(equal, CodeTests.ReturnMatches(RlTools.Core.IO.JsonValues.Parse(actual), RlTools.Core.IO.JsonValues.Parse(expected)));

    [Fact]
    public void CrashingProgramIsAnErrorWithTheLastStderrLine()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        var r = Make().Verify(R("raise ValueError('boom')", Stdio(("", "1"))));
        Assert.Equal(0, r.Score);
        Assert.Contains("error (exit code 1): ValueError: boom", r.Reason);
    }

    [Fact]
    public void ForgedVerdictOnStdoutDoesNotPass()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        // The grader compares in the parent; printing "passed" or exiting 0 early proves nothing.
        var r = Make().Verify(R("print('All tests passed')\nimport sys; sys.exit(0)", Stdio(("", "42"))));
        Assert.Equal(0, r.Score);
    }

    // ---- slow and hostile --------------------------------------------------------------------------------------

    [Fact]
    public void InfiniteLoopTimesOutAndCostsOnlyItsTest()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        var p = new Hashtable { ["TimeLimit"] = 2.0, ["Partial"] = true };
        var r = Make(p).Verify(R("import sys\nif sys.stdin.read().strip() == 'loop':\n    while True: pass\nprint('ok')", Stdio(("loop", "ok"))));
        Assert.Equal(0, r.Score);
        Assert.Contains("timeout", r.Reason);
    }

    [Fact]
    public void SleepingProgramTimesOut()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        var r = Make(new Hashtable { ["TimeLimit"] = 2.0 }).Verify(R("import time\ntime.sleep(600)", Stdio(("", ""))));
        Assert.Equal(0, r.Score);
        Assert.Contains("test 1 failed: timeout", r.Reason);
    }

    [Fact]
    public void TenGigabyteAllocationIsAMemoryFailure()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        if (!OperatingSystem.IsLinux()) return;
        var r = Make().Verify(R("x = bytearray(10 * 1024 ** 3)\nprint(len(x))", Stdio(("", "10737418240"))));
        Assert.Equal(0, r.Score);
        Assert.Contains("memory", r.Reason);
    }

    [Fact]
    public void EndlessOutputHitsTheOutputLimit()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        var r = Make(new Hashtable { ["TimeLimit"] = 60.0, ["MaxOutputKB"] = 64 }).Verify(R("while True:\n    print('x' * 1000)", Stdio(("", "x"))));
        Assert.Equal(0, r.Score);
        Assert.Contains("output limit", r.Reason);
    }

    // Every level the code may pick on this machine: Basic always; Namespaces where the kernel allows it (where it does
    // not, Auto never picks it and Basic is what runs, tested by the Basic case).
    private static bool Available(SandboxIsolation level) =>
        OperatingSystem.IsLinux() && (level == SandboxIsolation.Basic || Sandbox.Capabilities.Best == SandboxIsolation.Namespaces);

    private static SandboxRun RunPython(string code, SandboxIsolation level, SandboxLimits limits) =>
        Sandbox.Run([Python!, "-I", "-B", "main.py"], new Dictionary<string, string> { ["main.py"] = code }, "", limits, level);

    [Theory]
    [InlineData(SandboxIsolation.Basic)]
    [InlineData(SandboxIsolation.Namespaces)]
    public void AForkBombIsContainedAndLeavesNothingBehind(SandboxIsolation level)
    {
        if (!Available(level) || Python is null) return;
        var caps = Sandbox.Capabilities;
        // Where the kernel enforces a process limit at this level (everywhere but kernel root without a uid to switch
        // to), a real fork bomb; elsewhere a bounded one (200 children), which still tests the cleanup.
        string bomb = caps.ProcessLimitEnforced(level)
            ? "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
            : "import os, time\nfor _ in range(200):\n    try:\n        if os.fork() == 0:\n            time.sleep(600)\n            os._exit(0)\n    except OSError:\n        pass\ntime.sleep(600)\n";
        var run = RunPython(bomb, level, new SandboxLimits { Time = TimeSpan.FromSeconds(3), MaxProcesses = 32 });
        // Guaranteed whatever number of processes the kernel let it make: it started at the level asked for, it failed
        // (timeout or a nonzero exit), it printed nothing, and none of its processes is left.
        Assert.Null(run.StartError);
        Assert.Equal(level, run.Isolation);
        Assert.True(run.TimedOut || run.ExitCode != 0, $"exit {run.ExitCode}, stderr {run.Stderr}");
        Assert.Equal("", run.Stdout);
        AssertNoneLeft(run);
        Assert.True(run.CleanedUp);
        // The host still runs programs at the same level.
        var ok = RunPython("print(6 * 7)", level, new SandboxLimits { Time = TimeSpan.FromSeconds(60) });
        Assert.True(ok.StartError is null && ok.Stdout.Trim() == "42", $"{ok.StartError} exit {ok.ExitCode} {ok.Stderr}");
    }

    [Theory]
    [InlineData(SandboxIsolation.Basic)]
    [InlineData(SandboxIsolation.Namespaces)]
    public void MaxProcessesCountsTheRunAloneWhereTheKernelAllows(SandboxIsolation level)
    {
        // Only where the kernel counts this run's processes alone (a uid of its own, or its own user namespace on
        // Linux >= 5.14); elsewhere the limit is shared with the user's processes by design (about_RlCodeSandbox).
        if (!Available(level) || Python is null || !Sandbox.Capabilities.ExactProcessLimit(level)) return;
        string code = "import os, time\nn = 0\nfor _ in range(40):\n    try:\n        if os.fork() == 0:\n            time.sleep(600)\n            os._exit(0)\n        n += 1\n    except OSError:\n        break\nprint(n)\n";
        var run = RunPython(code, level, new SandboxLimits { Time = TimeSpan.FromSeconds(60), MaxProcesses = 12 });
        Assert.Null(run.StartError);
        Assert.True(int.TryParse(run.Stdout.Trim(), out int forked), $"stdout {run.Stdout} stderr {run.Stderr}");
        // The program itself (and under a user namespace its launcher) counts too, so fewer than 12 children.
        Assert.InRange(forked, 1, 11);
        AssertNoneLeft(run);
    }

    [Theory]
    [InlineData(SandboxIsolation.Basic)]
    [InlineData(SandboxIsolation.Namespaces)]
    public void ABackgroundChildDoesNotOutliveTheRun(SandboxIsolation level)
    {
        if (!Available(level) || Python is null) return;
        // The program starts a detached grandchild in a new session that would sleep for ten minutes, then exits at once.
        string code = "import os, subprocess\nsubprocess.Popen(['/bin/sleep', '600'], start_new_session=True)\nprint('done')\n";
        var run = RunPython(code, level, new SandboxLimits { Time = TimeSpan.FromSeconds(60) });
        Assert.True(run.Stdout.Trim() == "done", $"{run.StartError} exit {run.ExitCode} {run.Stderr}");
        AssertNoneLeft(run);
        Assert.True(run.CleanedUp);
    }

    [Theory]
    [InlineData(SandboxIsolation.Basic)]
    [InlineData(SandboxIsolation.Namespaces)]
    public void SignallingTheHostOrEveryProcessHurtsOnlyTheRun(SandboxIsolation level)
    {
        // kill(parent), kill(0) (the process group; under namespaces getppid() is 0 too) and kill(-1), all with SIGKILL.
        // Only where the sandbox claims it (namespaces: a PID namespace and a session of its own; Basic as root: a uid of its own).
        // Basic as a user shares the host's uid and cannot prevent it (about_RlCodeSandbox); never tried there.
        if (!Available(level) || Python is null || !(level == SandboxIsolation.Namespaces || Sandbox.Capabilities.FreshUids)) return;
        string code = "import os, signal\nfor target in (os.getppid(), 0, -1):\n    try:\n        os.kill(target, signal.SIGKILL)\n    except OSError:\n        pass\nprint('still here')\n";
        var run = RunPython(code, level, new SandboxLimits { Time = TimeSpan.FromSeconds(60) });
        // This test process is alive to check; the program may have killed itself with -1, which costs its run only.
        Assert.Null(run.StartError);
        Assert.True(run.Stdout.Trim() == "still here" || run.ExitCode == 128 + 9, $"exit {run.ExitCode} {run.Stderr}");
        AssertNoneLeft(run);
        var ok = RunPython("print(6 * 7)", level, new SandboxLimits { Time = TimeSpan.FromSeconds(60) });
        Assert.Equal("42", ok.Stdout.Trim());
    }

    [Theory]
    [InlineData(SandboxIsolation.Basic)]
    [InlineData(SandboxIsolation.Namespaces)]
    public void EveryLevelRunsTimesOutAndLimitsMemory(SandboxIsolation level)
    {
        if (!Available(level)) return;
        var p = new Hashtable { ["TimeLimit"] = 60.0, ["Isolation"] = level.ToString(), ["Partial"] = true };
        var ok = Make(p).Verify(R("print(int(input()) * 2)", Stdio(("21", "42"))));
        Assert.True(ok.Score == 1, ok.Reason);
        Assert.Contains(level == SandboxIsolation.Basic ? "sandbox: Basic" : "sandbox: Linux namespaces", ok.Reason);
        var slow = Make(new Hashtable { ["TimeLimit"] = 2.0, ["Isolation"] = level.ToString() }).Verify(R("import time\ntime.sleep(600)", Stdio(("", ""))));
        Assert.Contains("test 1 failed: timeout", slow.Reason);
        var big = Make(p).Verify(R("x = bytearray(10 * 1024 ** 3)\nprint(len(x))", Stdio(("", "10737418240"))));
        Assert.Equal(0, big.Score);
        Assert.Contains("memory", big.Reason);
    }

    [Fact]
    public void WritingOutsideItsFolderAndReadingHomeAreBlocked()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        if (!OperatingSystem.IsLinux()) return;
        string dir = Path.Combine(Path.GetTempPath(), "rltools-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "secret.txt"), "s3cret");
            string target = Path.Combine(dir, "written-by-sandbox.txt");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            string code = $$"""
                import os
                def attempt(name, f):
                    try:
                        f()
                        print(name, "done")
                    except Exception as e:
                        print(name, "blocked")
                attempt("write", lambda: open({{Py(target)}}, "w").write("x"))
                attempt("read", lambda: print(open({{Py(Path.Combine(dir, "secret.txt"))}}).read()))
                attempt("home", lambda: print(os.listdir({{Py(home)}})))
                attempt("usr", lambda: open("/usr/rltools-evil", "w").write("x"))
                """;
            var r = Make().Verify(R(code, Stdio(("", "write blocked\nread blocked\nhome blocked\nusr blocked"))));
            if (Namespaces)
            {
                Assert.True(r.Score == 1, r.Reason);
                Assert.False(File.Exists(target));
            }
            else
            {
                // Documented fallback: Basic isolation does not protect files, and says so in every result.
                Assert.Contains("NOT isolated", r.Reason);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void NetworkIsUnreachableUnderNamespaces()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        if (!OperatingSystem.IsLinux()) return;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string code = $"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=10)\n    print('connected')\nexcept OSError:\n    print('blocked')\n";
        var r = Make().Verify(R(code, Stdio(("", "blocked"))));
        if (Namespaces) Assert.True(r.Score == 1, r.Reason);
        else Assert.Contains("NOT isolated", r.Reason);
    }

    [Fact]
    public void TheEnvironmentIsScrubbed()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        if (!OperatingSystem.IsLinux()) return;
        string code = "import os\nprint(sorted(k for k in os.environ if k not in ('PATH','HOME','TMPDIR','LANG','PYTHONIOENCODING','PYTHONDONTWRITEBYTECODE','PYTHONUNBUFFERED','RLTOOLS_SANDBOX_RUN','LC_CTYPE')))";
        var r = Make().Verify(R(code, Stdio(("", "[]"))));
        Assert.True(r.Score == 1, r.Reason);
    }

    [Fact]
    public void ResultsKeepTheirOrderUnderParallelScoring()
    {
        if (Python is null) return; // no python3 on this machine (.ci/run installs it): nothing can run
        var v = Make();
        var batch = Enumerable.Range(0, 6).Select(i => R($"print({i} if int(input()) == {i} else -1)", Stdio((i.ToString(), i.ToString())))).ToList();
        batch[3] = R("print(-1)", Stdio(("3", "3")));
        var results = RewardScorer.Verify(batch, [v], 3);
        Assert.Equal(new double?[] { 1, 1, 1, 0, 1, 1 }, results.Select(x => x[0].Score).ToArray());
    }

    private static string Py(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    /// <summary>
    /// Waits (generously) until no live process of this run is left: found by the run's own marker and, for a run
    /// with its own uid, by that uid; never by name, so runs of other tests in parallel do not count.
    /// </summary>
    private static void AssertNoneLeft(SandboxRun run)
    {
        Assert.False(string.IsNullOrEmpty(run.RunId));
        var sw = Stopwatch.StartNew();
        List<int> left;
        while ((left = Sandbox.FindLeft(run)).Count > 0 && sw.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(100);
        Assert.True(left.Count == 0, $"{left.Count} process(es) of the run are still alive after {sw.Elapsed.TotalSeconds:0} s: {string.Join(", ", left.Take(10))}");
    }
}
