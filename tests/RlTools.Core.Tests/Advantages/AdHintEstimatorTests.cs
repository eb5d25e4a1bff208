using RlTools.Core.Advantages.Estimators;
using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

public class AdHintEstimatorTests
{
    private static Rollout Hinted(string pid, int index, double reward, int hint = 2, int length = 4)
    {
        var r = R(pid, reward, index, length);
        r.IsHint = true; r.HintRatio = 0.5;
        r.LossMask = Enumerable.Range(0, length).Select(j => j < hint ? 0f : 1f).ToArray();
        r.Logprobs = Enumerable.Range(0, length).Select(j => (float)Math.Log(j < hint ? 0.5 : 0.9)).ToArray();
        return r;
    }

    // unhinted 1, 0, 0 (p_u = 1/3, d_u = 2/3); hinted 1, 0 (p_h = 1/2, d_h = 1/2) → w_h = 0.75
    // all five: mean 0.4, unbiased var 1.2/4 = 0.3
    private static List<Rollout> Group() => new() { R("q", 1, 0, 3), R("q", 0, 1, 3), R("q", 0, 2, 3), Hinted("q", 3, 1), Hinted("q", 4, 0) };
    private static readonly double Sd = Math.Sqrt(0.3) + 1e-6;

    [Fact]
    public void Hinted_advantages_are_weighted_by_the_posterior_difficulty_ratio_and_hint_tokens_masked()
    {
        var b = Group();
        Run("ADHint", b);
        Close(new[] { 0.6 / Sd, -0.4 / Sd, -0.4 / Sd, 0.75 * 0.6 / Sd, 0.75 * -0.4 / Sd }, b);
        TokenReference.CloseTokens(new[] { 0, 0, 0.75 * 0.6 / Sd, 0.75 * 0.6 / Sd }, b[3].TokenAdvantages);
        TokenReference.CloseTokens(new[] { 0.6 / Sd, 0.6 / Sd, 0.6 / Sd }, b[0].TokenAdvantages);
        Assert.Equal(new[] { 0f, 0f, 1f, 1f }, b[3].LossMask);   // mask mode leaves the record alone
    }

    [Fact]
    public void Modulate_trains_hint_tokens_of_positive_rollouts_by_their_consistency_only()
    {
        var b = Group();
        Run("ADHint", b, ("HintTokens", "modulate"));
        double a = 0.75 * 0.6 / Sd;
        TokenReference.CloseTokens(new[] { a * 0.5, a * 0.5, a, a }, b[3].TokenAdvantages);   // exp(logprob) = 0.5 on the hint
        Assert.Equal(new[] { 1f, 1f, 1f, 1f }, b[3].LossMask);
        Assert.Equal(2L, b[3].Metadata[AdHintEstimator.HintTokensKey]);
        TokenReference.CloseTokens(new[] { 0, 0, 0.75 * -0.4 / Sd, 0.75 * -0.4 / Sd }, b[4].TokenAdvantages);   // never push a hint down
        Assert.Equal(new[] { 0f, 0f, 1f, 1f }, b[4].LossMask);
        // a second run finds the hint again from the metadata
        Run("ADHint", b, ("HintTokens", "modulate"), ("Gamma", 2.0));
        TokenReference.CloseTokens(new[] { a * 0.25, a * 0.25, a, a }, b[3].TokenAdvantages);
    }

    [Fact]
    public void Edge_cases_no_unhinted_rollouts_group_of_one_all_equal_interior_mask_zero()
    {
        var hintedOnly = new List<Rollout> { Hinted("h", 0, 1), Hinted("h", 1, 0) };
        Run("ADHint", hintedOnly);
        Close(new[] { 0.5 / (Math.Sqrt(0.5) + 1e-6), -0.5 / (Math.Sqrt(0.5) + 1e-6) }, hintedOnly);   // w = 1
        var b = new List<Rollout> { R("one", 1), R("eq", 1, 0), Hinted("eq", 1, 1) };
        var gap = R("g", 1, 0, 3); gap.LossMask = new[] { 1f, 0f, 1f };
        b.Add(gap); b.Add(R("g", 0, 1, 3));
        Run("ADHint", b);
        Close(1 / 1.000001, b[0].Advantage);
        Close(0, b[1].Advantage); Close(0, b[2].Advantage);
        double g = 0.5 / (Math.Sqrt(0.5) + 1e-6);
        TokenReference.CloseTokens(new[] { g, 0, g }, gap.TokenAdvantages);
        Assert.Equal(0.5, AdHintEstimator.ScheduledHintRatio(0.5, 1), 12);
        Assert.Equal(0, AdHintEstimator.ScheduledHintRatio(1, 1), 12);
        Assert.Equal(1, AdHintEstimator.HintedWeight(1, 0), 12);
    }
}
