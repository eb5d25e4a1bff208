using System.Collections.Concurrent;
using System.Text;

namespace RlTools.Torch.Tokenizers;

/// <summary>
/// Byte-level BPE model: maps a pre-token's UTF-8 bytes to the GPT-2 byte alphabet, then applies the
/// merges in rank order (lowest rank first, leftmost on ties), as Hugging Face <c>tokenizers</c> does.
/// Merges are keyed on id pairs; results are cached per pre-token.
/// </summary>
internal sealed class BytePairEncoder
{
    private const int MaxCacheEntries = 200_000;
    private const int MaxCachedLength = 256;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<long, (int Rank, int Id)> _merges;
    private readonly int[] _byteIds = new int[256];

    /// <summary>The id of the single-byte token of <paramref name="b"/> (-1 when the vocabulary lacks it).</summary>
    internal int ByteId(byte b) => _byteIds[b];
    private readonly bool _ignoreMerges;
    private readonly int? _unkId;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private int _cacheCount;   // ConcurrentDictionary.Count takes every lock; keep our own (approximate) count

    /// <summary>The GPT-2 byte-to-character table: printable bytes map to themselves, the rest to U+0100 onwards.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>Inverse of <see cref="ByteToChar"/> (-1 where a character is not in the alphabet).</summary>
    public static readonly short[] CharToByte = BuildCharToByte();

    public BytePairEncoder(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, bool ignoreMerges, int? unkId, string file)
    {
        _vocab = vocab;
        _ignoreMerges = ignoreMerges;
        _unkId = unkId;
        for (int b = 0; b < 256; b++)
            _byteIds[b] = vocab.TryGetValue(ByteToChar[b].ToString(), out int id) ? id : -1;
        _merges = new Dictionary<long, (int, int)>(merges.Count, PairComparer.Instance);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (l, r) = merges[rank];
            if (!vocab.TryGetValue(l, out int a) || !vocab.TryGetValue(r, out int b) || !vocab.TryGetValue(l + r, out int m))
                throw new InvalidDataException($"{file}: merge {rank} ('{l}' '{r}') uses a token that is not in model.vocab. The file is malformed; re-export it.");
            _merges.TryAdd(Key(a, b), (rank, m));
        }
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    /// <summary>
    /// long's own hash (low ^ high word) collides for every pair with the same a ^ b, which turns the merge
    /// table into long chains; mix the bits instead (Fibonacci hashing).
    /// </summary>
    private sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();
        public bool Equals(long x, long y) => x == y;
        public int GetHashCode(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15UL)) >> 32);
    }

    /// <summary>Appends the ids of one pre-token (raw text, before byte mapping).</summary>
    public void Encode(string preToken, List<int> output)
    {
        if (preToken.Length == 0) return;
        if (_cache.TryGetValue(preToken, out int[]? cached)) { output.AddRange(cached); return; }
        int[] ids = EncodeUncached(preToken);
        if (preToken.Length < MaxCachedLength)
        {
            if (Volatile.Read(ref _cacheCount) >= MaxCacheEntries)
            {
                _cache.Clear();
                Volatile.Write(ref _cacheCount, 0);
            }
            if (_cache.TryAdd(preToken, ids)) Interlocked.Increment(ref _cacheCount);
        }
        output.AddRange(ids);
    }

    private int[] EncodeUncached(string preToken)
    {
        int byteCount = Encoding.UTF8.GetByteCount(preToken);
        Span<byte> bytes = byteCount <= 512 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(preToken, bytes);

        if (_ignoreMerges)
        {
            string mapped = string.Create(byteCount, bytes.ToArray(), static (span, b) => { for (int i = 0; i < b.Length; i++) span[i] = ByteToChar[b[i]]; });
            if (_vocab.TryGetValue(mapped, out int whole)) return [whole];
        }

        int n = byteCount;
        var ids = new int[n];
        for (int i = 0; i < n; i++)
        {
            int id = _byteIds[bytes[i]];
            if (id < 0)
                id = _unkId ?? throw new InvalidOperationException($"The byte 0x{bytes[i]:X2} has no token in this vocabulary and the tokenizer has no unk_token.");
            ids[i] = id;
        }
        return n < 24 ? MergeSmall(ids) : MergeWithQueue(ids);
    }

    /// <summary>
    /// For short words: keep the rank of every adjacent pair in an array, merge the lowest (leftmost on ties),
    /// and look up only the two pairs the merge changed.
    /// </summary>
    internal int[] MergeSmall(int[] ids)
    {
        int n = ids.Length;
        Span<int> ranks = stackalloc int[n];
        for (int i = 0; i + 1 < n; i++) ranks[i] = RankOf(ids[i], ids[i + 1]);
        while (n > 1)
        {
            int best = 0;
            for (int i = 1; i + 1 < n; i++) if (ranks[i] < ranks[best]) best = i;
            if (ranks[best] == int.MaxValue) break;
            ids[best] = _merges[Key(ids[best], ids[best + 1])].Id;
            Array.Copy(ids, best + 2, ids, best + 1, n - best - 2);
            ranks[(best + 2)..n].CopyTo(ranks[(best + 1)..]);
            n--;
            if (best > 0) ranks[best - 1] = RankOf(ids[best - 1], ids[best]);
            if (best + 1 < n) ranks[best] = RankOf(ids[best], ids[best + 1]);
        }
        return n == ids.Length ? ids : ids[..n];
    }

    /// <summary>Applies the merges to a sequence of symbol ids (lowest rank first, leftmost on ties).</summary>
    internal int[] Merge(int[] ids) => ids.Length < 2 ? ids : ids.Length < 24 ? MergeSmall(ids) : MergeWithQueue(ids);

    private int RankOf(int a, int b) => _merges.TryGetValue(Key(a, b), out var m) ? m.Rank : int.MaxValue;

    /// <summary>
    /// Same merge order with a priority queue over a linked list of symbols: priority (rank, left position);
    /// stale entries are recognised because the pair at that position no longer has that rank.
    /// </summary>
    internal int[] MergeWithQueue(int[] ids)
    {
        int n = ids.Length;
        var next = new int[n];
        var prev = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; alive[i] = true; }
        var queue = new PriorityQueue<int, long>(n);
        void Push(int left)
        {
            int right = next[left];
            if (right >= 0 && _merges.TryGetValue(Key(ids[left], ids[right]), out var m))
                queue.Enqueue(left, ((long)m.Rank << 32) | (uint)left);
        }
        for (int i = 0; i + 1 < n; i++) Push(i);

        while (queue.TryDequeue(out int left, out long priority))
        {
            int rank = (int)(priority >> 32);
            if (!alive[left]) continue;
            int right = next[left];
            if (right < 0 || !_merges.TryGetValue(Key(ids[left], ids[right]), out var m) || m.Rank != rank) continue;
            ids[left] = m.Id;
            alive[right] = false;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) Push(prev[left]);
            Push(left);
        }

        var result = new List<int>(n);
        for (int i = 0; i >= 0; i = next[i]) result.Add(ids[i]);
        return [.. result];
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var inverse = new short[512];
        Array.Fill(inverse, (short)-1);
        for (int b = 0; b < 256; b++) inverse[ByteToChar[b]] = (short)b;
        return inverse;
    }
}
