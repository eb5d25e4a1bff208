using System.Numerics;
using RlTools.Core.Metrics;

namespace RlTools.Core.Tests.Metrics;

public class PassAtKTests
{
    // Golden values worked by hand from 1 - C(n-c,k)/C(n,k).
    [Theory]
    [InlineData(5, 2, 2, 0.7)]          // 1 - C(3,2)/C(5,2) = 1 - 3/10
    [InlineData(10, 3, 1, 0.3)]         // k = 1: c/n
    [InlineData(4, 0, 2, 0.0)]          // c = 0: never passes
    [InlineData(4, 4, 2, 1.0)]          // c = n: always passes
    [InlineData(6, 1, 6, 1.0)]          // k = n with one correct sample: the only subset holds it
    [InlineData(6, 0, 6, 0.0)]          // k = n, none correct
    [InlineData(8, 5, 4, 1.0)]          // k > n - c: every subset holds a correct sample
    [InlineData(100, 1, 10, 0.1)]       // 1 - C(99,10)/C(100,10) = 1 - 90/100
    [InlineData(1, 1, 1, 1.0)]          // group of one
    [InlineData(1, 0, 1, 0.0)]
    [InlineData(10, 5, 3, 1.0 - 10.0 / 120.0)] // C(5,3)/C(10,3) = 10/120
    public void Matches_the_closed_form(int n, int c, int k, double expected)
        => Assert.Equal(expected, PassAtK.Estimate(n, c, k), 12);

    [Theory]
    [InlineData(200, 37, 10)]
    [InlineData(1000, 500, 100)]
    [InlineData(2000, 3, 1500)]
    public void Agrees_with_exact_big_integer_binomials_where_the_naive_form_overflows(int n, int c, int k)
    {
        BigInteger num = Binomial(n - c, k), den = Binomial(n, k);
        // exact ratio to double: scale to keep 60 significant bits
        double ratio = num.IsZero ? 0 : Math.Exp(BigInteger.Log(num) - BigInteger.Log(den));
        Assert.Equal(1 - ratio, PassAtK.Estimate(n, c, k), 10);
    }

    [Theory]
    [InlineData(0, 0, 1, "n")]
    [InlineData(5, 6, 1, "c")]
    [InlineData(5, -1, 1, "c")]
    [InlineData(5, 2, 6, "k")]   // k > n is an error: the estimator needs n >= k samples
    [InlineData(5, 2, 0, "k")]
    public void Rejects_impossible_counts(int n, int c, int k, string param)
        => Assert.Equal(param, Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(n, c, k)).ParamName);

    [Fact]
    public void Mean_averages_problems_and_refuses_none()
    {
        // pass@1 = c/n: 2/5 and 3/10
        Assert.Equal((0.4 + 0.3) / 2, PassAtK.Mean([(5, 2), (10, 3)], k: 1), 12);
        Assert.Throws<ArgumentException>(() => PassAtK.Mean([], 1));
    }

    private static BigInteger Binomial(int n, int k)
    {
        if (k < 0 || k > n) return BigInteger.Zero;
        BigInteger r = BigInteger.One;
        for (int i = 1; i <= k; i++) r = r * (n - k + i) / i;
        return r;
    }
}
