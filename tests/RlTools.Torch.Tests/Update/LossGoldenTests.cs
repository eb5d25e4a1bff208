using RlTools.Torch.Losses;
using TorchSharp;
using static RlTools.Torch.Tests.Update.LossTestKit;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Update;

public class AggregationTests
{
    // L = [[1,2,3],[4,5,6],[7,8,9]], m = [[1,1,0],[1,0,0],[0,0,0]]: N_tok 3, N_seq 2, T 3.
    private static readonly double[,] L = { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } };
    private static readonly double[,] M = { { 1, 1, 0 }, { 1, 0, 0 }, { 0, 0, 0 } };

    [Theory]
    [InlineData(LossAggregation.TokenMean, 7.0 / 3)]
    [InlineData(LossAggregation.TokenSum, 7.0)]
    [InlineData(LossAggregation.SeqMeanTokenSum, 3.5)]
    [InlineData(LossAggregation.SeqMeanTokenSumNorm, 3.5 / 3)]
    [InlineData(LossAggregation.SeqMeanTokenMean, (1.5 + 4.0) / 2)]
    public void Aggregates_by_hand(LossAggregation mode, double expected)
    {
        using var scope = NewDisposeScope();
        var m = T(M);
        var v = LossAggregator.Aggregate(T(L), m, mode, LossNormalizer.From(m)).ToDouble();
        Assert.Equal(expected, v, 7); // SeqMeanTokenMean divides by |o| + 1e-8
    }

    [Fact]
    public void SeqMeanTokenSumNorm_uses_the_given_scale_factor()
    {
        using var scope = NewDisposeScope();
        var m = T(M);
        var norm = LossNormalizer.From(m, scaleFactor: 7);
        Assert.Equal(3.5 / 7, LossAggregator.Aggregate(T(L), m, LossAggregation.SeqMeanTokenSumNorm, norm).ToDouble(), 9);
    }

    [Theory]
    [InlineData(LossAggregation.TokenMean)]
    [InlineData(LossAggregation.TokenSum)]
    [InlineData(LossAggregation.SeqMeanTokenSum)]
    [InlineData(LossAggregation.SeqMeanTokenSumNorm)]
    [InlineData(LossAggregation.SeqMeanTokenMean)]
    public void Empty_mask_gives_zero_not_nan(LossAggregation mode)
    {
        using var scope = NewDisposeScope();
        var m = torch.zeros(2, 3, dtype: ScalarType.Float64);
        Assert.Equal(0.0, LossAggregator.Aggregate(T(L).narrow(0, 0, 2), m, mode, LossNormalizer.From(m)).ToDouble());
    }

    [Fact]
    public void Global_normaliser_makes_micro_batches_add_up()
    {
        using var scope = NewDisposeScope();
        var m = T(M);
        var norm = LossNormalizer.From(m);
        foreach (LossAggregation mode in Enum.GetValues<LossAggregation>())
        {
            double whole = LossAggregator.Aggregate(T(L), m, mode, norm).ToDouble();
            double parts = 0;
            for (int i = 0; i < 3; i++) parts += LossAggregator.Aggregate(T(L).narrow(0, i, 1), m.narrow(0, i, 1), mode, norm).ToDouble();
            Assert.Equal(whole, parts, 9);
        }
    }
}

public class KlEstimatorTests
{
    private static readonly double[] X = { 0.5, -0.5, 0.0 };

    [Theory]
    [InlineData("k1", 0.5, -0.5, 0.0)]
    [InlineData("kl", 0.5, -0.5, 0.0)]
    [InlineData("abs", 0.5, 0.5, 0.0)]
    [InlineData("k2", 0.125, 0.125, 0.0)]
    [InlineData("mse", 0.125, 0.125, 0.0)]
    // k3 with u = −x: e^u − u − 1: e^−0.5 + 0.5 − 1 = 0.1065306597, e^0.5 − 0.5 − 1 = 0.1487212707
    [InlineData("k3", 0.1065306597, 0.1487212707, 0.0)]
    [InlineData("low_var_kl", 0.1065306597, 0.1487212707, 0.0)]
    [InlineData("k3+", 0.1065306597, 0.1487212707, 0.0)]
    [InlineData("k1+", 0.5, -0.5, 0.0)]
    public void Values_by_hand(string name, double a, double b, double c)
    {
        using var scope = NewDisposeScope();
        var logp = torch.tensor(X, dtype: ScalarType.Float64);
        var v = Values(KlEstimator.Compute(name, logp, torch.zeros(3, dtype: ScalarType.Float64)));
        Assert.Equal(new[] { a, b, c }, v.Select(x => Math.Round(x, 9)), new ToleranceComparer(1e-9));
    }

    [Fact]
    public void K3_is_clamped_at_ten()
    {
        using var scope = NewDisposeScope();
        var v = KlEstimator.Compute("k3", torch.tensor(new[] { -30.0 }), torch.tensor(new[] { 0.0 })).ToDouble();
        Assert.Equal(10.0, v, 6);
    }

    [Theory]
    [InlineData("k3")]
    [InlineData("abs")]
    [InlineData("k1")]
    public void Straight_through_variants_have_the_k2_gradient(string baseName)
    {
        using var scope = NewDisposeScope();
        var logp = torch.tensor(X, dtype: ScalarType.Float64, requires_grad: true);
        KlEstimator.Compute(baseName + "+", logp, torch.zeros(3, dtype: ScalarType.Float64)).sum().backward();
        Assert.Equal(X, Values(logp.grad!), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void K3_gradient_is_one_minus_exp_minus_x()
    {
        using var scope = NewDisposeScope();
        var logp = torch.tensor(X, dtype: ScalarType.Float64, requires_grad: true);
        KlEstimator.Compute("k3", logp, torch.zeros(3, dtype: ScalarType.Float64)).sum().backward();
        Assert.Equal(X.Select(x => 1 - Math.Exp(-x)).ToArray(), Values(logp.grad!), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Unknown_name_is_rejected_with_the_list()
    {
        var e = Assert.Throws<ArgumentException>(() => KlEstimator.Parse("k4"));
        Assert.Contains("low_var_kl", e.Message);
    }
}

public class ToleranceComparer : IEqualityComparer<double>
{
    private readonly double _tol;
    public ToleranceComparer(double tol) => _tol = tol;
    public bool Equals(double x, double y) => Math.Abs(x - y) <= _tol;
    public int GetHashCode(double obj) => 0;
}
