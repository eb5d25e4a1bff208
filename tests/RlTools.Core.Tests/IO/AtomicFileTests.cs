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
