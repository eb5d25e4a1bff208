using System.Text;

namespace RlTools.Torch.Tokenizers;

/// <summary>A token added on top of the BPE vocabulary (special tokens such as <c>&lt;|im_start|&gt;</c>, and others such as <c>&lt;think&gt;</c>).</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false);

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> byte-level BPE tokenizer (GPT-2, Qwen2/Qwen2.5/Qwen3, Llama-3 families).
/// Encoding: split the text on added tokens (leftmost-longest), normalize the rest (NFC etc.), pre-tokenize
/// (the file's Split regex and ByteLevel steps), map each pre-token's UTF-8 bytes to the byte alphabet and
/// apply the merges; with <c>addSpecialTokens</c>, the file's TemplateProcessing post-processor adds its
/// special tokens (a ByteLevel post-processor adds none). Decoding concatenates token bytes and decodes
/// UTF-8 (invalid sequences become U+FFFD); added tokens decode to their text. No clean-up of
/// tokenization spaces is applied, so <c>Decode(Encode(x)) == x</c> for NFC text.
/// Built by <see cref="TokenizerFiles.Load"/>.
/// </summary>
public sealed class ByteLevelBpeTokenizer : ITokenizer
{
    private readonly BytePairEncoder _bpe;
    private readonly PreTokenizer? _preTokenizer;
    private readonly NormalizationForm[] _normalizers;
    private readonly Dictionary<string, AddedToken> _added;
    private readonly AddedTokenSplitter _splitter;
    private readonly byte[]?[] _idBytes;
    private readonly AddedToken?[] _addedById;
    private readonly HashSet<int> _specialIds;
    private readonly Dictionary<string, int> _tokenToId;
    private readonly string?[] _idToToken;
    private readonly int[] _prefixIds;
    private readonly int[] _suffixIds;

    internal ByteLevelBpeTokenizer(
        Dictionary<string, int> vocab,
        IReadOnlyList<(string, string)> merges,
        IReadOnlyList<AddedToken> addedTokens,
        PreTokenizer? preTokenizer,
        NormalizationForm[] normalizers,
        bool ignoreMerges,
        int? unkId,
        int[] prefixIds,
        int[] suffixIds,
        IEnumerable<string> extraSpecialTokens,
        string file)
    {
        _bpe = new BytePairEncoder(vocab, merges, ignoreMerges, unkId, file);
        _preTokenizer = preTokenizer;
        _normalizers = normalizers;
        _prefixIds = prefixIds;
        _suffixIds = suffixIds;

        int size = 0;
        foreach (int id in vocab.Values) size = Math.Max(size, id + 1);
        foreach (AddedToken t in addedTokens) size = Math.Max(size, t.Id + 1);
        VocabSize = size;

        _tokenToId = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        _idToToken = new string?[size];
        _idBytes = new byte[]?[size];
        foreach (var (token, id) in vocab)
        {
            _idToToken[id] = token;
            _idBytes[id] = TokenBytes(token);
        }
        _added = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        _addedById = new AddedToken?[size];
        _specialIds = [];
        foreach (AddedToken t in addedTokens)
        {
            _added[t.Content] = t;
            _addedById[t.Id] = t;
            _tokenToId[t.Content] = t.Id;
            _idToToken[t.Id] = t.Content;
            if (t.Special) _specialIds.Add(t.Id);
        }
        foreach (string s in extraSpecialTokens)
            if (_tokenToId.TryGetValue(s, out int id)) _specialIds.Add(id);
        _splitter = new AddedTokenSplitter(_added.Values);
        AddedTokens = addedTokens;
    }

    /// <summary>The BPE model (tests compare its two merge strategies).</summary>
    internal BytePairEncoder Model => _bpe;

    public int VocabSize { get; }
    public int? EosTokenId { get; internal set; }
    public int? PadTokenId { get; internal set; }
    public int? BosTokenId { get; internal set; }

    /// <summary>The tokens of tokenizer.json's <c>added_tokens</c>.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Ids decoding skips with <c>skipSpecialTokens</c>: special added tokens and the config's additional special tokens.</summary>
    public IReadOnlyCollection<int> SpecialTokenIds => _specialIds;

    /// <summary>The chat template string of tokenizer_config.json, if any (not evaluated; see <see cref="ChatTemplates"/>).</summary>
    public string? ChatTemplate { get; internal set; }

    /// <summary>Where the tokenizer was loaded from.</summary>
    public string? SourcePath { get; internal set; }

    /// <summary>The id of a token string (vocabulary or added token), or null.</summary>
    public int? TokenToId(string token) => _tokenToId.TryGetValue(token, out int id) ? id : null;

    /// <summary>The token string of an id (byte-level alphabet for vocabulary tokens), or null.</summary>
    public string? IdToToken(int id) => id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;

    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(_prefixIds);
        var sections = _splitter.Split(text);
        var pieces = new List<string>();
        for (int s = 0; s < sections.Count; s++)
        {
            if (sections[s].Token is { } token) { ids.Add(token.Id); continue; }
            string plain = AddedTokenSplitter.PlainText(text, sections, s).Text;
            if (plain.Length == 0) continue;
            string section = Normalize(plain);
            if (section.Length == 0) continue;
            pieces.Clear();
            if (_preTokenizer is null) pieces.Add(section);
            else _preTokenizer.Split(section, pieces);
            foreach (string piece in pieces) _bpe.Encode(piece, ids);
        }
        if (addSpecialTokens) ids.AddRange(_suffixIds);
        return [.. ids];
    }

    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sb = new StringBuilder();
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (id < 0 || id >= VocabSize || (_idBytes[id] is null && _addedById[id] is null))
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in this tokenizer's vocabulary (0..{VocabSize - 1}).");
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            if (_addedById[id] is AddedToken t)
            {
                Flush();
                sb.Append(t.Content);
            }
            else bytes.AddRange(_idBytes[id]!);
        }
        Flush();
        return sb.ToString();

        void Flush()
        {
            if (bytes.Count == 0) return;
            sb.Append(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
            bytes.Clear();
        }
    }

    private string Normalize(string text)
    {
        foreach (NormalizationForm form in _normalizers)
            text = NormalizeSafe(text, form);
        return text;
    }

    /// <summary>string.Normalize throws on lone surrogates; normalize the well-formed runs between them instead.</summary>
    private static string NormalizeSafe(string text, NormalizationForm form)
    {
        bool ascii = true;
        foreach (char c in text) if (c >= 0x80) { ascii = false; break; }
        if (ascii) return text;
        try
        {
            return text.IsNormalized(form) ? text : text.Normalize(form);
        }
        catch (ArgumentException)
        {
            var sb = new StringBuilder(text.Length);
            int runStart = 0;
            for (int i = 0; i < text.Length; i++)
            {
                bool pair = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
                if (pair) { i++; continue; }
                if (!char.IsSurrogate(text[i])) continue;
                sb.Append(text.AsSpan(runStart, i - runStart).ToString().Normalize(form)).Append(text[i]);
                runStart = i + 1;
            }
            sb.Append(text[runStart..].Normalize(form));
            return sb.ToString();
        }
    }

    /// <summary>Bytes of a vocabulary token (characters of the byte alphabet); null when it is not byte-level.</summary>
    private static byte[]? TokenBytes(string token)
    {
        var b = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            char c = token[i];
            short v = c < BytePairEncoder.CharToByte.Length ? BytePairEncoder.CharToByte[c] : (short)-1;
            if (v < 0) return Encoding.UTF8.GetBytes(token);
            b[i] = (byte)v;
        }
        return b;
    }
}

/// <summary>Splits text on added tokens: at each position the longest token starting there (leftmost-longest), as a trie walk.</summary>
internal sealed class AddedTokenSplitter
{
    private sealed class Node
    {
        public Dictionary<char, Node>? Children;
        public AddedToken? Token;
    }

    private readonly Node _root = new();
    private readonly System.Buffers.SearchValues<char> _firstChars;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        var first = new HashSet<char>();
        foreach (AddedToken t in tokens)
        {
            if (t.Content.Length == 0) continue;
            first.Add(t.Content[0]);
            Node node = _root;
            foreach (char c in t.Content)
            {
                node.Children ??= [];
                if (!node.Children.TryGetValue(c, out Node? child)) node.Children[c] = child = new Node();
                node = child;
            }
            node.Token = t;
        }
        _firstChars = System.Buffers.SearchValues.Create([.. first]);
    }

    /// <summary>
    /// The plain text of section <paramref name="s"/> after its neighbouring added tokens' lstrip/rstrip ate the white
    /// space on their side (as Hugging Face tokenizers strip around added tokens), with where it starts in
    /// <paramref name="text"/>; empty when nothing is left.
    /// </summary>
    public static (int Start, string Text) PlainText(string text, List<(int Start, int Length, AddedToken? Token)> sections, int s)
    {
        var (start, length, _) = sections[s];
        if (s + 1 < sections.Count && sections[s + 1].Token is { LStrip: true })
            while (length > 0 && char.IsWhiteSpace(text[start + length - 1])) length--;
        if (s > 0 && sections[s - 1].Token is { RStrip: true })
            while (length > 0 && char.IsWhiteSpace(text[start])) { start++; length--; }
        return (start, length == 0 ? "" : text.Substring(start, length));
    }

    /// <summary>Sections as (start, length, token): token is the added token, or null for plain text.</summary>
    public List<(int Start, int Length, AddedToken? Token)> Split(string text)
    {
        var result = new List<(int, int, AddedToken?)>();
        int start = 0, i = 0;
        while (i < text.Length)
        {
            int k = text.AsSpan(i).IndexOfAny(_firstChars);
            if (k < 0) break;
            i += k;
            Node node = _root;
            AddedToken? match = null;
            for (int j = i; j < text.Length && node.Children is not null && node.Children.TryGetValue(text[j], out Node? child); j++)
            {
                node = child;
                if (node.Token is not null) match = node.Token;
            }
            if (match is null) { i++; continue; }
            if (i > start) result.Add((start, i - start, null));
            result.Add((i, match.Content.Length, match));
            i += match.Content.Length;
            start = i;
        }
        if (start < text.Length) result.Add((start, text.Length - start, null));
        return result;
    }
}
