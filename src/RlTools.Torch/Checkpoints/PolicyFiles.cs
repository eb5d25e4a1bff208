using System.Text.Json;
using System.Text.Json.Nodes;
using RlTools.Core.IO;
using RlTools.Torch.Models;
using RlTools.Torch.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Checkpoints;

/// <summary>
/// Policies in the Hugging Face folder layout: <c>config.json</c>, <c>model.safetensors</c> or shards with
/// <c>model.safetensors.index.json</c>, <c>generation_config.json</c>, and the tokenizer files. The byte tokenizer is
/// recorded as <c>tokenizer_config.json</c> with <c>"tokenizer_class": "RlToolsByteTokenizer"</c>.
/// </summary>
public static class PolicyFiles
{
    /// <summary>tokenizer_class that marks the byte tokenizer.</summary>
    public const string ByteTokenizerClass = "RlToolsByteTokenizer";

    private static readonly string[] TokenizerFileNames =
        { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "added_tokens.json", "chat_template.jinja", "chat_template.json" };

    /// <summary>Parses a device name (cpu, cuda, cuda:1).</summary>
    public static Device ParseDevice(string device)
    {
        if (device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !cuda.is_available())
            throw new CheckpointException("CudaUnavailable", null, null, $"Device '{device}' was asked for, but CUDA is not available in this process. Use -Device cpu, or build the module with -TorchBackend cuda-linux on a CUDA machine.");
        return torch.device(device.ToLowerInvariant());
    }

    /// <summary>A freshly initialised policy of <paramref name="config"/> (seeded when <paramref name="seed"/> is given).</summary>
    public static Policy New(ModelConfig config, ITokenizer tokenizer, string? tokenizerPath, long? seed, string device = "cpu", string dtype = "float32")
    {
        CheckVocab(tokenizer, config, tokenizerPath ?? "the byte tokenizer");
        CheckMemory(config, null);
        var model = CausalLMFactory.Create(config, ParseDevice(device), DTypes.Parse(dtype), seed);
        return new Policy(model, tokenizer) { TokenizerPath = tokenizerPath };
    }

    /// <summary>Loads the tokenizer of checkpoint folder <paramref name="dir"/>: the byte tokenizer when its tokenizer_config.json says so, else tokenizer.json.</summary>
    public static ITokenizer LoadTokenizer(string dir)
    {
        string cfg = Path.Combine(dir, "tokenizer_config.json");
        if (File.Exists(cfg) && !File.Exists(Path.Combine(dir, "tokenizer.json")))
        {
            JsonNode? n;
            try { n = JsonNode.Parse(SafeFile.ReadSmallText(cfg)); }
            catch (JsonException e) { throw new CheckpointException("TokenizerConfigInvalid", cfg, null, $"'{cfg}' is not valid JSON: {e.Message}"); }
            string? cls;
            try { cls = n?["tokenizer_class"]?.GetValue<string>(); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
            { throw new CheckpointException("TokenizerConfigInvalid", cfg, null, $"'{cfg}' is not a valid tokenizer_config.json (duplicate keys, or tokenizer_class is not text): {e.Message.Split('\n')[0]}"); }
            if (cls == ByteTokenizerClass) return new ByteTokenizer();
        }
        if (!File.Exists(Path.Combine(dir, "tokenizer.json")))
            throw new CheckpointException("TokenizerNotFound", Path.Combine(dir, "tokenizer.json"), null,
                $"'{dir}' has no tokenizer.json (and no byte-tokenizer tokenizer_config.json). Copy the tokenizer files of the base model into the folder.");
        try { return TokenizerFiles.Load(dir); }
        catch (Exception e) when (e is InvalidDataException or FormatException or InvalidOperationException or ArgumentException or KeyNotFoundException or OverflowException or JsonException)
        {
            throw new CheckpointException("TokenizerInvalid", Path.Combine(dir, "tokenizer.json"), null,
                e is InvalidDataException ? e.Message : $"'{Path.Combine(dir, "tokenizer.json")}' is malformed ({e.Message.Split('\n')[0]}). Copy the tokenizer files of the base model into the folder.");
        }
    }

    /// <summary>
    /// Loads a policy from Hugging Face checkpoint folder <paramref name="dir"/>. Weights that hold NaN or infinities
    /// are refused (NonFiniteWeights) unless <paramref name="allowNonFinite"/>.
    /// </summary>
    public static Policy Load(string dir, string device = "cpu", string dtype = "float32", bool frozen = false, bool allowNonFinite = false)
    {
        // An Export-RlPolicy killed between its two renames leaves the previous checkpoint as .<name>.<id>.old: put it back.
        try { AtomicFile.RecoverDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        if (!Directory.Exists(dir)) throw new CheckpointException("CheckpointNotFound", dir, null, $"The checkpoint folder '{dir}' does not exist.");
        ModelConfig config;
        string configPath = Path.Combine(dir, "config.json");
        try { config = ModelConfig.Load(configPath); }
        catch (ModelConfigException e) { throw new CheckpointException(e.ErrorId, configPath, null, e.Message); }

        // Which file holds each tensor.
        var files = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var where = new Dictionary<string, string>(StringComparer.Ordinal);
        string index = Path.Combine(dir, "model.safetensors.index.json"), single = Path.Combine(dir, "model.safetensors");
        if (File.Exists(index))
        {
            JsonNode? n;
            try { n = JsonNode.Parse(SafeFile.ReadSmallText(index)); }
            catch (JsonException e) { throw new CheckpointException("InvalidWeightIndex", index, null, $"'{index}' is not valid JSON: {e.Message}"); }
            JsonObject? map;
            try { map = n?["weight_map"] as JsonObject; map?.ToList(); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            { throw new CheckpointException("InvalidWeightIndex", index, null, $"'{index}' names a key twice or is not an object ({e.Message.Split('\n')[0]})."); }
            if (map is null) throw new CheckpointException("InvalidWeightIndex", index, null, $"'{index}' has no weight_map object.");
            string root = Path.GetFullPath(dir);
            foreach (var (name, file) in map)
            {
                if (file is not JsonValue fv || !fv.TryGetValue(out string? rel) || rel.Length == 0)
                    throw new CheckpointException("InvalidWeightIndex", index, name, $"'{index}' maps tensor '{name}' to {file?.ToJsonString() ?? "null"}; each weight_map value must be a file name.");
                string f = Path.GetFullPath(Path.Combine(root, rel));
                if (Path.IsPathRooted(rel) || Path.GetDirectoryName(f) != root.TrimEnd(Path.DirectorySeparatorChar))
                    throw new CheckpointException("WeightIndexOutsideCheckpoint", index, name,
                        $"'{index}' maps tensor '{name}' to '{rel}', which is not a file directly inside the checkpoint folder. Shards must sit next to the index; fix the weight_map (a crafted index could otherwise read any file).");
                if (!files.ContainsKey(f))
                {
                    if (!File.Exists(f)) throw new CheckpointException("WeightsFileNotFound", f, name, $"'{index}' maps tensor '{name}' to '{f}', which does not exist.");
                    files[f] = SafetensorsFile.Open(f);
                }
                where[name] = f;
            }
        }
        else if (File.Exists(single))
        {
            files[single] = SafetensorsFile.Open(single);
            foreach (string name in files[single].Entries.Keys) where[name] = single;
        }
        else throw new CheckpointException("WeightsFileNotFound", single, null, $"'{dir}' has neither model.safetensors nor model.safetensors.index.json.");

        ITokenizer tokenizer = LoadTokenizer(dir);
        CheckVocab(tokenizer, config, Path.Combine(dir, "tokenizer.json"));
        CheckAgainstHeaders(config, files, where, dir, index);
        CheckMemory(config, configPath);

        var model = CausalLMFactory.Create(config, CPU, ScalarType.Float32, seed: 0);
        try
        {
            using (no_grad())
            {
                foreach (var (name, p) in model.Module.named_parameters())
                {
                    string file = where[name]; // CheckAgainstHeaders has found every tensor, with its shape
                    using var t = files[file].Read(name);
                    if (!allowNonFinite && t.is_floating_point())
                    {
                        using var bad = torch.isfinite(t).logical_not_().sum();
                        long n = bad.ToInt64();
                        if (n > 0)
                            throw new CheckpointException("NonFiniteWeights", file, name,
                                $"Tensor '{name}' in '{file}' holds {n:N0} NaN or infinite value(s) of {t.numel():N0}; training or generating from it would spread them. Restore an earlier checkpoint, or pass -AllowNonFiniteWeights to load it anyway (for inspection).");
                    }
                    p.copy_(t);
                }
            }
            model.MoveTo(ParseDevice(device), DTypes.Parse(dtype));
        }
        catch
        {
            model.Dispose();
            throw;
        }
        var policy = new Policy(model, tokenizer, frozen) { SourcePath = dir, TokenizerPath = tokenizer is ByteTokenizer ? null : dir };
        policy.StopTokenIds = ReadGenerationStops(Path.Combine(dir, "generation_config.json"));
        return policy;
    }

    /// <summary>
    /// Writes <paramref name="policy"/> to <paramref name="dir"/> in the Hugging Face layout, atomically (a temporary sibling
    /// folder renamed into place). Weights go to one model.safetensors, or to shards of at most
    /// <paramref name="maxShardBytes"/> with an index when they do not fit. <paramref name="writeExtra"/>, when given, runs
    /// last inside the same temporary folder (Export-RlPolicy -IncludeOptimizerState writes the trainer state there), so
    /// weights and extras land with one rename.
    /// </summary>
    public static void Save(Policy policy, string dir, long maxShardBytes = 5L << 30, Action<string>? writeExtra = null)
    {
        var model = policy.Model;
        if (model.Config is not { } config) throw new NotSupportedException($"Only models with a Hugging Face configuration can be exported; this policy holds {model.GetType().Name}.");
        if (policy.Tokenizer is not ByteTokenizer && (policy.TokenizerPath is null || !File.Exists(Path.Combine(policy.TokenizerPath, "tokenizer.json"))))
            throw new CheckpointException("TokenizerNotExportable", policy.TokenizerPath, null,
                "The policy's tokenizer files are not available to copy (the folder it was loaded from is gone). Export to a folder and copy tokenizer.json and tokenizer_config.json there by hand.");
        AtomicFile.WriteDirectory(dir, tmp =>
        {
            ModelConfig cfg = config.Clone();
            cfg.TorchDType = model.DTypeName;
            if (policy.Tokenizer.BosTokenId is int b) cfg.BosTokenId = b;
            if (policy.Tokenizer.EosTokenId is int e) cfg.EosTokenId = e;
            File.WriteAllText(Path.Combine(tmp, "config.json"), cfg.ToJson());
            var gen = new JsonObject { ["_from_model_config"] = true };
            if (cfg.BosTokenId is int gb) gen["bos_token_id"] = gb;
            var eos = new List<int>();
            if (cfg.EosTokenId is int ge) eos.Add(ge);
            eos.AddRange(policy.StopTokenIds.Where(x => !eos.Contains(x)));
            if (eos.Count == 1) gen["eos_token_id"] = eos[0];
            else if (eos.Count > 1) gen["eos_token_id"] = new JsonArray(eos.Select(x => (JsonNode)x).ToArray());
            if (policy.Tokenizer.PadTokenId is int pad) gen["pad_token_id"] = pad;
            File.WriteAllText(Path.Combine(tmp, "generation_config.json"), gen.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            WriteWeights(model, tmp, maxShardBytes);
            if (policy.Tokenizer is ByteTokenizer)
            {
                var tc = new JsonObject
                {
                    ["tokenizer_class"] = ByteTokenizerClass, ["bos_token_id"] = ByteTokenizer.Bos,
                    ["eos_token_id"] = ByteTokenizer.Eos, ["pad_token_id"] = ByteTokenizer.Pad, ["vocab_size"] = 259,
                };
                File.WriteAllText(Path.Combine(tmp, "tokenizer_config.json"), tc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                foreach (string f in TokenizerFileNames)
                {
                    string src = Path.Combine(policy.TokenizerPath!, f);
                    if (File.Exists(src)) File.Copy(src, Path.Combine(tmp, f));
                }
            }
            writeExtra?.Invoke(tmp);
        });
    }

    private static void WriteWeights(ICausalLM model, string dir, long maxShardBytes)
    {
        var parameters = model.Module.named_parameters().Select(x => (x.name, (Tensor)x.parameter)).ToList();
        var shards = new List<List<(string, Tensor)>> { new() };
        long size = 0, total = 0;
        foreach (var (name, t) in parameters)
        {
            long n = t.numel() * DTypes.Size(t.dtype);
            if (size > 0 && size + n > maxShardBytes) { shards.Add(new()); size = 0; }
            shards[^1].Add((name, t));
            size += n; total += n;
        }
        if (shards.Count == 1)
        {
            using var fs = new FileStream(Path.Combine(dir, "model.safetensors"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            SafetensorsFile.Write(fs, shards[0]);
            return;
        }
        var map = new JsonObject();
        for (int i = 0; i < shards.Count; i++)
        {
            string file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            using (var fs = new FileStream(Path.Combine(dir, file), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                SafetensorsFile.Write(fs, shards[i]);
            foreach (var (name, _) in shards[i]) map[name] = file;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = map };
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Compares config.json with the safetensors headers before anything is allocated: every tensor the config
    /// implies must be there with its shape (MissingTensor, TensorShapeMismatch), so a crafted or mismatched config
    /// is refused before a model of its size is built.
    /// </summary>
    private static void CheckAgainstHeaders(ModelConfig config, Dictionary<string, SafetensorsFile> files, Dictionary<string, string> where, string dir, string index)
    {
        foreach (var (name, shape) in config.ExpectedTensors())
        {
            if (!where.TryGetValue(name, out string? file))
                throw new CheckpointException("MissingTensor", files.Count == 1 ? files.Keys.First() : index, name,
                    $"The checkpoint in '{dir}' has no tensor '{name}', which config.json (model_type {config.ModelType}, {config.NumHiddenLayers} layers, tie_word_embeddings {config.TieWordEmbeddings.ToString().ToLowerInvariant()}) requires.");
            SafetensorsEntry e = files[file].Entries.TryGetValue(name, out var entry) ? entry
                : throw new CheckpointException("MissingTensor", file, name, $"'{file}' has no tensor '{name}' although the index says it does.");
            if (!e.Shape.SequenceEqual(shape))
                throw new CheckpointException("TensorShapeMismatch", file, name,
                    $"Tensor '{name}' in '{file}' has shape [{string.Join(", ", e.Shape)}], but config.json implies [{string.Join(", ", shape)}]. The weights and config.json belong to different models.");
        }
    }

    /// <summary>Refuses a model that cannot fit in this process's memory before it is allocated (float32 while loading).</summary>
    private static void CheckMemory(ModelConfig config, string? source)
    {
        long bytes = config.ParameterCount() * 4;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && bytes > available)
            throw new CheckpointException("ModelTooLarge", source, null,
                $"The model has {config.ParameterCount():N0} parameters ({bytes / (double)(1L << 30):0.#} GiB in float32 while loading), more than this machine's {available / (double)(1L << 30):0.#} GiB of memory. Use a smaller model or a machine with more memory.");
    }

    private static void CheckVocab(ITokenizer tokenizer, ModelConfig config, string tokenizerFile)
    {
        if (tokenizer.VocabSize > config.VocabSize)
            throw new CheckpointException("TokenizerVocabTooLarge", tokenizerFile, null,
                $"The tokenizer ({tokenizerFile}) has {tokenizer.VocabSize} ids but the model's embedding has vocab_size {config.VocabSize}; ids past {config.VocabSize - 1} would have no embedding. Use the tokenizer that belongs to the model, or a config with vocab_size >= {tokenizer.VocabSize}.");
    }

    private static int[] ReadGenerationStops(string path)
    {
        if (!File.Exists(path)) return Array.Empty<int>();
        try
        {
            JsonNode? eos = JsonNode.Parse(SafeFile.ReadSmallText(path))?["eos_token_id"];
            return eos switch
            {
                JsonArray a => a.Select(x => x!.GetValue<int>()).ToArray(),
                JsonValue v => new[] { v.GetValue<int>() },
                _ => Array.Empty<int>(),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new CheckpointException("GenerationConfigInvalid", path, null, $"'{path}' is not a valid generation_config.json: {e.Message}");
        }
    }
}
