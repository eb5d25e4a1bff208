namespace RlTools.Torch.Training;

/// <summary>
/// The trainer's random source: SplitMix64 (Steele, Lea and Flood, OOPSLA 2014). Its whole state is one
/// 64-bit word, so a checkpoint stores it exactly and a resumed run draws the same numbers (mini-batch
/// shuffles, Clip-Cov's token draws) as an uninterrupted one. Not for cryptography.
/// </summary>
public sealed class SplitMix64
{
    public SplitMix64(ulong state) => State = state;

    /// <summary>The full generator state.</summary>
    public ulong State { get; set; }

    public ulong Next()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) by rejection (no modulo bias).</summary>
    public ulong NextBelow(ulong n)
    {
        if (n == 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong limit = ulong.MaxValue - ulong.MaxValue % n;
        ulong x;
        do x = Next(); while (x >= limit);
        return x % n;
    }

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
