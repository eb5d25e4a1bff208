using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Training;

/// <summary>
/// Minimal safetensors reader/writer for the trainer state (F32, F64 and I64 tensors; BF16/F16 stored as F32): an 8-byte little-endian
/// header length, a JSON header {name: {dtype, shape, data_offsets}} and the raw little-endian data. Bytes are
/// copied exactly, so a save/load round trip is bit for bit.
/// </summary>
public static class SafeTensorFile
{
    public static void Write(Stream stream, IEnumerable<(string Name, Tensor Value)> tensors)
    {
        // Half-precision state (bf16/f16 models) is stored as F32: both convert to float32 exactly and back
        // exactly when the loader copies into the original dtype, so the round trip stays bit for bit.
        var items = tensors.OrderBy(x => x.Name, StringComparer.Ordinal)
            .Select(x => x.Value.dtype is ScalarType.BFloat16 or ScalarType.Float16 ? (x.Name, x.Value.to(ScalarType.Float32)) : x)
            .ToList();
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, t) in items)
        {
            string dtype = t.dtype switch
            {
                ScalarType.Float32 => "F32",
                ScalarType.Float64 => "F64",
                ScalarType.Int64 => "I64",
                _ => throw new NotSupportedException($"Tensor '{name}' has dtype {t.dtype}; the trainer state stores F32, F64 and I64."),
            };
            long size = t.numel() * t.ElementSize;
            header[name] = new Dictionary<string, object> { ["dtype"] = dtype, ["shape"] = t.shape, ["data_offsets"] = new[] { offset, offset + size } };
            offset += size;
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int pad = (8 - json.Length % 8) % 8;
        var h = new byte[json.Length + pad];
        json.CopyTo(h, 0);
        for (int i = json.Length; i < h.Length; i++) h[i] = (byte)' ';
        stream.Write(BitConverter.GetBytes((ulong)h.Length));
        stream.Write(h);
        foreach (var (_, t) in items)
        {
            using var cpu = t.detach().cpu().contiguous();
            byte[] data = cpu.dtype switch
            {
                ScalarType.Float32 => Bytes(cpu.data<float>().ToArray()),
                ScalarType.Float64 => Bytes(cpu.data<double>().ToArray()),
                _ => Bytes(cpu.data<long>().ToArray()),
            };
            stream.Write(data);
        }
    }

    /// <summary>Reads every tensor (CPU); the caller disposes them.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var lenBytes = new byte[8];
        if (fs.Read(lenBytes, 0, 8) != 8) throw new InvalidDataException($"'{path}' is not a safetensors file (too short).");
        long n = (long)BitConverter.ToUInt64(lenBytes, 0);
        if (n <= 0 || 8 + n > fs.Length) throw new InvalidDataException($"'{path}' has a corrupt safetensors header.");
        var headerBytes = new byte[n];
        fs.ReadExactly(headerBytes);
        using var doc = JsonDocument.Parse(headerBytes);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long start = 8 + n;
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__") continue;
            string dtype = prop.Value.GetProperty("dtype").GetString()!;
            long[] shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offs = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offs.Length != 2 || offs[1] < offs[0] || start + offs[1] > fs.Length)
                throw new InvalidDataException($"'{path}': tensor '{prop.Name}' points outside the file.");
            fs.Seek(start + offs[0], SeekOrigin.Begin);
            var data = new byte[offs[1] - offs[0]];
            fs.ReadExactly(data);
            result[prop.Name] = dtype switch
            {
                "F32" => torch.tensor(data.AsFloats(), shape),
                "F64" => torch.tensor(data.AsDoubles(), shape),
                "I64" => torch.tensor(data.AsLongs(), shape),
                _ => throw new InvalidDataException($"'{path}': tensor '{prop.Name}' has unsupported dtype {dtype}."),
            };
        }
        return result;
    }

    private static byte[] Bytes<T>(T[] values) where T : unmanaged
    {
        var b = new byte[values.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(b);
        return b;
    }

    private static float[] AsFloats(this byte[] b) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(b).ToArray();
    private static double[] AsDoubles(this byte[] b) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(b).ToArray();
    private static long[] AsLongs(this byte[] b) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(b).ToArray();
}
