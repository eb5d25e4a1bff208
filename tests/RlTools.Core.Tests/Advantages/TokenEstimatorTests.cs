using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

internal static class TokenReference
{
    /// <summary>(x − mean)/√(var + ε) over all tokens; written with LINQ, independent of AdvantageMath.</summary>
    public static List<double[]> Whiten(List<double[]> seqs, double eps = 1e-8, bool unbiased = true)
    {
        var all = seqs.SelectMany(x => x).ToArray();
        double m = all.Average();
        double v = all.Sum(x => (x - m) * (x - m)) / (unbiased ? all.Length - 1 : all.Length);
        return seqs.Select(s => s.Select(x => (x - m) / Math.Sqrt(v + eps)).ToArray()).ToList();
    }

    public static void CloseTokens(double[] expected, float[]? actual, double tol = 2e-6)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Length, actual!.Length);
        for (int j = 0; j < expected.Length; j++)
            Assert.True(Math.Abs(expected[j] - actual[j]) <= tol * Math.Max(1, Math.Abs(expected[j])), $"token {j}: expected {expected[j]}, got {actual[j]}");
    }
}

public class ReinforcePlusPlusTests
{
    [Fact]
    public void Discounted_returns_whitened_over_tokens()
    {
        var b = new List<Rollout> { R("q", 1, 0, 3), R("q", 0, 1, 2), R("one", 0.5, 0, 1) };
        Run("ReinforcePlusPlus", b, ("Gamma", 0.5));
        var returns = new List<double[]> { new[] { 0.25, 0.5, 1 }, new[] { 0.0, 0 }, new[] { 0.5 } };
        var w = TokenReference.Whiten(returns);
        for (int i = 0; i < 3; i++) { TokenReference.CloseTokens(w[i], b[i].TokenAdvantages); Close(w[i].Average(), b[i].Advantage, 1e-6); }
        Run("ReinforcePlusPlus", b, ("Gamma", 0.5), ("UnbiasedVariance", false));
        TokenReference.CloseTokens(TokenReference.Whiten(returns, 1e-8, false)[0], b[0].TokenAdvantages);
    }

    [Fact]
    public void All_equal_rewards_whiten_to_zero_and_empty_completion_has_no_tokens()
    {
        var b = new List<Rollout> { R("q", 1, 0, 3), R("q", 1, 1, 2), R("e", 1, 0, 0) };
        Run("ReinforcePlusPlus", b);
        Assert.All(b.Take(2), r => Assert.All(r.TokenAdvantages!, t => Assert.Equal(0f, t)));
        Assert.Empty(b[2].TokenAdvantages!);
        Assert.Equal(0, b[2].Advantage);
    }
}

public class ReinforcePlusPlusBaselineTests
{
    [Fact]
    public void Group_baseline_then_token_whitening()
    {
        var b = new List<Rollout> { R("q", 1, 0, 3), R("q", 0, 1, 1), R("one", 0.4, 0, 2), R("w", 0, 0, 2), R("w", 0, 1, 2) };
        Run("ReinforcePlusPlusBaseline", b);
        var centred = new[] { 0.5, -0.5, 0.4, 0, 0 };
        var seqs = centred.Select((c, i) => Enumerable.Repeat(c, b[i].CompletionLength).ToArray()).ToList();
        var w = TokenReference.Whiten(seqs);
        for (int i = 0; i < b.Count; i++) { TokenReference.CloseTokens(w[i], b[i].TokenAdvantages); Close(w[i][0], b[i].Advantage, 1e-6); }
    }

    [Fact]
    public void Mixed_sizes_population_variance_matches_reference()
    {
        var b = Make(new[] { 1, 3, 6 }, 2, Reference.Continuous(2));
        Run("ReinforcePlusPlusBaseline", b, ("UnbiasedVariance", false));
        var centred = Reference.PerGroup(b, (g, i) => g[i] - (g.Count == 1 ? 0 : g.Average()));
        var w = TokenReference.Whiten(centred.Select((c, i) => Enumerable.Repeat(c, b[i].CompletionLength).ToArray()).ToList(), 1e-8, false);
        for (int i = 0; i < b.Count; i++) TokenReference.CloseTokens(w[i], b[i].TokenAdvantages);
    }
}

public class GaeTests
{
    [Fact]
    public void Td_lambda_by_hand()
    {
        var r = R("q", 1, 0, 3);
        r.Values = new[] { 0.5f, 0.25f, 0.75f };
        var b = new List<Rollout> { r };
        Run("GAE", b, ("Gamma", 0.9), ("Lambda", 0.8), ("Whiten", false));
        // δ2 = 1 − 0.75 = 0.25; δ1 = 0.9·0.75 − 0.25 = 0.425; δ0 = 0.9·0.25 − 0.5 = −0.275
        double a2 = 0.25, a1 = 0.425 + 0.72 * a2, a0 = -0.275 + 0.72 * a1;
        TokenReference.CloseTokens(new[] { a0, a1, a2 }, r.TokenAdvantages);
        Close((a0 + a1 + a2) / 3, r.Advantage, 1e-6);
    }

    [Fact]
    public void Whitened_batch_and_value_length_mismatch()
    {
        var x = R("q", 1, 0, 2); x.Values = new[] { 0f, 0f };
        var y = R("q", 0, 1, 1); y.Values = new[] { 0.5f };
        var b = new List<Rollout> { x, y };
        Run("GAE", b); // γ = λ = 1: returns minus values: x: [1, 1], y: [−0.5]
        var w = TokenReference.Whiten(new List<double[]> { new[] { 1.0, 1.0 }, new[] { -0.5 } });
        TokenReference.CloseTokens(w[0], x.TokenAdvantages); TokenReference.CloseTokens(w[1], y.TokenAdvantages);
        y.Values = new[] { 0.5f, 0.1f };
        var res = Run("GAE", b);
        Assert.Equal("InputLengthMismatch", Assert.Single(res.Issues).ErrorId);
    }
}

public class GdpoTests
{
    private static Rollout C(string pid, double a, double? f, int len = 2)
    {
        var r = R(pid, null, 0, len);
        r.Rewards = new Dictionary<string, double?> { ["acc"] = a, ["fmt"] = f };
        return r;
    }

    [Fact]
    public void Per_component_normalisation_then_token_whitening()
    {
        var b = new List<Rollout> { C("q", 1, 1, 2), C("q", 0, 1, 4), C("q", 0, 0, 2), C("one", 1, 0, 3) };
        Run("GDPO", b, ("Weights", new[] { 1.0, 0.5 }), ("Components", new[] { "acc", "fmt" }));
        var (ma, sa) = Stats(new[] { 1.0, 0, 0 }); var (mf, sf) = Stats(new[] { 1.0, 1, 0 });
        var s = new[]
        {
            (1 - ma) / (sa + 1e-6) + 0.5 * (1 - mf) / (sf + 1e-6),
            (0 - ma) / (sa + 1e-6) + 0.5 * (1 - mf) / (sf + 1e-6),
            (0 - ma) / (sa + 1e-6) + 0.5 * (0 - mf) / (sf + 1e-6),
            1 / 1.000001 + 0.5 * 0 / 1.000001,
        };
        var w = TokenReference.Whiten(s.Select((v, i) => Enumerable.Repeat(v, b[i].CompletionLength).ToArray()).ToList());
        for (int i = 0; i < 4; i++) Close(w[i][0], b[i].Advantage, 1e-9);
        Run("GDPO", b, ("Weights", new[] { 1.0, 0.5 }), ("Components", new[] { "acc", "fmt" }), ("Whitening", "none"));
        for (int i = 0; i < 4; i++) Close(s[i], b[i].Advantage);
        Run("GDPO", b, ("Weights", new[] { 1.0, 0.5 }), ("Components", new[] { "acc", "fmt" }), ("Whitening", "sequences"), ("BatchEpsilon", 1e-4));
        var (m, sd) = (s.Average(), Math.Sqrt(s.Sum(v => (v - s.Average()) * (v - s.Average())) / 3));
        for (int i = 0; i < 4; i++) Close((s[i] - m) / (sd + 1e-4), b[i].Advantage);
    }

    [Fact]
    public void Null_component_is_left_out_not_zeroed()
    {
        var b = new List<Rollout> { C("q", 1, null), C("q", 0, 1), C("q", 0, 0) };
        Run("GDPO", b, ("Whitening", "none"));
        var (ma, sa) = Stats(new[] { 1.0, 0, 0 }); var (mf, sf) = Stats(new[] { 1.0, 0 });
        Close((1 - ma) / (sa + 1e-6), b[0].Advantage);
        Close((0 - ma) / (sa + 1e-6) + (1 - mf) / (sf + 1e-6), b[1].Advantage);
        Close((0 - ma) / (sa + 1e-6) + (0 - mf) / (sf + 1e-6), b[2].Advantage);
    }

    [Fact]
    public void All_equal_components_give_zero()
    {
        var b = new List<Rollout> { C("q", 1, 1), C("q", 1, 1) };
        Run("GDPO", b);
        Close(new[] { 0.0, 0.0 }, b);
    }
}
