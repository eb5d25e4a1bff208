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

    /// <summary>Replaces directory <paramref name="path"/> with one built by <paramref name="build"/> in a temporary sibling directory.</summary>
    public static void WriteDirectory(string path, Action<string> build)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("n")[..8] + ".tmp");
        string? old = null;
        try
        {
            Directory.CreateDirectory(temp);
            build(temp);
            if (Directory.Exists(full))
            {
                old = full + "." + Guid.NewGuid().ToString("n")[..8] + ".old";
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
}
