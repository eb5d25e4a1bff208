using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace RlTools.Torch.Tokenizers;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> BPE tokenizer of the SentencePiece kind (Llama 2, Mistral, Gemma 3):
/// the model merges characters, not bytes, and a character missing from the vocabulary becomes its UTF-8 bytes
/// as <c>&lt;0xXX&gt;</c> tokens (<c>byte_fallback</c>) or the unknown token (consecutive ones fused with
/// <c>fuse_unk</c>). Encoding, as the Rust <c>tokenizers</c> library does: split the text on added tokens
/// (leftmost-longest, before normalization), normalize each remaining section (<c>Prepend</c>, <c>Replace</c>,
/// NFC/NFD/NFKC/NFKD, <c>Sequence</c>), pre-tokenize (<c>Metaspace</c> with its prepend scheme, <c>Split</c> on a
/// string, or none), merge each pre-token in rank order; with <c>addSpecialTokens</c> the TemplateProcessing
/// post-processor adds its tokens. Decoding runs the file's decoder chain over the token strings
/// (<c>Replace</c>, <c>ByteFallback</c> — an invalid byte run becomes one U+FFFD per byte —, <c>Fuse</c>,
/// <c>Strip</c>, <c>Metaspace</c>). Added tokens must be <c>normalized: false</c> (Llama 2 and Gemma 3 files are);
/// the loader refuses others. Built by <see cref="TokenizerFiles.Load"/>.
/// </summary>
public sealed class SentencePieceBpeTokenizer : ITokenizer
{
    private const int MaxCacheEntries = 200_000;
    private const int MaxCachedLength = 256;

    private readonly Dictionary<string, int> _vocab;
    private readonly BytePairEncoder _merges;
    private readonly int[] _byteFallbackIds;          // -1 when the vocabulary lacks <0xXX> for that byte
    private readonly bool _byteFallback, _fuseUnk, _ignoreMerges;
    private readonly int? _unkId;
    private readonly IReadOnlyList<SpNormalizer> _normalizers;
    private readonly IReadOnlyList<SpPreTokenizer> _preTokenizers;
    private readonly IReadOnlyList<SpDecoder> _decoders;
    private readonly AddedTokenSplitter _splitter;
    private readonly AddedToken?[] _addedById;
    private readonly string?[] _idToToken;
    private readonly HashSet<int> _specialIds;
    private readonly int[] _prefixIds, _suffixIds;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private int _cacheCount;

    internal SentencePieceBpeTokenizer(
        Dictionary<string, int> vocab, IReadOnlyList<(string, string)> merges, IReadOnlyList<AddedToken> addedTokens,
        bool byteFallback, bool fuseUnk, bool ignoreMerges, int? unkId,
        IReadOnlyList<SpNormalizer> normalizers, IReadOnlyList<SpPreTokenizer> preTokenizers, IReadOnlyList<SpDecoder> decoders,
        int[] prefixIds, int[] suffixIds, IEnumerable<string> extraSpecialTokens, string file)
    {
        _vocab = vocab;
        _merges = new BytePairEncoder(vocab, merges, ignoreMerges: false, unkId, file);
        _byteFallback = byteFallback;
        _fuseUnk = fuseUnk;
        _ignoreMerges = ignoreMerges;
        _unkId = unkId;
        _normalizers = normalizers;
        _preTokenizers = preTokenizers;
        _decoders = decoders;
        _prefixIds = prefixIds;
        _suffixIds = suffixIds;
        _byteFallbackIds = new int[256];
        for (int b = 0; b < 256; b++) _byteFallbackIds[b] = vocab.TryGetValue(ByteToken((byte)b), out int id) ? id : -1;

        int size = 0;
        foreach (int id in vocab.Values) size = Math.Max(size, id + 1);
        foreach (AddedToken t in addedTokens) size = Math.Max(size, t.Id + 1);
        VocabSize = size;
        _idToToken = new string?[size];
        foreach (var (token, id) in vocab) _idToToken[id] = token;
        _addedById = new AddedToken?[size];
        _specialIds = [];
        var tokenIds = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        foreach (AddedToken t in addedTokens)
        {
            _addedById[t.Id] = t;
            _idToToken[t.Id] = t.Content;
            tokenIds[t.Content] = t.Id;
            if (t.Special) _specialIds.Add(t.Id);
        }
        foreach (string s in extraSpecialTokens)
            if (tokenIds.TryGetValue(s, out int id)) _specialIds.Add(id);
        _splitter = new AddedTokenSplitter(addedTokens);
        AddedTokens = addedTokens;
    }

    /// <summary>The byte-fallback token of <paramref name="b"/>: <c>&lt;0x0A&gt;</c> (upper-case hex).</summary>
    public static string ByteToken(byte b) => $"<0x{b:X2}>";

    public int VocabSize { get; }
    public int? EosTokenId { get; internal set; }
    public int? PadTokenId { get; internal set; }
    public int? BosTokenId { get; internal set; }

    /// <summary>The tokens of tokenizer.json's <c>added_tokens</c>.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Ids decoding skips with <c>skipSpecialTokens</c>.</summary>
    public IReadOnlyCollection<int> SpecialTokenIds => _specialIds;

    /// <summary>Where the tokenizer was loaded from.</summary>
    public string? SourcePath { get; internal set; }

    /// <summary>The token string of an id (vocabulary piece with its ▁, or added token), or null.</summary>
    public string? IdToToken(int id) => id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;

    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(_prefixIds);
        var sections = _splitter.Split(text);
        var pieces = new List<string>();
        var next = new List<string>();
        for (int s = 0; s < sections.Count; s++)
        {
            if (sections[s].Token is { } token) { ids.Add(token.Id); continue; }
            var (start, section) = AddedTokenSplitter.PlainText(text, sections, s);
            if (section.Length == 0) continue;
            foreach (SpNormalizer n in _normalizers) section = n.Apply(section);
            if (section.Length == 0) continue;
            pieces.Clear();
            pieces.Add(section);
            foreach (SpPreTokenizer p in _preTokenizers)
            {
                next.Clear();
                for (int k = 0; k < pieces.Count; k++) p.Split(pieces[k], atStart: start == 0 && k == 0, next);
                (pieces, next) = (next, pieces);
            }
            foreach (string piece in pieces) EncodePiece(piece, ids);
        }
        if (addSpecialTokens) ids.AddRange(_suffixIds);
        return [.. ids];
    }

    private void EncodePiece(string piece, List<int> output)
    {
        if (piece.Length == 0) return;
        if (_cache.TryGetValue(piece, out int[]? cached)) { output.AddRange(cached); return; }
        int[] ids = EncodeUncached(piece);
        if (piece.Length < MaxCachedLength)
        {
            if (Volatile.Read(ref _cacheCount) >= MaxCacheEntries) { _cache.Clear(); Volatile.Write(ref _cacheCount, 0); }
            if (_cache.TryAdd(piece, ids)) Interlocked.Increment(ref _cacheCount);
        }
        output.AddRange(ids);
    }

    private int[] EncodeUncached(string piece)
    {
        if (_ignoreMerges && _vocab.TryGetValue(piece, out int whole)) return [whole];
        var symbols = new List<int>(piece.Length);
        bool pendingUnk = false;
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < piece.Length;)
        {
            // One character = one Unicode scalar value (a surrogate pair, or a lone surrogate as U+FFFD's bytes).
            int len = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1;
            string ch = piece.Substring(i, len);
            i += len;
            if (_vocab.TryGetValue(ch, out int id))
            {
                FlushUnk();
                symbols.Add(id);
                continue;
            }
            if (_byteFallback)
            {
                int n = Encoding.UTF8.GetBytes(ch, utf8);
                bool all = true;
                for (int k = 0; k < n; k++) if (_byteFallbackIds[utf8[k]] < 0) { all = false; break; }
                if (all)
                {
                    FlushUnk();
                    for (int k = 0; k < n; k++) symbols.Add(_byteFallbackIds[utf8[k]]);
                    continue;
                }
            }
            if (_unkId is null)
                throw new InvalidOperationException($"The character U+{char.ConvertToUtf32(ch, 0):X4} has no token in this vocabulary and the tokenizer has no unk_token.");
            if (!(pendingUnk && _fuseUnk)) FlushUnk();
            pendingUnk = true;
        }
        FlushUnk();
        return _merges.Merge([.. symbols]);

        void FlushUnk()
        {
            if (!pendingUnk) return;
            symbols.Add(_unkId!.Value);
            pendingUnk = false;
        }
    }

    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>(ids.Count);
        foreach (int id in ids)
        {
            if (id < 0 || id >= VocabSize || _idToToken[id] is null)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in this tokenizer's vocabulary (0..{VocabSize - 1}).");
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            tokens.Add(_idToToken[id]!);
        }
        foreach (SpDecoder d in _decoders) tokens = d.Apply(tokens);
        return string.Concat(tokens);
    }
}

/// <summary>A tokenizer.json normalizer of the SentencePiece pipelines.</summary>
internal abstract class SpNormalizer
{
    public abstract string Apply(string text);

    /// <summary><c>Prepend</c>: adds its string in front of a non-empty section.</summary>
    public sealed class Prepend(string prefix) : SpNormalizer
    {
        public override string Apply(string text) => text.Length == 0 ? text : prefix + text;
    }

    /// <summary><c>Replace</c> with a string pattern: every occurrence, left to right.</summary>
    public sealed class Replace(string pattern, string content) : SpNormalizer
    {
        public override string Apply(string text) => pattern.Length == 0 ? text : text.Replace(pattern, content, StringComparison.Ordinal);
    }

    /// <summary>A Unicode normalization form (lone surrogates left as they are).</summary>
    public sealed class Unicode(NormalizationForm form) : SpNormalizer
    {
        public override string Apply(string text)
        {
            try { return text.IsNormalized(form) ? text : text.Normalize(form); }
            catch (ArgumentException) { return text; }
        }
    }
}

/// <summary>A tokenizer.json pre-tokenizer of the SentencePiece pipelines.</summary>
internal abstract class SpPreTokenizer
{
    /// <summary>Appends the pieces of <paramref name="text"/> to <paramref name="output"/>; <paramref name="atStart"/>: the piece begins at offset 0 of the input (Metaspace's "first" scheme).</summary>
    public abstract void Split(string text, bool atStart, List<string> output);

    /// <summary>Split pieces on <paramref name="delimiter"/> keeping it: with the previous piece, the next one, alone, or dropped.</summary>
    internal static void SplitOn(string text, string delimiter, string behavior, List<string> output)
    {
        int start = 0, i;
        int from = 0;
        while ((i = text.IndexOf(delimiter, from, StringComparison.Ordinal)) >= 0)
        {
            int end = i + delimiter.Length;
            switch (behavior)
            {
                case "MergedWithPrevious":
                    output.Add(text[start..end]);
                    start = end;
                    break;
                case "MergedWithNext":
                    if (i > start) output.Add(text[start..i]);
                    start = i;
                    break;
                case "Isolated":
                    if (i > start) output.Add(text[start..i]);
                    output.Add(text[i..end]);
                    start = end;
                    break;
                case "Removed":
                    if (i > start) output.Add(text[start..i]);
                    start = end;
                    break;
                default: throw new InvalidOperationException(behavior);
            }
            from = end;
        }
        if (start < text.Length) output.Add(text[start..]);
    }

    /// <summary><c>Split</c> on a literal string.</summary>
    public sealed class StringSplit(string pattern, string behavior) : SpPreTokenizer
    {
        public override void Split(string text, bool atStart, List<string> output)
        {
            if (pattern.Length == 0) { output.Add(text); return; }
            SplitOn(text, pattern, behavior, output);
        }
    }

    /// <summary>
    /// <c>Metaspace</c>: spaces become the replacement (▁); it is prepended (scheme <c>always</c>, or <c>first</c> only
    /// for the section at the start of the input) unless the text already starts with it; with <c>split</c>, every ▁
    /// starts a new piece.
    /// </summary>
    public sealed class Metaspace(string replacement, string scheme, bool split) : SpPreTokenizer
    {
        public override void Split(string text, bool atStart, List<string> output)
        {
            text = text.Replace(" ", replacement, StringComparison.Ordinal);
            if (!text.StartsWith(replacement, StringComparison.Ordinal) && (scheme == "always" || (scheme == "first" && atStart)))
                text = replacement + text;
            if (split) SplitOn(text, replacement, "MergedWithNext", output);
            else output.Add(text);
        }
    }
}

/// <summary>A tokenizer.json decoder of the SentencePiece pipelines: a step over the list of token strings.</summary>
internal abstract class SpDecoder
{
    public abstract List<string> Apply(List<string> tokens);

    /// <summary><c>Replace</c>: a literal string in every token.</summary>
    public sealed class Replace(string pattern, string content) : SpDecoder
    {
        public override List<string> Apply(List<string> tokens) => pattern.Length == 0 ? tokens : tokens.ConvertAll(t => t.Replace(pattern, content, StringComparison.Ordinal));
    }

    /// <summary>
    /// <c>ByteFallback</c>: a run of <c>&lt;0xXX&gt;</c> tokens becomes the UTF-8 text of its bytes, or, when the run is not
    /// valid UTF-8, one U+FFFD per byte.
    /// </summary>
    public sealed class ByteFallback : SpDecoder
    {
        private static readonly UTF8Encoding Strict = new(false, true);

        public override List<string> Apply(List<string> tokens)
        {
            var output = new List<string>(tokens.Count);
            var bytes = new List<byte>();
            foreach (string t in tokens)
            {
                if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' &&
                    byte.TryParse(t.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                {
                    bytes.Add(b);
                    continue;
                }
                Flush();
                output.Add(t);
            }
            Flush();
            return output;

            void Flush()
            {
                if (bytes.Count == 0) return;
                try { output.Add(Strict.GetString(bytes.ToArray())); }
                catch (DecoderFallbackException) { for (int i = 0; i < bytes.Count; i++) output.Add("\uFFFD"); }
                bytes.Clear();
            }
        }
    }

    /// <summary><c>Fuse</c>: all tokens into one.</summary>
    public sealed class Fuse : SpDecoder
    {
        public override List<string> Apply(List<string> tokens) => [string.Concat(tokens)];
    }

    /// <summary><c>Strip</c>: up to <c>start</c> leading and <c>stop</c> trailing copies of a character from each token.</summary>
    public sealed class Strip(char content, int start, int stop) : SpDecoder
    {
        public override List<string> Apply(List<string> tokens) => tokens.ConvertAll(t =>
        {
            int a = 0, b = t.Length;
            while (a < start && a < b && t[a] == content) a++;
            int removed = 0;
            while (removed < stop && b > a && t[b - 1] == content) { b--; removed++; }
            return t[a..b];
        });
    }

    /// <summary>
    /// <c>Metaspace</c> decoder: ▁ becomes a space, except in the first token, where (unless the scheme is
    /// <c>never</c>) every ▁ is dropped, as the Rust library does.
    /// </summary>
    public sealed class Metaspace(string replacement, string scheme) : SpDecoder
    {
        public override List<string> Apply(List<string> tokens)
        {
            var output = new List<string>(tokens.Count);
            for (int i = 0; i < tokens.Count; i++)
                output.Add(tokens[i].Replace(replacement, i == 0 && scheme != "never" ? "" : " ", StringComparison.Ordinal));
            return output;
        }
    }
}
