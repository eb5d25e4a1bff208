using System.Collections;
using RlTools.Core.Records;
using RlTools.Core.Rewards;
using static RlTools.Core.Tests.Rewards.RewardWeightingTestData;

namespace RlTools.Core.Tests.Rewards;

public class GradientWeightingTests
{
    private const double Eps = 1e-6;

    // One group of three: a = [1, 0, 1] (mixed), b = [1, 1, 1] (all equal, so its advantages are 0).
    private static Rollout[] MixedAndConstant() => new[]
    {
        R("p", 0, ("a", 1.0), ("b", 1.0)),
        R("p", 1, ("a", 0.0), ("b", 1.0)),
        R("p", 2, ("a", 1.0), ("b", 1.0)),
    };

    [Fact]
    public void Mirror_descent_step_matches_the_formula_by_hand()
    {
        var g = new GradientWeighting(new[] { "a", "b" });
        g.Observe(MixedAndConstant());
        // By hand: mean(a) = 2/3, deviations [1/3, -2/3, 1/3], unbiased var = (1/9+4/9+1/9)/2 = 1/3.
        double sigma = Math.Sqrt(1.0 / 3.0);
        double sumSquares = 1.0 / 9 + 4.0 / 9 + 1.0 / 9;
        double gAA = sumSquares / Math.Pow(sigma + Eps, 2) / 3.0; // (1/N) Σ A_a², N = 3
        // b is constant: A_b = 0, so G_ab = G_bb = 0 and s = [G_aa, 0].
        Assert.Equal(gAA, g.LastInfluence[0], 12);
        Assert.Equal(0.0, g.LastInfluence[1], 12);
        // w = softmax(log 0.5 + (1e-6/1e-5)·s): the 0.5s cancel.
        double expectedA = Math.Exp(0.1 * gAA) / (Math.Exp(0.1 * gAA) + 1.0);
        Assert.Equal(expectedA, g.Weights["a"], 12);
        Assert.Equal(1 - expectedA, g.Weights["b"], 12);
        Assert.Equal(1, g.Updates);
        Assert.InRange(expectedA, 0.5166, 0.5167); // ≈ e^{1/15}/(e^{1/15}+1), a sanity anchor on the hand value
    }

    [Fact]
    public void Singleton_group_uses_mean_0_std_1_and_null_components_contribute_nothing()
    {
        var batch = MixedAndConstant().Append(R("q", 0, ("a", 0.5), ("b", null))).ToArray();
        var g = new GradientWeighting(new[] { "a", "b" });
        g.Observe(batch);
        double sigma = Math.Sqrt(1.0 / 3.0);
        double groupP = (6.0 / 9.0) / Math.Pow(sigma + Eps, 2);
        double singleton = Math.Pow(0.5 / (1.0 + Eps), 2); // A = (0.5 - 0) / (1 + ε)
        double gAA = (groupP + singleton) / 4.0;            // N = 4 rollouts
        Assert.Equal(gAA, g.LastInfluence[0], 12);
        Assert.Equal(0.0, g.LastInfluence[1], 12);
    }

    [Fact]
    public void Opposed_objectives_cancel_and_initial_weights_are_normalised()
    {
        // a = [1, 0], b = [0, 1]: A_b = -A_a, so s_a = G_aa + G_ab = 0 and s_b = 0.
        var g = new GradientWeighting(new[] { "a", "b" }, new[] { 1.0, 3.0 });
        Assert.Equal(0.25, g.Weights["a"], 15);
        g.Observe(new[] { R("p", 0, ("a", 1.0), ("b", 0.0)), R("p", 1, ("a", 0.0), ("b", 1.0)) });
        Assert.Equal(0.0, g.LastInfluence[0], 12);
        Assert.Equal(0.0, g.LastInfluence[1], 12);
        Assert.Equal(0.25, g.Weights["a"], 12);
        Assert.Equal(0.75, g.Weights["b"], 12);
    }

    [Fact]
    public void Precomputed_gram_matrix_is_the_papers_update()
    {
        // η/R = 1; s = row sums of [[2, 1], [1, 0]] = [3, 1]; w ∝ 0.5·[e^3, e^1].
        var g = new GradientWeighting(new[] { "a", "b" }, learningRate: 1e-5, regularization: 1e-5);
        g.ObserveGram(new[] { new[] { 2.0, 1.0 }, new[] { 1.0, 0.0 } });
        Assert.Equal(Math.Exp(3) / (Math.Exp(3) + Math.Exp(1)), g.Weights["a"], 12);
    }

    [Fact]
    public void Accumulation_averages_influence_before_one_update()
    {
        var g = new GradientWeighting(new[] { "a", "b" }, learningRate: 1e-5, regularization: 1e-5, accumulationSteps: 2);
        g.ObserveGram(new[] { new[] { 1.0, 0.0 }, new[] { 0.0, 0.0 } });
        Assert.Equal(0.5, g.Weights["a"], 15);
        Assert.Equal(1, g.PendingObservations);
        Assert.Equal(0, g.Updates);
        g.ObserveGram(new[] { new[] { 3.0, 0.0 }, new[] { 0.0, 0.0 } });
        Assert.Equal(Math.Exp(2) / (Math.Exp(2) + 1), g.Weights["a"], 12); // mean s_a = 2
        Assert.Equal(0, g.PendingObservations);
        Assert.Equal(1, g.Updates);
    }

    [Fact]
    public void One_component_keeps_weight_one()
    {
        var g = new GradientWeighting(new[] { "a" });
        g.Observe(MixedAndConstant());
        Assert.Equal(new[] { 1.0 }, g.GetWeights(new[] { "a" }));
    }

    [Fact]
    public void Empty_batch_changes_nothing()
    {
        var g = new GradientWeighting(new[] { "a", "b" });
        g.Observe(Array.Empty<Rollout>());
        Assert.Equal(0, g.Updates);
        Assert.Contains("empty", g.LastUpdate);
        Assert.Equal(0.5, g.Weights["a"]);
    }

    [Fact]
    public void NaN_component_throws_naming_the_rollout_and_leaves_state()
    {
        var g = new GradientWeighting(new[] { "a", "b" });
        string before = g.ToJson();
        var batch = MixedAndConstant();
        batch[1].Rewards!["b"] = double.NaN;
        var e = Assert.Throws<NonFiniteRewardException>(() => g.Observe(batch));
        Assert.Equal("p", e.PromptId);
        Assert.Equal(1, e.SampleIndex);
        Assert.Equal("b", e.Component);
        Assert.Contains("'p'", e.Message);
        Assert.Equal(before, g.ToJson());
    }

    [Fact]
    public void Rollout_without_rewards_map_counts_as_all_null()
    {
        var batch = MixedAndConstant().Append(new Rollout { PromptId = "p", SampleIndex = 3 }).ToArray();
        var g = new GradientWeighting(new[] { "a", "b" });
        g.Observe(batch);
        // The 4th rollout adds a zero row and is left out of p's statistics, but N = 4.
        double sigma = Math.Sqrt(1.0 / 3.0);
        Assert.Equal((6.0 / 9.0) / Math.Pow(sigma + Eps, 2) / 4.0, g.LastInfluence[0], 12);
    }

    [Fact]
    public void GetWeights_maps_by_name_and_rejects_unknown_or_null()
    {
        var g = new GradientWeighting(new[] { "a", "b" }, new[] { 0.2, 0.8 });
        Assert.Equal(new[] { 0.8, 0.2 }, g.GetWeights(new[] { "b", "a" }));
        Assert.Equal(new[] { 0.8 }, g.GetWeights(new[] { "B" }));
        Assert.Contains("'c'", Assert.Throws<ArgumentException>(() => g.GetWeights(new[] { "c" })).Message);
        Assert.Throws<ArgumentNullException>(() => g.GetWeights(null!));
        Assert.Empty(g.GetWeights(Array.Empty<string>()));
    }

    [Fact]
    public void Json_round_trip_continues_identically()
    {
        var g = new GradientWeighting(new[] { "a", "b" }, new[] { 0.3, 0.7 }, accumulationSteps: 2);
        g.Observe(MixedAndConstant());
        g.Observe(MixedAndConstant());
        g.Observe(MixedAndConstant()); // one pending observation in the state
        var restored = (GradientWeighting)RewardWeightingController.FromJson(g.ToJson());
        Assert.Equal(g.ToJson(), restored.ToJson());
        g.Observe(MixedAndConstant());
        restored.Observe(MixedAndConstant());
        Assert.Equal(g.Weights["a"], restored.Weights["a"]);
        Assert.Equal(2, restored.Updates);
    }

    [Fact]
    public void Registry_creates_it_from_a_parameter_map_and_rejects_typos()
    {
        var p = new Hashtable { ["InitialWeights"] = new Hashtable { ["b"] = 3, ["a"] = 1 }, ["learningrate"] = "1e-5" };
        var g = (GradientWeighting)RewardWeightingRegistry.Create("gradient", new[] { "a", "b" }, p);
        Assert.Equal(0.25, g.Weights["a"], 15);
        Assert.Equal(1e-5, g.LearningRate);
        var e = Assert.Throws<ArgumentException>(() => RewardWeightingRegistry.Create("Gradient", new[] { "a" }, new Hashtable { ["LearnRate"] = 1 }));
        Assert.Contains("LearnRate", e.Message);
        Assert.Contains("LearningRate", e.Message);
        Assert.Throws<ArgumentException>(() => new GradientWeighting(new[] { "a", "b" }, new[] { 0.0, 1.0 }));
        Assert.Throws<ArgumentException>(() => new GradientWeighting(new[] { "a", "a" }));
        Assert.Throws<ArgumentException>(() => new GradientWeighting(Array.Empty<string>()));
        Assert.Throws<ArgumentNullException>(() => new GradientWeighting(null!));
    }
}
