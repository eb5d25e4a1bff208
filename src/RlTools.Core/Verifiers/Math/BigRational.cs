using System.Numerics;

namespace RlTools.Core.Verifiers.Math;

/// <summary>
/// An exact rational number p/q (q &gt; 0, gcd(p, q) = 1) over <see cref="BigInteger"/>, used by the
/// math verifier so that 1/3 + 1/6 equals 1/2 exactly. Results larger than
/// <see cref="MaxBits"/> bits throw <see cref="OverflowException"/>, which the evaluator turns into
/// "not exact" (then numeric), so hostile inputs such as 10^(10^10) cannot allocate without bound.
/// </summary>
internal readonly struct BigRational : IEquatable<BigRational>
{
    /// <summary>Largest numerator or denominator kept exact.</summary>
    public const int MaxBits = 8192;

    public BigInteger Num { get; }
    public BigInteger Den { get; }

    public BigRational(BigInteger num, BigInteger den)
    {
        if (den.IsZero) throw new DivideByZeroException();
        if (den.Sign < 0) { num = -num; den = -den; }
        var g = BigInteger.GreatestCommonDivisor(num, den);
        if (!g.IsOne && !g.IsZero) { num /= g; den /= g; }
        if (num.IsZero) den = BigInteger.One;
        if (num.GetBitLength() > MaxBits || den.GetBitLength() > MaxBits) throw new OverflowException("rational too large");
        Num = num;
        Den = den;
    }

    public static BigRational FromInt(BigInteger n) => new(n, BigInteger.One);
    public static readonly BigRational Zero = new(BigInteger.Zero, BigInteger.One);
    public static readonly BigRational One = new(BigInteger.One, BigInteger.One);

    public bool IsZero => Num.IsZero;
    public bool IsInteger => Den.IsOne;
    public int Sign => Num.Sign;

    public static BigRational operator +(BigRational a, BigRational b) => new(a.Num * b.Den + b.Num * a.Den, a.Den * b.Den);
    public static BigRational operator -(BigRational a, BigRational b) => new(a.Num * b.Den - b.Num * a.Den, a.Den * b.Den);
    public static BigRational operator *(BigRational a, BigRational b) => new(a.Num * b.Num, a.Den * b.Den);
    public static BigRational operator /(BigRational a, BigRational b) => new(a.Num * b.Den, a.Den * b.Num);
    public static BigRational operator -(BigRational a) => new(-a.Num, a.Den);

    /// <summary>a^n for an integer n, refusing results beyond <see cref="MaxBits"/> before computing them.</summary>
    public static BigRational Pow(BigRational a, BigInteger n)
    {
        if (n.IsZero) return One;
        if (a.IsZero) return n.Sign > 0 ? Zero : throw new DivideByZeroException();
        if (a.Num.IsOne && a.Den.IsOne) return One;
        if (BigInteger.Abs(a.Num).IsOne && a.Den.IsOne) return n.IsEven ? One : a;
        var abs = BigInteger.Abs(n);
        long bits = System.Math.Max(a.Num.GetBitLength(), a.Den.GetBitLength());
        if (abs > MaxBits || bits * (long)abs > MaxBits + 64) throw new OverflowException("power too large");
        int e = (int)abs;
        var r = new BigRational(BigInteger.Pow(a.Num, e), BigInteger.Pow(a.Den, e));
        return n.Sign > 0 ? r : One / r;
    }

    /// <summary>The exact k-th root when it is rational (k &lt;= 64), else null.</summary>
    public static BigRational? Root(BigRational a, int k)
    {
        if (k <= 0 || k > 64) return null;
        if (k == 1) return a;
        if (a.Sign < 0)
        {
            if (k % 2 == 0) return null;
            var neg = Root(-a, k);
            return neg is null ? null : -neg.Value;
        }
        var n = IntRoot(a.Num, k);
        var d = IntRoot(a.Den, k);
        if (n is null || d is null) return null;
        return new BigRational(n.Value, d.Value);
    }

    private static BigInteger? IntRoot(BigInteger x, int k)
    {
        if (x.IsZero || x.IsOne) return x;
        // Newton iteration from a power-of-two overestimate.
        long bits = x.GetBitLength();
        var r = BigInteger.One << (int)(bits / k + 1);
        for (int i = 0; i < 4096; i++)
        {
            var next = ((k - 1) * r + x / BigInteger.Pow(r, k - 1)) / k;
            if (next >= r) break;
            r = next;
        }
        return BigInteger.Pow(r, k) == x ? r : null;
    }

    public double ToDouble()
    {
        double n = (double)Num, d = (double)Den;
        if (!double.IsInfinity(n) && !double.IsInfinity(d)) return n / d;
        long shift = System.Math.Max(Num.GetBitLength(), Den.GetBitLength()) - 1000;
        if (shift <= 0) return n / d;
        // Scale both down by the same power of two so the ratio stays finite when it should.
        double nn = (double)(Num >> (int)shift), dd = (double)(Den >> (int)shift);
        if (dd == 0) return Num.Sign * double.PositiveInfinity;
        return nn / dd;
    }

    /// <summary>True when the value has a terminating decimal expansion with at most <paramref name="places"/> digits after the point.</summary>
    public bool HasDecimalPlacesAtMost(int places)
    {
        var scaled = this * FromInt(BigInteger.Pow(10, places));
        return scaled.IsInteger;
    }

    public bool Equals(BigRational other) => Num == other.Num && Den == other.Den;
    public override bool Equals(object? obj) => obj is BigRational r && Equals(r);
    public override int GetHashCode() => HashCode.Combine(Num, Den);
    public override string ToString() => Den.IsOne ? Num.ToString() : $"{Num}/{Den}";
    public int CompareTo(BigRational b) => (Num * b.Den).CompareTo(b.Num * Den);
}
