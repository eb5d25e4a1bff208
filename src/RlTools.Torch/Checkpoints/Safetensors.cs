using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTools.Core.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Checkpoints;

/// <summary>A checkpoint that cannot be used. <see cref="ErrorId"/> is stable; <see cref="File"/> and <see cref="TensorName"/> say where.</summary>
public sealed class CheckpointException(string errorId, string? file, string? tensorName, string message) : Exception(message)
{
    public string ErrorId { get; } = errorId;
    public string? File { get; } = file;
    public string? TensorName { get; } = tensorName;
}

/// <summary>Names of tensor dtypes: torch, safetensors and user spellings.</summary>
public static class DTypes
{
    /// <summary>The user-facing name (float32, bfloat16, float16, ...).</summary>
    public static string Name(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32", ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16",
        ScalarType.Float64 => "float64", _ => t.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses float32 / bfloat16 / float16 (also fp32, bf16, fp16).</summary>
    public static ScalarType Parse(string name) => name.ToLowerInvariant() switch
    {
        "float32" or "fp32" or "float" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "half" => ScalarType.Float16,
        _ => throw new ArgumentException($"Unknown dtype '{name}'. Use float32, bfloat16 or float16."),
    };

    internal static string ToSafetensors(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32", ScalarType.BFloat16 => "BF16", ScalarType.Float16 => "F16", ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64", ScalarType.Int32 => "I32", ScalarType.Int16 => "I16", ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8", ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"safetensors has no code for dtype {t}."),
    };

    internal static ScalarType? FromSafetensors(string code) => code switch
    {
        "F32" => ScalarType.Float32, "BF16" => ScalarType.BFloat16, "F16" => ScalarType.Float16, "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64, "I32" => ScalarType.Int32, "I16" => ScalarType.Int16, "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte, "BOOL" => ScalarType.Bool, _ => null,
    };

    internal static int Size(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Int16 => 2,
        _ => 1,
    };
}

/// <summary>Where one tensor lies in a safetensors file.</summary>
public sealed record SafetensorsEntry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

/// <summary>
/// A safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
/// JSON (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}</c>), then the raw
/// little-endian tensor bytes, offsets relative to the end of the header. Opening validates the header against the
/// file's length, so a truncated file is reported before any tensor is read.
/// </summary>
public sealed class SafetensorsFile
{
    private SafetensorsFile(string path, long dataStart, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path; DataStart = dataStart; Entries = entries; Metadata = metadata;
    }

    public string Path { get; }
    public long DataStart { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads and checks the header of <paramref name="path"/>.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException("WeightsFileNotFound", path, null, $"The weights file '{path}' does not exist.");
        if (SafeFile.FileType(path) is string kind)
            throw new CheckpointException("NotARegularFile", path, null, $"'{path}' is a {kind}, not a regular file; RlTools reads weights only from regular files (a pipe or device could block or flood the reader).");
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = fs.Length;
        Span<byte> lenBytes = stackalloc byte[8];
        if (length < 8 || fs.Read(lenBytes) != 8)
            throw new CheckpointException("TruncatedSafetensors", path, null, $"'{path}' is truncated: {length} bytes, shorter than the 8-byte header length. Re-download or re-export the checkpoint.");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLen > (ulong)(length - 8) || headerLen > 100_000_000)
            throw new CheckpointException("TruncatedSafetensors", path, null, $"'{path}' is truncated or not a safetensors file: the header claims {headerLen} bytes but the file has {length - 8} after the length. Re-download or re-export the checkpoint.");
        var header = new byte[headerLen];
        fs.ReadExactly(header);
        JsonObject obj;
        try { _ = StrictUtf8.GetCharCount(header); obj = JsonNode.Parse(header)?.AsObject() ?? throw new JsonException("empty header"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        { throw new CheckpointException("InvalidSafetensors", path, null, $"'{path}' has an unreadable safetensors header ({e.Message}). Re-export the checkpoint."); }

        long dataStart = 8 + (long)headerLen, dataLen = length - dataStart;
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        List<KeyValuePair<string, JsonNode?>> members;
        try { members = obj.ToList(); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        { throw new CheckpointException("InvalidSafetensors", path, null, $"'{path}' has a safetensors header that names a tensor twice or is not valid JSON ({e.Message.Split('\n')[0]}). Re-export the checkpoint."); }
        foreach (var (name, node) in members)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject mo) foreach (var (k, v) in mo) metadata[k] = v is JsonValue jv && jv.TryGetValue(out string? s) ? s : v?.ToJsonString() ?? "";
                continue;
            }
            try
            {
                string code = node!["dtype"]!.GetValue<string>();
                ScalarType dtype = DTypes.FromSafetensors(code) ?? throw new CheckpointException("UnsupportedTensorDType", path, name,
                    $"Tensor '{name}' in '{path}' has dtype {code}; RlTools reads F32, BF16, F16, F64 and integer tensors.");
                long[] shape = node["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                var offs = node["data_offsets"]!.AsArray();
                long begin = offs[0]!.GetValue<long>(), end = offs[1]!.GetValue<long>();
                long expected = -1;
                if (shape.All(x => x >= 0))
                {
                    try { expected = checked(shape.Aggregate(1L, (a, x) => a * x) * DTypes.Size(dtype)); }
                    catch (OverflowException) { expected = -1; }
                }
                if (expected < 0 || begin < 0 || end < begin || end - begin != expected)
                    throw new CheckpointException("InvalidSafetensors", path, name, $"Tensor '{name}' in '{path}' has data_offsets [{begin}, {end}] that do not fit its shape [{string.Join(", ", shape)}] and dtype {code}.");
                if (end > dataLen)
                    throw new CheckpointException("TruncatedSafetensors", path, name, $"'{path}' is truncated: tensor '{name}' needs bytes up to {end} of the data section, which has only {dataLen}. Re-download or re-export the checkpoint.");
                entries[name] = new SafetensorsEntry(name, dtype, shape, begin, end);
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or JsonException or ArgumentException)
            {
                throw new CheckpointException("InvalidSafetensors", path, name, $"Tensor '{name}' in '{path}' has a malformed header entry ({e.Message}).");
            }
        }
        return new SafetensorsFile(path, dataStart, entries, metadata);
    }

    /// <summary>Reads tensor <paramref name="name"/> into a new CPU tensor (in the file's dtype).</summary>
    public Tensor Read(string name)
    {
        if (!Entries.TryGetValue(name, out var e)) throw new CheckpointException("MissingTensor", Path, name, $"'{Path}' has no tensor '{name}'.");
        Tensor t = empty(e.Shape, e.DType, CPU);
        if (e.End == e.Begin) return t;
        using var fs = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        fs.Seek(DataStart + e.Begin, SeekOrigin.Begin);
        fs.ReadExactly(t.bytes);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; this machine is not.");
        return t;
    }

    /// <summary>Reads every tensor into new CPU tensors (in the file's dtypes); the caller disposes them.</summary>
    public Dictionary<string, Tensor> ReadAll()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string name in Entries.Keys) result[name] = Read(name);
        return result;
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> (name, tensor) as a safetensors stream: header padded with spaces to a multiple
    /// of 8 bytes, then the data in the given order, each tensor contiguous in its own dtype.
    /// </summary>
    public static void Write(Stream stream, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, t) in tensors)
        {
            long n = t.numel() * DTypes.Size(t.dtype);
            header[name] = new JsonObject
            {
                ["dtype"] = DTypes.ToSafetensors(t.dtype),
                ["shape"] = new JsonArray(t.shape.Select(x => (JsonNode)x).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + n),
            };
            offset += n;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        stream.Write(len);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var (_, t) in tensors)
        {
            using var scope = NewDisposeScope();
            Tensor c = t.detach().cpu().contiguous();
            if (c.numel() > 0) stream.Write(c.bytes);
        }
    }
}
