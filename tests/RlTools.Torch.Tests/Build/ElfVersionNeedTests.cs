using System.Text;
using RlTools.Build;

namespace RlTools.Torch.Tests.Build;

/// <summary>The libstdc++ compatibility step, on hand-built ELF64 images (layout from the gABI).</summary>
public class ElfVersionNeedTests
{
    /// <summary>
    /// Builds a minimal ELF64 LE image: header, a .dynstr string table, a .gnu.version_r with one
    /// Verneed (libstdc++.so.6) and two Vernaux (GLIBCXX_3.4.30, GLIBCXX_3.4.32), and 3 section headers.
    /// </summary>
    internal static byte[] BuildElf(ushort flags32 = 0)
    {
        byte[] strtab = Encoding.ASCII.GetBytes("\0libstdc++.so.6\0GLIBCXX_3.4.30\0GLIBCXX_3.4.32\0");
        uint nameLib = 1, name30 = 16, name32 = 31;
        var verneed = new MemoryStream();
        var w = new BinaryWriter(verneed);
        w.Write((ushort)1); w.Write((ushort)2); w.Write(nameLib); w.Write(16u); w.Write(0u);      // Verneed
        w.Write(0x0297f870u); w.Write((ushort)0); w.Write((ushort)2); w.Write(name30); w.Write(16u); // Vernaux 3.4.30
        w.Write(0x08922842u); w.Write(flags32); w.Write((ushort)3); w.Write(name32); w.Write(0u);     // Vernaux 3.4.32
        byte[] vn = verneed.ToArray();

        int strOff = 64, vnOff = strOff + strtab.Length, shOff = (vnOff + vn.Length + 7) / 8 * 8;
        var image = new byte[shOff + 3 * 64];
        image[0] = 0x7f; image[1] = (byte)'E'; image[2] = (byte)'L'; image[3] = (byte)'F'; image[4] = 2; image[5] = 1; image[6] = 1;
        BitConverter.GetBytes((ulong)shOff).CopyTo(image, 0x28);
        BitConverter.GetBytes((ushort)64).CopyTo(image, 0x3A);
        BitConverter.GetBytes((ushort)3).CopyTo(image, 0x3C);
        strtab.CopyTo(image, strOff);
        vn.CopyTo(image, vnOff);
        // Section 1: .dynstr (SHT_STRTAB = 3); section 2: .gnu.version_r linked to 1, one entry.
        WriteSection(image, shOff + 64, 3, strOff, strtab.Length, 0, 0);
        WriteSection(image, shOff + 128, ElfVersionNeed.ShtGnuVerneed, vnOff, vn.Length, 1, 1);
        return image;
    }

    private static void WriteSection(byte[] image, int at, uint type, int offset, int size, uint link, uint info)
    {
        BitConverter.GetBytes(type).CopyTo(image, at + 4);
        BitConverter.GetBytes((ulong)offset).CopyTo(image, at + 24);
        BitConverter.GetBytes((ulong)size).CopyTo(image, at + 32);
        BitConverter.GetBytes(link).CopyTo(image, at + 40);
        BitConverter.GetBytes(info).CopyTo(image, at + 44);
    }

    [Fact]
    public void Marks_only_the_named_version_weak()
    {
        byte[] elf = BuildElf();
        byte[] before = (byte[])elf.Clone();
        Assert.Equal(false, ElfVersionNeed.IsWeak(elf, "GLIBCXX_3.4.32"));
        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionNeed.MarkWeak(elf, "GLIBCXX_3.4.32"));
        Assert.Equal(true, ElfVersionNeed.IsWeak(elf, "GLIBCXX_3.4.32"));
        Assert.Equal(false, ElfVersionNeed.IsWeak(elf, "GLIBCXX_3.4.30"));
        // Exactly one byte changed: the low byte of vna_flags, by VER_FLG_WEAK (0x2).
        int[] changed = Enumerable.Range(0, elf.Length).Where(i => elf[i] != before[i]).ToArray();
        Assert.Single(changed);
        Assert.Equal(before[changed[0]] | 0x2, elf[changed[0]]);
    }

    [Fact]
    public void Is_idempotent()
    {
        byte[] elf = BuildElf();
        ElfVersionNeed.MarkWeak(elf, "GLIBCXX_3.4.32");
        byte[] once = (byte[])elf.Clone();
        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionNeed.MarkWeak(elf, "GLIBCXX_3.4.32"));
        Assert.Equal(once, elf);
    }

    [Fact]
    public void Keeps_other_flags_when_setting_weak()
    {
        byte[] elf = BuildElf(flags32: 0x1);
        ElfVersionNeed.MarkWeak(elf, "GLIBCXX_3.4.32");
        Assert.Equal(true, ElfVersionNeed.IsWeak(elf, "GLIBCXX_3.4.32"));
    }

    [Fact]
    public void Reports_absent_versions_and_writes_nothing()
    {
        byte[] elf = BuildElf();
        byte[] before = (byte[])elf.Clone();
        Assert.Equal(ElfPatchOutcome.NotFound, ElfVersionNeed.MarkWeak(elf, "GLIBCXX_9.9.99"));
        Assert.Null(ElfVersionNeed.IsWeak(elf, "GLIBCXX_9.9.99"));
        Assert.Equal(before, elf);
    }

    [Fact]
    public void Rejects_files_that_are_not_elf64_little_endian()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionNeed.MarkWeak(new byte[128], "X"));
        byte[] elf32 = BuildElf();
        elf32[4] = 1;
        Assert.Throws<InvalidDataException>(() => ElfVersionNeed.MarkWeak(elf32, "X"));
    }

    [Fact]
    public void Patches_a_file_through_a_temporary_copy()
    {
        string path = Path.Combine(Path.GetTempPath(), "rltools-elf-" + Guid.NewGuid().ToString("n") + ".so");
        try
        {
            File.WriteAllBytes(path, BuildElf());
            Assert.Equal(ElfPatchOutcome.Patched, ElfVersionNeed.MarkWeak(path, "GLIBCXX_3.4.32"));
            Assert.Equal(true, ElfVersionNeed.IsWeak(File.ReadAllBytes(path), "GLIBCXX_3.4.32"));
            Assert.False(File.Exists(path + ".rltools-tmp"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_libLibTorchSharp_in_the_test_output_loads_after_the_build_step()
    {
        // If the system lacks GLIBCXX_3.4.32 the copy beside the tests must be weak; either way torch must run.
        string? lib = Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).FirstOrDefault();
        if (lib != null && OperatingSystem.IsLinux() && File.Exists("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")
            && !ElfVersionNeed.NamesVersion("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "GLIBCXX_3.4.32"))
        {
            Assert.Equal(true, ElfVersionNeed.IsWeak(File.ReadAllBytes(lib), "GLIBCXX_3.4.32"));
        }
        Assert.Null(RlTools.Torch.Runtime.TorchRuntime.SelfCheck());
    }
}
