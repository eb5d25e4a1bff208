using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using RlTools.Core.IO;
using System.Text.RegularExpressions;

namespace RlTools.Torch.Tokenizers;

/// <summary>
/// Loads the tokenizer of a Hugging Face checkpoint folder: <c>tokenizer.json</c> (BPE, byte-level as in GPT-2,
/// Qwen and Llama 3, or SentencePiece-style with byte fallback as in Llama 2, Mistral and Gemma 3: model,
/// normalizer, pre-tokenizer, post-processor, decoder, added tokens) and, when present,
/// <c>tokenizer_config.json</c> (bos/eos/pad tokens, additional special tokens, chat template).
/// Errors name the file: <see cref="DirectoryNotFoundException"/> / <see cref="FileNotFoundException"/>
/// for missing files, <see cref="InvalidDataException"/> for malformed or unsupported content.
/// </summary>
public static class TokenizerFiles
{
    public const string TokenizerJson = "tokenizer.json";
    public const string TokenizerConfigJson = "tokenizer_config.json";

    private static readonly ConcurrentDictionary<string, ((DateTime, DateTime) Stamp, ITokenizer Tokenizer)> Shared = new(StringComparer.Ordinal);

    /// <summary>
    /// Loads <c>tokenizer.json</c> (and <c>tokenizer_config.json</c> when present) from <paramref name="directory"/>.
    /// A path to a <c>tokenizer.json</c> file is accepted too (its folder supplies the config). The result is a
    /// <see cref="ByteLevelBpeTokenizer"/> or a <see cref="SentencePieceBpeTokenizer"/> (byte fallback, or a decoder
    /// that is not ByteLevel).
    /// </summary>
    public static ITokenizer Load(string directory)
    {
        var (tokenizerPath, configPath) = Locate(directory);
        using JsonDocument tokenizerDoc = ReadJson(tokenizerPath);
        using JsonDocument? configDoc = File.Exists(configPath) ? ReadJson(configPath) : null;
        ITokenizer tokenizer = Build(tokenizerDoc.RootElement, tokenizerPath, configDoc?.RootElement, configPath);
        if (tokenizer is ByteLevelBpeTokenizer b) b.SourcePath = tokenizerPath;
        else if (tokenizer is SentencePieceBpeTokenizer sp) sp.SourcePath = tokenizerPath;
        return tokenizer;
    }

    /// <summary>Like <see cref="Load"/>, for a byte-level BPE tokenizer (<see cref="InvalidDataException"/> for another kind).</summary>
    public static ByteLevelBpeTokenizer LoadByteLevelBpe(string directory) => Load(directory) as ByteLevelBpeTokenizer
        ?? throw new InvalidDataException($"{directory}: the tokenizer is SentencePiece-style BPE, not byte-level BPE.");

    /// <summary>Like <see cref="Load"/>, for a SentencePiece-style BPE tokenizer (<see cref="InvalidDataException"/> for another kind).</summary>
    public static SentencePieceBpeTokenizer LoadSentencePieceBpe(string directory) => Load(directory) as SentencePieceBpeTokenizer
        ?? throw new InvalidDataException($"{directory}: the tokenizer is byte-level BPE, not SentencePiece-style BPE.");

    /// <summary>
    /// <see cref="LoadByteLevelBpe"/> with a process-wide cache keyed by the full path and the files' write
    /// times (tokenizers are immutable and thread-safe), so pipelines do not re-read large files.
    /// </summary>
    public static ITokenizer LoadShared(string directory)
    {
        var (tokenizerPath, configPath) = Locate(directory);
        var stamp = (File.GetLastWriteTimeUtc(tokenizerPath), File.Exists(configPath) ? File.GetLastWriteTimeUtc(configPath) : default);
        if (Shared.TryGetValue(tokenizerPath, out var hit) && hit.Stamp == stamp) return hit.Tokenizer;
        ITokenizer t = Load(directory);
        Shared[tokenizerPath] = (stamp, t);
        return t;
    }

    private static (string Tokenizer, string Config) Locate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
            return (full, Path.Combine(Path.GetDirectoryName(full)!, TokenizerConfigJson));
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"The tokenizer folder '{full}' does not exist. Give the folder of a Hugging Face checkpoint (with {TokenizerJson}).");
        string tokenizer = Path.Combine(full, TokenizerJson);
        if (!File.Exists(tokenizer))
            throw new FileNotFoundException($"The folder '{full}' has no {TokenizerJson}. Only Hugging Face fast-tokenizer files are supported; save the tokenizer with tokenizer.save_pretrained() to create it.", tokenizer);
        return (tokenizer, Path.Combine(full, TokenizerConfigJson));
    }

    /// <summary>Bound on tokenizer.json and tokenizer_config.json (the largest real ones are tens of MB).</summary>
    public const long MaxJsonBytes = 512L << 20;

    private static JsonDocument ReadJson(string file)
    {
        try
        {
            using FileStream stream = SafeFile.OpenRead(file, 1 << 16, FileOptions.None);
            if (stream.Length > MaxJsonBytes)
                throw new InvalidDataException($"{file}: {stream.Length:N0} bytes, over the {MaxJsonBytes >> 20} MiB RlTools reads for a tokenizer file (real ones are a few MB); it cannot be a genuine one.");
            return JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: not valid JSON ({e.Message}). The file may be truncated; download it again.", e);
        }
    }

    private static InvalidDataException Bad(string file, string what) => new($"{file}: {what}");

    private static ITokenizer Build(JsonElement root, string file, JsonElement? config, string configFile)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Bad(file, "expected a JSON object at the top level.");
        if (!root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
            throw Bad(file, "has no 'model' object; this is not a Hugging Face tokenizer.json.");
        string modelType = model.TryGetProperty("type", out JsonElement mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString()! : "BPE";
        if (modelType != "BPE")
            throw Bad(file, $"model type '{modelType}' is not supported; only BPE tokenizers (byte-level: GPT-2, Qwen, Llama 3; SentencePiece-style: Llama 2, Mistral, Gemma 3) are.");
        bool byteFallback = model.TryGetProperty("byte_fallback", out JsonElement bf) && bf.ValueKind == JsonValueKind.True;
        bool sentencePiece = byteFallback || (root.TryGetProperty("decoder", out JsonElement decoder0) && decoder0.ValueKind == JsonValueKind.Object && !IsByteLevelDecoder(decoder0));
        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (model.TryGetProperty(affix, out JsonElement a) && a.ValueKind == JsonValueKind.String && a.GetString()!.Length > 0)
                throw Bad(file, $"BPE with a non-empty {affix} is not supported.");

        if (!model.TryGetProperty("vocab", out JsonElement vocabEl) || vocabEl.ValueKind != JsonValueKind.Object)
            throw Bad(file, "model.vocab is missing or not an object.");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty p in vocabEl.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                throw Bad(file, $"model.vocab entry '{p.Name}' has no valid id.");
            vocab[p.Name] = id;
        }

        if (!model.TryGetProperty("merges", out JsonElement mergesEl) || mergesEl.ValueKind != JsonValueKind.Array)
            throw Bad(file, "model.merges is missing or not an array.");
        var merges = new List<(string, string)>(mergesEl.GetArrayLength());
        foreach (JsonElement m in mergesEl.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String)
            {
                string s = m.GetString()!;
                int space = s.IndexOf(' ');
                if (space <= 0 || space == s.Length - 1 || s.IndexOf(' ', space + 1) >= 0)
                    throw Bad(file, $"merge {merges.Count} ('{s}') is not two tokens separated by one space.");
                merges.Add((s[..space], s[(space + 1)..]));
            }
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2 && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
                merges.Add((m[0].GetString()!, m[1].GetString()!));
            else
                throw Bad(file, $"merge {merges.Count} is neither \"a b\" nor [\"a\", \"b\"].");
        }
        bool ignoreMerges = model.TryGetProperty("ignore_merges", out JsonElement im) && im.ValueKind == JsonValueKind.True;
        int? unkId = null;
        if (model.TryGetProperty("unk_token", out JsonElement unk) && unk.ValueKind == JsonValueKind.String && vocab.TryGetValue(unk.GetString()!, out int u)) unkId = u;

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out JsonElement addedEl) && addedEl.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement t in addedEl.EnumerateArray())
            {
                if (!t.TryGetProperty("id", out JsonElement idEl) || !idEl.TryGetInt32(out int id) || id < 0 ||
                    !t.TryGetProperty("content", out JsonElement c) || c.ValueKind != JsonValueKind.String)
                    throw Bad(file, $"added_tokens[{added.Count}] needs an integer 'id' and a string 'content'.");
                if (sentencePiece && Flag(t, "normalized"))
                    throw Bad(file, $"added token '{c.GetString()}' is normalized; SentencePiece-style tokenizers with normalized added tokens are not supported.");
                added.Add(new AddedToken(id, c.GetString()!, Flag(t, "special"), Flag(t, "lstrip"), Flag(t, "rstrip")));
            }
        }

        if (sentencePiece) return BuildSentencePiece(root, file, config, configFile, vocab, merges, added, byteFallback, ignoreMerges, unkId,
            model.TryGetProperty("fuse_unk", out JsonElement fu) && fu.ValueKind == JsonValueKind.True);
        NormalizationForm[] normalizers = root.TryGetProperty("normalizer", out JsonElement norm) ? ParseNormalizer(norm, file) : [];
        PreTokenizer? pre = root.TryGetProperty("pre_tokenizer", out JsonElement preEl) ? ParsePreTokenizer(preEl, file) : null;
        if (!root.TryGetProperty("decoder", out JsonElement dec) || !IsByteLevelDecoder(dec))
            throw Bad(file, "decoder is not ByteLevel; only byte-level BPE tokenizers are supported.");

        var tokenIds = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        foreach (AddedToken t in added) tokenIds[t.Content] = t.Id;
        var prefix = new List<int>();
        var suffix = new List<int>();
        if (root.TryGetProperty("post_processor", out JsonElement post)) ParsePostProcessor(post, file, prefix, suffix);

        var extraSpecial = new List<string>();
        string? bos = null, eos = null, pad = null, template = null;
        if (config is JsonElement cfg)
        {
            if (cfg.ValueKind != JsonValueKind.Object) throw Bad(configFile, "expected a JSON object at the top level.");
            bos = TokenString(cfg, "bos_token", configFile);
            eos = TokenString(cfg, "eos_token", configFile);
            pad = TokenString(cfg, "pad_token", configFile);
            if (cfg.TryGetProperty("additional_special_tokens", out JsonElement extra) && extra.ValueKind == JsonValueKind.Array)
                foreach (JsonElement e in extra.EnumerateArray())
                    if (e.ValueKind == JsonValueKind.String) extraSpecial.Add(e.GetString()!);
                    else if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("content", out JsonElement ec) && ec.ValueKind == JsonValueKind.String) extraSpecial.Add(ec.GetString()!);
            if (cfg.TryGetProperty("chat_template", out JsonElement ct))
            {
                if (ct.ValueKind == JsonValueKind.String) template = ct.GetString();
                else if (ct.ValueKind == JsonValueKind.Array)
                    foreach (JsonElement e in ct.EnumerateArray())
                        if (e.TryGetProperty("name", out JsonElement n) && n.GetString() == "default" && e.TryGetProperty("template", out JsonElement tt)) template = tt.GetString();
            }
        }

        var tokenizer = new ByteLevelBpeTokenizer(vocab, merges, added, pre, normalizers, ignoreMerges, unkId, [.. prefix], [.. suffix], extraSpecial, file)
        {
            BosTokenId = Resolve(bos, "bos_token"),
            EosTokenId = Resolve(eos, "eos_token"),
            PadTokenId = Resolve(pad, "pad_token"),
            ChatTemplate = template,
        };
        return tokenizer;

        int? Resolve(string? token, string key)
        {
            if (token is null) return null;
            return tokenIds.TryGetValue(token, out int id) ? id
                : throw Bad(configFile, $"{key} '{token}' is not a token of {file}. Fix {key} or use the matching tokenizer.json.");
        }
    }

    private static SentencePieceBpeTokenizer BuildSentencePiece(JsonElement root, string file, JsonElement? config, string configFile,
        Dictionary<string, int> vocab, List<(string, string)> merges, List<AddedToken> added, bool byteFallback, bool ignoreMerges, int? unkId, bool fuseUnk)
    {
        var normalizers = new List<SpNormalizer>();
        if (root.TryGetProperty("normalizer", out JsonElement norm)) ParseSpNormalizer(norm, file, normalizers);
        var pre = new List<SpPreTokenizer>();
        if (root.TryGetProperty("pre_tokenizer", out JsonElement preEl)) ParseSpPreTokenizer(preEl, file, pre);
        var decoders = new List<SpDecoder>();
        if (root.TryGetProperty("decoder", out JsonElement dec)) ParseSpDecoder(dec, file, decoders);
        var prefix = new List<int>();
        var suffix = new List<int>();
        if (root.TryGetProperty("post_processor", out JsonElement post)) ParsePostProcessor(post, file, prefix, suffix);

        var tokenIds = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        foreach (AddedToken t in added) tokenIds[t.Content] = t.Id;
        var extraSpecial = new List<string>();
        string? bos = null, eos = null, pad = null;
        if (config is JsonElement cfg)
        {
            if (cfg.ValueKind != JsonValueKind.Object) throw Bad(configFile, "expected a JSON object at the top level.");
            bos = TokenString(cfg, "bos_token", configFile);
            eos = TokenString(cfg, "eos_token", configFile);
            pad = TokenString(cfg, "pad_token", configFile);
            if (cfg.TryGetProperty("additional_special_tokens", out JsonElement extra) && extra.ValueKind == JsonValueKind.Array)
                foreach (JsonElement e in extra.EnumerateArray())
                    if (e.ValueKind == JsonValueKind.String) extraSpecial.Add(e.GetString()!);
                    else if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("content", out JsonElement ec) && ec.ValueKind == JsonValueKind.String) extraSpecial.Add(ec.GetString()!);
        }
        return new SentencePieceBpeTokenizer(vocab, merges, added, byteFallback, fuseUnk, ignoreMerges, unkId, normalizers, pre, decoders, [.. prefix], [.. suffix], extraSpecial, file)
        {
            BosTokenId = Resolve(bos, "bos_token"),
            EosTokenId = Resolve(eos, "eos_token"),
            PadTokenId = Resolve(pad, "pad_token"),
        };

        int? Resolve(string? token, string key)
        {
            if (token is null) return null;
            return tokenIds.TryGetValue(token, out int id) ? id
                : throw Bad(configFile, $"{key} '{token}' is not a token of {file}. Fix {key} or use the matching tokenizer.json.");
        }
    }

    private static string PatternString(JsonElement e, string file, string what)
    {
        if (e.TryGetProperty("pattern", out JsonElement p) && p.ValueKind == JsonValueKind.Object &&
            p.TryGetProperty("String", out JsonElement s) && s.ValueKind == JsonValueKind.String)
            return s.GetString()!;
        throw Bad(file, $"{what} needs a pattern {{\"String\": ...}}; regex patterns are not supported in SentencePiece-style tokenizers.");
    }

    private static string StringProp(JsonElement e, string name, string file, string what)
        => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Bad(file, $"{what} has no string '{name}'.");

    private static void ParseSpNormalizer(JsonElement e, string file, List<SpNormalizer> output)
    {
        if (e.ValueKind == JsonValueKind.Null) return;
        string type = TypeOf(e, file, "normalizer");
        switch (type)
        {
            case "NFC": output.Add(new SpNormalizer.Unicode(NormalizationForm.FormC)); return;
            case "NFD": output.Add(new SpNormalizer.Unicode(NormalizationForm.FormD)); return;
            case "NFKC": output.Add(new SpNormalizer.Unicode(NormalizationForm.FormKC)); return;
            case "NFKD": output.Add(new SpNormalizer.Unicode(NormalizationForm.FormKD)); return;
            case "Prepend": output.Add(new SpNormalizer.Prepend(StringProp(e, "prepend", file, "normalizer Prepend"))); return;
            case "Replace": output.Add(new SpNormalizer.Replace(PatternString(e, file, "normalizer Replace"), StringProp(e, "content", file, "normalizer Replace"))); return;
            case "Sequence":
                if (!e.TryGetProperty("normalizers", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
                    throw Bad(file, "normalizer Sequence has no 'normalizers' array.");
                foreach (JsonElement x in list.EnumerateArray()) ParseSpNormalizer(x, file, output);
                return;
            default:
                throw Bad(file, $"normalizer type '{type}' is not supported in SentencePiece-style tokenizers (Prepend, Replace, NFC, NFD, NFKC, NFKD and Sequence are).");
        }
    }

    private static void ParseSpPreTokenizer(JsonElement e, string file, List<SpPreTokenizer> output)
    {
        if (e.ValueKind == JsonValueKind.Null) return;
        string type = TypeOf(e, file, "pre_tokenizer");
        switch (type)
        {
            case "Metaspace":
                string replacement = StringProp(e, "replacement", file, "pre_tokenizer Metaspace");
                string scheme = e.TryGetProperty("prepend_scheme", out JsonElement ps) && ps.ValueKind == JsonValueKind.String ? ps.GetString()!
                    : e.TryGetProperty("add_prefix_space", out JsonElement aps) && aps.ValueKind == JsonValueKind.False ? "never" : "always";
                if (scheme is not ("always" or "first" or "never")) throw Bad(file, $"pre_tokenizer Metaspace prepend_scheme '{scheme}' is not always, first or never.");
                output.Add(new SpPreTokenizer.Metaspace(replacement, scheme, !e.TryGetProperty("split", out JsonElement sp) || sp.ValueKind != JsonValueKind.False));
                return;
            case "Split":
                string behavior = e.TryGetProperty("behavior", out JsonElement b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : "Isolated";
                if (e.TryGetProperty("invert", out JsonElement inv) && inv.ValueKind == JsonValueKind.True)
                    throw Bad(file, "pre_tokenizer Split with invert is not supported in SentencePiece-style tokenizers.");
                if (behavior is not ("Isolated" or "Removed" or "MergedWithPrevious" or "MergedWithNext"))
                    throw Bad(file, $"pre_tokenizer Split behavior '{behavior}' is not supported (Isolated, Removed, MergedWithPrevious and MergedWithNext are).");
                output.Add(new SpPreTokenizer.StringSplit(PatternString(e, file, "pre_tokenizer Split"), behavior));
                return;
            case "Sequence":
                if (!e.TryGetProperty("pretokenizers", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
                    throw Bad(file, "pre_tokenizer Sequence has no 'pretokenizers' array.");
                foreach (JsonElement x in list.EnumerateArray()) ParseSpPreTokenizer(x, file, output);
                return;
            default:
                throw Bad(file, $"pre_tokenizer type '{type}' is not supported in SentencePiece-style tokenizers (Metaspace, Split on a string and Sequence are).");
        }
    }

    private static void ParseSpDecoder(JsonElement e, string file, List<SpDecoder> output)
    {
        if (e.ValueKind == JsonValueKind.Null) return;
        string type = TypeOf(e, file, "decoder");
        switch (type)
        {
            case "Replace": output.Add(new SpDecoder.Replace(PatternString(e, file, "decoder Replace"), StringProp(e, "content", file, "decoder Replace"))); return;
            case "ByteFallback": output.Add(new SpDecoder.ByteFallback()); return;
            case "Fuse": output.Add(new SpDecoder.Fuse()); return;
            case "Strip":
                string content = StringProp(e, "content", file, "decoder Strip");
                if (content.Length != 1) throw Bad(file, "decoder Strip content must be one character.");
                output.Add(new SpDecoder.Strip(content[0], e.TryGetProperty("start", out JsonElement st) ? st.GetInt32() : 0, e.TryGetProperty("stop", out JsonElement sp) ? sp.GetInt32() : 0));
                return;
            case "Metaspace":
                string scheme = e.TryGetProperty("prepend_scheme", out JsonElement ps) && ps.ValueKind == JsonValueKind.String ? ps.GetString()!
                    : e.TryGetProperty("add_prefix_space", out JsonElement aps) && aps.ValueKind == JsonValueKind.False ? "never" : "always";
                output.Add(new SpDecoder.Metaspace(StringProp(e, "replacement", file, "decoder Metaspace"), scheme));
                return;
            case "Sequence":
                if (!e.TryGetProperty("decoders", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
                    throw Bad(file, "decoder Sequence has no 'decoders' array.");
                foreach (JsonElement x in list.EnumerateArray()) ParseSpDecoder(x, file, output);
                return;
            default:
                throw Bad(file, $"decoder type '{type}' is not supported in SentencePiece-style tokenizers (Replace, ByteFallback, Fuse, Strip, Metaspace and Sequence are).");
        }
    }

    private static bool Flag(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.True;

    private static string? TokenString(JsonElement cfg, string key, string file)
    {
        if (!cfg.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String) return c.GetString();
        throw Bad(file, $"{key} must be a string, an object with 'content', or null.");
    }

    private static NormalizationForm[] ParseNormalizer(JsonElement e, string file)
    {
        if (e.ValueKind == JsonValueKind.Null) return [];
        string type = TypeOf(e, file, "normalizer");
        switch (type)
        {
            case "NFC": return [NormalizationForm.FormC];
            case "NFD": return [NormalizationForm.FormD];
            case "NFKC": return [NormalizationForm.FormKC];
            case "NFKD": return [NormalizationForm.FormKD];
            case "Sequence":
                if (!e.TryGetProperty("normalizers", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
                    throw Bad(file, "normalizer Sequence has no 'normalizers' array.");
                return [.. list.EnumerateArray().SelectMany(x => ParseNormalizer(x, file))];
            default:
                throw Bad(file, $"normalizer type '{type}' is not supported (NFC, NFD, NFKC, NFKD and Sequence are).");
        }
    }

    private static PreTokenizer? ParsePreTokenizer(JsonElement e, string file)
    {
        if (e.ValueKind == JsonValueKind.Null) return null;
        string type = TypeOf(e, file, "pre_tokenizer");
        switch (type)
        {
            case "Sequence":
                if (!e.TryGetProperty("pretokenizers", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
                    throw Bad(file, "pre_tokenizer Sequence has no 'pretokenizers' array.");
                return new SequencePreTokenizer([.. list.EnumerateArray().Select(x => ParsePreTokenizer(x, file)).OfType<PreTokenizer>()]);
            case "ByteLevel":
                return new ByteLevelPreTokenizer(
                    e.TryGetProperty("add_prefix_space", out JsonElement aps) && aps.ValueKind == JsonValueKind.True,
                    !e.TryGetProperty("use_regex", out JsonElement ur) || ur.ValueKind != JsonValueKind.False);
            case "Split":
                return ParseSplit(e, file);
            default:
                throw Bad(file, $"pre_tokenizer type '{type}' is not supported (Sequence, Split and ByteLevel are).");
        }
    }

    private static PreTokenizer ParseSplit(JsonElement e, string file)
    {
        if (!e.TryGetProperty("pattern", out JsonElement pattern) || pattern.ValueKind != JsonValueKind.Object)
            throw Bad(file, "pre_tokenizer Split has no 'pattern' object.");
        string behavior = e.TryGetProperty("behavior", out JsonElement b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : "Isolated";
        bool invert = e.TryGetProperty("invert", out JsonElement inv) && inv.ValueKind == JsonValueKind.True;
        if (invert || behavior is not ("Isolated" or "Removed"))
            throw Bad(file, $"pre_tokenizer Split with behavior '{behavior}'{(invert ? " and invert" : "")} is not supported (Isolated and Removed are).");
        string regex;
        if (pattern.TryGetProperty("Regex", out JsonElement r) && r.ValueKind == JsonValueKind.String)
        {
            regex = r.GetString()!;
            if (behavior == "Isolated" && CodePointPatternPreTokenizer.TryCreate(regex) is { } known) return known;
        }
        else if (pattern.TryGetProperty("String", out JsonElement s) && s.ValueKind == JsonValueKind.String)
            regex = Regex.Escape(s.GetString()!);
        else
            throw Bad(file, "pre_tokenizer Split pattern needs a 'Regex' or 'String'.");
        try
        {
            return new RegexSplitPreTokenizer(new Regex(regex, RegexOptions.Compiled | RegexOptions.CultureInvariant, RegexSplitPreTokenizer.MatchTimeout), behavior == "Removed");
        }
        catch (ArgumentException ex)
        {
            throw Bad(file, $"pre_tokenizer Split regex does not compile in .NET ({ex.Message}).");
        }
    }

    private static bool IsByteLevelDecoder(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out JsonElement t)) return false;
        return t.GetString() switch
        {
            "ByteLevel" => true,
            "Sequence" => e.TryGetProperty("decoders", out JsonElement list) && list.ValueKind == JsonValueKind.Array && list.EnumerateArray().Any(IsByteLevelDecoder),
            _ => false,
        };
    }

    private static void ParsePostProcessor(JsonElement e, string file, List<int> prefix, List<int> suffix)
    {
        if (e.ValueKind == JsonValueKind.Null) return;
        string type = TypeOf(e, file, "post_processor");
        switch (type)
        {
            case "ByteLevel": return;
            case "Sequence":
                if (e.TryGetProperty("processors", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
                    foreach (JsonElement p in list.EnumerateArray()) ParsePostProcessor(p, file, prefix, suffix);
                return;
            case "TemplateProcessing":
                if (!e.TryGetProperty("single", out JsonElement single) || single.ValueKind != JsonValueKind.Array ||
                    !e.TryGetProperty("special_tokens", out JsonElement specials) || specials.ValueKind != JsonValueKind.Object)
                    throw Bad(file, "post_processor TemplateProcessing needs 'single' and 'special_tokens'.");
                bool seenSequence = false;
                foreach (JsonElement piece in single.EnumerateArray())
                {
                    if (piece.TryGetProperty("Sequence", out _)) { seenSequence = true; continue; }
                    if (!piece.TryGetProperty("SpecialToken", out JsonElement st) || !st.TryGetProperty("id", out JsonElement name) ||
                        !specials.TryGetProperty(name.GetString()!, out JsonElement spec) || !spec.TryGetProperty("ids", out JsonElement ids))
                        throw Bad(file, "post_processor TemplateProcessing names a special token that is not in its special_tokens.");
                    foreach (JsonElement id in ids.EnumerateArray()) (seenSequence ? suffix : prefix).Add(id.GetInt32());
                }
                return;
            default:
                throw Bad(file, $"post_processor type '{type}' is not supported (ByteLevel, TemplateProcessing and Sequence are).");
        }
    }

    private static string TypeOf(JsonElement e, string file, string what)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out JsonElement t) || t.ValueKind != JsonValueKind.String)
            throw Bad(file, $"{what} has no 'type'.");
        return t.GetString()!;
    }
}
