namespace RlTools.Core;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
/// a tiny generator whose output for a seed is fixed by its definition, so generated task sets are the
/// same on every platform and .NET version (System.Random's seeded sequence is an implementation detail),
/// and whose whole state is one 64-bit word, so a trainer checkpoint stores it exactly and a resumed run
/// draws the same numbers (mini-batch shuffles, Clip-Cov's token draws). Not for cryptography.
/// </summary>
public sealed class SplitMix64
{
    public SplitMix64(ulong seed) => State = seed;

    /// <summary>The full generator state.</summary>
    public ulong State { get; set; }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, <paramref name="n"/>) by rejection (no modulo bias).</summary>
    public ulong NextBelow(ulong n)
    {
        if (n == 0) throw new ArgumentOutOfRangeException(nameof(n), "The range is empty.");
        ulong limit = ulong.MaxValue - ulong.MaxValue % n;
        ulong x;
        do x = NextUInt64(); while (x >= limit);
        return x % n;
    }

    /// <summary>Uniform integer in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>), unbiased (rejection).</summary>
    public long Next(long minInclusive, long maxExclusive)
    {
        if (maxExclusive <= minInclusive) throw new ArgumentOutOfRangeException(nameof(maxExclusive), "The range is empty.");
        return minInclusive + (long)NextBelow((ulong)(maxExclusive - minInclusive));
    }

    /// <summary>Uniform int in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive) => (int)Next(0, maxExclusive);

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle(int[] items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)NextBelow((ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
