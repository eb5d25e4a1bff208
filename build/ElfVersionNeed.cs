// Marks one GNU version-need entry of an ELF shared object as weak (VER_FLG_WEAK).
//
// Why: libLibTorchSharp.so (TorchSharp 0.107) records a need for GLIBCXX_3.4.32 only because
// the linker of its build machine added std::ios_base_library_init, a link-time marker that
// is never called. Debian 12's libstdc++ stops at GLIBCXX_3.4.30, so the dynamic loader refuses
// the library. A weak version need is reported by ld.so as a warning-free "maybe missing"
// instead of a fatal error; nothing at run time asks for the symbol.
//
// ELF layout used (System V gABI, GNU extensions):
//   Elf64_Ehdr: e_shoff @0x28 (u64), e_shentsize @0x3A, e_shnum @0x3C, e_shstrndx @0x3E (u16)
//   Elf64_Shdr (64 bytes): sh_type @4, sh_offset @24, sh_size @32, sh_link @40, sh_info @44
//   SHT_GNU_verneed = 0x6ffffffe; sh_link = string table; sh_info = number of Verneed entries
//   Elf64_Verneed (16): vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
//   Elf64_Vernaux (16): vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
//   VER_FLG_WEAK = 0x2
// Only 64-bit little-endian objects are handled (x86-64 and aarch64 Linux).
// This file is compiled twice: into the MSBuild inline task (build/LibTorchSharpCompat.targets)
// and into tests/RlTools.Torch.Tests (with RL_TEST defined), which test it on synthetic ELF bytes.
#nullable enable
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace RlTools.Build
{
    /// <summary>What <c>ElfVersionNeed.MarkWeak</c> found and did.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>The entry existed and its weak flag was set now.</summary>
        Patched,
        /// <summary>The entry existed and was already weak: nothing written.</summary>
        AlreadyWeak,
        /// <summary>No version-need entry of that name: nothing written.</summary>
        NotFound,
    }

    /// <summary>Reads and edits the GNU version-need table of an ELF64 little-endian file.</summary>
    public static class ElfVersionNeed
    {
        public const uint ShtGnuVerneed = 0x6ffffffe;
        public const ushort VerFlgWeak = 0x2;

        /// <summary>Sets VER_FLG_WEAK on the version-need entry <paramref name="versionName"/> (e.g. GLIBCXX_3.4.32) in <paramref name="bytes"/>.</summary>
        public static ElfPatchOutcome MarkWeak(byte[] bytes, string versionName)
        {
            int offset = FindAux(bytes, versionName);
            if (offset < 0) return ElfPatchOutcome.NotFound;
            ushort flags = BitConverter.ToUInt16(bytes, offset + 4);
            if ((flags & VerFlgWeak) != 0) return ElfPatchOutcome.AlreadyWeak;
            flags |= VerFlgWeak;
            bytes[offset + 4] = (byte)(flags & 0xff);
            bytes[offset + 5] = (byte)(flags >> 8);
            return ElfPatchOutcome.Patched;
        }

        /// <summary>Patches a file in place; writes through a temporary file and a rename, so a failure leaves the original.</summary>
        public static ElfPatchOutcome MarkWeak(string path, string versionName)
        {
            byte[] bytes = File.ReadAllBytes(path);
            ElfPatchOutcome outcome = MarkWeak(bytes, versionName);
            if (outcome == ElfPatchOutcome.Patched)
            {
                string temp = path + ".rltools-tmp";
                File.WriteAllBytes(temp, bytes);
                // netstandard has no File.Move(overwrite): Replace keeps the swap atomic on one volume.
                File.Replace(temp, path, null);
            }
            return outcome;
        }

        /// <summary>True when the entry exists and is weak; false when it exists and is strong; null when absent.</summary>
        public static bool? IsWeak(byte[] bytes, string versionName)
        {
            int offset = FindAux(bytes, versionName);
            if (offset < 0) return null;
            return (BitConverter.ToUInt16(bytes, offset + 4) & VerFlgWeak) != 0;
        }

        /// <summary>True when a shared library defines (or at least names) the version string, e.g. libstdc++ defining GLIBCXX_3.4.32.</summary>
        public static bool NamesVersion(string libraryPath, string versionName)
        {
            byte[] needle = Encoding.ASCII.GetBytes(versionName + "\0");
            byte[] hay = File.ReadAllBytes(libraryPath);
            return IndexOf(hay, needle) >= 0;
        }

        /// <summary>Offset of the Vernaux record whose name is <paramref name="versionName"/>, or -1.</summary>
        private static int FindAux(byte[] b, string versionName)
        {
            if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (b[4] != 2 || b[5] != 1)
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");
            long shoff = (long)BitConverter.ToUInt64(b, 0x28);
            int shentsize = BitConverter.ToUInt16(b, 0x3A);
            int shnum = BitConverter.ToUInt16(b, 0x3C);
            if (shoff <= 0 || shentsize < 64 || shoff + (long)shnum * shentsize > b.Length)
                throw new InvalidDataException("section header table lies outside the file");
            for (int i = 0; i < shnum; i++)
            {
                int sh = checked((int)(shoff + (long)i * shentsize));
                if (BitConverter.ToUInt32(b, sh + 4) != ShtGnuVerneed) continue;
                int secOffset = checked((int)BitConverter.ToUInt64(b, sh + 24));
                int link = (int)BitConverter.ToUInt32(b, sh + 40);
                int count = (int)BitConverter.ToUInt32(b, sh + 44);
                if (link >= shnum) throw new InvalidDataException("version-need string table index out of range");
                int strSh = checked((int)(shoff + (long)link * shentsize));
                int strOffset = checked((int)BitConverter.ToUInt64(b, strSh + 24));
                int strSize = checked((int)BitConverter.ToUInt64(b, strSh + 32));
                int vn = secOffset;
                for (int n = 0; n < count; n++)
                {
                    int auxCount = BitConverter.ToUInt16(b, vn + 2);
                    int aux = vn + (int)BitConverter.ToUInt32(b, vn + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        uint name = BitConverter.ToUInt32(b, aux + 8);
                        if (name < strSize && ReadCString(b, strOffset + (int)name) == versionName) return aux;
                        uint next = BitConverter.ToUInt32(b, aux + 12);
                        if (next == 0) break;
                        aux += (int)next;
                    }
                    uint vnNext = BitConverter.ToUInt32(b, vn + 12);
                    if (vnNext == 0) break;
                    vn += (int)vnNext;
                }
            }
            return -1;
        }

        private static string ReadCString(byte[] b, int start)
        {
            int end = start;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, start, end - start);
        }

        private static int IndexOf(byte[] hay, byte[] needle)
        {
            for (int i = 0; i <= hay.Length - needle.Length; i++)
            {
                if (hay[i] != needle[0]) continue;
                int j = 1;
                while (j < needle.Length && hay[i + j] == needle[j]) j++;
                if (j == needle.Length) return i;
            }
            return -1;
        }
    }

#if !RL_TEST
    /// <summary>MSBuild task: weakens GLIBCXX_3.4.32 in copies of libLibTorchSharp.so when the system libstdc++ lacks it.</summary>
    public class WeakenLibTorchSharpGlibcxx : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string Directory { get; set; } = "";

        public string VersionName { get; set; } = "GLIBCXX_3.4.32";

        public override bool Execute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return true;
            if (!System.IO.Directory.Exists(Directory)) return true;
            string? system = FindSystemLibStdCxx();
            if (system == null)
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "RlTools: no system libstdc++.so.6 found; libLibTorchSharp.so left unchanged.");
                return true;
            }
            if (ElfVersionNeed.NamesVersion(system, VersionName))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, $"RlTools: {system} provides {VersionName}; libLibTorchSharp.so left unchanged.");
                return true;
            }
            foreach (string file in System.IO.Directory.EnumerateFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories))
            {
                ElfPatchOutcome outcome = ElfVersionNeed.MarkWeak(file, VersionName);
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                    $"RlTools: {file}: {VersionName} version need {(outcome == ElfPatchOutcome.Patched ? "marked weak (system libstdc++ lacks it)" : outcome == ElfPatchOutcome.AlreadyWeak ? "already weak" : "not present")}.");
            }
            return true;
        }

        private static string? FindSystemLibStdCxx()
        {
            string[] dirs =
            {
                "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu",
                "/usr/lib64", "/lib64", "/usr/lib", "/lib",
            };
            foreach (string d in dirs)
            {
                string p = Path.Combine(d, "libstdc++.so.6");
                if (File.Exists(p)) return p;
            }
            return null;
        }
    }
#endif
}
