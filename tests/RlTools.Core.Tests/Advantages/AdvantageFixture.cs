using RlTools.Core.Advantages;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.Advantages;

/// <summary>Builds rollouts with every input any estimator reads, from a seed (deterministic).</summary>
internal static class AdvantageFixture
{
    public static Rollout R(string pid, double? reward, int index = 0, int length = 4)
        => new()
        {
            PromptId = pid, SampleIndex = index, Reward = reward,
            CompletionTokens = Enumerable.Range(0, length).ToArray(),
        };

    /// <summary>Groups of the given sizes; rewards from <paramref name="reward"/>(group, index) or random binary.</summary>
    public static List<Rollout> Make(int[] sizes, int seed = 1, Func<int, int, double>? reward = null, bool expert = false)
    {
        var rng = new Random(seed);
        var list = new List<Rollout>();
        for (int g = 0; g < sizes.Length; g++)
        {
            var prompt = Enumerable.Range(0, 3 + rng.Next(4)).Select(_ => (float)(-rng.NextDouble() * 3)).ToArray();
            for (int i = 0; i < sizes[g]; i++)
            {
                int L = 1 + rng.Next(12);
                double r = reward?.Invoke(g, i) ?? (rng.NextDouble() < 0.5 ? 1.0 : 0.0);
                list.Add(new Rollout
                {
                    PromptId = "p" + g,
                    SampleIndex = i,
                    Reward = r,
                    Rewards = new Dictionary<string, double?> { ["accuracy"] = r, ["format"] = rng.NextDouble() < 0.7 ? 1.0 : 0.0 },
                    BaselineReward = 0.5,
                    CompletionTokens = Enumerable.Range(0, L).ToArray(),
                    Logprobs = Enumerable.Range(0, L).Select(_ => (float)(-rng.NextDouble() * 4)).ToArray(),
                    Entropies = Enumerable.Range(0, L).Select(_ => (float)(rng.NextDouble() * 3 + 0.01)).ToArray(),
                    Values = Enumerable.Range(0, L).Select(_ => (float)rng.NextDouble()).ToArray(),
                    PromptLogprobs = prompt,
                    FinishReason = rng.NextDouble() < 0.2 ? "length" : "stop",
                    Completion = $"<think>x</think><answer>{1 + rng.Next(5)}</answer>",
                    IsExpert = expert && i == 0,
                    Step = 3,
                });
            }
        }
        return list;
    }

    public static List<Rollout> For(string estimator, int[] sizes, int seed = 1, Func<int, int, double>? reward = null)
        => Make(sizes, seed, reward, expert: estimator == "CalibRL");

    public static double[] Adv(IEnumerable<Rollout> rs) => rs.Select(r => r.Advantage ?? double.NaN).ToArray();

    public static AdvantageResult Run(string name, List<Rollout> batch, params (string, object?)[] ps)
    {
        var e = AdvantageEstimatorRegistry.Create(name);
        foreach (var (k, v) in ps) e.SetParameter(k, v);
        return e.Estimate(batch);
    }

    public static void Close(double expected, double? actual, double tol = 1e-9)
    {
        Assert.True(actual.HasValue, "advantage not set");
        Assert.True(Math.Abs(expected - actual!.Value) <= tol * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual.Value:R}");
    }

    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<Rollout> rs, double tol = 1e-9)
    {
        Assert.Equal(expected.Count, rs.Count);
        for (int i = 0; i < rs.Count; i++) Close(expected[i], rs[i].Advantage, tol);
    }

    /// <summary>Reference group statistics, written independently of AdvantageMath (LINQ).</summary>
    public static (double Mean, double Std) Stats(IReadOnlyList<double> x, bool unbiased = true)
    {
        if (x.Count == 1) return (0, 1);
        double m = x.Average();
        double ss = x.Sum(v => (v - m) * (v - m));
        return (m, Math.Sqrt(ss / (unbiased ? x.Count - 1 : x.Count)));
    }
}
