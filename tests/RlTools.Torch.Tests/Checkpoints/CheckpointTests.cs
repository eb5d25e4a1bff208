using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using RlTools.Torch.Checkpoints;
using RlTools.Torch.Models;
using RlTools.Torch.Tests.Models;
using RlTools.Torch.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Checkpoints;

public sealed class CheckpointTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "rlckpt-" + Guid.NewGuid().ToString("n"));

    public CheckpointTests() => Directory.CreateDirectory(root);

    public void Dispose() { try { Directory.Delete(root, true); } catch (IOException) { } }

    private static Dictionary<string, byte[]> Bytes(Policy p) =>
        p.Model.Module.named_parameters().ToDictionary(x => x.name, x => { using var c = x.parameter.detach().cpu().contiguous(); return c.bytes.ToArray(); });

    private static Policy Tiny(string type = "qwen2", bool tie = true, bool bias = true) =>
        new(TestModels.Random(TestModels.Config(type, tie, bias) is var c ? WithVocab(c, 259) : null!, 3), new ByteTokenizer());

    private static ModelConfig WithVocab(ModelConfig c, int v) { c.VocabSize = v; return c; }

    [Theory]
    [InlineData("qwen2", true, true, "float32")]
    [InlineData("qwen3", false, false, "float32")]
    [InlineData("llama", false, true, "bfloat16")]
    public void Config_export_import_round_trip_is_bit_exact(string type, bool tie, bool bias, string dtype)
    {
        using Policy p = Tiny(type, tie, bias);
        if (dtype != "float32") ((DecoderLM)p.Model).MoveTo(CPU, DTypes.Parse(dtype));
        string dir = Path.Combine(root, "out");
        PolicyFiles.Save(p, dir);
        Assert.True(File.Exists(Path.Combine(dir, "config.json")));
        Assert.True(File.Exists(Path.Combine(dir, "generation_config.json")));
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors.index.json")));
        Assert.DoesNotContain(Directory.GetDirectories(root), d => d.EndsWith(".tmp", StringComparison.Ordinal));
        using Policy back = PolicyFiles.Load(dir, dtype: dtype);
        Assert.IsType<ByteTokenizer>(back.Tokenizer);
        ModelConfig expected = ((DecoderLM)p.Model).Config.Clone();
        expected.TorchDType = dtype; expected.BosTokenId = ByteTokenizer.Bos; expected.EosTokenId = ByteTokenizer.Eos;
        Assert.Equal(expected.ToJson(), ((DecoderLM)back.Model).Config.ToJson());
        Assert.Equal(dtype, back.DType);
        var a = Bytes(p); var b = Bytes(back);
        Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
        foreach (var (k, v) in a) Assert.True(v.SequenceEqual(b[k]), $"tensor {k} differs after the round trip");
        // The file holds HF names and no lm_head when tied.
        var f = SafetensorsFile.Open(Path.Combine(dir, "model.safetensors"));
        Assert.Equal(tie, !f.Entries.ContainsKey("lm_head.weight"));
        Assert.Contains("model.layers.1.mlp.down_proj.weight", f.Entries.Keys);
        Assert.Equal(DTypes.Parse(dtype), f.Entries["model.norm.weight"].DType);
    }

    [Fact]
    public void Sharded_checkpoints_round_trip_through_the_index()
    {
        using Policy p = Tiny();
        string dir = Path.Combine(root, "sharded");
        PolicyFiles.Save(p, dir, maxShardBytes: 20_000);
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "model.safetensors.index.json")))!;
        var files = index["weight_map"]!.AsObject().Select(x => x.Value!.GetValue<string>()).Distinct().ToList();
        Assert.True(files.Count > 1);
        Assert.All(files, f => Assert.Matches(@"^model-\d{5}-of-\d{5}\.safetensors$", f));
        long total = p.Model.Module.parameters().Sum(x => x.numel() * 4);
        Assert.Equal(total, index["metadata"]!["total_size"]!.GetValue<long>());
        using Policy back = PolicyFiles.Load(dir);
        var a = Bytes(p); var b = Bytes(back);
        foreach (var (k, v) in a) Assert.True(v.SequenceEqual(b[k]), k);
    }

    [Fact]
    public void Export_replaces_an_existing_folder_atomically()
    {
        using Policy p = Tiny();
        string dir = Path.Combine(root, "again");
        PolicyFiles.Save(p, dir);
        File.WriteAllText(Path.Combine(dir, "stale.txt"), "old");
        PolicyFiles.Save(p, dir);
        Assert.False(File.Exists(Path.Combine(dir, "stale.txt")));
        Assert.Single(Directory.GetDirectories(root));
    }

    [Fact]
    public void Safetensors_layout_is_the_published_format()
    {
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>
        {
            ("a", tensor(new float[] { 1.5f, -2f, 3.25f }, new long[] { 3 })),
            ("b", tensor(new float[] { 1f, 2f, 3f, 4f }, new long[] { 2, 2 }).to(ScalarType.BFloat16)),
            ("c", tensor(new float[] { 0.5f }, new long[] { 1 }).to(ScalarType.Float16)),
        };
        using var ms = new MemoryStream();
        SafetensorsFile.Write(ms, tensors);
        byte[] all = ms.ToArray();
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(all);
        Assert.Equal(0UL, n % 8);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(all, 8, (int)n))!.AsObject();
        Assert.Equal("F32", header["a"]!["dtype"]!.GetValue<string>());
        Assert.Equal("[0,12]", header["a"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("BF16", header["b"]!["dtype"]!.GetValue<string>());
        Assert.Equal("[2,2]", header["b"]!["shape"]!.ToJsonString());
        Assert.Equal("[12,20]", header["b"]!["data_offsets"]!.ToJsonString());
        Assert.Equal("F16", header["c"]!["dtype"]!.GetValue<string>());
        int data = 8 + (int)n;
        Assert.Equal(1.5f, BitConverter.ToSingle(all, data));
        Assert.Equal(3.25f, BitConverter.ToSingle(all, data + 8));
        // bfloat16 of 1.0 is 0x3F80, of 4.0 is 0x4080; float16 of 0.5 is 0x3800 (little-endian).
        Assert.Equal(0x3F80, BitConverter.ToUInt16(all, data + 12));
        Assert.Equal(0x4080, BitConverter.ToUInt16(all, data + 18));
        Assert.Equal(0x3800, BitConverter.ToUInt16(all, data + 20));
        Assert.Equal(data + 22, all.Length);

        string path = Path.Combine(root, "t.safetensors");
        File.WriteAllBytes(path, all);
        var f = SafetensorsFile.Open(path);
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal(new[] { 1.5f, -2f, 3.25f }, f.Read("a").data<float>().ToArray());
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, f.Read("b").to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(0.5f, f.Read("c").to(ScalarType.Float32).item<float>());
    }

    // ---- bad checkpoints ----

    private string Exported()
    {
        using Policy p = Tiny();
        string dir = Path.Combine(root, "bad-" + Guid.NewGuid().ToString("n")[..6]);
        PolicyFiles.Save(p, dir);
        return dir;
    }

    internal static CheckpointException Fails(string dir) => Assert.Throws<CheckpointException>(() => { using var p = PolicyFiles.Load(dir); });

    internal static void EditConfig(string dir, Action<JsonObject> edit)
    {
        string path = Path.Combine(dir, "config.json");
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(o);
        File.WriteAllText(path, o.ToJsonString());
    }

    [Fact]
    public void Missing_folder_config_and_weights_are_named()
    {
        Assert.Equal("CheckpointNotFound", Fails(Path.Combine(root, "nope")).ErrorId);
        string dir = Exported();
        File.Delete(Path.Combine(dir, "model.safetensors"));
        var e = Fails(dir);
        Assert.Equal("WeightsFileNotFound", e.ErrorId);
        Assert.Contains("model.safetensors", e.Message);
        File.Delete(Path.Combine(dir, "config.json"));
        e = Fails(dir);
        Assert.Equal("ConfigNotFound", e.ErrorId);
        Assert.EndsWith("config.json", e.File);
    }

    [Fact]
    public void An_unknown_model_type_is_named()
    {
        string dir = Exported();
        EditConfig(dir, o => o["model_type"] = "mamba");
        var e = Fails(dir);
        Assert.Equal("UnknownModelType", e.ErrorId);
        Assert.Contains("mamba", e.Message);
    }

    [Fact]
    public void A_missing_tensor_is_named_with_its_file()
    {
        string dir = Exported();
        string file = Path.Combine(dir, "model.safetensors");
        var f = SafetensorsFile.Open(file);
        var kept = f.Entries.Keys.Where(k => k != "model.layers.1.mlp.up_proj.weight").Select(k => (k, f.Read(k))).ToList();
        using (var fs = File.Create(file)) SafetensorsFile.Write(fs, kept);
        var e = Fails(dir);
        Assert.Equal("MissingTensor", e.ErrorId);
        Assert.Equal("model.layers.1.mlp.up_proj.weight", e.TensorName);
        Assert.Equal(file, e.File);
        Assert.Contains("model.layers.1.mlp.up_proj.weight", e.Message);
    }

    [Fact]
    public void A_shape_that_disagrees_with_config_is_named()
    {
        string dir = Exported();
        EditConfig(dir, o => o["intermediate_size"] = 48);
        var e = Fails(dir);
        Assert.Equal("TensorShapeMismatch", e.ErrorId);
        Assert.Equal("model.layers.0.mlp.gate_proj.weight", e.TensorName);
        Assert.Contains("[40, 24]", e.Message);
        Assert.Contains("[48, 24]", e.Message);
    }

    [Theory]
    [InlineData(4)]      // shorter than the length prefix
    [InlineData(100)]    // inside the header
    [InlineData(-10)]    // the last tensor's bytes cut short
    public void A_truncated_safetensors_file_is_named(int keep)
    {
        string dir = Exported();
        string file = Path.Combine(dir, "model.safetensors");
        byte[] all = File.ReadAllBytes(file);
        File.WriteAllBytes(file, all.AsSpan(0, keep > 0 ? keep : all.Length + keep).ToArray());
        var e = Fails(dir);
        Assert.Equal("TruncatedSafetensors", e.ErrorId);
        Assert.Equal(file, e.File);
        if (keep < 0) Assert.NotNull(e.TensorName);
    }

    [Fact]
    public void A_tokenizer_larger_than_the_embedding_is_named()
    {
        string dir = Exported();
        EditConfig(dir, o => o["vocab_size"] = 200);
        var e = Fails(dir);
        Assert.Equal("TokenizerVocabTooLarge", e.ErrorId);
        Assert.Contains("259", e.Message);
        Assert.Contains("200", e.Message);
        var ne = Assert.Throws<CheckpointException>(() => PolicyFiles.New(WithVocab(ModelConfig.Preset("Tiny"), 100), new ByteTokenizer(), null, 1));
        Assert.Equal("TokenizerVocabTooLarge", ne.ErrorId);
    }

    [Fact]
    public void A_missing_tokenizer_is_named()
    {
        string dir = Exported();
        File.Delete(Path.Combine(dir, "tokenizer_config.json"));
        Assert.Equal("TokenizerNotFound", Fails(dir).ErrorId);
    }

    [Fact]
    public void A_missing_shard_is_named()
    {
        using Policy p = Tiny();
        string dir = Path.Combine(root, "shards");
        PolicyFiles.Save(p, dir, maxShardBytes: 20_000);
        File.Delete(Directory.GetFiles(dir, "model-00002-*").Single());
        var e = Fails(dir);
        Assert.Equal("WeightsFileNotFound", e.ErrorId);
        Assert.Contains("model-00002-", e.File);
    }

    [Fact]
    public void Generation_config_stop_ids_are_read()
    {
        string dir = Exported();
        File.WriteAllText(Path.Combine(dir, "generation_config.json"), """{"eos_token_id":[257, 10]}""");
        using Policy p = PolicyFiles.Load(dir);
        Assert.Equal(new[] { 257, 10 }, p.StopTokenIds);
    }
}
