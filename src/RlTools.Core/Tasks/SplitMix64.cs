namespace RlTools.Core.Tasks;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
/// a tiny generator whose output for a seed is fixed by its definition, so generated task sets are the
/// same on every platform and .NET version (System.Random's seeded sequence is an implementation detail).
/// </summary>
public sealed class SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>), unbiased (rejection).</summary>
    public long Next(long minInclusive, long maxExclusive)
    {
        if (maxExclusive <= minInclusive) throw new ArgumentOutOfRangeException(nameof(maxExclusive), "The range is empty.");
        ulong range = (ulong)(maxExclusive - minInclusive);
        ulong limit = ulong.MaxValue - ulong.MaxValue % range;
        ulong x;
        do x = NextUInt64(); while (x >= limit);
        return minInclusive + (long)(x % range);
    }

    /// <summary>Uniform int in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive) => (int)Next(0, maxExclusive);
}
