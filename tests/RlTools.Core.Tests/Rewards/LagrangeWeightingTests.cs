using System.Collections;
using RlTools.Core.Records;
using RlTools.Core.Rewards;
using static RlTools.Core.Tests.Rewards.RewardWeightingTestData;

namespace RlTools.Core.Tests.Rewards;

public class LagrangeWeightingTests
{
    // A batch where the constrained component 'safe' has mean m (and 'task' mean 1).
    private static Rollout[] Mean(double m) => new[]
    {
        R("p", 0, ("task", 1.0), ("safe", m - 0.05)),
        R("q", 0, ("task", 1.0), ("safe", m + 0.05)),
    };

    private static readonly double?[] SafeOnly = { null, 0.5 };
    private static readonly string[] Components = { "task", "safe" };

    [Fact]
    public void Projected_multiplier_grows_below_the_threshold_and_stops_at_zero()
    {
        var l = new LagrangeWeighting(Components, SafeOnly);
        Assert.Equal(new[] { 1.0, 0.0 }, l.GetWeights(Components));   // λ0 = f(0) = 0; task weight 1
        l.Observe(Mean(0.3));                                           // λ = 0 − 0.1·(0.3 − 0.5) = 0.02
        Assert.Equal(0.02, l.Multipliers["safe"], 12);
        Assert.Equal(0.02, l.GetWeights(new[] { "safe" })[0], 12);
        Assert.Equal(1.0, l.GetWeights(new[] { "task" })[0]);
        l.Observe(Mean(0.9));                                           // 0.02 − 0.04 = −0.02 → 0
        Assert.Equal(0.0, l.Multipliers["safe"]);
        Assert.Equal(2, l.Updates);
    }

    [Fact]
    public void Equality_multiplier_may_go_negative()
    {
        var l = new LagrangeWeighting(Components, SafeOnly, equality: true);
        l.Observe(Mean(0.3));
        l.Observe(Mean(0.9));
        Assert.Equal(-0.02, l.Multipliers["safe"], 12);
    }

    [Fact]
    public void Sigmoid_squash_steps_through_the_derivative_and_weights_the_task_by_nc_minus_sum()
    {
        var l = new LagrangeWeighting(Components, SafeOnly, squash: true);
        Assert.Equal(new[] { 0.5, 0.5 }, l.GetWeights(Components));   // σ(0) = 0.5; task 1 − 0.5
        l.Observe(Mean(0.3));                                           // λ̃ = 0 − 0.1·σ'(0)·(−0.2) = 0.005
        double lambda = 1 / (1 + Math.Exp(-0.005));
        Assert.Equal(lambda, l.Multipliers["safe"], 12);
        Assert.Equal(1 - lambda, l.GetWeights(new[] { "task" })[0], 12);
    }

    [Fact]
    public void Tanh_squash_for_equality()
    {
        var l = new LagrangeWeighting(Components, SafeOnly, squash: true, equality: true);
        Assert.Equal(0.0, l.Multipliers["safe"]);
        l.Observe(Mean(0.3));                                           // tanh'(0) = 1: λ̃ = 0.02
        Assert.Equal(Math.Tanh(0.02), l.Multipliers["safe"], 12);
    }

    [Fact]
    public void Momentum_follows_the_pytorch_sgd_convention()
    {
        var l = new LagrangeWeighting(Components, SafeOnly, momentum: 0.5);
        l.Observe(Mean(0.3));                                           // b = −0.2, λ = 0.02
        l.Observe(Mean(0.3));                                           // b = 0.5·(−0.2) − 0.2 = −0.3, λ = 0.05
        Assert.Equal(0.05, l.Multipliers["safe"], 12);
    }

    [Fact]
    public void Initial_multiplier_and_learning_rate()
    {
        var l = new LagrangeWeighting(Components, SafeOnly, learningRate: 0.5, initialMultiplier: 1.0);
        l.Observe(Mean(0.7));                                           // 1 − 0.5·0.2 = 0.9
        Assert.Equal(0.9, l.Multipliers["safe"], 12);
        var s = new LagrangeWeighting(Components, SafeOnly, squash: true, initialMultiplier: 0.8);
        Assert.Equal(0.8, s.Multipliers["safe"], 12);
        Assert.Throws<ArgumentException>(() => new LagrangeWeighting(Components, SafeOnly, squash: true, initialMultiplier: 1.0));
        Assert.Throws<ArgumentException>(() => new LagrangeWeighting(Components, SafeOnly, initialMultiplier: -0.1));
    }

    [Fact]
    public void Several_constraints_step_independently_and_a_missing_one_keeps_its_multiplier()
    {
        var l = new LagrangeWeighting(new[] { "a", "b" }, new double?[] { 0.5, 0.2 });
        l.Observe(new[] { R("p", 0, ("a", 0.1), ("b", null)), R("p", 1, ("a", 0.3), ("b", null)) });
        Assert.Equal(0.03, l.Multipliers["a"], 12);                    // mean 0.2: 0 − 0.1·(0.2 − 0.5)
        Assert.Equal(0.0, l.Multipliers["b"]);
        Assert.Contains("unchanged", l.LastUpdate);
        l.Observe(new[] { R("p", 0, ("a", null), ("b", 0.0)) });
        Assert.Equal(0.03, l.Multipliers["a"], 12);
        Assert.Equal(0.02, l.Multipliers["b"], 12);
    }

    [Fact]
    public void One_component_is_its_multiplier_alone()
    {
        var l = new LagrangeWeighting(new[] { "safe" }, new double?[] { 0.5 }, initialMultiplier: 0.4);
        l.Observe(new[] { R("p", 0, ("safe", 0.0)) });
        Assert.Equal(new[] { 0.45 }, l.GetWeights(new[] { "safe" }).Select(x => Math.Round(x, 12)));
    }

    [Fact]
    public void Empty_batch_NaN_and_no_values_do_not_step()
    {
        var l = new LagrangeWeighting(Components, SafeOnly);
        l.Observe(Array.Empty<Rollout>());
        Assert.Contains("empty", l.LastUpdate);
        var bad = Mean(0.3);
        bad[1].Rewards!["safe"] = double.NaN;
        var e = Assert.Throws<NonFiniteRewardException>(() => l.Observe(bad));
        Assert.Equal("q", e.PromptId);
        l.Observe(new[] { new Rollout { PromptId = "p" } });
        Assert.Contains("no update", l.LastUpdate);
        Assert.Equal(0, l.Updates);
        Assert.Equal(0.0, l.Multipliers["safe"]);
    }

    [Fact]
    public void Registry_requires_thresholds_and_round_trips_json()
    {
        Assert.Contains("Thresholds", Assert.Throws<ArgumentException>(() => RewardWeightingRegistry.Create("Lagrange", Components, null)).Message);
        Assert.Throws<ArgumentException>(() => RewardWeightingRegistry.Create("Lagrange", Components, new Hashtable { ["Thresholds"] = new Hashtable { ["nope"] = 1 } }));
        var l = (LagrangeWeighting)RewardWeightingRegistry.Create("Lagrange", Components,
            new Hashtable { ["Thresholds"] = new Hashtable { ["safe"] = 0.5 }, ["Momentum"] = 0.5, ["Squash"] = true });
        Assert.Null(l.Thresholds[0]);
        Assert.Equal(0.5, l.Thresholds[1]);
        l.Observe(Mean(0.3));
        var restored = (LagrangeWeighting)RewardWeightingController.FromJson(l.ToJson());
        Assert.Equal(l.ToJson(), restored.ToJson());
        l.Observe(Mean(0.1));
        restored.Observe(Mean(0.1));
        Assert.Equal(l.Multipliers["safe"], restored.Multipliers["safe"]);
    }

    [Fact]
    public void FromJson_rejects_bad_state_clearly()
    {
        Assert.Contains("not valid JSON", Assert.Throws<ArgumentException>(() => RewardWeightingController.FromJson("{")).Message);
        Assert.Contains("'name'", Assert.Throws<ArgumentException>(() => RewardWeightingController.FromJson("{}")).Message);
        Assert.Contains("registered", Assert.Throws<ArgumentException>(() => RewardWeightingController.FromJson("{\"name\":\"X\",\"version\":1,\"components\":[\"a\"]}")).Message);
        Assert.Contains("version", Assert.Throws<ArgumentException>(() => RewardWeightingController.FromJson("{\"name\":\"Lagrange\",\"version\":9,\"components\":[\"a\"]}")).Message);
    }
}
