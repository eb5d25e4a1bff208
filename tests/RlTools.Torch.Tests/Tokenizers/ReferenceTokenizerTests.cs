using System.Text;
using System.Text.Json.Nodes;
using RlTools.Core.Records;
using RlTools.Torch.Tokenizers;

namespace RlTools.Torch.Tests.Tokenizers;

/// <summary>
/// Byte-level BPE against the JavaScript reference (tests/fixtures/tokenize-reference.mjs) on the real Qwen3
/// and Llama-3 tokenizer files: several hundred strings (code, LaTeX, CJK, emoji, white-space runs, special
/// tokens, numbers, contractions, mixed scripts, long texts) must give identical ids, with zero mismatches.
/// </summary>
public class ReferenceTokenizerTests
{
    private static readonly Lazy<ByteLevelBpeTokenizer> Qwen3 = new(() => TokenizerFiles.LoadByteLevelBpe(ReferenceFixture.Qwen3Dir));
    private static readonly Lazy<ByteLevelBpeTokenizer> Llama3 = new(() => TokenizerFiles.LoadByteLevelBpe(ReferenceFixture.Llama3Dir));

    private static IEnumerable<JsonObject> Corpus => ReferenceFixture.Data["corpus"]!.AsArray().Select(x => x!.AsObject());

    private static void AssertNoMismatch(string what, IEnumerable<(string Text, int[] Expected, int[] Actual)> cases)
    {
        var all = cases.ToList();
        Assert.True(all.Count >= 500, $"the reference corpus has only {all.Count} strings");
        var bad = all.Where(c => !c.Expected.AsSpan().SequenceEqual(c.Actual)).ToList();
        var report = new StringBuilder();
        foreach (var (text, expected, actual) in bad.Take(5))
            report.Append($"\n  {System.Text.Json.JsonSerializer.Serialize(text)}\n    expected [{string.Join(",", expected)}]\n    actual   [{string.Join(",", actual)}]");
        Assert.True(bad.Count == 0, $"{what}: {bad.Count} of {all.Count} strings differ from the reference:{report}");
    }

    [Fact]
    public void Qwen3_ids_match_the_reference()
        => AssertNoMismatch("Qwen3", Corpus.Select(r => ((string)r["text"]!, ReferenceFixture.Ids(r["qwen3"]), Qwen3.Value.Encode((string)r["text"]!))));

    [Fact]
    public void Llama3_ids_match_the_reference()
        => AssertNoMismatch("Llama-3", Corpus.Select(r => ((string)r["text"]!, ReferenceFixture.Ids(r["llama3"]), Llama3.Value.Encode((string)r["text"]!))));

    [Fact]
    public void Qwen3_with_special_tokens_matches_the_reference()
        => AssertNoMismatch("Qwen3 add_special_tokens", Corpus.Select(r => ((string)r["text"]!, ReferenceFixture.Ids(r["qwen3Special"]), Qwen3.Value.Encode((string)r["text"]!, addSpecialTokens: true))));

    [Fact]
    public void Llama3_with_a_TemplateProcessing_bos_matches_the_reference()
    {
        // The packaged file has a ByteLevel post-processor; Meta's checkpoints add <|begin_of_text|> with
        // TemplateProcessing. Apply the same patch the reference script applies.
        string dir = Directory.CreateTempSubdirectory("rltools-llama3-bos-").FullName;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ReferenceFixture.Llama3Dir, "tokenizer.json")))!.AsObject();
            json["post_processor"] = JsonNode.Parse("""
                {"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|begin_of_text|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],
                 "pair":[],"special_tokens":{"<|begin_of_text|>":{"id":"<|begin_of_text|>","ids":[128000],"tokens":["<|begin_of_text|>"]}}}
                """);
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
            File.Copy(Path.Combine(ReferenceFixture.Llama3Dir, "tokenizer_config.json"), Path.Combine(dir, "tokenizer_config.json"));
            ITokenizer t = TokenizerFiles.Load(dir);
            AssertNoMismatch("Llama-3 TemplateProcessing", Corpus.Select(r => ((string)r["text"]!, ReferenceFixture.Ids(r["llama3Bos"]), t.Encode((string)r["text"]!, addSpecialTokens: true))));
            Assert.Equal([128000, 9906], t.Encode("Hello", addSpecialTokens: true));
            Assert.Equal([9906], t.Encode("Hello"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Decoding_matches_the_reference_and_round_trips()
    {
        int checkedCount = 0;
        foreach (JsonObject r in Corpus)
        {
            string text = (string)r["text"]!;
            int[] q = ReferenceFixture.Ids(r["qwen3"]), l = ReferenceFixture.Ids(r["llama3"]);
            Assert.Equal((string)r["qwen3Decoded"]!, Qwen3.Value.Decode(q));
            Assert.Equal((string)r["llama3Decoded"]!, Llama3.Value.Decode(l));
            Assert.Equal((string)r["qwen3DecodedSkip"]!, Qwen3.Value.Decode(q, skipSpecialTokens: true));
            // Llama-3 has no normalizer: exact round trip. Qwen3 normalizes to NFC first.
            Assert.Equal(text, Llama3.Value.Decode(Llama3.Value.Encode(text)));
            Assert.Equal(text.Normalize(NormalizationForm.FormC), Qwen3.Value.Decode(Qwen3.Value.Encode(text)));
            checkedCount++;
        }
        Assert.True(checkedCount >= 500);
    }

    [Fact]
    public void Chat_templates_match_the_reference_renderer()
    {
        var chats = ReferenceFixture.Data["chats"]!.AsArray().Select(x => x!.AsObject()).ToList();
        Assert.Equal(4, chats.Count);
        foreach (JsonObject c in chats)
        {
            var messages = c["messages"]!.AsArray().Select(m => new ChatMessage((string)m!["role"]!, (string)m["content"]!)).ToList();
            Assert.Equal((string)c["chatml"]!, ChatTemplates.Find("ChatML")!.Render(messages, addGenerationPrompt: true));
            Assert.Equal((string)c["chatmlNoPrompt"]!, ChatTemplates.Find("ChatML")!.Render(messages, addGenerationPrompt: false));
            Assert.Equal((string)c["llama3"]!, ChatTemplates.Find("Llama3")!.Render(messages, addGenerationPrompt: true));
        }
    }

    [Fact]
    public void Both_merge_strategies_agree_on_random_words()
    {
        // Short words use an array scan, long ones a priority queue; both must give the same merges.
        BytePairEncoder bpe = Qwen3.Value.Model;
        byte[] alphabet = "aaaeeinorst  \n_.0"u8.ToArray();
        var random = new Random(12345);
        long before = 0, after = 0;
        for (int trial = 0; trial < 2000; trial++)
        {
            int n = random.Next(2, 80);
            int[] ids = [.. Enumerable.Range(0, n).Select(_ => bpe.ByteId(alphabet[random.Next(alphabet.Length)]))];
            int[] small = bpe.MergeSmall((int[])ids.Clone());
            int[] queue = bpe.MergeWithQueue((int[])ids.Clone());
            Assert.True(small.AsSpan().SequenceEqual(queue), $"trial {trial}: [{string.Join(",", ids)}] -> [{string.Join(",", small)}] vs [{string.Join(",", queue)}]");
            before += n;
            after += small.Length;
        }
        Assert.True(after * 4 < before * 3, $"the words should merge a lot ({before} bytes -> {after} tokens)");
    }

    [Fact]
    public void Qwen3_files_give_the_config_tokens()
    {
        ByteLevelBpeTokenizer t = Qwen3.Value;
        Assert.Equal(151669, t.VocabSize);
        Assert.Equal(151645, t.EosTokenId);   // <|im_end|>
        Assert.Equal(151643, t.PadTokenId);   // <|endoftext|>
        Assert.Null(t.BosTokenId);
        Assert.NotNull(t.ChatTemplate);
        Assert.Equal(151644, t.TokenToId("<|im_start|>"));
        Assert.Equal("<think>", t.IdToToken(151667));
        Assert.DoesNotContain(151667, t.SpecialTokenIds);   // <think> is an added token, not a special one
        Assert.Contains(151644, t.SpecialTokenIds);
        // Special tokens in the text map to their ids; skipping them on decode drops only special ones.
        int[] ids = t.Encode("<|im_start|>user\n<think>hi</think><|im_end|>");
        Assert.Equal(151644, ids[0]);
        Assert.Equal(151645, ids[^1]);
        Assert.Equal("user\n<think>hi</think>", t.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void The_checkpoint_chat_templates_are_recognised()
    {
        Assert.Equal("ChatML", ChatTemplates.Detect(Qwen3.Value.ChatTemplate)?.Name);
        Assert.Equal("Llama3", ChatTemplates.Detect(Llama3.Value.ChatTemplate)?.Name);
        Assert.Null(ChatTemplates.Detect(null));
        Assert.Null(ChatTemplates.Detect("{{ messages[0].content }}"));
    }

    [Fact]
    public void Llama3_files_give_the_config_tokens()
    {
        ByteLevelBpeTokenizer t = Llama3.Value;
        Assert.Equal(128256, t.VocabSize);
        Assert.Equal(128000, t.BosTokenId);
        Assert.Equal(128001, t.EosTokenId);
        Assert.Null(t.PadTokenId);
        Assert.Equal(128009, t.TokenToId("<|eot_id|>"));
    }

    [Fact]
    public void Lone_surrogates_encode_as_replacement_bytes()
    {
        // UTF-8 cannot carry a lone surrogate: it is encoded as U+FFFD (EF BF BD), as TextEncoder does.
        Assert.Equal("a\uFFFDb", Qwen3.Value.Decode(Qwen3.Value.Encode("a\uD800b")));
        Assert.Equal("\uFFFD", Llama3.Value.Decode(Llama3.Value.Encode("\uDC00")));
    }

    [Fact]
    public void Decoding_an_unknown_id_throws_with_the_range()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Qwen3.Value.Decode([1, 151669]));
        Assert.Contains("151669", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Qwen3.Value.Decode([-1]));
    }

    [Fact]
    public void A_partial_utf8_sequence_decodes_to_a_replacement_character()
    {
        // 你 is E4 BD A0; its bytes split over ids decode only when complete.
        int[] ids = Llama3.Value.Encode("你");
        string joined = Llama3.Value.Decode(ids);
        Assert.Equal("你", joined);
        int e4 = Llama3.Value.TokenToId("ä")!.Value;   // byte 0xE4 alone
        Assert.Equal("\uFFFD", Llama3.Value.Decode([e4]));
    }
}
