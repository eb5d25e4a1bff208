using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace RlTools.Core.Verifiers.Code;

/// <summary>How strongly a sandboxed run is isolated (what the OS allowed at run time).</summary>
public enum SandboxIsolation
{
    /// <summary>The strongest level the machine allows (probed once per process).</summary>
    Auto,
    /// <summary>Linux: new PID, network, mount, IPC and UTS namespaces, a private root with read-only system folders, no home folders.</summary>
    Namespaces,
    /// <summary>Resource limits, a fresh folder, a scrubbed environment and a process-group kill only; no network or file-system isolation.</summary>
    Basic,
}

/// <summary>Limits for one sandboxed run.</summary>
public sealed record SandboxLimits
{
    /// <summary>Wall-clock limit; the whole process tree is killed when it passes.</summary>
    public TimeSpan Time { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Address-space limit per process (RLIMIT_AS), bytes.</summary>
    public long MemoryBytes { get; init; } = 1L << 30;
    /// <summary>Most processes and threads the program may have at once (counted per sandbox, see about_RlCodeSandbox).</summary>
    public int MaxProcesses { get; init; } = 64;
    /// <summary>Most bytes kept of stdout and of stderr; more stdout kills the run (an output-limit failure).</summary>
    public int MaxOutputBytes { get; init; } = 1 << 20;
    /// <summary>Largest file the program may write (RLIMIT_FSIZE) and size of its writable folder (Linux namespaces), bytes.</summary>
    public long MaxFileBytes { get; init; } = 64L << 20;
}

/// <summary>What happened to one sandboxed run.</summary>
public sealed class SandboxRun
{
    /// <summary>Exit code; on Linux a run killed by signal n reports 128 + n.</summary>
    public int ExitCode { get; init; }
    /// <summary>The wall-clock limit passed and the tree was killed.</summary>
    public bool TimedOut { get; init; }
    /// <summary>Stdout passed <see cref="SandboxLimits.MaxOutputBytes"/> and the tree was killed.</summary>
    public bool OutputLimitExceeded { get; init; }
    /// <summary>Captured stdout (at most the limit).</summary>
    public string Stdout { get; init; } = "";
    /// <summary>Captured stderr (at most the limit).</summary>
    public string Stderr { get; init; } = "";
    /// <summary>Wall time of the run.</summary>
    public TimeSpan Elapsed { get; init; }
    /// <summary>Isolation the run had.</summary>
    public SandboxIsolation Isolation { get; init; }
    /// <summary>False when some process of the run could not be confirmed gone within the cleanup deadline.</summary>
    public bool CleanedUp { get; init; } = true;
    /// <summary>The run's id: the value of <see cref="Sandbox.MarkerVariable"/> in every process it started.</summary>
    public string RunId { get; init; } = "";
    /// <summary>The run could not start (missing interpreter, launcher failure): the message.</summary>
    public string? StartError { get; init; }
}

/// <summary>The result of probing what isolation this machine allows.</summary>
public sealed record SandboxCapabilities(SandboxIsolation Best, string Description, string? NamespaceFailure);

/// <summary>
/// Runs an untrusted program with limits. Each run gets a fresh folder (removed afterwards), a scrubbed
/// environment, a wall-clock limit that kills the whole process tree, caps on output, memory, processes and file
/// size, and on Linux (when the kernel allows it) its own PID, network, mount, IPC and UTS namespaces with a private
/// root: read-only /usr, /etc and library folders, a size-limited writable /box and /tmp, no /root or /home.
/// The exact guarantees and gaps are in <c>about_RlCodeSandbox</c>. Designs compared: SandboxFusion's
/// 'lite' isolation (netns + pid ns + overlay + rlimits), bubblewrap's layout, rLLM's firejail limits.
/// </summary>
/// <remarks>
/// Process counting: RLIMIT_NPROC counts every process of a uid and root ignores it, so it is used only where it
/// counts this sandbox alone — when the host runs as root the program runs as a fresh random uid (nothing else runs
/// as it), and as a normal user it is set inside the sandbox's own user namespace, where Linux ≥ 5.14 counts per
/// namespace. Leftover processes: the program is PID 1 of its namespace, so when it ends or its launcher is killed
/// the kernel kills every process in the namespace; the sandbox then waits until none is left.
/// </remarks>
public static class Sandbox
{
    private static readonly Lazy<SandboxCapabilities> s_caps = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int s_uidCounter = Random.Shared.Next(0, 1 << 20);
    private static readonly int s_uidBase = 0x50000000 + Random.Shared.Next(0, 0x20000000);

    /// <summary>What this machine allows (probed once per process).</summary>
    public static SandboxCapabilities Capabilities => s_caps.Value;

    /// <summary>Name of the environment variable that marks every process of a run (value: the run's id).</summary>
    public const string MarkerVariable = "RLTOOLS_SANDBOX_RUN";

    /// <summary>How long to wait for the kernel to reap a killed run's processes before reporting it.</summary>
    public static TimeSpan CleanupDeadline { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Resolves the isolation a request gets: Auto picks the best; Namespaces fails where the machine lacks it.</summary>
    public static SandboxIsolation Resolve(SandboxIsolation requested)
    {
        var caps = Capabilities;
        if (requested == SandboxIsolation.Auto) return caps.Best;
        if (requested == SandboxIsolation.Namespaces && caps.Best != SandboxIsolation.Namespaces)
            throw new PlatformNotSupportedException("Namespace isolation is not available here: " + (caps.NamespaceFailure ?? caps.Description));
        return requested;
    }

    /// <summary>
    /// Runs <paramref name="argv"/> (absolute program path first) in a fresh folder holding <paramref name="files"/>,
    /// feeding <paramref name="stdin"/>. Never throws for anything the program does.
    /// </summary>
    /// <param name="argv">The program and its arguments.</param>
    /// <param name="stdin">Text fed to the program's standard input.</param>
    /// <param name="limits">Time, memory, process, output and file limits.</param>
    /// <param name="isolation">Requested isolation (Auto: the best available).</param>
    /// <param name="cancel">Cancels the run (the tree is killed).</param>
    /// <param name="files">File name → content, written into the run's folder (its working directory).</param>
    /// <param name="extraReadOnly">Host folders the program needs read-only (an interpreter outside /usr).</param>
    /// <param name="environment">Extra environment variables (the rest of the host environment is not passed).</param>
    public static SandboxRun Run(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> files, string stdin,
        SandboxLimits limits, SandboxIsolation isolation, IReadOnlyList<string>? extraReadOnly = null,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancel = default)
    {
        SandboxIsolation level;
        try { level = Resolve(isolation); }
        catch (PlatformNotSupportedException e) { return new SandboxRun { ExitCode = -1, Isolation = isolation, StartError = e.Message }; }
        return RunAt(level, argv, files, stdin, limits, extraReadOnly ?? [], environment, cancel);
    }

    private static SandboxRun RunAt(SandboxIsolation level, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> files, string stdin,
        SandboxLimits limits, IReadOnlyList<string> extraReadOnly, IReadOnlyDictionary<string, string>? environment, CancellationToken cancel)
    {
        string runId = Guid.NewGuid().ToString("N");
        string baseDir = Path.Combine(Path.GetTempPath(), "rltools-sbx-" + runId);
        string work = Path.Combine(baseDir, "work");
        try
        {
            Directory.CreateDirectory(work);
            Directory.CreateDirectory(Path.Combine(baseDir, "root"));
            foreach (var (name, content) in files) File.WriteAllText(Path.Combine(work, name), content, new UTF8Encoding(false));
            var psi = BuildStart(level, argv, baseDir, work, runId, limits, extraReadOnly, environment);
            return Execute(psi, stdin, limits, level, runId, cancel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return new SandboxRun { ExitCode = -1, Isolation = level, StartError = e.Message };
        }
        finally { DeleteTree(baseDir); }
    }

    // ---- launch -----------------------------------------------------------------------------------------------

    // Runs as PID 1 of the new namespaces ($1 = the run's base folder, then the program's argv). As root on the host it
    // is real root in new mount/pid/net namespaces; as a user it is root of a new user namespace. It builds a private
    // root on a tmpfs, pivots into it, sets the limits and drops every capability before exec'ing the program.
    private const string InnerScript = """
        set -eu
        P0="$PATH"; PATH=/usr/sbin:/usr/bin:/sbin:/bin
        B="$1"; shift
        R="$B/root"
        mount -t tmpfs -o size=8m,mode=0755,nosuid,nodev rlsandbox "$R"
        L=""; D="usr etc"
        for l in bin sbin lib lib32 lib64 libx32; do
          if [ -L "/$l" ]; then L="$L /$l"; elif [ -d "/$l" ]; then D="$D $l"; fi
        done
        cd "$R"; mkdir $D dev proc tmp box; cd /
        if [ -n "$L" ]; then cp -P $L "$R/"; fi
        for d in $D; do mount --bind -o ro "/$d" "$R/$d"; done
        if [ -n "${RL_BINDS:-}" ]; then
          OLDIFS="$IFS"; IFS=:
          for d in $RL_BINDS; do
            if [ -d "$d" ] && [ ! -e "$R$d" ]; then mkdir -p "$R$d"; mount --bind -o ro "$d" "$R$d"; fi
          done
          IFS="$OLDIFS"
        fi
        touch "$R/dev/null" "$R/dev/zero" "$R/dev/urandom"
        for n in null zero urandom; do mount --bind "/dev/$n" "$R/dev/$n"; done
        ln -s /proc/self/fd "$R/dev/fd"
        O="size=$RL_DISK,mode=0700,nosuid,nodev"
        if [ -n "${RL_UID:-}" ]; then O="$O,uid=$RL_UID,gid=$RL_UID"; fi
        mount -t tmpfs -o "$O" rlbox "$R/box"
        mount -t tmpfs -o "$O" rltmp "$R/tmp"
        cp -R "$B/work/." "$R/box/"
        if [ -n "${RL_UID:-}" ]; then chown -R "$RL_UID:$RL_UID" "$R/box"; fi
        mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
        cd "$R"; pivot_root . .; umount -l .; cd /box
        if [ -n "${RL_UID:-}" ]; then set -- setpriv --reuid="$RL_UID" --regid="$RL_UID" --clear-groups --no-new-privs --bounding-set=-all --inh-caps=-all -- "$@"
        else set -- setpriv --no-new-privs --bounding-set=-all --inh-caps=-all -- "$@"; fi
        ulimit -v "$RL_AS_KB"; ulimit -t "$RL_CPU"; ulimit -f "$RL_FSIZE_BLOCKS"; ulimit -n 256; ulimit -c 0; ulimit -p "$RL_NPROC"
        unset RL_AS_KB RL_CPU RL_FSIZE_BLOCKS RL_NPROC RL_UID RL_DISK RL_BINDS OLDIFS O L D PWD OLDPWD
        PATH="$P0"
        printf '\036rltools-start\n' >&2
        exec "$@"
        """;

    private static ProcessStartInfo BuildStart(SandboxIsolation level, IReadOnlyList<string> argv, string baseDir, string work, string runId,
        SandboxLimits limits, IReadOnlyList<string> extraReadOnly, IReadOnlyDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false), StandardErrorEncoding = new UTF8Encoding(false),
        };
        psi.Environment.Clear();
        bool windows = OperatingSystem.IsWindows();
        if (windows)
        {
            foreach (string keep in new[] { "SystemRoot", "SystemDrive", "windir", "PATHEXT", "COMSPEC", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE" })
                if (Environment.GetEnvironmentVariable(keep) is { } v) psi.Environment[keep] = v;
            psi.Environment["PATH"] = Environment.GetEnvironmentVariable("SystemRoot") is { } sr ? Path.Combine(sr, "System32") : "";
            psi.Environment["TEMP"] = psi.Environment["TMP"] = work;
            psi.Environment["USERPROFILE"] = psi.Environment["HOME"] = work;
        }
        else
        {
            psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
            string home = level == SandboxIsolation.Namespaces ? "/box" : work;
            psi.Environment["HOME"] = home;
            psi.Environment["TMPDIR"] = level == SandboxIsolation.Namespaces ? "/tmp" : work;
        }
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["PYTHONIOENCODING"] = "utf-8";
        psi.Environment[MarkerVariable] = runId;
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;

        if (windows)
        {
            psi.FileName = argv[0];
            foreach (string a in argv.Skip(1)) psi.ArgumentList.Add(a);
            psi.WorkingDirectory = work;
            return psi;
        }

        bool root = IsRoot();
        int? uid = root ? NextUid() : null;
        // CPU seconds: a backstop for a spinning process, well above the wall limit so the wall timer decides first.
        string cpu = (2 * (int)System.Math.Ceiling(limits.Time.TotalSeconds) + 5).ToString(CultureInfo.InvariantCulture);
        if (level == SandboxIsolation.Namespaces)
        {
            psi.FileName = "/usr/bin/unshare";
            if (!root) { psi.ArgumentList.Add("--user"); psi.ArgumentList.Add("--map-root-user"); }
            foreach (string a in new[] { "--mount", "--pid", "--net", "--ipc", "--uts", "--fork", "--kill-child", "--", "/bin/sh", "-c", InnerScript, "rlsandbox", baseDir })
                psi.ArgumentList.Add(a);
            foreach (string a in argv) psi.ArgumentList.Add(a);
            psi.Environment["RL_AS_KB"] = (limits.MemoryBytes / 1024).ToString(CultureInfo.InvariantCulture);
            psi.Environment["RL_CPU"] = cpu;
            psi.Environment["RL_FSIZE_BLOCKS"] = (limits.MaxFileBytes / 512).ToString(CultureInfo.InvariantCulture);
            psi.Environment["RL_DISK"] = limits.MaxFileBytes.ToString(CultureInfo.InvariantCulture);
            psi.Environment["RL_NPROC"] = limits.MaxProcesses.ToString(CultureInfo.InvariantCulture);
            if (uid is { } u) psi.Environment["RL_UID"] = u.ToString(CultureInfo.InvariantCulture);
            if (extraReadOnly.Count > 0) psi.Environment["RL_BINDS"] = string.Join(':', extraReadOnly);
            psi.WorkingDirectory = "/";
            return psi;
        }

        // Basic: a new session (so the tree can be killed as a group) with rlimits; as root, a fresh uid.
        psi.FileName = "/usr/bin/setsid";
        psi.ArgumentList.Add("/usr/bin/prlimit");
        psi.ArgumentList.Add($"--as={limits.MemoryBytes}");
        psi.ArgumentList.Add($"--cpu={cpu}");
        psi.ArgumentList.Add($"--fsize={limits.MaxFileBytes}");
        psi.ArgumentList.Add("--nofile=256");
        psi.ArgumentList.Add("--core=0");
        if (uid is { } id)
        {
            // A uid nothing else uses: RLIMIT_NPROC then counts this run alone.
            psi.ArgumentList.Add($"--nproc={limits.MaxProcesses}");
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add("/usr/bin/setpriv");
            psi.ArgumentList.Add($"--reuid={id}");
            psi.ArgumentList.Add($"--regid={id}");
            psi.ArgumentList.Add("--clear-groups");
            psi.ArgumentList.Add("--no-new-privs");
            psi.ArgumentList.Add("--");
            Chown(Path.GetDirectoryName(work)!, -1, -1, 0x1C9 /* 0711 */);
            Chown(work, id, id, 0x1C0 /* 0700 */);
            foreach (string f in Directory.EnumerateFiles(work)) Chown(f, id, id, 0x180 /* 0600 */);
        }
        else
        {
            // Without root the limit counts every process and thread of the user, so it is set to what the user runs
            // now plus the budget: approximate (others may start or end meanwhile) but bounded (about_RlCodeSandbox).
            psi.ArgumentList.Add($"--nproc={CountOwnTasks() + limits.MaxProcesses}");
            psi.ArgumentList.Add("--");
        }
        foreach (string a in argv) psi.ArgumentList.Add(a);
        psi.WorkingDirectory = work;
        return psi;
    }

    private static int CountOwnTasks()
    {
        string uid = NativeMethods.geteuid().ToString(CultureInfo.InvariantCulture);
        int total = 0;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                string? uidLine = null, threads = null;
                foreach (string line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (line.StartsWith("Uid:", StringComparison.Ordinal)) uidLine = line;
                    else if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = line;
                }
                if (uidLine is not null && uidLine.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1] == uid
                    && int.TryParse(threads?.Split(':')[1].Trim(), out int n)) total += n;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return total;
    }

    private static int NextUid() => s_uidBase + (Interlocked.Increment(ref s_uidCounter) & 0x0FFFFFFF);

    // ---- execute ----------------------------------------------------------------------------------------------

    private static SandboxRun Execute(ProcessStartInfo psi, string stdin, SandboxLimits limits, SandboxIsolation level, string runId, CancellationToken cancel)
    {
        var sw = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new SandboxRun { ExitCode = -1, Isolation = level, StartError = $"cannot start {psi.FileName}: {e.Message}", RunId = runId };
        }
        int pid = process.Id;
        using var killed = new CancellationTokenSource();
        // Under namespaces the clock starts when the launcher has built the sandbox and is about to exec the program
        // (it writes StartMarker to stderr), so a loaded machine's slow setup does not eat the program's time.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (level != SandboxIsolation.Namespaces) started.SetResult();
        var stdout = new BoundedReader(process.StandardOutput.BaseStream, limits.MaxOutputBytes, stopWhenFull: true, onFull: killed.Cancel, null, null);
        var stderr = new BoundedReader(process.StandardError.BaseStream, limits.MaxOutputBytes, stopWhenFull: false, onFull: null,
            level == SandboxIsolation.Namespaces ? StartMarker : null, () => started.TrySetResult());
        var writer = Task.Run(async () =>
        {
            try
            {
                await started.Task.WaitAsync(killed.Token).ConfigureAwait(false);
                if (stdin.Length > 0) await process.StandardInput.WriteAsync(stdin.AsMemory(), killed.Token).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { }
        });
        bool setupTimedOut = false;
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, killed.Token))
        {
            var exit = process.WaitForExitAsync(linked.Token);
            try
            {
                if (Task.WaitAny([exit, started.Task], SetupDeadline) < 0) setupTimedOut = true;
                else if (started.Task.IsCompleted) exit.Wait(limits.Time);
            }
            catch (AggregateException) { }
        }
        bool exited = process.HasExited;
        if (!exited) KillTree(process, level);
        // A namespace run that ended by itself is already empty: the kernel kills and reaps the rest of the namespace
        // before its PID 1 is reaped by the launcher. Anything killed, and every Basic run, is checked.
        bool cleaned = exited && level == SandboxIsolation.Namespaces ? WaitExit(process) : WaitGone(process, pid, level, runId);
        stdout.Completion.Wait(TimeSpan.FromSeconds(10));
        stderr.Completion.Wait(TimeSpan.FromSeconds(10));
        killed.Cancel(); // releases the stdin writer if the program never started
        writer.Wait(TimeSpan.FromSeconds(1));
        int code;
        try { code = process.HasExited ? process.ExitCode : -1; } catch (InvalidOperationException) { code = -1; }
        string? startError = null;
        if (!started.Task.IsCompleted && !stdout.Full)
        {
            string why = stderr.Text.Trim();
            if (why.Length > 300) why = why[^300..];
            startError = setupTimedOut ? $"the sandbox was not ready after {SetupDeadline.TotalSeconds:0} s" : $"the sandbox could not be set up (exit {code}): {why}";
        }
        return new SandboxRun
        {
            ExitCode = code, TimedOut = !exited && !stdout.Full && started.Task.IsCompleted, OutputLimitExceeded = stdout.Full,
            Stdout = stdout.Text, Stderr = stderr.Text, Elapsed = sw.Elapsed, Isolation = level, CleanedUp = cleaned, RunId = runId, StartError = startError,
        };
    }

    private static readonly byte[] StartMarker = "\u001erltools-start\n"u8.ToArray();

    /// <summary>Longest wait for a sandbox to be set up before the program starts (a very loaded machine).</summary>
    public static TimeSpan SetupDeadline { get; set; } = TimeSpan.FromSeconds(120);

    private static void KillTree(Process process, SandboxIsolation level)
    {
        // Namespaces: killing the launcher (unshare) kills PID 1 of the namespace (--kill-child), and with it every
        // process in the namespace. Basic: the run is its own session and process group.
        if (!OperatingSystem.IsWindows() && level == SandboxIsolation.Basic) _ = NativeMethods.kill(-process.Id, 9);
        try { process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { }
    }

    private static bool WaitExit(Process process)
    {
        try { process.WaitForExit(); } catch (InvalidOperationException) { }
        return true;
    }

    /// <summary>Waits until no process of the run is left (by its marker variable), killing stragglers; false after the deadline.</summary>
    private static bool WaitGone(Process process, int pid, SandboxIsolation level, string runId)
    {
        try { process.WaitForExit(); } catch (InvalidOperationException) { }
        if (OperatingSystem.IsWindows()) return true;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var left = FindMarked(runId);
            if (left.Count == 0) return true;
            if (deadline.Elapsed > CleanupDeadline) return false;
            if (level == SandboxIsolation.Basic) _ = NativeMethods.kill(-pid, 9);
            foreach (int p in left) _ = NativeMethods.kill(p, 9);
            Thread.Sleep(20);
        }
    }

    /// <summary>Host pids of live processes whose environment carries the run's marker (Linux; zombies excluded).</summary>
    public static List<int> FindMarked(string runId)
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux()) return found;
        byte[] needle = Encoding.ASCII.GetBytes(MarkerVariable + "=" + runId);
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            string name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, out int p)) continue;
            try
            {
                byte[] env = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (env.AsSpan().IndexOf(needle) < 0) continue;
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int close = stat.LastIndexOf(')');
                if (close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X') continue;
                found.Add(p);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    // ---- probe ------------------------------------------------------------------------------------------------

    private static SandboxCapabilities Probe()
    {
        if (OperatingSystem.IsWindows())
            return new(SandboxIsolation.Basic, "Windows: fresh folder, scrubbed environment, time limit and process-tree kill, output caps; no memory, process, network or file-system isolation (about_RlCodeSandbox).", "not Linux");
        if (!OperatingSystem.IsLinux())
            return new(SandboxIsolation.Basic, "not Linux: resource limits and process-group kill only.", "not Linux");
        foreach (string tool in new[] { "/usr/bin/unshare", "/usr/bin/prlimit", "/usr/bin/setpriv", "/usr/bin/setsid", "/bin/sh" })
            if (!File.Exists(tool))
                return new(SandboxIsolation.Basic, $"Linux without {tool}: no namespace isolation.", $"{tool} is missing (util-linux)");
        // The probe runs before capabilities are known, so it calls RunAt directly.
        var run = RunAt(SandboxIsolation.Namespaces, ["/bin/sh", "-c", "test -d /box && test ! -e /root/. && echo rltools-sandbox-ok"],
            new Dictionary<string, string>(), "", new SandboxLimits { Time = TimeSpan.FromSeconds(60) }, [], null, default);
        if (run.ExitCode == 0 && run.Stdout.Contains("rltools-sandbox-ok", StringComparison.Ordinal))
            return new(SandboxIsolation.Namespaces, "Linux namespaces (pid, net, mount, ipc, uts" + (IsRoot() ? ", fresh uid" : ", user") + "), private read-only root, rlimits.", null);
        string why = (run.StartError ?? run.Stderr).Trim();
        if (why.Length > 300) why = why[..300];
        return new(SandboxIsolation.Basic, "Linux without namespaces (" + why + "): resource limits and process-group kill only; network and files are NOT isolated.", why);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static bool IsRoot() => !OperatingSystem.IsWindows() && NativeMethods.geteuid() == 0;

    private static void Chown(string path, int uid, int gid, int mode)
    {
        if (uid >= 0 && NativeMethods.chown(path, uid, gid) != 0) throw new IOException($"cannot hand '{path}' to the sandbox user (chown failed, errno {Marshal.GetLastPInvokeError()}).");
        if (NativeMethods.chmod(path, mode) != 0) throw new IOException($"cannot set the mode of '{path}' (errno {Marshal.GetLastPInvokeError()}).");
    }

    private static void DeleteTree(string dir)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (!Directory.Exists(dir)) return;
                if (attempt > 0 && !OperatingSystem.IsWindows())
                    foreach (string d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).Prepend(dir))
                        _ = NativeMethods.chmod(d, 0x1C0);
                Directory.Delete(dir, recursive: true);
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Thread.Sleep(50); }
        }
    }

    /// <summary>
    /// Reads a stream into a buffer of at most <c>max</c> bytes; when full, either stops (and signals) or drains. With a
    /// start marker, everything up to and including the marker's first occurrence is dropped and <c>onStart</c> called.
    /// </summary>
    private sealed class BoundedReader
    {
        private readonly MemoryStream _buffer = new();
        public Task Completion { get; }
        public bool Full { get; private set; }
        public string Text => Encoding.UTF8.GetString(_buffer.GetBuffer(), 0, (int)_buffer.Length);

        public BoundedReader(Stream stream, int max, bool stopWhenFull, Action? onFull, byte[]? startMarker, Action? onStart)
        {
            Completion = Task.Run(async () =>
            {
                var chunk = new byte[16384];
                bool waiting = startMarker is not null;
                try
                {
                    int n;
                    while ((n = await stream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
                    {
                        int room = max - (int)_buffer.Length;
                        if (room > 0) _buffer.Write(chunk, 0, System.Math.Min(room, n));
                        if (waiting)
                        {
                            int at = _buffer.GetBuffer().AsSpan(0, (int)_buffer.Length).IndexOf(startMarker);
                            if (at >= 0)
                            {
                                waiting = false;
                                byte[] rest = _buffer.GetBuffer().AsSpan(at + startMarker!.Length, (int)_buffer.Length - at - startMarker.Length).ToArray();
                                _buffer.SetLength(0);
                                _buffer.Write(rest);
                                onStart?.Invoke();
                            }
                            continue;
                        }
                        if (n > room && !Full)
                        {
                            Full = true;
                            onFull?.Invoke();
                            if (stopWhenFull) return;
                        }
                    }
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException) { }
            });
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)] internal static extern int kill(int pid, int sig);
        [DllImport("libc")] internal static extern uint geteuid();
        [DllImport("libc", SetLastError = true)] internal static extern int chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int uid, int gid);
        [DllImport("libc", SetLastError = true)] internal static extern int chmod([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
    }
}
