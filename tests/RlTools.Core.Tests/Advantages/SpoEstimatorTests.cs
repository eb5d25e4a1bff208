using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

/// <summary>Records as the open rollout stage emits them: sources with cuts, probes, tree nodes.</summary>
internal static class StepRecords
{
    /// <summary>A source rollout with per-token probabilities <paramref name="p"/> and cut positions.</summary>
    public static Rollout Source(string pid, int index, double? reward, double[] p, int[]? cuts = null, float[]? lossMask = null)
        => new()
        {
            PromptId = pid, SampleIndex = index, Reward = reward, NodeId = $"{pid}/{index}",
            CompletionTokens = Enumerable.Range(0, p.Length).ToArray(),
            Logprobs = p.Select(x => (float)Math.Log(x)).ToArray(),
            Entropies = p.Select(_ => 1f).ToArray(),
            CutPositions = cuts, LossMask = lossMask, FinishReason = "stop",
        };

    /// <summary>A probe of <paramref name="source"/> at cut <paramref name="cut"/>: prefix (loss_mask 0) + <paramref name="extra"/> continuation tokens.</summary>
    public static Rollout Probe(Rollout source, int cut, double? reward, int n = 0, int extra = 2, float entropy = 1f)
        => new()
        {
            PromptId = source.PromptId, SampleIndex = source.SampleIndex, Reward = reward,
            IsProbe = true, ParentId = source.NodeId, NodeId = $"{source.NodeId}/c{cut}/{n}", CutPositions = new[] { cut },
            CompletionTokens = Enumerable.Range(0, cut + extra).ToArray(),
            Logprobs = Enumerable.Repeat(-0.5f, cut + extra).ToArray(),
            Entropies = Enumerable.Range(0, cut + extra).Select(j => j < cut ? 9f : entropy).ToArray(),
            LossMask = Enumerable.Range(0, cut + extra).Select(j => j < cut ? 0f : 1f).ToArray(),
            FinishReason = "stop",
        };

    /// <summary>A tree node record (path of <paramref name="pathLength"/> tokens, the last <paramref name="segment"/> its own).</summary>
    public static Rollout Node(string pid, int index, string id, string? parent, int depth, double? reward, int pathLength = 3, int segment = 3)
        => new()
        {
            PromptId = pid, SampleIndex = index, Reward = reward, NodeId = id, ParentId = parent, Depth = depth,
            CompletionTokens = Enumerable.Range(0, pathLength).ToArray(),
            LossMask = depth == 0 ? null : Enumerable.Range(0, pathLength).Select(j => j < pathLength - segment ? 0f : 1f).ToArray(),
            FinishReason = "stop",
        };
}

public class SpoEstimatorTests
{
    private static readonly double[] P6 = { 0.5, 0.95, 0.95, 0.3, 0.95, 0.95 };

    [Fact]
    public void Segment_advantages_are_value_differences_on_low_probability_tokens()
    {
        // cuts 0 and 3; V(0) = mean(1, 0) = 1/2, V(3) = mean(1, 1, 0) = 2/3, V(6) = r = 1
        var src = StepRecords.Source("q", 0, 1, P6, new[] { 0, 3 });
        var b = new List<Rollout> { src, StepRecords.Probe(src, 0, 1, 0), StepRecords.Probe(src, 0, 0, 1),
            StepRecords.Probe(src, 3, 1, 0), StepRecords.Probe(src, 3, 1, 1), StepRecords.Probe(src, 3, 0, 2) };
        var res = Run("SPO", b, ("Whiten", false));
        Assert.Empty(res.Issues);
        // tokens [0,3): 2/3 − 1/2 = 1/6; [3,6): 1 − 2/3 = 1/3; p = 0.95 > 0.9 masked
        TokenReference.CloseTokens(new[] { 1.0 / 6, 0, 0, 1.0 / 3, 0, 0 }, src.TokenAdvantages);
        Close((1.0 / 6 + 1.0 / 3) / 6, src.Advantage, 1e-6);
        foreach (var p in b.Skip(1)) { Assert.Equal(0, p.Advantage); Assert.All(p.TokenAdvantages!, t => Assert.Equal(0f, t)); }
        // mask off: every token of a segment carries its advantage
        Run("SPO", b, ("Whiten", false), ("ProbabilityMask", 0.0));
        TokenReference.CloseTokens(new[] { 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 3 }, src.TokenAdvantages);
    }

    [Fact]
    public void Tokens_before_the_first_cut_get_zero_and_no_cuts_means_all_zero()
    {
        var a = StepRecords.Source("q", 0, 1, new[] { 0.2, 0.3, 0.4, 0.5 }, new[] { 2 });
        var none = StepRecords.Source("q", 1, 1, new[] { 0.2, 0.3 });
        var b = new List<Rollout> { a, none, StepRecords.Probe(a, 2, 0, 0), StepRecords.Probe(a, 2, 0, 1) };
        Run("SPO", b, ("Whiten", false));
        TokenReference.CloseTokens(new[] { 0.0, 0, 1, 1 }, a.TokenAdvantages);   // V(2) = 0, r = 1
        TokenReference.CloseTokens(new[] { 0.0, 0 }, none.TokenAdvantages);
        Assert.Equal(0, none.Advantage);
    }

    [Fact]
    public void Whitening_uses_only_low_probability_trained_tokens_across_the_batch()
    {
        // A: V(0) = 1/2, r = 1 → raw 0.5 on 3 tokens; B (another prompt): V(0) = 1, r = 0 → raw −1, token 1 masked (p = 0.95)
        var a = StepRecords.Source("a", 0, 1, new[] { 0.5, 0.5, 0.5 }, new[] { 0 });
        var bb = StepRecords.Source("b", 0, 0, new[] { 0.5, 0.95 }, new[] { 0 });
        var batch = new List<Rollout> { a, bb, StepRecords.Probe(a, 0, 1, 0), StepRecords.Probe(a, 0, 0, 1), StepRecords.Probe(bb, 0, 1) };
        Run("SPO", batch);
        // kept: 0.5, 0.5, 0.5, −1 → mean 0.125, unbiased var 1.6875/3 = 0.5625, sd 0.75
        TokenReference.CloseTokens(new[] { 0.5, 0.5, 0.5 }, a.TokenAdvantages);
        TokenReference.CloseTokens(new[] { -1.5, 0 }, bb.TokenAdvantages);
        Close(0.5, a.Advantage, 1e-6);
        Close(-0.75, bb.Advantage, 1e-6);
    }

    [Fact]
    public void Interior_loss_mask_zeros_carry_nothing_and_stay_out_of_the_statistics()
    {
        var a = StepRecords.Source("a", 0, 1, new[] { 0.5, 0.5, 0.5 }, new[] { 0 }, new[] { 1f, 0f, 1f });
        var bb = StepRecords.Source("b", 0, 0, new[] { 0.5, 0.95 }, new[] { 0 });
        var batch = new List<Rollout> { a, bb, StepRecords.Probe(a, 0, 1, 0), StepRecords.Probe(a, 0, 0, 1), StepRecords.Probe(bb, 0, 1) };
        Run("SPO", batch);
        // kept: 0.5, 0.5, −1 → mean 0, var (0.25 + 0.25 + 1)/2 = 0.75
        double sd = Math.Sqrt(0.75);
        TokenReference.CloseTokens(new[] { 0.5 / sd, 0, 0.5 / sd }, a.TokenAdvantages);
        TokenReference.CloseTokens(new[] { -1 / sd, 0 }, bb.TokenAdvantages);
        Close(0.5 / sd, a.Advantage, 1e-6);   // mean over its two trained tokens
    }

    [Fact]
    public void Group_of_one_all_equal_values_and_empty_completion()
    {
        // one rollout, its cut value equals its reward: every segment advantage is 0
        var one = StepRecords.Source("one", 0, 1, new[] { 0.5, 0.5 }, new[] { 0 });
        var empty = new Rollout { PromptId = "e", Reward = 1, CompletionTokens = Array.Empty<int>(), Logprobs = Array.Empty<float>() };
        var b = new List<Rollout> { one, empty, StepRecords.Probe(one, 0, 1) };
        var res = Run("SPO", b);
        Assert.Empty(res.Issues);
        Assert.All(one.TokenAdvantages!, t => Assert.Equal(0f, t));
        Assert.Empty(empty.TokenAdvantages!);
        Assert.Equal(0, empty.Advantage);
    }

    [Fact]
    public void Missing_or_orphan_probes_and_bad_cuts_exclude_the_group()
    {
        var a = StepRecords.Source("a", 0, 1, P6, new[] { 0, 3 });
        var ok = StepRecords.Source("ok", 0, 1, P6, new[] { 0 });
        var b = new List<Rollout> { a, StepRecords.Probe(a, 0, 1), ok, StepRecords.Probe(ok, 0, 0) };
        var res = Run("SPO", b);
        var issue = Assert.Single(res.Issues);
        Assert.Equal("MissingProbe", issue.ErrorId);
        Assert.Same(a, issue.Rollout);
        Assert.Null(a.Advantage);
        Assert.NotNull(ok.Advantage);

        var orphan = StepRecords.Probe(ok, 0, 1);
        orphan.ParentId = "nobody";
        res = Run("SPO", new List<Rollout> { ok, StepRecords.Probe(ok, 0, 0), orphan });
        Assert.Equal("ProbeWithoutSource", Assert.Single(res.Issues).ErrorId);

        var bad = StepRecords.Source("bad", 0, 1, P6, new[] { 3, 3 });
        Assert.Equal("InvalidCutPositions", Assert.Single(Run("SPO", new List<Rollout> { bad }).Issues).ErrorId);
        var outside = StepRecords.Source("out", 0, 1, P6, new[] { 6 });
        Assert.Equal("InvalidCutPositions", Assert.Single(Run("SPO", new List<Rollout> { outside }).Issues).ErrorId);
    }

    [Fact]
    public void Nan_probe_reward_excludes_the_group()
    {
        var a = StepRecords.Source("a", 0, 1, P6, new[] { 0 });
        var b = new List<Rollout> { a, StepRecords.Probe(a, 0, double.NaN) };
        var res = Run("SPO", b);
        Assert.Equal("NonFiniteReward", Assert.Single(res.Issues).ErrorId);
        Assert.Null(a.Advantage);
    }
}

public class SpoTreeEstimatorTests
{
    // root → a (→ a0: 1, a1: 0, a2: 1), b (→ b0: 0, b1: 0). V(a) = 2/3, V(b) = 0, V(root) = 1/3.
    private static List<Rollout> Tree() => new()
    {
        StepRecords.Node("q", 0, "q/0", null, 0, 0.3, 2, 2),
        StepRecords.Node("q", 1, "q/1", null, 0, 0.7, 2, 2),
        StepRecords.Node("q", 2, "q/0/0", "q/0", 1, 1, 5, 3),
        StepRecords.Node("q", 3, "q/0/1", "q/0", 1, 0, 5, 3),
        StepRecords.Node("q", 4, "q/0/2", "q/0", 1, 1, 5, 3),
        StepRecords.Node("q", 5, "q/1/0", "q/1", 1, 0, 4, 2),
        StepRecords.Node("q", 6, "q/1/1", "q/1", 1, 0, 4, 2),
    };

    [Fact]
    public void Node_advantage_is_value_minus_parent_value_on_the_segment_tokens()
    {
        var t = Tree();
        Assert.Empty(Run("SPOTree", t, ("Whiten", false)).Issues);
        Close(new[] { 1.0 / 3, -1.0 / 3, 1.0 / 3, -2.0 / 3, 1.0 / 3, 0, 0 }, t, 1e-6);
        TokenReference.CloseTokens(new[] { 1.0 / 3, 1.0 / 3 }, t[0].TokenAdvantages);
        TokenReference.CloseTokens(new[] { 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3 }, t[2].TokenAdvantages);   // ancestors' tokens masked
        TokenReference.CloseTokens(new[] { 0, 0, -2.0 / 3, -2.0 / 3, -2.0 / 3 }, t[3].TokenAdvantages);
    }

    [Fact]
    public void Grpo_method_divides_by_the_population_std_of_the_siblings()
    {
        var t = Tree();
        Run("SPOTree", t, ("Whiten", false), ("Method", "grpo"));
        double sdA = Math.Sqrt(2.0 / 9);   // children of a: 1, 0, 1 around 2/3
        Close(new[] { (1.0 / 3) / (1.0 / 3 + 1e-8), (-1.0 / 3) / (1.0 / 3 + 1e-8), (1.0 / 3) / (sdA + 1e-8), (-2.0 / 3) / (sdA + 1e-8), (1.0 / 3) / (sdA + 1e-8), 0, 0 }, t, 1e-6);
    }

    [Fact]
    public void Whitening_runs_over_the_trained_tokens_of_all_edges()
    {
        var t = Tree();
        Run("SPOTree", t);
        var raw = new[] { 1.0 / 3, -1.0 / 3, 1.0 / 3, -2.0 / 3, 1.0 / 3, 0, 0 };
        int[] seg = { 2, 2, 3, 3, 3, 2, 2 };
        var tokens = raw.SelectMany((a, i) => Enumerable.Repeat(a, seg[i])).ToArray();
        double m = tokens.Average(), sd = Math.Sqrt(tokens.Sum(x => (x - m) * (x - m)) / (tokens.Length - 1) + 1e-8);
        for (int i = 0; i < raw.Length; i++) Close((raw[i] - m) / sd, t[i].Advantage, 1e-5);
        TokenReference.CloseTokens(new[] { 0, 0, (raw[2] - m) / sd, (raw[2] - m) / sd, (raw[2] - m) / sd }, t[2].TokenAdvantages, 1e-5);
    }

    [Fact]
    public void Single_leaf_tree_and_all_equal_leaves_give_zero()
    {
        var b = new List<Rollout>
        {
            StepRecords.Node("one", 0, "one/0", null, 0, 1),
            StepRecords.Node("eq", 0, "eq/0", null, 0, 0), StepRecords.Node("eq", 1, "eq/0/0", "eq/0", 1, 1, 5, 2), StepRecords.Node("eq", 2, "eq/0/1", "eq/0", 1, 1, 5, 2),
        };
        Run("SPOTree", b, ("Whiten", false));
        Close(new[] { 0.0, 0, 0, 0 }, b);
    }

    [Fact]
    public void Broken_trees_are_reported()
    {
        var t = Tree();
        t[5].ParentId = "q/9";
        Assert.Equal("InvalidTree", Assert.Single(Run("SPOTree", t).Issues).ErrorId);
        t = Tree(); t[2].Depth = 2;
        Assert.Equal("InvalidTree", Assert.Single(Run("SPOTree", t).Issues).ErrorId);
        t = Tree(); t[3].NodeId = "q/0/0";
        Assert.Contains(Run("SPOTree", t).Issues, i => i.ErrorId == "DuplicateNodeId");
        t = Tree(); t[0].NodeId = null;
        Assert.Equal("MissingInput", Run("SPOTree", t).Issues[0].ErrorId);
        Assert.All(t, r => Assert.Null(r.Advantage));
    }
}
