using System.Text.Json.Nodes;
using RlTools.Torch.Tokenizers;

namespace RlTools.Torch.Tests.Tokenizers;

/// <summary>Hand-worked expectations: BPE merge order on a tiny vocabulary, pre-tokenizer splits, loader errors.</summary>
public class TokenizerGoldenTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltools-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string NewDir() => Directory.CreateDirectory(Path.Combine(_dir, Guid.NewGuid().ToString("n"))).FullName;

    /// <summary>A tokenizer.json with the 256 byte tokens (id = byte value) plus <paramref name="extra"/> tokens and merges.</summary>
    private string WriteTiny(string[] extra, JsonArray merges, bool ignoreMerges = false, string? config = null, string modelType = "BPE")
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[BytePairEncoder.ByteToChar[b].ToString()] = b;
        for (int i = 0; i < extra.Length; i++) vocab[extra[i]] = 256 + i;
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = JsonNode.Parse("""[{"id":300,"content":"<|end|>","special":true},{"id":301,"content":"<x>","special":false}]"""),
            ["normalizer"] = null,
            ["pre_tokenizer"] = JsonNode.Parse("""{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}]}"""),
            ["post_processor"] = null,
            ["decoder"] = JsonNode.Parse("""{"type":"ByteLevel"}"""),
            ["model"] = new JsonObject { ["type"] = modelType, ["vocab"] = vocab, ["merges"] = merges, ["ignore_merges"] = ignoreMerges },
        };
        string dir = NewDir();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), root.ToJsonString());
        if (config is not null) File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config);
        return dir;
    }

    private static JsonArray Merges(params string[] m) => new([.. m.Select(x => (JsonNode)x)]);

    [Fact]
    public void Merges_apply_lowest_rank_first()
    {
        // Ranks: a b (0) < b c (1) < ab c (2): "abc" -> ab,c -> abc.
        var t = TokenizerFiles.Load(WriteTiny(["ab", "bc", "abc"], Merges("a b", "b c", "ab c")));
        Assert.Equal([258], t.Encode("abc"));
        // Reversed ranks: b c (0) first, then no rule for a+bc.
        var r = TokenizerFiles.Load(WriteTiny(["ab", "bc", "abc"], Merges("b c", "a b", "ab c")));
        Assert.Equal(['a', 257], r.Encode("abc"));
    }

    [Fact]
    public void Equal_ranks_merge_leftmost_first_in_short_and_long_words()
    {
        var t = TokenizerFiles.Load(WriteTiny(["aa"], Merges("a a")));
        Assert.Equal([256, 'a'], t.Encode("aaa"));
        Assert.Equal([256, 256], t.Encode("aaaa"));
        // 31 letters take the priority-queue path: 15 pairs and a trailing single.
        int[] expected = [.. Enumerable.Repeat(256, 15), 'a'];
        Assert.Equal(expected, t.Encode(new string('a', 31)));
    }

    [Fact]
    public void Both_merge_formats_give_the_same_ids()
    {
        var pairs = new JsonArray(new JsonArray("a", "b"), new JsonArray("b", "c"), new JsonArray("ab", "c"));
        var t = TokenizerFiles.Load(WriteTiny(["ab", "bc", "abc"], pairs));
        Assert.Equal([258], t.Encode("abc"));
        Assert.Equal([258, 258, 258, 258, 258, 258, 258, 258, 258], t.Encode("abcabcabcabcabcabcabcabcabc"));
    }

    [Fact]
    public void Ignore_merges_takes_whole_vocabulary_words()
    {
        Assert.Equal([256], TokenizerFiles.Load(WriteTiny(["xyz"], Merges(), ignoreMerges: true)).Encode("xyz"));
        Assert.Equal(['x', 'y', 'z'], TokenizerFiles.Load(WriteTiny(["xyz"], Merges(), ignoreMerges: false)).Encode("xyz"));
    }

    [Fact]
    public void Bytes_map_through_the_byte_alphabet_and_added_tokens_split_first()
    {
        var t = TokenizerFiles.Load(WriteTiny([], Merges()));
        // ' ' is byte 0x20 (token 'Ġ'), 'é' is C3 A9.
        Assert.Equal([' ', 0xC3, 0xA9], t.Encode(" é"));
        Assert.Equal(['a', 300, 'b', 301, 300], t.Encode("a<|end|>b<x><|end|>"));
        Assert.Equal("a<|end|>b<x><|end|>", t.Decode(t.Encode("a<|end|>b<x><|end|>")));
        Assert.Equal("ab<x>", t.Decode(t.Encode("a<|end|>b<x><|end|>"), skipSpecialTokens: true));
        Assert.Equal(302, t.VocabSize);
    }

    [Fact]
    public void Config_tokens_accept_strings_and_objects()
    {
        string cfg = """{"bos_token":{"content":"<x>","special":true},"eos_token":"<|end|>","pad_token":null,"chat_template":"{{x}}"}""";
        var t = TokenizerFiles.LoadByteLevelBpe(WriteTiny([], Merges(), config: cfg));
        Assert.Equal(301, t.BosTokenId);
        Assert.Equal(300, t.EosTokenId);
        Assert.Null(t.PadTokenId);
        Assert.Equal("{{x}}", t.ChatTemplate);
    }

    [Fact]
    public void A_tokenizer_json_path_is_accepted()
    {
        string dir = WriteTiny([], Merges());
        Assert.Equal(['h', 'i'], TokenizerFiles.Load(Path.Combine(dir, "tokenizer.json")).Encode("hi"));
    }

    [Fact]
    public void Errors_name_the_file()
    {
        string missing = Path.Combine(_dir, "nope");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => TokenizerFiles.Load(missing)).Message);

        string empty = NewDir();
        var nf = Assert.Throws<FileNotFoundException>(() => TokenizerFiles.Load(empty));
        Assert.Contains("tokenizer.json", nf.Message);

        string truncated = WriteTiny([], Merges());
        string file = Path.Combine(truncated, "tokenizer.json");
        File.WriteAllText(file, File.ReadAllText(file)[..200]);
        var bad = Assert.Throws<InvalidDataException>(() => TokenizerFiles.Load(truncated));
        Assert.Contains(file, bad.Message);
        Assert.Contains("not valid JSON", bad.Message);

        var wp = Assert.Throws<InvalidDataException>(() => TokenizerFiles.Load(WriteTiny([], Merges(), modelType: "WordPiece")));
        Assert.Contains("WordPiece", wp.Message);

        var eos = Assert.Throws<InvalidDataException>(() => TokenizerFiles.Load(WriteTiny([], Merges(), config: """{"eos_token":"</s>"}""")));
        Assert.Contains("tokenizer_config.json", eos.Message);
        Assert.Contains("</s>", eos.Message);

        var merge = Assert.Throws<InvalidDataException>(() => TokenizerFiles.Load(WriteTiny([], Merges("q zz"))));
        Assert.Contains("merge 0", merge.Message);

        var cfg = Assert.Throws<InvalidDataException>(() => TokenizerFiles.Load(WriteTiny([], Merges(), config: "{ not json")));
        Assert.Contains("tokenizer_config.json", cfg.Message);
    }

    private static List<string> Split(string pattern, string text)
    {
        var output = new List<string>();
        CodePointPatternPreTokenizer.TryCreate(pattern)!.Split(text, output);
        Assert.Equal(text, string.Concat(output));
        return output;
    }

    private const string Sample = "Hello world's 123456 😀abc\n\n  x";

    [Fact]
    public void Llama3_pattern_splits_by_hand()
        => Assert.Equal(["Hello", " world", "'s", " ", "123", "456", " 😀", "abc", "\n\n", " ", " x"], Split(CodePointPatternPreTokenizer.Cl100kDigits3, Sample));

    [Fact]
    public void Qwen_pattern_splits_digits_one_by_one()
        => Assert.Equal(["Hello", " world", "'s", " ", "1", "2", "3", "4", "5", "6", " 😀", "abc", "\n\n", " ", " x"], Split(CodePointPatternPreTokenizer.Cl100kDigits1, Sample));

    [Fact]
    public void Gpt2_pattern_splits_by_hand()
        => Assert.Equal(["Hello", " world", "'s", " 123456", " 😀", "abc", "\n\n ", " x"], Split(CodePointPatternPreTokenizer.Gpt2, Sample));

    [Fact]
    public void Contractions_are_ascii_case_insensitive_only_in_the_cl100k_pattern()
    {
        Assert.Equal(["DON", "'T", " it", "'LL"], Split(CodePointPatternPreTokenizer.Cl100kDigits3, "DON'T it'LL"));
        Assert.Equal(["DON", "'", "T", " it", "'", "LL"], Split(CodePointPatternPreTokenizer.Gpt2, "DON'T it'LL"));
    }

    [Fact]
    public void Letters_outside_the_bmp_are_letters()
    {
        // 𝑥 (U+1D465) and 𠀀 (U+20000) are letters; a .NET Regex would see surrogates.
        Assert.Equal(["𝑥𝑦", " a𠀀b"], Split(CodePointPatternPreTokenizer.Cl100kDigits3, "𝑥𝑦 a𠀀b"));
        // One optional non-letter before letters may be a whole emoji.
        Assert.Equal(["😀abc"], Split(CodePointPatternPreTokenizer.Cl100kDigits3, "😀abc"));
    }

    [Fact]
    public void White_space_runs_follow_the_regex_backtracking()
    {
        // \s*[\r\n]+ ends at the last newline of the run; \s+(?!\S) leaves the last space for the word.
        Assert.Equal(["a", " \n \n", "  ", " b"], Split(CodePointPatternPreTokenizer.Cl100kDigits3, "a \n \n   b"));
        Assert.Equal(["a", "   "], Split(CodePointPatternPreTokenizer.Cl100kDigits3, "a   "));
        // Punctuation runs keep the newlines that follow them, not spaces.
        Assert.Equal(["!!\n\n"], Split(CodePointPatternPreTokenizer.Cl100kDigits3, "!!\n\n"));
        Assert.Equal(["!!", " \n"], Split(CodePointPatternPreTokenizer.Cl100kDigits3, "!! \n"));
        Assert.Equal(["!!\n\n", "x"], Split(CodePointPatternPreTokenizer.Cl100kDigits3, "!!\n\nx"));
    }
}
