using System.Text.Json.Nodes;
using RlTools.Core.IO;
using RlTools.Torch.Checkpoints;
using RlTools.Torch.Models;
using RlTools.Torch.Optim;
using RlTools.Torch.Tests.Models;
using RlTools.Torch.Tests.Update;
using RlTools.Torch.Tokenizers;
using RlTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Checkpoints;

/// <summary>Issue #18 items 6, 7 and 9: poisoned, crafted and misplaced checkpoint files are refused with ids, before anything large is allocated.</summary>
public sealed class HostileCheckpointTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rltools-hostile-ckpt-").FullName;

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private string Exported(string type = "qwen2", bool tie = true, bool bias = true)
    {
        var c = TestModels.Config(type, tie, bias);
        c.VocabSize = 259;
        using var p = new Policy(TestModels.Random(c, 3), new ByteTokenizer());
        string dir = Path.Combine(_root, "ckpt-" + Guid.NewGuid().ToString("n")[..6]);
        PolicyFiles.Save(p, dir);
        return dir;
    }

    private static CheckpointException Fails(string dir) => CheckpointTests.Fails(dir);

    private static void EditConfig(string dir, Action<JsonObject> edit) => CheckpointTests.EditConfig(dir, edit);

    [Theory]
    [InlineData("qwen2", true, true)]
    [InlineData("qwen3", false, false)]
    [InlineData("llama", false, true)]
    public void The_tensors_a_config_implies_are_exactly_the_models_parameters(string type, bool tie, bool bias)
    {
        var c = TestModels.Config(type, tie, bias);
        using var model = new DecoderLM(c);
        var actual = model.named_parameters().Select(p => (p.name, string.Join(",", p.parameter.shape))).OrderBy(x => x.name).ToList();
        var expected = c.ExpectedTensors().Select(t => (t.Name, string.Join(",", t.Shape))).OrderBy(x => x.Name).ToList();
        Assert.Equal(actual, expected);
        Assert.Equal(model.named_parameters().Sum(p => p.parameter.numel()), c.ParameterCount());
    }

    [Fact]
    public void A_million_layers_is_refused_by_the_config_check_not_by_a_crash()
    {
        string dir = Exported();
        EditConfig(dir, o => o["num_hidden_layers"] = 1_000_000);
        var e = Fails(dir);
        Assert.Equal("ConfigInvalidValue", e.ErrorId);
        Assert.Contains("1024", e.Message);
    }

    [Theory]
    [InlineData("vocab_size", 8_000_000, "model.embed_tokens.weight")]   // would be 4 GB before failing on main
    [InlineData("intermediate_size", 4_000_000, "model.layers.0.mlp.gate_proj.weight")]
    [InlineData("num_hidden_layers", 900, "model.layers.2.self_attn.q_proj.weight")]
    public void A_config_larger_than_its_weights_is_refused_from_the_headers(string key, int value, string tensor)
    {
        string dir = Exported();
        EditConfig(dir, o => o[key] = value);
        var e = Fails(dir);
        Assert.Contains(e.ErrorId, new[] { "TensorShapeMismatch", "MissingTensor", "TokenizerVocabTooLarge" });
        Assert.Equal(tensor, e.TensorName);
    }

    [Fact]
    public void A_model_bigger_than_memory_is_refused_before_it_is_built()
    {
        var c = TestModels.Config("llama", false, false);
        c.HiddenSize = 65536; c.IntermediateSize = 262144; c.NumAttentionHeads = 512; c.NumKeyValueHeads = 512; c.HeadDim = 128; c.NumHiddenLayers = 64; c.VocabSize = 300;
        var e = Assert.Throws<CheckpointException>(() => PolicyFiles.New(c, new ByteTokenizer(), null, 1));
        Assert.Equal("ModelTooLarge", e.ErrorId);
    }

    [Theory]
    [InlineData("../outside.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../x.safetensors")]
    public void A_weight_index_may_not_name_files_outside_the_folder(string target)
    {
        var c = TestModels.Config("qwen2", true, true);
        c.VocabSize = 259;
        using var p = new Policy(TestModels.Random(c, 3), new ByteTokenizer());
        string dir = Path.Combine(_root, "sharded");
        PolicyFiles.Save(p, dir, maxShardBytes: 20_000);
        string index = Path.Combine(dir, "model.safetensors.index.json");
        var o = JsonNode.Parse(File.ReadAllText(index))!.AsObject();
        o["weight_map"]!["model.norm.weight"] = target;
        File.WriteAllText(index, o.ToJsonString());
        var e = Fails(dir);
        Assert.Equal("WeightIndexOutsideCheckpoint", e.ErrorId);
        Assert.Equal("model.norm.weight", e.TensorName);
    }

    [Fact]
    public void NaN_weights_are_refused_unless_allowed()
    {
        string dir = Exported();
        string file = Path.Combine(dir, "model.safetensors");
        var f = SafetensorsFile.Open(file);
        var tensors = f.Entries.Keys.Select(k => (k, f.Read(k))).ToList();
        using (no_grad()) tensors.Single(t => t.k == "model.norm.weight").Item2[3] = float.NaN;
        using (var fs = File.Create(file)) SafetensorsFile.Write(fs, tensors);
        var e = Fails(dir);
        Assert.Equal("NonFiniteWeights", e.ErrorId);
        Assert.Equal("model.norm.weight", e.TensorName);
        Assert.Contains("1 NaN", e.Message);
        using var p = PolicyFiles.Load(dir, allowNonFinite: true);
        Assert.True(float.IsNaN(p.Model.Module.named_parameters().Single(x => x.name == "model.norm.weight").parameter[3].ToSingle()));
    }

    private string Fifo(string path)
    {
        File.Delete(path);
        using var proc = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        proc.WaitForExit();
        Assert.Equal(0, proc.ExitCode);
        return path;
    }

    /// <summary>Loads on a worker so that a regression (a blocking open of the FIFO) fails the test instead of hanging the run.</summary>
    private static string? FailsWithoutBlocking(string dir)
    {
        var task = Task.Run(() => { using var p = PolicyFiles.Load(dir); });
        try { Assert.True(task.Wait(TimeSpan.FromMinutes(2)), "loading blocked on the FIFO"); }
        catch (AggregateException) { }
        return task.Exception?.InnerException switch
        {
            CheckpointException c => c.ErrorId,
            UnsafeFileException u => u.ErrorId,
            var other => throw new Xunit.Sdk.XunitException("unexpected: " + other),
        };
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("config.json")]
    [InlineData("tokenizer_config.json")]
    [InlineData("generation_config.json")]
    public void A_FIFO_in_place_of_a_checkpoint_file_is_refused_not_opened(string name)
    {
        if (OperatingSystem.IsWindows()) return;
        string dir = Exported();
        Fifo(Path.Combine(dir, name));
        Assert.Equal("NotARegularFile", FailsWithoutBlocking(dir));
    }

    [Fact]
    public void A_backtracking_pre_tokenizer_pattern_times_out_with_an_id()
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[BytePairEncoder.ByteToChar[b].ToString()] = b;
        var root = new JsonObject
        {
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray() },
            ["pre_tokenizer"] = JsonNode.Parse("""{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"(a+)+$"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]}"""),
            ["decoder"] = JsonNode.Parse("""{"type":"ByteLevel"}"""),
        };
        string dir = Directory.CreateDirectory(Path.Combine(_root, "tok")).FullName;
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), root.ToJsonString());
        var t = TokenizerFiles.Load(dir);
        Assert.Equal(3, t.Encode("abc").Length); // ordinary text is fine
        var e = Assert.Throws<TokenizerRegexTimeoutException>(() => t.Encode(new string('a', 64) + "b"));
        Assert.Equal("TokenizerRegexTimeout", TokenizerRegexTimeoutException.ErrorId);
        Assert.Contains("match timeout", e.Message);
    }

    // ---- item 12: errors that used to reach the user as raw .NET text ----

    private static string Header(string json)
    {
        string path = Path.Combine(Path.GetTempPath(), "rltools-h-" + Guid.NewGuid().ToString("n") + ".safetensors");
        byte[] h = System.Text.Encoding.UTF8.GetBytes(json);
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes((long)h.Length));
        fs.Write(h);
        fs.Write(new byte[16]);
        return path;
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""")] // a tensor named twice
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[]}}""")]                     // empty offsets
    [InlineData("""{"a":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}""")]             // negative dimensions
    [InlineData("""{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}""")] // a size that overflows
    public void A_malformed_safetensors_header_is_InvalidSafetensors(string header)
    {
        string path = Header(header);
        try { Assert.Equal("InvalidSafetensors", Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path)).ErrorId); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_config_with_a_key_twice_is_ConfigInvalidJson()
    {
        string dir = Exported();
        string cfg = Path.Combine(dir, "config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"model_type\"", "\"vocab_size\": 259, \"model_type\""));
        var e = Fails(dir);
        Assert.Equal("ConfigInvalidJson", e.ErrorId);
        Assert.Contains("twice", e.Message);
    }

    [Fact]
    public void A_malformed_tokenizer_json_is_TokenizerInvalid()
    {
        string dir = Exported();
        File.Delete(Path.Combine(dir, "tokenizer_config.json"));
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), """{"model":{"type":"BPE","vocab":{"a":"not a number"},"merges":[]}}""");
        Assert.Equal("TokenizerInvalid", Fails(dir).ErrorId);
    }

    // ---- item 6: trainer state and the non-finite step guard ----

    private static string SavedState(out Policy policy)
    {
        policy = TrainerTests.NewPolicy();
        PolicyUpdater.Update(policy, TrainerTests.NewRollouts(), new UpdateOptions { LearningRate = 1e-2 });
        string dir = Path.Combine(Path.GetTempPath(), "rltools-badstate-" + Guid.NewGuid().ToString("n"));
        TrainerState.Save(policy, dir);
        return dir;
    }

    private static void EditMoments(string dir, Action<Dictionary<string, Tensor>> edit)
    {
        string file = Path.Combine(dir, TrainerState.TensorFileName);
        var t = SafetensorsFile.Open(file).ReadAll();
        using (no_grad()) edit(t);
        using (var fs = File.Create(file)) SafetensorsFile.Write(fs, t.Select(kv => (kv.Key, kv.Value)).OrderBy(x => x.Key, StringComparer.Ordinal).ToList());
        foreach (var x in t.Values) x.Dispose();
    }

    [Theory]
    [InlineData("nan", "NaN or infinite")]
    [InlineData("inf", "NaN or infinite")]
    [InlineData("huge", "1e30")]
    [InlineData("negative_v", "negative second moments")]
    [InlineData("step", "step is -3")]
    [InlineData("beta", "betas")]
    public void Implausible_trainer_state_is_refused_on_resume(string damage, string message)
    {
        string dir = SavedState(out Policy policy);
        try
        {
            using (policy)
            {
                string m = ((TrainerState)policy.TrainerState!).Optimizer.State.Keys.First(k => k.StartsWith("exp_avg/", StringComparison.Ordinal));
                string v = "exp_avg_sq/" + m["exp_avg/".Length..];
                switch (damage)
                {
                    case "nan": EditMoments(dir, t => t[m][0] = float.NaN); break;
                    case "inf": EditMoments(dir, t => t[v][1] = float.PositiveInfinity); break;
                    case "huge": EditMoments(dir, t => t[m][0] = 1e35f); break;
                    case "negative_v": EditMoments(dir, t => t[v][0] = -1f); break;
                    default:
                        string json = Path.Combine(dir, TrainerState.StateFileName);
                        var o = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
                        if (damage == "step") o["Step"] = -3;
                        else o["Optimizer"]!["Beta2"] = 1.5;
                        File.WriteAllText(json, o.ToJsonString());
                        break;
                }
                using var fresh = TrainerTests.NewPolicy();
                var e = Assert.Throws<InvalidDataException>(() => TrainerState.Load(fresh, dir));
                Assert.Contains(message, e.Message);
                Assert.Null(fresh.TrainerState);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void An_optimizer_step_that_would_make_a_weight_non_finite_is_skipped_whole()
    {
        using var w = torch.tensor(new float[] { 1f, 2f, 3f }).requires_grad_();
        using var u = torch.tensor(new float[] { 5f }).requires_grad_();
        var opt = ParameterOptimizer.Create([("u", u), ("w", w)], new OptimizerSettings { Kind = OptimizerKind.SGD, WeightDecay = 0, Momentum = 0.9 });
        u.grad = torch.tensor(new float[] { 1f });
        w.grad = torch.tensor(new float[] { 1f, 1e30f, 1f });
        Assert.Equal("w", opt.TryStep(1e10)); // 1e10 * 1e30 overflows float32
        Assert.Equal(new[] { 5f }, u.detach().data<float>().ToArray()); // the finite parameter before it is untouched too
        Assert.Equal(new[] { 1f, 2f, 3f }, w.detach().data<float>().ToArray());
        Assert.Equal(0, opt.StepCount);
        Assert.All(opt.State.Values, s => Assert.Equal(0f, s.abs().max().ToSingle()));
        Assert.Null(opt.TryStep(0.5)); // a sane step goes through
        Assert.Equal(new[] { 4.5f }, u.detach().data<float>().ToArray());
        Assert.Equal(1, opt.StepCount);
        opt.Dispose();
    }

    [Fact]
    public void Update_reports_and_skips_a_step_that_would_poison_the_weights()
    {
        using var policy = TrainerTests.NewPolicy();
        var rollouts = TrainerTests.NewRollouts();
        var before = TrainerTests.Snapshot(policy);
        var r = PolicyUpdater.Update(policy, rollouts, new UpdateOptions { LearningRate = 1e300, Optimizer = OptimizerKind.SGD, WeightDecay = 0 }).Single();
        Assert.True(r.Skipped);
        Assert.Contains("NaN or infinite", r.SkipReason);
        Assert.True(double.IsFinite(r.Loss));
        var after = TrainerTests.Snapshot(policy);
        foreach (var k in before.Keys) Assert.Equal(before[k], after[k]);
        Assert.Equal(0, ((TrainerState)policy.TrainerState!).Step);
    }
}

/// <summary>Issue #18 fuzz test, checkpoint side: mutated config.json, safetensors headers and tokenizer files (fixed seed) load or fail with an RlTools error, never anything else, within an allocation bound.</summary>
public sealed class CheckpointFuzzTests : IDisposable
{
    /// <summary>
    /// Managed allocation bound per load: 64 MiB, the bound on a small JSON file (the files here are a few KB, and a
    /// config that claims a huge model is refused from the headers before anything is built). Weights live in native
    /// memory; those of this model are under 1 MB.
    /// </summary>
    private const long AllocationBound = 64L << 20;

    private readonly string _root = Directory.CreateTempSubdirectory("rltools-fuzz-ckpt-").FullName;

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private static void MutateBytes(Random rng, string file, int from, int to)
    {
        byte[] b = File.ReadAllBytes(file);
        to = Math.Min(to, b.Length);
        for (int e = 0; e < 1 + rng.Next(6); e++)
        {
            int at = from + rng.Next(Math.Max(1, to - from));
            if (at < b.Length) b[at] = (byte)rng.Next(256);
        }
        File.WriteAllBytes(file, b);
    }

    private static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    [Fact]
    public void Mutated_checkpoint_files_load_or_fail_with_an_id()
    {
        var c = TestModels.Config("qwen2", true, true);
        c.VocabSize = 259;
        string source = Path.Combine(_root, "source");
        using (var p = new Policy(TestModels.Random(c, 3), new ByteTokenizer())) PolicyFiles.Save(p, source);
        long headerEnd = 8 + BitConverter.ToInt64(File.ReadAllBytes(Path.Combine(source, "model.safetensors")), 0);
        var rng = new Random(18);
        int failures = 0;
        long most = 0;
        for (int round = 0; round < 60; round++)
        {
            string dir = Path.Combine(_root, "r" + round);
            CopyDir(source, dir);
            switch (round % 4)
            {
                case 0: MutateBytes(rng, Path.Combine(dir, "config.json"), 0, int.MaxValue); break;
                case 1: MutateBytes(rng, Path.Combine(dir, "model.safetensors"), 0, (int)headerEnd); break;
                case 2: MutateBytes(rng, Path.Combine(dir, "tokenizer_config.json"), 0, int.MaxValue); break;
                default: MutateBytes(rng, Path.Combine(dir, "generation_config.json"), 0, int.MaxValue); break;
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { using var loaded = PolicyFiles.Load(dir); }
            catch (Exception e) when (e is CheckpointException or UnsafeFileException) { failures++; }
            most = Math.Max(most, GC.GetAllocatedBytesForCurrentThread() - before);
            Directory.Delete(dir, true);
        }
        Assert.True(failures > 10, $"only {failures} of 60 mutations were refused"); // the fuzz is not vacuous
        Assert.True(most < AllocationBound, $"a load allocated {most:N0} managed bytes");
    }

    [Fact]
    public void Mutated_tokenizer_json_loads_or_fails_with_an_id()
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[BytePairEncoder.ByteToChar[b].ToString()] = b;
        vocab["ab"] = 256;
        var root = new JsonObject
        {
            ["added_tokens"] = JsonNode.Parse("""[{"id":257,"content":"<|end|>","special":true}]"""),
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray("a b") },
            ["pre_tokenizer"] = JsonNode.Parse("""{"type":"ByteLevel","add_prefix_space":false,"use_regex":true}"""),
            ["decoder"] = JsonNode.Parse("""{"type":"ByteLevel"}"""),
        };
        byte[] good = System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
        var rng = new Random(19);
        int failures = 0;
        long most = 0;
        for (int round = 0; round < 60; round++)
        {
            string dir = Directory.CreateDirectory(Path.Combine(_root, "tok" + round)).FullName;
            File.WriteAllBytes(Path.Combine(dir, "tokenizer.json"), good);
            // Mutate near the structure (the first 300 bytes and the tail) as often as inside the long vocabulary.
            int len = good.Length;
            MutateBytes(rng, Path.Combine(dir, "tokenizer.json"), round % 2 == 0 ? 0 : len - 300, round % 2 == 0 ? 300 : len);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { _ = PolicyFiles.LoadTokenizer(dir).Encode("ab <|end|>"); }
            catch (Exception e) when (e is CheckpointException or UnsafeFileException) { failures++; }
            most = Math.Max(most, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(failures > 10, $"only {failures} of 60 mutations were refused");
        Assert.True(most < AllocationBound, $"a load allocated {most:N0} managed bytes");
    }
}
