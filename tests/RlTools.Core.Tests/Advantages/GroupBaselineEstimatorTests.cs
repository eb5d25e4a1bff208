using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

/// <summary>Reference loops written independently of the estimators (LINQ over groups).</summary>
internal static class Reference
{
    public static Dictionary<string, List<Rollout>> Groups(IEnumerable<Rollout> b)
        => b.GroupBy(r => r.PromptId).ToDictionary(g => g.Key, g => g.ToList());

    public static double[] PerGroup(List<Rollout> b, Func<List<double>, int, double> f)
    {
        var groups = Groups(b);
        return b.Select(r => { var g = groups[r.PromptId]; return f(g.Select(x => x.Reward!.Value).ToList(), g.IndexOf(r)); }).ToArray();
    }

    public static Func<int, int, double> Continuous(int seed) { var rng = new Random(seed); return (_, _) => Math.Round(rng.NextDouble() * 2 - 0.5, 3); }
}

public class GrpoTests
{
    [Fact]
    public void Hand_computed_group_of_four()
    {
        var b = new List<Rollout> { R("q", 1), R("q", 0), R("q", 0), R("q", 0) };
        Run("GRPO", b);   // μ = 0.25, unbiased σ = √(0.75/3) = 0.5
        Close(new[] { 0.75 / 0.500001, -0.25 / 0.500001, -0.25 / 0.500001, -0.25 / 0.500001 }, b);
        Run("GRPO", b, ("UnbiasedStd", false)); // population σ = √(0.75/4)
        Close(0.75 / (Math.Sqrt(0.1875) + 1e-6), b[0].Advantage);
        Run("GRPO", b, ("NormalizeByStd", false));
        Close(new[] { 0.75, -0.25, -0.25, -0.25 }, b);
        Run("GRPO", b, ("Epsilon", 1e-4));
        Close(0.75 / 0.5001, b[0].Advantage);
    }

    [Fact]
    public void Group_of_one_all_equal_all_wrong_all_right()
    {
        var b = new List<Rollout> { R("one", 0.7), R("eq", 0.3), R("eq", 0.3), R("wrong", 0), R("wrong", 0), R("right", 1), R("right", 1), R("right", 1) };
        Run("GRPO", b);
        Close(new[] { 0.7 / 1.000001, 0, 0, 0, 0, 0, 0, 0 }, b);
    }

    [Fact]
    public void Batch_std_keeps_group_means()
    {
        var b = new List<Rollout> { R("a", 1), R("a", 0), R("b", 1), R("b", 1), R("b", 1), R("b", 0) };
        Run("GRPO", b, ("StdScope", "batch"));
        double s = Math.Sqrt((4.0 / 9 + 8.0 / 9) / 5) + 1e-6;   // unbiased std of {1,0,1,1,1,0}
        Close(new[] { 0.5 / s, -0.5 / s, 0.25 / s, 0.25 / s, 0.25 / s, -0.75 / s }, b);
    }

    [Fact]
    public void Mixed_group_sizes_match_the_reference_loop()
    {
        var b = Make(new[] { 1, 2, 3, 7, 16, 5 }, 9, Reference.Continuous(9));
        Run("GRPO", b);
        Close(Reference.PerGroup(b, (g, i) => { var (m, s) = Stats(g); return (g[i] - m) / (s + 1e-6); }), b);
    }
}

public class DrGrpoTests
{
    [Fact]
    public void Subtracts_the_group_mean_only()
    {
        var b = new List<Rollout> { R("one", 0.7), R("q", 1), R("q", 0), R("q", 0), R("w", 0), R("w", 0), R("r", 1), R("r", 1) };
        Run("DrGRPO", b);
        Close(new[] { 0.7, 2.0 / 3, -1.0 / 3, -1.0 / 3, 0, 0, 0, 0 }, b);
    }

    [Fact]
    public void Mixed_sizes_match_reference()
    {
        var b = Make(new[] { 1, 4, 9, 2 }, 4, Reference.Continuous(4));
        Run("DrGRPO", b);
        Close(Reference.PerGroup(b, (g, i) => g[i] - (g.Count == 1 ? 0 : g.Average())), b);
    }
}

public class RlooTests
{
    [Fact]
    public void Leave_one_out_by_hand()
    {
        var b = new List<Rollout> { R("q", 1), R("q", 0), R("q", 0), R("q", 0.5), R("one", 0.4), R("w", 0), R("w", 0), R("r", 1), R("r", 1) };
        Run("RLOO", b);
        Close(new[] { 1 - 0.5 / 3, 0 - 1.5 / 3, 0 - 1.5 / 3, 0.5 - 1.0 / 3, 0.4, 0, 0, 0, 0 }, b);
        Run("RLOO", b, ("SingletonZero", true));
        Close(0, b[4].Advantage);
    }

    [Fact]
    public void Mixed_sizes_match_reference()
    {
        var b = Make(new[] { 2, 5, 1, 8 }, 5, Reference.Continuous(5));
        Run("RLOO", b);
        Close(Reference.PerGroup(b, (g, i) => g.Count == 1 ? g[i] : g[i] - (g.Sum() - g[i]) / (g.Count - 1)), b);
    }
}

public class ReMaxTests
{
    [Fact]
    public void Reward_minus_greedy_baseline()
    {
        var b = new List<Rollout> { R("q", 1), R("q", 0), R("one", 0.25) };
        b[0].BaselineReward = 0.5; b[1].BaselineReward = 0.5; b[2].BaselineReward = 1;
        Run("ReMax", b);
        Close(new[] { 0.5, -0.5, -0.75 }, b);
    }

    [Fact]
    public void Missing_or_nan_baseline_is_reported()
    {
        var b = new List<Rollout> { R("q", 1), R("q", 0), R("p", 1) };
        b[0].BaselineReward = 0.5; b[2].BaselineReward = double.NaN;
        var res = Run("ReMax", b);
        Assert.Equal(new[] { "MissingInput", "NonFiniteReward" }, res.Issues.Select(i => i.ErrorId));
        Assert.All(b, r => Assert.Null(r.Advantage));
    }
}

public class OpoTests
{
    [Fact]
    public void Length_weighted_baseline_by_hand()
    {
        var b = new List<Rollout> { R("q", 1, 0, 2), R("q", 0, 1, 6), R("one", 0.3, 0, 5), R("e", 0, 0, 0), R("e", 1, 1, 0) };
        Run("OPO", b);   // b = (2·1 + 6·0)/8 = 0.25; all-empty group: plain mean 0.5
        Close(new[] { 0.75, -0.25, 0.3, -0.5, 0.5 }, b);
    }

    [Fact]
    public void All_equal_gives_zero_and_missing_lengths_are_reported()
    {
        var b = new List<Rollout> { R("q", 1, 0, 3), R("q", 1, 1, 9) };
        Run("OPO", b);
        Close(new[] { 0.0, 0.0 }, b);
        b[0].CompletionTokens = null;
        var res = Run("OPO", b);
        Assert.Equal("MissingInput", Assert.Single(res.Issues).ErrorId);
    }
}

public class GpgTests
{
    [Fact]
    public void Alpha_is_batch_size_over_nonzero_rewards()
    {
        var b = new List<Rollout> { R("q", 1), R("q", 0), R("q", 0), R("q", 0), R("w", 0), R("w", 0), R("one", 1) };
        Run("GPG", b);   // α = 7 / 2
        double a = 3.5;
        Close(new[] { a * 0.75, -a * 0.25, -a * 0.25, -a * 0.25, 0, 0, a * 1 }, b);
    }

    [Fact]
    public void All_zero_batch_uses_alpha_equal_batch_size()
    {
        var b = new List<Rollout> { R("w", 0), R("w", 0) };
        Run("GPG", b);
        Close(new[] { 0.0, 0.0 }, b);
    }
}

public class GrpoPassKTests
{
    [Fact]
    public void Only_the_best_sample_gets_the_margin()
    {
        var b = new List<Rollout> { R("q", 0.2), R("q", 0.9), R("q", 0.5), R("q", 0.1) };
        Run("GRPOPassK", b);
        var (m, s) = Stats(new[] { 0.2, 0.9, 0.5, 0.1 });
        Close(new[] { 0, 0.4 / (s + 1e-6), 0, 0 }, b);
        Run("GRPOPassK", b, ("NormalizeByStd", false));
        Close(new[] { 0, 0.4, 0, 0 }, b);
    }

    [Fact]
    public void Ties_all_equal_and_group_of_one()
    {
        var b = new List<Rollout> { R("t", 1), R("t", 1), R("t", 0), R("r", 1), R("r", 1) };
        Run("GRPOPassK", b, ("NormalizeByStd", false));
        Close(new[] { 0.0, 0, 0, 0, 0 }, b);
        var one = new List<Rollout> { R("one", 1), R("q", 1), R("q", 0) };
        var res = Run("GRPOPassK", one, ("NormalizeByStd", false));
        Assert.Equal("GroupTooSmall", Assert.Single(res.Issues).ErrorId);
        Assert.Null(one[0].Advantage);
        Close(new[] { 1.0, 0 }, one.Skip(1).ToList());
    }
}
