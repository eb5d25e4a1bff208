namespace RlTools.Core.IO;

/// <summary>
/// A streaming counterpart of <see cref="AtomicFile.Write"/>: records are written into a temporary
/// sibling file over many calls, and <see cref="Commit"/> renames it over the target. Disposing
/// without committing (an error, Ctrl+C, -ErrorAction Stop) deletes the temporary file and leaves
/// the target untouched. For appends the existing file is first copied into the temporary file, so
/// an interrupted append also leaves the original whole (copy, append, rename).
/// </summary>
public sealed class AtomicFileWriter : IDisposable
{
    private readonly string _temp;
    private FileStream? _stream;
    private bool _committed;

    private AtomicFileWriter(string target, string temp, FileStream stream, bool appended)
    {
        Target = target;
        _temp = temp;
        _stream = stream;
        Appended = appended;
    }

    /// <summary>The file that <see cref="Commit"/> replaces.</summary>
    public string Target { get; }

    /// <summary>True when the temporary file started as a copy of an existing target.</summary>
    public bool Appended { get; }

    /// <summary>The temporary file (readable, writable, seekable); positioned at its end.</summary>
    public FileStream Stream => _stream ?? throw new ObjectDisposedException(nameof(AtomicFileWriter));

    /// <summary>Starts a write of <paramref name="path"/>; with <paramref name="append"/> and an existing file, starts from a copy of it.</summary>
    public static AtomicFileWriter Create(string path, bool append)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("n")[..8] + ".tmp");
        bool appended = append && File.Exists(full);
        try
        {
            if (appended) File.Copy(full, temp);
            var stream = new FileStream(temp, appended ? FileMode.Open : FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            stream.Seek(0, SeekOrigin.End);
            return new AtomicFileWriter(full, temp, stream, appended);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Flushes to disk and renames the temporary file over the target.</summary>
    public void Commit()
    {
        FileStream s = Stream;
        s.Flush(flushToDisk: true);
        s.Dispose();
        _stream = null;
        File.Move(_temp, Target, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
        if (!_committed) TryDelete(_temp);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
