using RlTools.Core.Advantages;
using RlTools.Core.Advantages.Estimators;
using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

public class CanonTests
{
    private static Rollout E(string pid, double r, float entropy, int len = 2)
    {
        var x = R(pid, r, 0, len);
        x.Entropies = Enumerable.Repeat(entropy, len).ToArray();
        return x;
    }

    [Fact]
    public void Entropy_split_pure_inter_group_by_hand()
    {
        var b = new List<Rollout> { E("q", 1, 0.1f), E("q", 1, 0.2f), E("q", 0, 0.9f), E("q", 0, 0.8f) };
        Run("CANON", b);   // low half {0,1}: μ_low = 1; high half {3,2}: μ_high = 0
        Close(new[] { 1.0, 1, -1, -1 }, b);
        Run("CANON", b, ("Lambda", 0.7), ("Alpha", 2.0), ("Beta", 0.1), ("MaxLength", 10.0));
        double Low(double r) => (0.7 * (2 * r - 0 - 0.1) + 0.3 * (r - 1)) / 10;
        double High(double r) => (0.7 * (r - 2 * 1 + 0.1) + 0.3 * (r - 0)) / 10;
        Close(new[] { Low(1), Low(1), High(0), High(0) }, b);
    }

    [Fact]
    public void Length_split_odd_group_and_singleton()
    {
        var b = new List<Rollout> { R("q", 1, 0, 9), R("q", 0, 1, 3), R("q", 1, 2, 5), R("one", 0.6, 0, 4) };
        Run("CANON", b, ("Metric", "length"), ("Lambda", 0.6), ("Alpha", 1.5), ("Beta", 0.2));
        // sorted by length: [1 (3)] | [2 (5), 0 (9)]: μ_short = 0, μ_long = 1
        double Long(double r) => 0.6 * (1.5 * r - 0 + 0.2) + 0.4 * (r - 1);
        double Short(double r) => 0.6 * (r - 1.5 * 1 - 0.2) + 0.4 * (r - 0);
        Close(new[] { Long(1), Short(0), Long(1), 0.6 * (1.5 * 0.6 + 0.2) + 0.4 * 0.6 }, b);
    }

    [Fact]
    public void Equal_mix_is_DrGRPO_and_all_equal_is_zero()
    {
        var b = Make(new[] { 4, 8, 6 }, 21, Reference.Continuous(21));
        Run("CANON", b, ("Lambda", 0.5));
        Close(Reference.PerGroup(b, (g, i) => g[i] - g.Average()), b);
        var eq = new List<Rollout> { E("q", 1, 0.3f), E("q", 1, 0.1f) };
        Run("CANON", eq);
        Close(new[] { 0.0, 0.0 }, eq);
    }

    [Fact]
    public void Schedules()
    {
        var c = new CanonEstimator();
        Assert.Equal(0, c.CosineWeight(0), 12); Assert.Equal(0.3, c.CosineWeight(15), 12); Assert.Equal(0.6, c.CosineWeight(30), 12);
        Assert.Equal(0.3, c.CosineWeight(50), 12); Assert.Equal(0.6, c.CosineWeight(70), 12);
        var b = new List<Rollout> { E("q", 1, 0.1f), E("q", 1, 0.2f), E("q", 0, 0.9f), E("q", 0, 0.8f) };
        Run("CANON", b, ("Schedule", "anneal"));   // w = 1 − 0.5
        Close(new[] { 0.5 * (1 - 0) + 0.5 * (1 - 1), 0.5, 0.5 * (0 - 1) + 0.5 * 0, -0.5 }, b);
        Run("CANON", b, ("Schedule", "cosine"), ("Step", 15));   // w = 0.3
        Close(0.7 * 1 + 0.3 * 0, b[0].Advantage);
        Run("CANON", b, ("Schedule", "cosine_reverse"), ("Step", 15));
        Close(0.3 * 1 + 0.7 * 0, b[0].Advantage);
        foreach (var r in b) r.Step = null;
        Assert.All(Run("CANON", b, ("Schedule", "cosine")).Issues, i => Assert.Equal("MissingInput", i.ErrorId));
    }
}

public class AdoraTests
{
    private static Rollout L(string pid, double r, int len, string finish = "stop") { var x = R(pid, r, 0, len); x.FinishReason = finish; return x; }

    [Fact]
    public void Tds_groups_are_scaled_by_lambda()
    {
        var b = new List<Rollout> { L("tas", 1, 10), L("tas", 0, 5), L("tas", 0, 6), L("tas", 0, 4), L("tds", 1, 3), L("tds", 0, 8) };
        Run("ADORA", b);
        var g = b.Select(r => r.Clone()).ToList(); Run("GRPO", g);
        Close(new[] { g[0].Advantage!.Value, g[1].Advantage!.Value, g[2].Advantage!.Value, g[3].Advantage!.Value, 0.1 * g[4].Advantage!.Value, 0.1 * g[5].Advantage!.Value }, b);
    }

    [Fact]
    public void Truncated_negatives_are_ignored()
    {
        var b = new List<Rollout> { L("q", 1, 5), L("q", 0, 20, "length"), L("q", 0, 4) };
        var g = b.Select(r => r.Clone()).ToList(); Run("GRPO", g);
        Run("ADORA", b);   // negatives {4}: 5 > 4 ⇒ TAS
        Close(Adv(g), b);
        b[1].FinishReason = "stop";
        Run("ADORA", b);   // negatives {20, 4}: 5 < 12 ⇒ TDS
        Close(0.1 * g[0].Advantage!.Value, b[0].Advantage);
        Run("ADORA", b, ("MaxLength", 10));   // 20 ≥ 10 is truncated again
        Close(Adv(g), b);
    }

    [Fact]
    public void Variants_differ_on_groups_without_positives_and_state_accumulates()
    {
        var e = (AdoraEstimator)AdvantageEstimatorRegistry.Create("ADORA");
        e.Estimate(new List<Rollout> { L("w", 0, 3), L("w", 0.2, 4) });
        Assert.Equal(1, e.State.Prompts["w"].Disadvantaged);
        var v = (AdoraEstimator)AdvantageEstimatorRegistry.Create("ADORA", new Dictionary<string, object?> { ["Variant"] = "vlm" });
        var b = new List<Rollout> { L("w", 0, 3), L("w", 0.2, 4) };
        v.Estimate(b);
        Assert.Equal(0, v.State.Prompts["w"].Disadvantaged);
        var (m, s) = Stats(new[] { 0, 0.2 });
        Close((0 - m) / (s + 1e-6), b[0].Advantage);
        Assert.Equal(1, v.State.Steps);
    }

    [Fact]
    public void History_criterion_uses_accumulated_lengths_and_survives_json()
    {
        var e = (AdoraEstimator)AdvantageEstimatorRegistry.Create("ADORA", new Dictionary<string, object?> { ["Criterion"] = "history" });
        e.Estimate(new List<Rollout> { L("q", 1, 10), L("q", 0, 2) });
        var restored = (AdoraEstimator)AdvantageEstimatorRegistry.FromJson(e.ToJson());
        Assert.Equal(10, restored.State.Prompts["q"].MaxPositiveLength);
        var b = new List<Rollout> { L("q", 1, 3), L("q", 0, 8) };   // this batch alone: 3 < 8 ⇒ TDS
        restored.Estimate(b);                                       // history: max(3, 10) > (2 + 8)/2 ⇒ TAS
        var g = b.Select(r => r.Clone()).ToList(); Run("GRPO", g);
        Close(Adv(g), b);
        var plain = new List<Rollout> { L("q", 1, 3), L("q", 0, 8) };
        Run("ADORA", plain);
        Close(0.1 * g[0].Advantage!.Value, plain[0].Advantage);
        restored.ResetState();
        Assert.Empty(restored.State.Prompts);
    }
}

public class CalibRlTests
{
    private static Rollout T(string pid, double r, float[] lp, bool expert = false) { var x = R(pid, r, 0, lp.Length); x.Logprobs = lp; x.IsExpert = expert; return x; }

    [Fact]
    public void Guided_token_advantages_by_hand()
    {
        var b = new List<Rollout> { T("q", 1, new[] { -1f, -1f }, true), T("q", 1, new[] { -0.5f, -2f, -0.5f }), T("q", 0, new[] { -0.5f }) };
        Run("CalibRL", b);   // μ over on-policy = 0.5
        Close(new[] { 0.5, 0.5, -0.5 }, b);
        TokenReference.CloseTokens(new[] { 0.5, 0.5 }, b[0].TokenAdvantages);
        TokenReference.CloseTokens(new[] { 0.525, 0.55, 0.525 }, b[1].TokenAdvantages);   // past the expert: mean expert log-prob −1
        TokenReference.CloseTokens(new[] { -0.55 }, b[2].TokenAdvantages);
        Run("CalibRL", b, ("ReleasedCode", true));   // past the expert: padding 0 ⇒ g = 0.5 > 0
        TokenReference.CloseTokens(new[] { 0.525, 0.55, 0.55 }, b[1].TokenAdvantages);
    }

    [Fact]
    public void Homogeneous_groups_get_no_guided_signal_and_expert_is_required()
    {
        var b = new List<Rollout> { T("q", 1, new[] { -1f }, true), T("q", 0, new[] { -3f, -0.1f }), T("q", 0, new[] { -0.2f }), T("one", 0, new[] { -1f }, true), T("one", 1, new[] { -2f }) };
        Run("CalibRL", b);
        TokenReference.CloseTokens(new[] { 0.0, 0.0 }, b[1].TokenAdvantages);
        Close(1.0, b[4].Advantage);   // one on-policy sample: μ = 0
        var none = new List<Rollout> { T("n", 1, new[] { -1f }), T("n", 0, new[] { -1f }) };
        var res = Run("CalibRL", none);
        Assert.Equal("MissingInput", Assert.Single(res.Issues).ErrorId);
        Assert.All(none, r => Assert.Null(r.Advantage));
    }
}

public class HapoTests
{
    private static Rollout H(string pid, double r, params float[] ent) { var x = R(pid, r, 0, ent.Length); x.Entropies = ent; return x; }

    [Fact]
    public void Normalised_entropy_paper_and_released_code()
    {
        var ent = new[] { new[] { (float)Math.Exp(-2), (float)Math.Exp(-1), 1f, (float)Math.Exp(1), (float)Math.Exp(2) } };
        var paper = new HapoEstimator { EntropyPivot = 0.5 }.NormalizedEntropy(ent)[0];
        TokenReference.CloseTokens(new[] { -1, -0.5, 0, 0.5, 1 }, paper, 1e-5);
        var code = new HapoEstimator { EntropyPivot = 0.5, ReleasedCode = true }.NormalizedEntropy(ent)[0];
        TokenReference.CloseTokens(new[] { 1, 0.5, 0, 0.5, 1 }, code, 1e-5);
    }

    [Fact]
    public void Token_weighted_group_statistics_and_redistribution()
    {
        var b = new List<Rollout> { H("q", 1, 0.5f), H("q", 0, 0.1f, 2f, 3f) };
        var e = new HapoEstimator();
        e.Estimate(b);
        double sd = Math.Sqrt(0.75 / 4);   // μ_tok = 1/4
        Close(0.75 / (sd + 1e-6), b[0].Advantage); Close(-0.25 / (sd + 1e-6), b[1].Advantage);
        var hh = e.NormalizedEntropy(b.Select(r => r.Entropies!).ToArray());
        for (int i = 0; i < 2; i++)
        {
            double a = b[i].Advantage!.Value;
            TokenReference.CloseTokens(hh[i].Select(h => h > 0 ? a : a * (1 + h)).ToArray(), b[i].TokenAdvantages);
        }
        Assert.Equal(0.5 * 1.5, HapoEstimator.Redistribute(0.5, 0.5, 1.5, 0.2, 0.2, 1.0));   // high entropy outside the band
        Assert.Equal(0.5, HapoEstimator.Redistribute(0.5, -0.5, 1.5, 0.2, 0.2, 1.0));        // low entropy outside the band
    }

    [Fact]
    public void Fallback_to_grpo_when_an_advantage_reaches_five()
    {
        var b = new List<Rollout> { H("q", 1, 1f), H("q", 0, Enumerable.Repeat(1f, 30).ToArray()), H("one", 0.4f, 1f) };
        Run("HAPO", b);   // token-level A of the short correct one = 5.48 ≥ 5
        Close(0.5 / (Math.Sqrt(0.5) + 1e-6), b[0].Advantage);
        Close(0.4 / 1.000001, b[2].Advantage, 1e-7);
    }

    [Fact]
    public void Released_code_padding_triggers_the_fallback()
    {
        var b = Enumerable.Range(0, 15).Select(_ => H("q", 1, 1f, 1f)).Append(H("q", 0.9, 1f, 1f)).Append(H("long", 1, Enumerable.Repeat(1f, 10).ToArray())).ToList();
        var paper = b.Select(r => r.Clone()).ToList();
        Run("HAPO", paper);
        Run("HAPO", b, ("ReleasedCode", true));
        var rs = Enumerable.Repeat(1.0, 15).Append(0.9).ToList();
        var (m, s) = Stats(rs, unbiased: false);
        Close((0.9 - m) / (s + 1e-6), paper[15].Advantage);   // token-level (equal lengths: population std)
        var (gm, gs) = Stats(rs);
        Close((0.9 - gm) / (gs + 1e-6), b[15].Advantage);     // GRPO fallback (unbiased)
    }
}

public class R3RankTests
{
    private static Rollout F(string pid, double r, params float[] ent) { var x = R(pid, r, 0, ent.Length); x.Entropies = ent; x.FinishReason = "stop"; return x; }

    [Fact]
    public void Structural_score()
    {
        var e = new R3RankEstimator();
        Assert.Equal(1, e.StructuralScore(new[] { 1f, 1f, 1f, 1f }), 9);
        Assert.Equal(3, e.StructuralScore(new[] { 3f, 0f, 0f, 0f }), 9);
        var two = Enumerable.Repeat(1f, 16).Concat(Enumerable.Repeat(3f, 16)).ToArray();
        Assert.Equal(3 - 1, e.StructuralScore(two), 9);   // top 7 tokens = 3; window means {1, 3}: std 1
        Assert.Equal(double.NegativeInfinity, e.StructuralScore(Array.Empty<float>()));
    }

    [Fact]
    public void Failed_samples_get_graded_rewards()
    {
        var b = new List<Rollout> { F("q", 0, 1, 1, 1, 1), F("q", 0, 3, 0, 0, 0), F("q", 0, 0.5f, 0.5f), F("q", 1, 1) };
        Run("R3Rank", b);
        var shaped = new[] { 0.05, 0.1, 0.0, 1.0 };
        var (m, s) = Stats(shaped);
        Close(shaped.Select(x => (x - m) / (s + 1e-6)).ToArray(), b);
        Run("R3Rank", b, ("RankBonus", 0.0));
        var (m0, s0) = Stats(new[] { 0.0, 0, 0, 1 });
        Close((1 - m0) / (s0 + 1e-6), b[3].Advantage);
    }

    [Fact]
    public void Replay_restores_variance_of_homogeneous_groups()
    {
        var e = (R3RankEstimator)AdvantageEstimatorRegistry.Create("R3Rank");
        e.Estimate(new List<Rollout> { F("q", 0, 1), F("q", 0, 1) });   // equal scores: 0 + {0, 0.1}
        Assert.Equal(new[] { 0.0, 0.0 }, e.State.Buffers["q"]);
        var restored = (R3RankEstimator)AdvantageEstimatorRegistry.FromJson(e.ToJson());
        var b = new List<Rollout> { F("q", 1, 1), F("q", 1, 1) };
        restored.Estimate(b);   // all correct + one replayed 0: μ = 2/3, σ = √(1/3)
        Close(new[] { (1.0 / 3) / (Math.Sqrt(1.0 / 3) + 1e-6), (1.0 / 3) / (Math.Sqrt(1.0 / 3) + 1e-6) }, b);
        var fresh = new List<Rollout> { F("q", 1, 1), F("q", 1, 1) };
        Run("R3Rank", fresh);
        Close(new[] { 0.0, 0.0 }, fresh);
        Assert.Equal(2, restored.State.Steps);
        Run("R3Rank", fresh, ("Replay", false));
        Close(new[] { 0.0, 0.0 }, fresh);
    }

    [Fact]
    public void Buffer_is_bounded()
    {
        var e = (R3RankEstimator)AdvantageEstimatorRegistry.Create("R3Rank", new Dictionary<string, object?> { ["BufferSize"] = 3 });
        for (int k = 0; k < 3; k++) e.Estimate(new List<Rollout> { F("q", k, 1), F("q", 0, 1) });
        Assert.Equal(new[] { 0.0, 2.0, 0.0 }, e.State.Buffers["q"]);
    }
}
