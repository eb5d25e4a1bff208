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
    {
        var list = Make(sizes, seed, reward, expert: estimator == "CalibRL");
        var rng = new Random(seed + 1000);
        switch (estimator)
        {
            case "SPO" or "SPAE":
            {   // every rollout probed at 0 and half-way; probes appended after the samples, so indices stay put
                int n = list.Count;
                for (int i = 0; i < n; i++)
                {
                    var r = list[i];
                    r.NodeId = $"{r.PromptId}/{r.SampleIndex}";
                    int L = r.CompletionLength;
                    r.CutPositions = L >= 2 ? new[] { 0, L / 2 } : new[] { 0 };
                    foreach (int c in r.CutPositions)
                        for (int k = 0; k < 2; k++)
                        {
                            int m = c + 1 + rng.Next(3);
                            list.Add(new Rollout
                            {
                                PromptId = r.PromptId, SampleIndex = r.SampleIndex, Reward = rng.NextDouble() < 0.5 ? 1.0 : 0.0,
                                IsProbe = true, ParentId = r.NodeId, NodeId = $"{r.NodeId}/c{c}/{k}", CutPositions = new[] { c },
                                CompletionTokens = Enumerable.Range(0, m).ToArray(),
                                Logprobs = Enumerable.Range(0, m).Select(_ => (float)(-rng.NextDouble() * 3)).ToArray(),
                                Entropies = Enumerable.Range(0, m).Select(_ => (float)(rng.NextDouble() * 2)).ToArray(),
                                LossMask = Enumerable.Range(0, m).Select(j => j < c ? 0f : 1f).ToArray(),
                                FinishReason = "stop",
                            });
                        }
                }
                break;
            }
            case "VERLER":
                foreach (var r in list)
                {
                    r.EffectiveRank = 5 + rng.NextDouble() * 10;
                    r.EffectiveRankVelocity = rng.NextDouble() - 0.5;
                    r.EffectiveRankAcceleration = (rng.NextDouble() - 0.5) * 0.1;
                }
                break;
            case "ADHint":
                foreach (var r in list.Where(r => r.SampleIndex % 2 == 1))
                {
                    r.IsHint = true;
                    int h = rng.Next(r.CompletionLength);
                    r.LossMask = Enumerable.Range(0, r.CompletionLength).Select(j => j < h ? 0f : 1f).ToArray();
                }
                break;
            case "SPOTree":
                foreach (var r in list) { r.NodeId = $"{r.PromptId}/{r.SampleIndex}"; r.Depth = 0; }
                break;
        }
        return list;
    }

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
