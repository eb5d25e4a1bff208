namespace RlTools.Core.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content, never a
/// truncated file: write to a temporary file in the same folder, flush, then rename over the target.
/// If the writer throws (or the process stops), the target is untouched and the temp file is removed.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through a temporary sibling file and a rename.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("n")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>
    /// Replaces directory <paramref name="path"/> with one built by <paramref name="build"/> in a temporary sibling directory.
    /// The swap is two renames (target → <c>.name.id.old</c>, temp → target) under a lock file <c>.name.id.lock</c> held
    /// for the whole write; a process killed anywhere in between leaves a state that <see cref="RecoverDirectory"/>
    /// (run by the next write and by checkpoint loading) repairs: the previous folder is put back if the target is
    /// missing, and stale <c>.tmp</c>/<c>.old</c> folders are deleted.
    /// </summary>
    public static void WriteDirectory(string path, Action<string> build)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        RecoverDirectory(full);
        string stem = Path.Combine(parent, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("n")[..8]);
        string temp = stem + ".tmp", oldPath = stem + ".old";
        using var held = new FileStream(stem + ".lock", FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        string? old = null;
        try
        {
            Directory.CreateDirectory(temp);
            build(temp);
            if (Directory.Exists(full))
            {
                old = oldPath;
                Directory.Move(full, old);
            }
            Directory.Move(temp, full);
            if (old != null) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (old != null && !Directory.Exists(full)) Directory.Move(old, full);
            try { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>
    /// Repairs what an interrupted <see cref="WriteDirectory"/> of <paramref name="path"/> left behind (a kill between
    /// its renames, or during the build): when the target is missing, the previous folder (<c>.old</c>) is moved back;
    /// stale <c>.tmp</c> and <c>.old</c> folders are deleted. Writes still in progress (their lock file is held by a
    /// live process) are left alone. Also repairs the layout of versions before the lock file (<c>name.id.old</c>).
    /// Returns true when the target was restored from an <c>.old</c> folder.
    /// </summary>
    public static bool RecoverDirectory(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full) ?? ".";
        string name = Path.GetFileName(full);
        if (!Directory.Exists(parent) || name.Length == 0) return false;
        bool restored = false;
        var live = new HashSet<string>(StringComparer.Ordinal);
        string hidden = "." + name + ".";
        foreach (string lockFile in Directory.EnumerateFiles(parent, hidden + "*.lock"))
        {
            string stem = lockFile[..^".lock".Length];
            if (!IsId(Path.GetFileName(stem)[hidden.Length..])) continue;
            FileStream? probe = null;
            try { probe = new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose); }
            catch (IOException) { live.Add(stem); continue; } // a live writer holds it
            catch (UnauthorizedAccessException) { live.Add(stem); continue; }
            using (probe) restored |= Repair(full, stem + ".old", stem + ".tmp");
        }
        // Leftovers without a lock file: the lock-less layout of earlier versions, or a lock already cleaned up.
        var stale = Directory.EnumerateDirectories(parent, hidden + "*.old").Concat(Directory.EnumerateDirectories(parent, name + ".*.old"))
            .Where(d => IsId(IdOf(d, name)) && !live.Contains(Path.Combine(parent, hidden + IdOf(d, name))))
            .OrderByDescending(Directory.GetLastWriteTimeUtc).ToList();
        foreach (string old in stale) restored |= Repair(full, old, null);
        foreach (string tmp in Directory.EnumerateDirectories(parent, hidden + "*.tmp").ToList())
        {
            string id = Path.GetFileName(tmp)[hidden.Length..^".tmp".Length];
            if (IsId(id) && !live.Contains(Path.Combine(parent, hidden + id))) TryDelete(tmp);
        }
        return restored;
    }

    private static string IdOf(string leftover, string name)
    {
        string f = Path.GetFileName(leftover);
        int start = f.StartsWith("." + name + ".", StringComparison.Ordinal) ? name.Length + 2 : name.Length + 1;
        return f.Length > start + 4 ? f[start..^".old".Length] : "";
    }

    private static bool IsId(string s) => s.Length == 8 && s.All(char.IsAsciiHexDigitLower);

    /// <summary>Puts <paramref name="old"/> back when the target is missing, else deletes it; deletes <paramref name="temp"/>.</summary>
    private static bool Repair(string full, string old, string? temp)
    {
        bool restored = false;
        if (Directory.Exists(old))
        {
            if (!Directory.Exists(full) && !File.Exists(full)) { Directory.Move(old, full); restored = true; }
            else TryDelete(old);
        }
        if (temp != null) TryDelete(temp);
        return restored;
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
