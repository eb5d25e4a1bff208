using RlTools.Core.Advantages.Estimators;
using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

public class SpaeEstimatorTests
{
    private static readonly double A0 = 0.5 / (Math.Sqrt(0.5) + 1e-6);   // GRPO of rewards (1, 0)
    private static readonly float Ln2 = (float)Math.Log(2);

    // q/0 (r = 1, 7 tokens) has step boundaries 2 and 5; q/1 (r = 0, 3 tokens) has none.
    // cut 2: probe rewards 0, 1 → Acc = 1/2; confidences exp(−0) = 1 and exp(−ln 2) = 1/2 → Conf = 3/4
    //        Φ₁ = 1.5·0.5·0.75 + 0.5·0.5 − 0.75 = 0.0625
    // cut 5: rewards 1, 1, entropies 0 → Acc = 1, Conf = 1 → Φ₂ = 1 (saturated); ΔΦ₂ = 0.9375
    private static List<Rollout> Batch()
    {
        var a = StepRecords.Source("q", 0, 1, Enumerable.Repeat(0.5, 7).ToArray(), new[] { 2, 5 });
        var c = StepRecords.Source("q", 1, 0, Enumerable.Repeat(0.5, 3).ToArray());
        return new List<Rollout>
        {
            a, c,
            StepRecords.Probe(a, 2, 0, 0, 2, 0f), StepRecords.Probe(a, 2, 1, 1, 2, Ln2),
            StepRecords.Probe(a, 5, 1, 0, 3, 0f), StepRecords.Probe(a, 5, 1, 1, 1, 0f),
        };
    }

    [Fact]
    public void Step_potential_matches_the_code_corners()
    {
        Assert.Equal(1, SpaeEstimator.StepPotential(1, 1));
        Assert.Equal(-1, SpaeEstimator.StepPotential(0, 1));
        Assert.Equal(0.5, SpaeEstimator.StepPotential(1, 0));
        Assert.Equal(0, SpaeEstimator.StepPotential(0, 0));
    }

    [Fact]
    public void Outcome_advantage_plus_potential_gain_then_saturation_penalty()
    {
        var b = Batch();
        Assert.Empty(Run("SPAE", b, ("Whiten", false)).Issues);
        double gain = A0 + 0.5 * 0.9375;
        TokenReference.CloseTokens(new[] { A0, A0, gain, gain, gain, A0 * 0.5, A0 * 0.5 }, b[0].TokenAdvantages);
        TokenReference.CloseTokens(new[] { -A0, -A0, -A0 }, b[1].TokenAdvantages);   // no boundary: outcome only
        Close((2 * A0 + 3 * gain + A0) / 7, b[0].Advantage, 1e-6);
        foreach (var p in b.Skip(2)) Assert.Equal(0, p.Advantage);
    }

    [Fact]
    public void Batch_whitening_over_the_trained_tokens_of_the_samples()
    {
        var b = Batch();
        Run("SPAE", b);
        double gain = A0 + 0.5 * 0.9375;
        var w = TokenReference.Whiten(new List<double[]> { new[] { A0, A0, gain, gain, gain, A0 * 0.5, A0 * 0.5 }, new[] { -A0, -A0, -A0 } });
        TokenReference.CloseTokens(w[0], b[0].TokenAdvantages, 1e-5);
        TokenReference.CloseTokens(w[1], b[1].TokenAdvantages, 1e-5);
    }

    [Fact]
    public void A_negative_outcome_is_penalised_harder_after_saturation_and_masked_tokens_get_zero()
    {
        var a = StepRecords.Source("q", 0, 1, Enumerable.Repeat(0.5, 3).ToArray());
        var c = StepRecords.Source("q", 1, 0, Enumerable.Repeat(0.5, 4).ToArray(), new[] { 1 }, new[] { 1f, 1f, 0f, 1f });
        var b = new List<Rollout> { a, c, StepRecords.Probe(c, 1, 1, 0, 2, 0f) };   // Φ = 1 at cut 1
        Run("SPAE", b, ("Whiten", false));
        TokenReference.CloseTokens(new[] { -A0, -1.5 * A0, 0, -1.5 * A0 }, c.TokenAdvantages);
        TokenReference.CloseTokens(new[] { A0, A0, A0 }, a.TokenAdvantages);
    }

    [Fact]
    public void Group_of_one_all_equal_and_probe_only_groups()
    {
        var one = StepRecords.Source("one", 0, 1, new[] { 0.5, 0.5 });
        var e0 = StepRecords.Source("eq", 0, 1, new[] { 0.5, 0.5 }); var e1 = StepRecords.Source("eq", 1, 1, new[] { 0.5 });
        var b = new List<Rollout> { one, e0, e1 };
        Run("SPAE", b, ("Whiten", false));
        TokenReference.CloseTokens(new[] { 1 / 1.000001, 1 / 1.000001 }, one.TokenAdvantages);   // μ = 0, σ = 1
        Assert.All(e0.TokenAdvantages!.Concat(e1.TokenAdvantages!), t => Assert.Equal(0f, t));
        var src = StepRecords.Source("p", 0, 1, new[] { 0.5, 0.5 }, new[] { 1 });
        var probeOnly = new List<Rollout> { StepRecords.Probe(src, 1, 1) };
        Assert.Equal("ProbeWithoutSource", Run("SPAE", probeOnly).Issues[0].ErrorId);
    }
}
