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
    /// <summary>The host uid the program ran as when the run had a uid of its own (root on Linux), else null.</summary>
    public int? Uid { get; init; }
}

/// <summary>The result of probing what isolation this machine allows.</summary>
/// <param name="Best">The strongest level that works here.</param>
/// <param name="Description">What the best level does, in words (shown in Basic results).</param>
/// <param name="NamespaceFailure">Why namespaces are not used; null when they are.</param>
public sealed record SandboxCapabilities(SandboxIsolation Best, string Description, string? NamespaceFailure)
{
    /// <summary>Running as root and switching a run to a uid of its own works (probed).</summary>
    public bool FreshUids { get; init; }
    /// <summary>The kernel counts RLIMIT_NPROC per user namespace (Linux 5.14 and later).</summary>
    public bool NprocPerUserNamespace { get; init; }
    /// <summary>The process is kernel root (uid 0 of the first user namespace), which RLIMIT_NPROC ignores.</summary>
    public bool KernelRoot { get; init; }

    /// <summary>
    /// At <paramref name="level"/>, MaxProcesses counts this run's processes alone: the run has a uid of its own, or
    /// (as a user, under namespaces) a user namespace the kernel counts separately. Otherwise the limit is shared with
    /// the user's other processes (see about_RlCodeSandbox).
    /// </summary>
    public bool ExactProcessLimit(SandboxIsolation level) =>
        OperatingSystem.IsLinux() && (FreshUids || (level == SandboxIsolation.Namespaces && Best == SandboxIsolation.Namespaces && !KernelRoot && NprocPerUserNamespace));

    /// <summary>At <paramref name="level"/>, the kernel bounds the number of the run's processes at all (false only on Windows and for kernel root without a uid to switch to).</summary>
    public bool ProcessLimitEnforced(SandboxIsolation level) => OperatingSystem.IsLinux() && (FreshUids || !KernelRoot);
}

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
    // Fresh uids come from [s_uidLow, s_uidLow + s_uidCount): a range this user namespace maps (uid_map and gid_map).
    private static long s_uidLow = -1, s_uidCount;

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
            var psi = BuildStart(level, argv, baseDir, work, runId, limits, extraReadOnly, environment, out int? uid);
            return Execute(psi, stdin, limits, level, runId, uid, cancel);
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
        ulimit -v "$RL_AS_KB"; ulimit -t "$RL_CPU"; ulimit -f "$RL_FSIZE_BLOCKS"; ulimit -n "$RL_NOFILE"; ulimit -c 0; ulimit -p "$RL_NPROC"
        unset RL_AS_KB RL_CPU RL_FSIZE_BLOCKS RL_NOFILE RL_NPROC RL_UID RL_DISK RL_BINDS OLDIFS O L D PWD OLDPWD
        PATH="$P0"
        printf '\036rltools-start\n' >&2
        exec "$@"
        """;

    private static ProcessStartInfo BuildStart(SandboxIsolation level, IReadOnlyList<string> argv, string baseDir, string work, string runId,
        SandboxLimits limits, IReadOnlyList<string> extraReadOnly, IReadOnlyDictionary<string, string>? environment, out int? uid)
    {
        uid = null;
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
        uid = root && s_freshUids ? NextUid() : null;
        // Values above the hard limits could not be set (no CAP_SYS_RESOURCE in most containers): every limit is
        // clamped to the current hard limit, which only ever makes it stricter.
        // CPU seconds: a backstop for a spinning process, well above the wall limit so the wall timer decides first.
        long cpu = Clamp(Rlimit.Cpu, 2 * (long)System.Math.Ceiling(limits.Time.TotalSeconds) + 5);
        long asBytes = Clamp(Rlimit.As, limits.MemoryBytes), fsize = Clamp(Rlimit.Fsize, limits.MaxFileBytes), nofile = Clamp(Rlimit.Nofile, 256);
        // Process count: exact where the kernel counts this run alone (its own uid; as a user, its own user namespace
        // on Linux >= 5.14), otherwise shared with the user's other processes (SharedProcessLimit).
        bool exact = uid is not null || (level == SandboxIsolation.Namespaces && !root && s_nprocPerNs);
        long nproc = Clamp(Rlimit.Nproc, exact ? limits.MaxProcesses : SharedProcessLimit(limits.MaxProcesses));
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        if (level == SandboxIsolation.Namespaces)
        {
            // setsid first: the launcher and the program get a session and process group of their own. Without it the
            // program would share RlTools' process group, and kill(0, ...) from inside the namespaces (getppid() is 0
            // there) would signal RlTools itself whenever the kernel allows it (a user namespace of the same uid).
            psi.FileName = "/usr/bin/setsid";
            psi.ArgumentList.Add("/usr/bin/unshare");
            if (!root) { psi.ArgumentList.Add("--user"); psi.ArgumentList.Add("--map-root-user"); }
            foreach (string a in new[] { "--mount", "--pid", "--net", "--ipc", "--uts", "--fork", "--kill-child", "--", "/bin/sh", "-c", InnerScript, "rlsandbox", baseDir })
                psi.ArgumentList.Add(a);
            foreach (string a in argv) psi.ArgumentList.Add(a);
            psi.Environment["RL_AS_KB"] = I(asBytes / 1024);
            psi.Environment["RL_CPU"] = I(cpu);
            psi.Environment["RL_FSIZE_BLOCKS"] = I(fsize / 512);
            psi.Environment["RL_NOFILE"] = I(nofile);
            psi.Environment["RL_DISK"] = I(limits.MaxFileBytes);
            psi.Environment["RL_NPROC"] = I(nproc);
            if (uid is { } u) psi.Environment["RL_UID"] = I(u);
            if (extraReadOnly.Count > 0) psi.Environment["RL_BINDS"] = string.Join(':', extraReadOnly);
            psi.WorkingDirectory = "/";
            return psi;
        }

        // Basic: a new session (so the tree can be killed as a group) with rlimits; as root, a fresh uid.
        psi.FileName = "/usr/bin/setsid";
        psi.ArgumentList.Add("/usr/bin/prlimit");
        psi.ArgumentList.Add($"--as={I(asBytes)}");
        psi.ArgumentList.Add($"--cpu={I(cpu)}");
        psi.ArgumentList.Add($"--fsize={I(fsize)}");
        psi.ArgumentList.Add($"--nofile={I(nofile)}");
        psi.ArgumentList.Add("--core=0");
        psi.ArgumentList.Add($"--nproc={I(nproc)}");
        psi.ArgumentList.Add("--");
        if (uid is { } id)
        {
            // A uid nothing else uses: RLIMIT_NPROC then counts this run alone, and it may write only its own folder.
            if (Unreachable(argv) is { } blocked)
                throw new IOException($"'{blocked}' cannot be reached by the run's own uid (a folder above it is not world-searchable, e.g. /root); " +
                    "install the interpreter under /usr or another world-readable folder, or give one with the Interpreter parameter.");
            psi.ArgumentList.Add("/usr/bin/setpriv");
            psi.ArgumentList.Add($"--reuid={I(id)}");
            psi.ArgumentList.Add($"--regid={I(id)}");
            psi.ArgumentList.Add("--clear-groups");
            psi.ArgumentList.Add("--no-new-privs");
            psi.ArgumentList.Add("--");
            Chown(Path.GetDirectoryName(work)!, -1, -1, 0x1C9 /* 0711 */);
            Chown(work, id, id, 0x1C0 /* 0700 */);
            foreach (string f in Directory.EnumerateFiles(work)) Chown(f, id, id, 0x180 /* 0600 */);
        }
        foreach (string a in argv) psi.ArgumentList.Add(a);
        psi.WorkingDirectory = work;
        return psi;
    }

    /// <summary>
    /// RLIMIT_NPROC where the kernel counts every process and thread of the user (a user without user namespaces,
    /// Linux before 5.14, root in a container whose uids cannot be switched): what the user runs now plus the budget
    /// plus a margin for the host's own threads, but never more than half of the user's remaining headroom, so a fork
    /// bomb can never use up the processes the host itself needs. Approximate: others may start or end meanwhile.
    /// </summary>
    private static long SharedProcessLimit(int budget)
    {
        long own = CountOwnTasks();
        long limit = own + budget + 64;
        ulong hard = HardLimit(Rlimit.Nproc), soft = SoftLimit(Rlimit.Nproc);
        ulong host = System.Math.Min(hard, soft);
        if (host != ulong.MaxValue) limit = System.Math.Min(limit, own + System.Math.Max(1, ((long)System.Math.Min(host, long.MaxValue) - own) / 2));
        return System.Math.Max(1, limit);
    }

    /// <summary>The first absolute path among <paramref name="argv"/> that another uid cannot reach (a folder above it without o+x), or null.</summary>
    private static string? Unreachable(IReadOnlyList<string> argv)
    {
        if (OperatingSystem.IsWindows()) return null;
        foreach (string a in argv)
        {
            if (!Path.IsPathRooted(a) || !File.Exists(a)) continue;
            for (string? d = Path.GetDirectoryName(a); d is { Length: > 1 }; d = Path.GetDirectoryName(d))
            {
                try { if ((File.GetUnixFileMode(d) & UnixFileMode.OtherExecute) == 0) return a; }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return a; }
            }
        }
        return null;
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

    private static int NextUid() => (int)(s_uidLow + (Interlocked.Increment(ref s_uidCounter) & 0x7FFFFFFF) % s_uidCount);

    /// <summary>
    /// Picks the range fresh uids come from: ids this user namespace maps for both uid and gid (a container may map
    /// only 65,536), away from the low ids that accounts use. Returns false when there is no such range.
    /// </summary>
    private static bool ChooseUidRange()
    {
        var uids = ReadIdMap("/proc/self/uid_map");
        var gids = ReadIdMap("/proc/self/gid_map");
        long bestLow = -1, bestCount = 0;
        foreach (var (ul, uc) in uids)
            foreach (var (gl, gc) in gids)
            {
                long low = System.Math.Max(ul, gl), high = System.Math.Min(ul + uc, gl + gc); // [low, high)
                high = System.Math.Min(high, int.MaxValue);
                // Skip system and login ids (below 1000, or below 100,000 when the range reaches higher) and nobody.
                low = System.Math.Max(low, high - low > 200_000 ? 100_000 : 1000);
                if (high > 65536 && low < 65536) low = System.Math.Max(low, 65536);
                else if (high > 65534 && high <= 65536) high = 65534;
                if (high - low > bestCount) { bestLow = low; bestCount = high - low; }
            }
        if (bestCount < 64) return false;
        // A wide range: a random window far from the start; a narrow one (a container): its upper half.
        if (bestCount > 1L << 29) { bestLow += 1L << 28; bestCount = 1L << 28; }
        else if (bestCount < 1L << 20) { bestLow += bestCount / 2; bestCount -= bestCount / 2; }
        s_uidLow = bestLow;
        s_uidCount = bestCount;
        return true;
    }

    private static List<(long Low, long Count)> ReadIdMap(string path)
    {
        var ranges = new List<(long, long)>();
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length == 3 && long.TryParse(f[0], out long inside) && long.TryParse(f[2], out long count)) ranges.Add((inside, count));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return ranges;
    }

    /// <summary>True when uid 0 here is uid 0 of the first user namespace (kernel root, which RLIMIT_NPROC ignores).</summary>
    private static bool IsKernelRoot()
    {
        if (!IsRoot()) return false;
        try
        {
            foreach (string line in File.ReadLines("/proc/self/uid_map"))
            {
                var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length == 3 && f[0] == "0") return f[1] == "0";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return true;
    }

    /// <summary>Linux 5.14 and later count RLIMIT_NPROC per user namespace (ucounts).</summary>
    private static bool KernelCountsNprocPerNamespace()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/kernel/osrelease").Trim().Split('.', '-');
            return parts.Length >= 2 && int.TryParse(parts[0], out int major) && int.TryParse(parts[1], out int minor)
                && (major > 5 || (major == 5 && minor >= 14));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    // ---- execute ----------------------------------------------------------------------------------------------

    private static SandboxRun Execute(ProcessStartInfo psi, string stdin, SandboxLimits limits, SandboxIsolation level, string runId, int? uid, CancellationToken cancel)
    {
        var sw = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new SandboxRun { ExitCode = -1, Isolation = level, StartError = $"cannot start {psi.FileName}: {e.Message}", RunId = runId, Uid = uid };
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
        if (!exited) KillTree(process, level, uid);
        // Every run is checked, also one that ended by itself (under namespaces the kernel has already emptied it; in
        // Basic a child may have outlived the program): no process carrying the run's id or running as its uid is left.
        bool cleaned = WaitGone(process, pid, level, runId, uid);
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
            startError = setupTimedOut ? $"the sandbox was not ready after {SetupDeadline.TotalSeconds:0} s" : $"the sandbox could not be set up (exit {code})" + (why.Length > 0 ? ": " + why : " and said nothing on stderr");
        }
        return new SandboxRun
        {
            ExitCode = code, TimedOut = !exited && !stdout.Full && started.Task.IsCompleted, OutputLimitExceeded = stdout.Full,
            Stdout = stdout.Text, Stderr = stderr.Text, Elapsed = sw.Elapsed, Isolation = level, CleanedUp = cleaned, RunId = runId, StartError = startError, Uid = uid,
        };
    }

    private static readonly byte[] StartMarker = "\u001erltools-start\n"u8.ToArray();

    /// <summary>Longest wait for a sandbox to be set up before the program starts (a very loaded machine).</summary>
    public static TimeSpan SetupDeadline { get; set; } = TimeSpan.FromSeconds(120);

    private static void KillTree(Process process, SandboxIsolation level, int? uid)
    {
        // Every run is its own session and process group (setsid), killed as a group. Namespaces: killing the launcher
        // (unshare) kills PID 1 of the namespace (--kill-child), and with it every process in the namespace; killing
        // the group and the tree also reach PID 1 directly where a uid change cleared the parent-death signal. A run
        // with its own uid: every process of that uid, at once.
        if (!OperatingSystem.IsWindows()) _ = NativeMethods.kill(-process.Id, 9);
        try { process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { }
        if (uid is { } u) KillUid(u);
    }

    /// <summary>
    /// Sends SIGKILL to every process of <paramref name="uid"/> with one kill(-1) made as that uid: the kernel signals
    /// them all under one lock, so a fork bomb cannot fork past it.
    /// </summary>
    private static void KillUid(int uid)
    {
        string? kill = new[] { "/bin/kill", "/usr/bin/kill" }.FirstOrDefault(File.Exists);
        if (kill is null || !File.Exists("/usr/bin/setpriv")) return;
        var psi = new ProcessStartInfo("/usr/bin/setpriv") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        string u = uid.ToString(CultureInfo.InvariantCulture);
        foreach (string a in new[] { $"--reuid={u}", $"--regid={u}", "--clear-groups", "--", kill, "-9", "--", "-1" }) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/bin:/bin";
        try
        {
            using var p = Process.Start(psi);
            if (p is null) return;
            _ = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(10_000)) p.Kill();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { }
    }

    /// <summary>Waits until no process of the run is left (by its marker variable or its uid), killing stragglers; false after the deadline.</summary>
    private static bool WaitGone(Process process, int pid, SandboxIsolation level, string runId, int? uid)
    {
        try { process.WaitForExit(); } catch (InvalidOperationException) { }
        if (OperatingSystem.IsWindows()) return true;
        var deadline = Stopwatch.StartNew();
        for (int round = 0; ; round++)
        {
            var left = FindLeft(runId, uid);
            if (left.Count == 0) return true;
            if (deadline.Elapsed > CleanupDeadline) return false;
            _ = NativeMethods.kill(-pid, 9);
            if (uid is { } u && round % 10 == 0) KillUid(u);
            foreach (int p in left) _ = NativeMethods.kill(p, 9);
            Thread.Sleep(20);
        }
    }

    /// <summary>Host pids of live processes whose environment carries the run's marker (Linux; zombies excluded).</summary>
    public static List<int> FindMarked(string runId) => FindLeft(runId, null);

    /// <summary>
    /// Host pids of the live processes of a run (Linux; zombies excluded): those whose environment carries its marker
    /// and, for a run with its own uid, every process of that uid (found even where environments cannot be read).
    /// </summary>
    public static List<int> FindLeft(SandboxRun run) => FindLeft(run.RunId, run.Uid);

    private static List<int> FindLeft(string runId, int? uid)
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux()) return found;
        byte[] needle = Encoding.ASCII.GetBytes(MarkerVariable + "=" + runId);
        string? uidText = uid?.ToString(CultureInfo.InvariantCulture);
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            string name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, out int p)) continue;
            try
            {
                bool match = false;
                if (uidText is not null)
                    foreach (string line in File.ReadLines(Path.Combine(dir, "status")))
                        if (line.StartsWith("Uid:", StringComparison.Ordinal))
                        {
                            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                            match = f.Length > 1 && f[1] == uidText;
                            break;
                        }
                if (!match)
                {
                    try { match = File.ReadAllBytes(Path.Combine(dir, "environ")).AsSpan().IndexOf(needle) >= 0; }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                }
                if (!match) continue;
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

    private static bool s_freshUids, s_nprocPerNs;

    private static SandboxCapabilities Probe()
    {
        if (OperatingSystem.IsWindows())
            return new(SandboxIsolation.Basic, "Windows: fresh folder, scrubbed environment, time limit and process-tree kill, output caps; no memory, process, network or file-system isolation (about_RlCodeSandbox).", "not Linux");
        if (!OperatingSystem.IsLinux())
            return new(SandboxIsolation.Basic, "not Linux: resource limits and process-group kill only.", "not Linux");
        bool kernelRoot = IsKernelRoot();
        s_nprocPerNs = KernelCountsNprocPerNamespace();
        foreach (string tool in new[] { "/usr/bin/prlimit", "/usr/bin/setsid", "/bin/sh" })
            if (!File.Exists(tool))
                return new(SandboxIsolation.Basic, $"Linux without {tool} (util-linux): the sandbox cannot start programs.", $"{tool} is missing") { KernelRoot = kernelRoot, NprocPerUserNamespace = s_nprocPerNs };
        // As root, every run gets a uid of its own, if this user namespace maps a range of them and setuid works.
        s_freshUids = IsRoot() && File.Exists("/usr/bin/setpriv") && ChooseUidRange() && CanSwitchUid(NextUid());
        string uidNote = !IsRoot() ? "" : s_freshUids ? ", a uid per run"
            : kernelRoot ? "; as root without a uid to switch to, the process limit is NOT enforced (root ignores RLIMIT_NPROC)" : ", the container's root uid";
        SandboxCapabilities Caps(SandboxIsolation best, string description, string? failure) =>
            new(best, description, failure) { FreshUids = s_freshUids, NprocPerUserNamespace = s_nprocPerNs, KernelRoot = kernelRoot };
        foreach (string tool in new[] { "/usr/bin/unshare", "/usr/bin/setpriv" })
            if (!File.Exists(tool))
                return Caps(SandboxIsolation.Basic, $"Linux without {tool}: resource limits and process-group kill only{uidNote}; network and files are NOT isolated.", $"{tool} is missing (util-linux)");
        // The probe runs before capabilities are known, so it calls RunAt directly. A second try absorbs a transient
        // failure (a loaded machine, a namespace count at its limit for a moment).
        SandboxRun run = null!;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            run = RunAt(SandboxIsolation.Namespaces, ["/bin/sh", "-c", "test -d /box && test ! -e /root/. && echo rltools-sandbox-ok"],
                new Dictionary<string, string>(), "", new SandboxLimits { Time = TimeSpan.FromSeconds(60) }, [], null, default);
            if (run.ExitCode == 0 && run.Stdout.Contains("rltools-sandbox-ok", StringComparison.Ordinal))
                return Caps(SandboxIsolation.Namespaces, "Linux namespaces (pid, net, mount, ipc, uts" + (IsRoot() ? "" : ", user") + "), private read-only root, rlimits" + uidNote + ".", null);
        }
        string why = (run.StartError ?? run.Stderr).Trim();
        if (why.Length > 300) why = why[..300];
        if (why.Length == 0) why = $"exit code {run.ExitCode}";
        return Caps(SandboxIsolation.Basic, "Linux without namespaces (" + why + "): resource limits and process-group kill only" + uidNote + "; network and files are NOT isolated.", why);
    }

    /// <summary>Whether a child can switch to <paramref name="uid"/> (setpriv exits 0).</summary>
    private static bool CanSwitchUid(int uid)
    {
        var psi = new ProcessStartInfo("/usr/bin/setpriv") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = "/" };
        string u = uid.ToString(CultureInfo.InvariantCulture);
        foreach (string a in new[] { $"--reuid={u}", $"--regid={u}", "--clear-groups", "--", "/bin/sh", "-c", "exit 0" }) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/bin:/bin";
        try
        {
            using var p = Process.Start(psi);
            if (p is null) return false;
            _ = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(60_000)) { p.Kill(); return false; }
            return p.ExitCode == 0;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { return false; }
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

    private enum Rlimit { Cpu = 0, Fsize = 1, Nproc = 6, Nofile = 7, As = 9 }

    private static ulong HardLimit(Rlimit r) => NativeMethods.getrlimit((int)r, out var l) == 0 ? l.Max : ulong.MaxValue;
    private static ulong SoftLimit(Rlimit r) => NativeMethods.getrlimit((int)r, out var l) == 0 ? l.Cur : ulong.MaxValue;

    /// <summary><paramref name="value"/>, at most the current hard limit of <paramref name="r"/> (a limit can never be raised above it without privileges).</summary>
    private static long Clamp(Rlimit r, long value)
    {
        ulong hard = HardLimit(r);
        return hard < (ulong)long.MaxValue ? System.Math.Min(value, (long)hard) : value;
    }

    private static class NativeMethods
    {
        [StructLayout(LayoutKind.Sequential)]
        internal struct RLimitValue { public ulong Cur; public ulong Max; }

        [DllImport("libc", SetLastError = true)] internal static extern int getrlimit(int resource, out RLimitValue limit);
        [DllImport("libc", SetLastError = true)] internal static extern int kill(int pid, int sig);
        [DllImport("libc")] internal static extern uint geteuid();
        [DllImport("libc", SetLastError = true)] internal static extern int chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int uid, int gid);
        [DllImport("libc", SetLastError = true)] internal static extern int chmod([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
    }
}
