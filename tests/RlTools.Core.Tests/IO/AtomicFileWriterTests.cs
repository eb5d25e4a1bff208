using RlTools.Core.IO;

namespace RlTools.Core.Tests.IO;

public class AtomicFileWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltools-atomicw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Commit_replaces_the_target_and_leaves_no_temp_file()
    {
        string path = Path.Combine(_dir, "a.jsonl");
        File.WriteAllText(path, "old\n");
        using (var w = AtomicFileWriter.Create(path, append: false))
        {
            w.Stream.Write("new\n"u8);
            Assert.Equal("old\n", File.ReadAllText(path));
            w.Commit();
        }
        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Disposing_without_commit_keeps_the_original_for_writes_and_appends()
    {
        string path = Path.Combine(_dir, "a.jsonl");
        File.WriteAllText(path, "old\n");
        foreach (bool append in new[] { false, true })
        {
            using (var w = AtomicFileWriter.Create(path, append))
            {
                w.Stream.Write("partial"u8);
            }
            Assert.Equal("old\n", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(_dir));
        }
    }

    [Fact]
    public void Append_starts_from_a_copy_and_creates_a_missing_file()
    {
        string path = Path.Combine(_dir, "sub", "a.jsonl");
        using (var w = AtomicFileWriter.Create(path, append: true))
        {
            Assert.False(w.Appended);
            w.Stream.Write("1\n"u8);
            w.Commit();
        }
        using (var w = AtomicFileWriter.Create(path, append: true))
        {
            Assert.True(w.Appended);
            Assert.Equal(2, w.Stream.Position);
            w.Stream.Write("2\n"u8);
            w.Commit();
        }
        Assert.Equal("1\n2\n", File.ReadAllText(path));
    }
}
