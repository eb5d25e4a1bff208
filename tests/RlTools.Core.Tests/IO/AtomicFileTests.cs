using RlTools.Core.IO;

namespace RlTools.Core.Tests.IO;

public class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltools-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Replaces_the_whole_file()
    {
        string path = Path.Combine(_dir, "a.txt");
        File.WriteAllText(path, "old");
        AtomicFile.Write(path, s => s.Write("new content"u8));
        Assert.Equal("new content", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temp_file()
    {
        string path = Path.Combine(_dir, "a.txt");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("half"u8);
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_failed_directory_build_keeps_the_previous_directory()
    {
        string target = Path.Combine(_dir, "ckpt");
        AtomicFile.WriteDirectory(target, d => File.WriteAllText(Path.Combine(d, "w.bin"), "v1"));
        Assert.Throws<IOException>(() => AtomicFile.WriteDirectory(target, d =>
        {
            File.WriteAllText(Path.Combine(d, "w.bin"), "v2-partial");
            throw new IOException("interrupted");
        }));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(target, "w.bin")));
        Assert.Single(Directory.GetDirectories(_dir));
        AtomicFile.WriteDirectory(target, d => File.WriteAllText(Path.Combine(d, "w.bin"), "v2"));
        Assert.Equal("v2", File.ReadAllText(Path.Combine(target, "w.bin")));
        Assert.Single(Directory.GetDirectories(_dir));
    }
}

/// <summary>Issue #18 item 11: the on-disk states a kill inside WriteDirectory leaves, built by hand, and their repair.</summary>
public class DirectorySwapRecoveryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltools-swap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Target => Path.Combine(_dir, "ckpt");

    private static void Folder(string path, string content)
    {
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "weights"), content);
    }

    private static string Content(string path) => File.ReadAllText(Path.Combine(path, "weights"));

    private string Leftover(string id, string kind) => Path.Combine(_dir, ".ckpt." + id + "." + kind);

    private void Lock(string id) => File.WriteAllText(Leftover(id, "lock"), "");

    private string[] Entries() => Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void Killed_between_the_renames_the_previous_folder_is_put_back()
    {
        // Rename 1 done (target -> .old), rename 2 not: no target, a complete .tmp, the .old, the dead writer's lock.
        Folder(Leftover("0123abcd", "old"), "previous");
        Folder(Leftover("0123abcd", "tmp"), "new");
        Lock("0123abcd");
        Assert.True(AtomicFile.RecoverDirectory(Target));
        Assert.Equal("previous", Content(Target));
        Assert.Equal(["ckpt"], Entries());
    }

    [Fact]
    public void Killed_after_the_renames_the_old_folder_is_removed()
    {
        Folder(Target, "new");
        Folder(Leftover("0123abcd", "old"), "previous");
        Lock("0123abcd");
        Assert.False(AtomicFile.RecoverDirectory(Target));
        Assert.Equal("new", Content(Target));
        Assert.Equal(["ckpt"], Entries());
    }

    [Fact]
    public void Killed_while_building_the_partial_folder_is_removed()
    {
        Folder(Target, "current");
        Folder(Leftover("89abcdef", "tmp"), "half");
        Lock("89abcdef");
        AtomicFile.RecoverDirectory(Target);
        Assert.Equal("current", Content(Target));
        Assert.Equal(["ckpt"], Entries());
    }

    [Fact]
    public void A_write_in_progress_is_left_alone()
    {
        Folder(Target, "current");
        Folder(Leftover("0123abcd", "tmp"), "being written");
        using (new FileStream(Leftover("0123abcd", "lock"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
        {
            AtomicFile.RecoverDirectory(Target);
            Assert.True(Directory.Exists(Leftover("0123abcd", "tmp")));
        }
        AtomicFile.RecoverDirectory(Target); // the writer is gone now
        Assert.Equal(["ckpt"], Entries());
    }

    [Fact]
    public void The_layout_of_earlier_versions_is_repaired_too()
    {
        // Before the lock file: <name>.<id>.old next to .<name>.<id>.tmp (twelve kills left 1.5 GB of these).
        Folder(Path.Combine(_dir, "ckpt.0123abcd.old"), "previous");
        Folder(Path.Combine(_dir, ".ckpt.fedcba98.tmp"), "partial");
        Folder(Path.Combine(_dir, "other"), "unrelated");
        Assert.True(AtomicFile.RecoverDirectory(Target));
        Assert.Equal("previous", Content(Target));
        Assert.Equal(["ckpt", "other"], Entries());
    }

    [Fact]
    public void The_next_write_after_a_kill_recovers_then_replaces_and_leaves_nothing_behind()
    {
        Folder(Leftover("0123abcd", "old"), "previous");
        Folder(Leftover("0123abcd", "tmp"), "lost");
        Lock("0123abcd");
        AtomicFile.WriteDirectory(Target, d => File.WriteAllText(Path.Combine(d, "weights"), "newest"));
        Assert.Equal("newest", Content(Target));
        Assert.Equal(["ckpt"], Entries());
    }
}
