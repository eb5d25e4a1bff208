using System.Runtime.InteropServices;
using System.Text;

namespace RlTools.Core.IO;

/// <summary>A file RlTools refuses to read: not a regular file (a FIFO or device would hang or flood the reader), or over its size bound.</summary>
public sealed class UnsafeFileException(string errorId, string path, string message) : IOException(message)
{
    /// <summary>NotARegularFile or FileTooLarge.</summary>
    public string ErrorId { get; } = errorId;

    /// <summary>The file at fault.</summary>
    public string Path { get; } = path;
}

/// <summary>
/// Opens files for reading only when they are regular files (a FIFO in place of a data file or checkpoint
/// would block the reader forever; /dev/zero would fill memory), and reads small JSON files under a bound.
/// </summary>
public static class SafeFile
{
    /// <summary>Bound for small JSON files (config.json, tokenizer_config.json, generation_config.json, trainer state, weight index): 64 MiB.</summary>
    public const long SmallJsonLimit = 64L << 20;

    /// <summary>Throws <see cref="UnsafeFileException"/> (NotARegularFile) when <paramref name="path"/> exists but is a FIFO, device or socket.</summary>
    public static void RequireRegular(string path)
    {
        if (FileType(path) is string kind)
            throw new UnsafeFileException("NotARegularFile", path,
                $"'{path}' is a {kind}, not a regular file; RlTools reads only regular files (a pipe or device could block or flood the reader). Copy the data into a file first.");
    }

    /// <summary>Opens a regular file for sequential reading.</summary>
    public static FileStream OpenRead(string path, int bufferSize = 1 << 16, FileOptions options = FileOptions.SequentialScan)
    {
        RequireRegular(path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, options);
    }

    /// <summary>Reads a small UTF-8 text file whole, refusing non-regular files and files over <paramref name="maxBytes"/>.</summary>
    public static string ReadSmallText(string path, long maxBytes = SmallJsonLimit)
    {
        using var fs = OpenRead(path, 1 << 12, FileOptions.None);
        if (fs.Length > maxBytes) throw TooLarge(path, fs.Length, maxBytes);
        // The length can change while reading (or lie, for special files): never read past the bound.
        var buffer = new byte[(int)Math.Min(maxBytes + 1, Math.Max(fs.Length + 1, 4096))];
        int n = 0;
        while (true)
        {
            if (n == buffer.Length)
            {
                if (n > maxBytes) throw TooLarge(path, n, maxBytes);
                Array.Resize(ref buffer, (int)Math.Min(maxBytes + 1, buffer.Length * 2L));
            }
            int r = fs.Read(buffer, n, buffer.Length - n);
            if (r == 0) break;
            n += r;
        }
        if (n > maxBytes) throw TooLarge(path, n, maxBytes);
        var text = buffer.AsSpan(0, n);
        if (text.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) text = text[3..];
        return Encoding.UTF8.GetString(text);
    }

    private static UnsafeFileException TooLarge(string path, long size, long max)
        => new("FileTooLarge", path, $"'{path}' is {Utf8LineReader.Describe(size)}{(size > max ? "" : " or more")}, over the {Utf8LineReader.Describe(max)} RlTools reads for this kind of file; it cannot be a genuine one. Check the file.");

    /// <summary>Null for a regular file, a directory or a missing path; otherwise what the entry is ("FIFO (named pipe)", "device", "socket").</summary>
    public static string? FileType(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        int mode;
        try { mode = StatMode(path); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
        if (mode < 0) return null;
        return (mode & 0xF000) switch
        {
            0x1000 => "FIFO (named pipe)",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            _ => null,
        };
    }

    // The runtime's own stat shim (libSystem.Native, shipped with every .NET on Unix): FileStatus starts with
    // int Flags, int Mode, and Mode carries the S_IFMT type bits in the portable encoding used above.
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
    private static extern int SystemNativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] status);

    private static int StatMode(string path)
    {
        var status = new byte[512];
        if (SystemNativeStat(path, status) != 0) return -1;
        return BitConverter.ToInt32(status, 4);
    }
}
