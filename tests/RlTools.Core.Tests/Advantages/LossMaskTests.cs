using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

/// <summary>
/// loss_mask interior zeros (tool outputs, injected hints) are left out of every token-level statistic,
/// as verl leaves out response_mask zeros. Expected values worked out by hand from verl's formulas.
/// Common case: one group, A = 4 tokens, mask [1,0,0,1], reward 1; B = 2 tokens, no mask, reward 0.
/// </summary>
public class LossMaskTests
{
    private static readonly float[] Hole = { 1, 0, 0, 1 };

    private static List<Rollout> ToolGroup(bool values = false, bool entropies = false)
    {
        var a = R("q", 1, 0, 4);
        var b = R("q", 0, 1, 2);
        a.LossMask = (float[])Hole.Clone();
        if (values) { a.Values = new[] { 0.5f, 9f, 9f, 0.25f }; b.Values = new[] { 0.2f, 0.1f }; }
        if (entropies) { a.Entropies = new[] { 0.5f, 7f, 7f, 1.5f }; b.Entropies = new[] { 1f, 2f }; }
        a.Rewards = new Dictionary<string, double?> { ["c"] = 1 };
        b.Rewards = new Dictionary<string, double?> { ["c"] = 0 };
        return new List<Rollout> { a, b };
    }

    [Fact]
    public void ReinforcePlusPlus_skips_masked_steps_in_discounting_and_whitening()
    {
        // γ = 1: trained returns A [1, 1], B [0, 0]; mean 0.5, Bessel var 1/3 → ±0.5/√(1/3) = ±0.8660254.
        var b = ToolGroup();
        Run("ReinforcePlusPlus", b);
        double z = 0.5 / Math.Sqrt(1.0 / 3 + 1e-8);
        TokenReference.CloseTokens(new[] { z, 0, 0, z }, b[0].TokenAdvantages);
        TokenReference.CloseTokens(new[] { -z, -z }, b[1].TokenAdvantages);
        Close(z, b[0].Advantage, 1e-6);
        Close(-z, b[1].Advantage, 1e-6);

        // γ = 0.5: the two masked steps do not discount, so A's first token holds 0.5 (not 0.125).
        // Trained returns [0.5, 1, 0, 0]: mean 0.375, Σd² = 0.6875, var 0.6875/3.
        Run("ReinforcePlusPlus", b, ("Gamma", 0.5));
        TokenReference.CloseTokens(new[] { 0.26111648, 0, 0, 1.30558239 }, b[0].TokenAdvantages);
        TokenReference.CloseTokens(new[] { -0.78334943, -0.78334943 }, b[1].TokenAdvantages);
        Close(0.78334943, b[0].Advantage, 1e-6);
    }

    [Fact]
    public void Opo_lengths_count_trained_tokens_only()
    {
        // b = (2·1 + 2·0)/(2 + 2) = 0.5 → +0.5 / −0.5 (without the mask: 4/6 → +0.333 / −0.667).
        var b = ToolGroup();
        Run("OPO", b);
        Close(new[] { 0.5, -0.5 }, b);
    }

    [Fact]
    public void ReinforcePlusPlusBaseline_and_Gdpo_weigh_rollouts_by_trained_tokens()
    {
        // r − μ = ±0.5, two trained tokens each: mean 0, var (4·0.25)/3 → ±0.8660254; masked tokens 0.
        var b = ToolGroup();
        Run("ReinforcePlusPlusBaseline", b);
        double z = 0.5 / Math.Sqrt(1.0 / 3 + 1e-8);
        TokenReference.CloseTokens(new[] { z, 0, 0, z }, b[0].TokenAdvantages);
        TokenReference.CloseTokens(new[] { -z, -z }, b[1].TokenAdvantages);

        // GDPO: component GRPO ±0.5/(√0.5 + 1e-6), then the same length-weighted whitening → ±0.866025397.
        Run("GDPO", b);
        Close(new[] { 0.8660253973, -0.8660253973 }, b, 1e-8);
    }

    [Fact]
    public void Gae_carries_value_and_advantage_over_masked_steps()
    {
        // A, γ = 0.9, λ = 0.8: t=3 δ = 1 − 0.25 = 0.75; t=2,1 masked (values 9 ignored, carried over);
        // t=0 δ = 0.9·0.25 − 0.5 = −0.275, A = −0.275 + 0.72·0.75 = 0.265.
        // B: t=1 δ = −0.1; t=0 δ = 0.9·0.1 − 0.2 = −0.11, A = −0.11 + 0.72·(−0.1) = −0.182.
        var b = ToolGroup(values: true);
        Run("GAE", b, ("Gamma", 0.9), ("Lambda", 0.8), ("Whiten", false));
        TokenReference.CloseTokens(new[] { 0.265, 0, 0, 0.75 }, b[0].TokenAdvantages);
        TokenReference.CloseTokens(new[] { -0.182, -0.1 }, b[1].TokenAdvantages);
        Close(0.5075, b[0].Advantage, 1e-6);

        // Whitened over the four trained tokens [0.265, 0.75, −0.182, −0.1] (mean 0.18325, Σd² 0.54151725).
        Run("GAE", b, ("Gamma", 0.9), ("Lambda", 0.8));
        TokenReference.CloseTokens(new[] { 0.19241478, 0, 0, 1.33395810 }, b[0].TokenAdvantages);
        TokenReference.CloseTokens(new[] { -0.85968804, -0.66668484 }, b[1].TokenAdvantages);
    }

    [Fact]
    public void Hapo_token_group_statistics_use_trained_lengths()
    {
        // μ_tok = (2·1 + 2·0)/4 = 0.5, σ_tok = √((2·0.25 + 2·0.25)/4) = 0.5 → A = ±0.5/(0.5 + 1e-6).
        var b = ToolGroup(entropies: true);
        Run("HAPO", b);
        Close(new[] { 0.5 / 0.500001, -0.5 / 0.500001 }, b);
        Assert.Equal(0f, b[0].TokenAdvantages![1]);
        Assert.Equal(0f, b[0].TokenAdvantages![2]);
        // The masked entropies (7) are out of the normalisation: same token advantages as without those tokens.
        var cut = ToolGroup(entropies: true);
        cut[0] = Without(cut[0], 1, 2);
        Run("HAPO", cut);
        Assert.Equal(new[] { cut[0].TokenAdvantages![0], cut[0].TokenAdvantages![1] }, new[] { b[0].TokenAdvantages![0], b[0].TokenAdvantages![3] });
        Assert.Equal(cut[1].TokenAdvantages, b[1].TokenAdvantages);
    }

    /// <summary>A copy of <paramref name="r"/> with the given token positions removed (and no mask).</summary>
    private static Rollout Without(Rollout r, params int[] drop)
    {
        var c = r.Clone();
        T[]? Cut<T>(T[]? a) => a?.Where((_, j) => Array.IndexOf(drop, j) < 0).ToArray();
        c.CompletionTokens = Cut(r.CompletionTokens);
        c.Logprobs = Cut(r.Logprobs);
        c.Entropies = Cut(r.Entropies);
        c.Values = Cut(r.Values);
        c.LossMask = null;
        return c;
    }

    [Theory]
    [InlineData("ARM")]
    [InlineData("CANON")]
    [InlineData("CANON", "Metric", "length")]
    [InlineData("R3Rank")]
    [InlineData("ADORA")]
    [InlineData("OPO")]
    [InlineData("HAPO")]
    public void Masked_tokens_count_as_if_they_were_absent(string estimator, string? parameter = null, string? value = null)
    {
        // Interior mask zeros with wild values must give the advantages of the same batch with those tokens cut out.
        var masked = For(estimator, new[] { 4, 3 }, seed: 7, reward: (g, i) => (g + i) % 3 == 0 ? 1 : 0);
        var cut = new List<Rollout>();
        foreach (var r in masked)
        {
            int L = r.CompletionLength;
            if (L >= 3)
            {
                r.LossMask = Enumerable.Range(0, L).Select(j => j == 1 ? 0f : 1f).ToArray();
                r.Logprobs![1] = -40f; r.Entropies![1] = 50f; r.Values![1] = 30f;
                if (r.PromptLogprobs is null) r.PromptLogprobs = new[] { -1f };
                cut.Add(Without(r, 1));
            }
            else cut.Add(r.Clone());
        }
        var ps = parameter is null ? Array.Empty<(string, object?)>() : new[] { (parameter, (object?)value) };
        Run(estimator, masked, ps);
        Run(estimator, cut, ps);
        Close(Adv(cut), masked, 1e-6);
    }

    [Fact]
    public void CalibRl_gives_masked_tokens_no_advantage()
    {
        var b = For("CalibRL", new[] { 4 }, seed: 3, reward: (g, i) => i % 2);
        foreach (var r in b) r.LossMask = Enumerable.Range(0, r.CompletionLength).Select(j => j == 0 ? 0f : 1f).ToArray();
        Run("CalibRL", b);
        Assert.All(b, r => Assert.Equal(0f, r.TokenAdvantages![0]));
    }

    [Fact]
    public void A_mask_that_does_not_fit_the_completion_excludes_its_group_with_a_clear_issue()
    {
        var b = ToolGroup();
        b[0].LossMask = new[] { 1f, 0f };
        var res = Run("ReinforcePlusPlus", b);
        Assert.Contains(res.Issues, i => i.ErrorId == "InputLengthMismatch" && i.Message.Contains("loss_mask"));
        Assert.Null(b[1].TokenAdvantages);
        b[0].LossMask = new[] { 1f, float.NaN, 0f, 1f };
        res = Run("OPO", b);
        Assert.Contains(res.Issues, i => i.ErrorId == "InvalidLossMask");
    }

    [Fact]
    public void A_fully_masked_rollout_gets_zero_token_advantages()
    {
        var b = ToolGroup();
        b[0].LossMask = new float[4];
        Run("ReinforcePlusPlus", b);
        Assert.All(b[0].TokenAdvantages!, t => Assert.Equal(0f, t));
        Close(0, b[0].Advantage);
        // B alone is trained: all-equal returns whiten to 0.
        Assert.All(b[1].TokenAdvantages!, t => Assert.Equal(0f, t));
    }
}
