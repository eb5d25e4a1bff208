using System.Collections;
using System.Globalization;
using System.Text.Json;
using RlTools.Core.IO;
using System.Text.Json.Nodes;

namespace RlTools.Torch.Models;

/// <summary>
/// The architecture of a Qwen2 / Qwen2.5 / Qwen3 / Llama-3 decoder, as Hugging Face <c>config.json</c>
/// spells it. Parsed from the file (<see cref="Load"/>), from a hashtable (<see cref="FromMap"/>)
/// or taken from a preset (<see cref="Preset"/>); written back by <see cref="ToJson"/>.
/// </summary>
public sealed class ModelConfig
{
    /// <summary>Model types this engine implements.</summary>
    public static readonly IReadOnlyList<string> SupportedModelTypes = new[] { "qwen2", "qwen3", "llama" };

    public string ModelType { get; set; } = "qwen2";
    public int HiddenSize { get; set; }
    public int IntermediateSize { get; set; }
    public int NumHiddenLayers { get; set; }
    public int NumAttentionHeads { get; set; }
    public int NumKeyValueHeads { get; set; }
    /// <summary>Per-head dimension; defaults to hidden_size / num_attention_heads.</summary>
    public int HeadDim { get; set; }
    public double RmsNormEps { get; set; } = 1e-6;
    public double RopeTheta { get; set; } = 10000;
    public int MaxPositionEmbeddings { get; set; } = 2048;
    public int VocabSize { get; set; }
    public bool TieWordEmbeddings { get; set; }
    /// <summary>Bias on q/k/v projections (Qwen2: always; Llama/Qwen3: attention_bias).</summary>
    public bool AttentionBias { get; set; }
    /// <summary>Qwen3 applies an RMSNorm to each query and key head before RoPE.</summary>
    public bool QkNorm => ModelType == "qwen3";
    /// <summary><c>rope_scaling</c> of type <c>llama3</c> (Llama 3.1+): factor, low/high frequency factors, original context.</summary>
    public RopeScaling? RopeScaling { get; set; }
    public int? BosTokenId { get; set; }
    public int? EosTokenId { get; set; }
    /// <summary>Weight dtype as the file says (<c>torch_dtype</c>), e.g. bfloat16; informational.</summary>
    public string TorchDType { get; set; } = "float32";

    /// <summary>Preset names for <see cref="Preset"/>.</summary>
    public static IReadOnlyList<string> PresetNames => new[] { "Tiny", "Small", "Qwen2.5-0.5B" };

    /// <summary>
    /// A named architecture: <c>Tiny</c> (2 layers, width 64, byte vocabulary; tests and demos),
    /// <c>Small</c> (4 layers, width 128), <c>Qwen2.5-0.5B</c> (the real shape, for benchmarks).
    /// </summary>
    public static ModelConfig Preset(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => new ModelConfig
        {
            ModelType = "qwen2", HiddenSize = 64, IntermediateSize = 176, NumHiddenLayers = 2, NumAttentionHeads = 4,
            NumKeyValueHeads = 2, HeadDim = 16, RmsNormEps = 1e-6, RopeTheta = 10000, MaxPositionEmbeddings = 1024,
            VocabSize = 259, TieWordEmbeddings = true, AttentionBias = true,
        },
        "small" => new ModelConfig
        {
            ModelType = "qwen2", HiddenSize = 128, IntermediateSize = 352, NumHiddenLayers = 4, NumAttentionHeads = 4,
            NumKeyValueHeads = 2, HeadDim = 32, RmsNormEps = 1e-6, RopeTheta = 10000, MaxPositionEmbeddings = 2048,
            VocabSize = 259, TieWordEmbeddings = true, AttentionBias = true,
        },
        "qwen2.5-0.5b" => new ModelConfig
        {
            ModelType = "qwen2", HiddenSize = 896, IntermediateSize = 4864, NumHiddenLayers = 24, NumAttentionHeads = 14,
            NumKeyValueHeads = 2, HeadDim = 64, RmsNormEps = 1e-6, RopeTheta = 1000000, MaxPositionEmbeddings = 32768,
            VocabSize = 151936, TieWordEmbeddings = true, AttentionBias = true, BosTokenId = 151643, EosTokenId = 151643,
            TorchDType = "bfloat16",
        },
        _ => throw new ModelConfigException("UnknownModelPreset", null,
            $"There is no model preset named '{name}'. Use one of: {string.Join(", ", PresetNames)}, a config.json path or a hashtable of config.json keys."),
    };

    /// <summary>Reads and validates <paramref name="path"/> (a config.json).</summary>
    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new ModelConfigException("ConfigNotFound", path, $"The model config '{path}' does not exist. A Hugging Face checkpoint folder needs a config.json.");
        JsonNode? node;
        try { node = JsonNode.Parse(SafeFile.ReadSmallText(path)); }
        catch (JsonException e) { throw new ModelConfigException("ConfigInvalidJson", path, $"The model config '{path}' is not valid JSON: {e.Message}"); }
        catch (UnsafeFileException e) { throw new ModelConfigException(e.ErrorId, path, e.Message); }
        if (node is not JsonObject obj)
            throw new ModelConfigException("ConfigInvalidJson", path, $"The model config '{path}' must hold a JSON object.");
        var map = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        try { foreach (var (k, v) in obj) map.Add(k, v); }
        catch (ArgumentException)
        {
            throw new ModelConfigException("ConfigInvalidJson", path, $"The model config '{path}' names a key twice (keys are compared ignoring case, as Hugging Face's loaders do); keep one of them.");
        }
        return FromDictionary(map, path);
    }

    /// <summary>Builds a config from config.json keys (snake_case, case-insensitive); values may be JSON nodes or plain .NET values.</summary>
    public static ModelConfig FromMap(IDictionary map, string? source = null)
    {
        var m = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry e in map) m[e.Key.ToString()!] = e.Value;
        return FromDictionary(m, source);
    }

    private static ModelConfig FromDictionary(Dictionary<string, object?> m, string? source)
    {
        string where = source is null ? "the model config" : $"'{source}'";
        string type = (Str(m, "model_type") ?? throw new ModelConfigException("ConfigMissingField", source, $"{where} has no model_type. Set it to one of: {string.Join(", ", SupportedModelTypes)}.")).ToLowerInvariant();
        if (!SupportedModelTypes.Contains(type))
            throw new ModelConfigException("UnknownModelType", source, $"{where} has model_type '{type}', which RlTools does not implement. Supported: {string.Join(", ", SupportedModelTypes)}.");

        int Req(string key) => Int(m, key) ?? throw new ModelConfigException("ConfigMissingField", source, $"{where} has no '{key}'. Add it (an integer).");
        var c = new ModelConfig
        {
            ModelType = type,
            HiddenSize = Req("hidden_size"),
            IntermediateSize = Req("intermediate_size"),
            NumHiddenLayers = Req("num_hidden_layers"),
            NumAttentionHeads = Req("num_attention_heads"),
            VocabSize = Req("vocab_size"),
        };
        c.NumKeyValueHeads = Int(m, "num_key_value_heads") ?? c.NumAttentionHeads;
        c.HeadDim = Int(m, "head_dim") ?? (c.NumAttentionHeads > 0 ? c.HiddenSize / c.NumAttentionHeads : 0);
        c.RmsNormEps = Dbl(m, "rms_norm_eps") ?? 1e-6;
        c.RopeTheta = Dbl(m, "rope_theta") ?? 10000;
        c.MaxPositionEmbeddings = Int(m, "max_position_embeddings") ?? 2048;
        c.TieWordEmbeddings = Bool(m, "tie_word_embeddings") ?? false;
        c.AttentionBias = type == "qwen2" || (Bool(m, "attention_bias") ?? false);
        c.BosTokenId = Int(m, "bos_token_id");
        c.EosTokenId = Int(m, "eos_token_id");
        c.TorchDType = Str(m, "torch_dtype") ?? Str(m, "dtype") ?? "float32";
        if (m.TryGetValue("rope_scaling", out object? rs) && rs is not null && rs is not JsonValue)
            c.RopeScaling = RopeScaling.From(rs, where, source);
        c.Validate(source);
        return c;
    }

    /// <summary>Checks the shapes fit together; throws <see cref="ModelConfigException"/> saying which key to fix.</summary>
    public void Validate(string? source = null)
    {
        string where = source is null ? "the model config" : $"'{source}'";
        void Positive(int v, string key) { if (v <= 0) throw new ModelConfigException("ConfigInvalidValue", source, $"{where}: {key} must be a positive integer, not {v}."); }
        Positive(HiddenSize, "hidden_size"); Positive(IntermediateSize, "intermediate_size"); Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads"); Positive(NumKeyValueHeads, "num_key_value_heads"); Positive(HeadDim, "head_dim");
        Positive(VocabSize, "vocab_size"); Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new ModelConfigException("ConfigInvalidValue", source, $"{where}: num_attention_heads ({NumAttentionHeads}) must be a multiple of num_key_value_heads ({NumKeyValueHeads}).");
        if (HeadDim % 2 != 0)
            throw new ModelConfigException("ConfigInvalidValue", source, $"{where}: head_dim ({HeadDim}) must be even for rotary embeddings.");
        if (!(RmsNormEps > 0) || !(RopeTheta > 0))
            throw new ModelConfigException("ConfigInvalidValue", source, $"{where}: rms_norm_eps and rope_theta must be positive.");
        if (NumHiddenLayers > MaxLayers)
            throw new ModelConfigException("ConfigInvalidValue", source, $"{where}: num_hidden_layers is {NumHiddenLayers}, over RlTools' bound of {MaxLayers} (released models have a few hundred at most). Fix the config.");
        long count;
        try { count = ParameterCount(); }
        catch (OverflowException) { count = long.MaxValue; }
        if (count > MaxParameters)
            throw new ModelConfigException("ConfigInvalidValue", source, $"{where} describes a model of {(count == long.MaxValue ? "more than 2^63" : count.ToString("N0", CultureInfo.InvariantCulture))} parameters, over RlTools' bound of {MaxParameters:N0}. Check hidden_size, intermediate_size, num_hidden_layers and vocab_size.");
    }

    /// <summary>A copy (presets are shared templates).</summary>
    public ModelConfig Clone()
    {
        var c = (ModelConfig)MemberwiseClone();
        c.RopeScaling = RopeScaling is null ? null : RopeScaling with { };
        return c;
    }

    /// <summary>config.json as Hugging Face transformers writes it for this model type.</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(ModelType switch { "qwen2" => "Qwen2ForCausalLM", "qwen3" => "Qwen3ForCausalLM", _ => "LlamaForCausalLM" }),
            ["model_type"] = ModelType,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["vocab_size"] = VocabSize,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["torch_dtype"] = TorchDType,
            ["use_cache"] = true,
        };
        if (ModelType != "qwen2") o["attention_bias"] = AttentionBias;
        if (BosTokenId is int b) o["bos_token_id"] = b;
        if (EosTokenId is int e) o["eos_token_id"] = e;
        if (RopeScaling is { } r)
            o["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = "llama3", ["factor"] = r.Factor, ["low_freq_factor"] = r.LowFreqFactor,
                ["high_freq_factor"] = r.HighFreqFactor, ["original_max_position_embeddings"] = r.OriginalMaxPositionEmbeddings,
            };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Bounds checked before anything is allocated: layers, and parameters (10^12, far past what a CPU or one GPU can hold).</summary>
    public const int MaxLayers = 1024;
    public const long MaxParameters = 1_000_000_000_000;

    /// <summary>
    /// The tensors (Hugging Face names and shapes) the model this config describes holds, in load order, computed
    /// without allocating anything: the checkpoint loader compares them with the safetensors headers first, so a
    /// config that disagrees with its weights is refused before a model is built. (A test keeps it equal to
    /// <see cref="DecoderLM"/>'s named parameters.)
    /// </summary>
    public IEnumerable<(string Name, long[] Shape)> ExpectedTensors()
    {
        long h = HiddenSize, q = (long)NumAttentionHeads * HeadDim, kv = (long)NumKeyValueHeads * HeadDim, i = IntermediateSize;
        yield return ("model.embed_tokens.weight", [VocabSize, h]);
        for (int l = 0; l < NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            yield return (p + "self_attn.q_proj.weight", [q, h]);
            if (AttentionBias) yield return (p + "self_attn.q_proj.bias", [q]);
            yield return (p + "self_attn.k_proj.weight", [kv, h]);
            if (AttentionBias) yield return (p + "self_attn.k_proj.bias", [kv]);
            yield return (p + "self_attn.v_proj.weight", [kv, h]);
            if (AttentionBias) yield return (p + "self_attn.v_proj.bias", [kv]);
            yield return (p + "self_attn.o_proj.weight", [h, q]);
            if (QkNorm)
            {
                yield return (p + "self_attn.q_norm.weight", [HeadDim]);
                yield return (p + "self_attn.k_norm.weight", [HeadDim]);
            }
            yield return (p + "mlp.gate_proj.weight", [i, h]);
            yield return (p + "mlp.up_proj.weight", [i, h]);
            yield return (p + "mlp.down_proj.weight", [h, i]);
            yield return (p + "input_layernorm.weight", [h]);
            yield return (p + "post_attention_layernorm.weight", [h]);
        }
        yield return ("model.norm.weight", [h]);
        if (!TieWordEmbeddings) yield return ("lm_head.weight", [VocabSize, h]);
    }

    /// <summary>Parameter count of the model this config describes (throws <see cref="OverflowException"/> past 2^63).</summary>
    public long ParameterCount()
    {
        checked
        {
            long h = HiddenSize, q = (long)NumAttentionHeads * HeadDim, kv = (long)NumKeyValueHeads * HeadDim;
            long attn = h * q + 2 * h * kv + q * h + (AttentionBias ? q + 2 * kv : 0) + (QkNorm ? 2L * HeadDim : 0);
            long mlp = 3 * h * IntermediateSize;
            long layer = attn + mlp + 2 * h;
            return VocabSize * h * (TieWordEmbeddings ? 1 : 2) + NumHiddenLayers * layer + h;
        }
    }

    internal static string? Str(Dictionary<string, object?> m, string key) => m.TryGetValue(key, out var v) ? v switch
    {
        null => null,
        JsonValue j when j.TryGetValue(out string? s) => s,
        JsonNode => null,
        _ => Convert.ToString(v, CultureInfo.InvariantCulture),
    } : null;

    internal static int? Int(Dictionary<string, object?> m, string key)
    {
        if (!m.TryGetValue(key, out var v) || v is null) return null;
        if (v is JsonArray arr) return arr.Count > 0 ? Int(new(StringComparer.Ordinal) { ["x"] = arr[0] }, "x") : null; // eos_token_id may be a list
        if (v is JsonValue j)
        {
            if (j.TryGetValue(out int i)) return i;
            if (j.TryGetValue(out long l)) return checked((int)l);
            if (j.TryGetValue(out double d) && d == Math.Floor(d)) return (int)d;
            throw new ModelConfigException("ConfigInvalidValue", null, $"config key '{key}' must be an integer, not {j.ToJsonString()}.");
        }
        if (v is IEnumerable e and not string) { foreach (object? x in e) return Int(new(StringComparer.Ordinal) { ["x"] = x }, "x"); return null; }
        try { return Convert.ToInt32(v, CultureInfo.InvariantCulture); }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        { throw new ModelConfigException("ConfigInvalidValue", null, $"config key '{key}' must be an integer, not '{v}'."); }
    }

    internal static double? Dbl(Dictionary<string, object?> m, string key)
    {
        if (!m.TryGetValue(key, out var v) || v is null) return null;
        if (v is JsonValue j) return j.TryGetValue(out double d) ? d : throw new ModelConfigException("ConfigInvalidValue", null, $"config key '{key}' must be a number, not {j.ToJsonString()}.");
        try { return Convert.ToDouble(v, CultureInfo.InvariantCulture); }
        catch (Exception ex) when (ex is FormatException or InvalidCastException)
        { throw new ModelConfigException("ConfigInvalidValue", null, $"config key '{key}' must be a number, not '{v}'."); }
    }

    internal static bool? Bool(Dictionary<string, object?> m, string key)
    {
        if (!m.TryGetValue(key, out var v) || v is null) return null;
        if (v is JsonValue j) return j.TryGetValue(out bool b) ? b : throw new ModelConfigException("ConfigInvalidValue", null, $"config key '{key}' must be true or false, not {j.ToJsonString()}.");
        if (v is bool bb) return bb;
        return Convert.ToBoolean(v, CultureInfo.InvariantCulture);
    }
}

/// <summary>Llama-3 rotary frequency scaling (<c>rope_scaling.rope_type = "llama3"</c>).</summary>
public sealed record RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings)
{
    internal static RopeScaling From(object node, string where, string? source)
    {
        var m = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (node is JsonObject jo) foreach (var (k, v) in jo) m[k] = v;
        else if (node is IDictionary d) foreach (DictionaryEntry e in d) m[e.Key.ToString()!] = e.Value;
        string type = ModelConfig.Str(m, "rope_type") ?? ModelConfig.Str(m, "type") ?? "";
        if (type != "llama3")
            throw new ModelConfigException("UnsupportedRopeScaling", source, $"{where} has rope_scaling type '{type}'; RlTools implements 'llama3' only (or no rope_scaling).");
        return new RopeScaling(ModelConfig.Dbl(m, "factor") ?? 8, ModelConfig.Dbl(m, "low_freq_factor") ?? 1,
            ModelConfig.Dbl(m, "high_freq_factor") ?? 4, ModelConfig.Int(m, "original_max_position_embeddings") ?? 8192);
    }
}

/// <summary>A model config that cannot be used: <see cref="ErrorId"/> is stable, <see cref="File"/> names the file when there is one.</summary>
public sealed class ModelConfigException(string errorId, string? file, string message) : Exception(message)
{
    public string ErrorId { get; } = errorId;
    public string? File { get; } = file;
}
