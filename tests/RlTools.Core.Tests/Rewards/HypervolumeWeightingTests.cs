using System.Collections;
using RlTools.Core.Records;
using RlTools.Core.Rewards;
using static RlTools.Core.Tests.Rewards.RewardWeightingTestData;

namespace RlTools.Core.Tests.Rewards;

public class HypervolumeWeightingTests
{
    private static IReadOnlyList<double> P(params double[] x) => x;

    // A batch whose per-component means are (a, b).
    private static Rollout[] Means(double a, double b) => new[]
    {
        R("p", 0, ("acc", a + 0.1), ("len", b - 0.1)),
        R("p", 1, ("acc", a - 0.1), ("len", b + 0.1)),
    };

    [Fact]
    public void Hypervolume_of_known_shapes()
    {
        // One box: 0.5 × 0.4.
        Assert.Equal(0.2, HypervolumeWeighting.Hypervolume(new[] { P(0.5, 0.4) }, P(0, 0)), 12);
        // Two overlapping boxes by inclusion–exclusion: 0.5·0.4 + 0.3·0.6 − 0.3·0.4 = 0.26.
        Assert.Equal(0.26, HypervolumeWeighting.Hypervolume(new[] { P(0.5, 0.4), P(0.3, 0.6) }, P(0, 0)), 12);
        // A dominated point adds nothing.
        Assert.Equal(0.26, HypervolumeWeighting.Hypervolume(new[] { P(0.5, 0.4), P(0.3, 0.6), P(0.2, 0.2) }, P(0, 0)), 12);
        // 3-D: 1·1·1 + 2·0.5·0.5 − 1·0.5·0.5 = 1.25.
        Assert.Equal(1.25, HypervolumeWeighting.Hypervolume(new[] { P(1, 1, 1), P(2, 0.5, 0.5) }, P(0, 0, 0)), 12);
        // Shifted reference: boxes [1,3]×[2,3] and [1,2]×[2,5]: 2 + 3 − 1 = 4.
        Assert.Equal(4.0, HypervolumeWeighting.Hypervolume(new[] { P(3, 3), P(2, 5) }, P(1, 2)), 12);
        // A point not beyond the reference in every objective has no volume.
        Assert.Equal(0.0, HypervolumeWeighting.Hypervolume(new[] { P(0.5, -0.1) }, P(0, 0)), 12);
        Assert.Equal(0.0, HypervolumeWeighting.Hypervolume(Array.Empty<IReadOnlyList<double>>(), P(0, 0)), 12);
        // 1-D: the best gain.
        Assert.Equal(0.7, HypervolumeWeighting.Hypervolume(new[] { P(0.4), P(0.7) }, P(0)), 12);
    }

    [Fact]
    public void Meta_reward_follows_the_front_step_by_step()
    {
        var h = new HypervolumeWeighting(new[] { "acc", "len" }, reference: new[] { 0.0, 0.0 });
        Assert.Equal(1.0, h.MetaReward);
        Assert.Equal(new[] { 0.5, 0.5 }, h.GetWeights(new[] { "acc", "len" }));

        h.Observe(Means(0.5, 0.4));                       // Δ = 0.2
        double m1 = 0.5 + 1.5 * Math.Tanh(0.2);
        Assert.Equal(0.2, h.LastContribution, 12);
        Assert.Equal(m1, h.MetaReward, 12);
        Assert.Equal(0.5 * m1, h.GetWeights(new[] { "acc" })[0], 12);

        h.Observe(Means(0.3, 0.6));                       // Δ = 0.26 − 0.2 = 0.06
        Assert.Equal(0.06, h.LastContribution, 12);
        Assert.Equal(0.5 + 1.5 * Math.Tanh(0.06), h.MetaReward, 12);
        Assert.Equal(3, h.Buffer.Count);

        h.Observe(Means(0.4, 0.3));                       // dominated: Δ = 0, m = 0.5, not buffered
        Assert.Equal(0.0, h.LastContribution);
        Assert.Equal(0.5, h.MetaReward, 15);
        Assert.Equal(3, h.Buffer.Count);
        Assert.Equal(3, h.Updates);
    }

    [Fact]
    public void Dominated_buffer_points_are_dropped_without_changing_the_contributions()
    {
        var h = new HypervolumeWeighting(new[] { "acc", "len" }, reference: new[] { 0.0, 0.0 });
        h.Observe(Means(0.5, 0.4));                       // front {(0.5, 0.4)}
        h.Observe(Means(0.3, 0.6));                       // front {(0.5, 0.4), (0.3, 0.6)}: HV 0.26
        h.Observe(Means(0.6, 0.5));                       // dominates (0.5, 0.4): HV = 0.6·0.5 + 0.3·0.1 = 0.33, Δ = 0.07
        Assert.Equal(0.07, h.LastContribution, 12);
        Assert.Equal(3, h.Buffer.Count);                  // reference, (0.3, 0.6), (0.6, 0.5)
        h.Observe(Means(0.7, 0.7));                       // dominates both: HV 0.49, Δ = 0.16
        Assert.Equal(0.16, h.LastContribution, 12);
        Assert.Equal(2, h.Buffer.Count);
        Assert.Equal(new[] { 0.7, 0.7 }, h.Buffer[1].Select(x => Math.Round(x, 12)));
    }

    [Fact]
    public void First_vector_becomes_the_reference_when_none_is_given()
    {
        var h = new HypervolumeWeighting(new[] { "acc", "len" }, weights: new[] { 0.75, 0.25 });
        h.Observe(Means(0.2, 0.2));
        Assert.Equal(1.0, h.MetaReward);
        Assert.Equal(0, h.Updates);
        Assert.Contains("reference", h.LastUpdate);
        Assert.Equal(new[] { 0.2, 0.2 }, h.Buffer[0].Select(x => Math.Round(x, 12)));
        h.Observe(Means(0.5, 0.4));                       // box (0.3 × 0.2) = 0.06
        Assert.Equal(0.06, h.LastContribution, 12);
        Assert.Equal(0.75 * (0.5 + 1.5 * Math.Tanh(0.06)), h.Weights["acc"], 12);
    }

    [Fact]
    public void Minimised_objectives_are_negated()
    {
        var h = new HypervolumeWeighting(new[] { "acc", "len" }, minimize: new[] { false, true }, reference: new[] { 0.2, 0.9 });
        h.Observe(Means(0.5, 0.6));                       // oriented: ref (0.2, −0.9), v (0.5, −0.6): 0.3 × 0.3
        Assert.Equal(0.09, h.LastContribution, 12);
        h.Observe(Means(0.6, 0.95));                      // longer than the reference: no volume
        Assert.Equal(0.0, h.LastContribution);
    }

    [Fact]
    public void Null_components_are_left_out_of_the_means_and_a_missing_component_skips()
    {
        var h = new HypervolumeWeighting(new[] { "acc", "fmt" }, reference: new[] { 0.0, 0.0 });
        h.Observe(new[] { R("p", 0, ("acc", 1.0), ("fmt", null)), R("p", 1, ("acc", 0.0), ("fmt", 0.5)) });
        Assert.Equal(0.5 * 0.5, h.LastContribution, 12);  // means (0.5, 0.5): fmt's null is not a 0
        h.Observe(new[] { R("p", 0, ("acc", 1.0), ("fmt", null)) });
        Assert.Contains("'fmt'", h.LastUpdate);
        Assert.Equal(1, h.Updates);
    }

    [Fact]
    public void One_component_measures_the_gain_over_the_best_so_far()
    {
        var h = new HypervolumeWeighting(new[] { "acc" }, reference: new[] { 0.0 });
        h.Observe(new[] { R("p", 0, ("acc", 0.3)) });
        Assert.Equal(0.3, h.LastContribution, 12);
        h.Observe(new[] { R("p", 0, ("acc", 0.5)) });
        Assert.Equal(0.2, h.LastContribution, 12);
        Assert.Equal(0.5 + 1.5 * Math.Tanh(0.2), h.GetWeights(new[] { "acc" })[0], 12);
    }

    [Fact]
    public void Empty_batch_and_NaN_leave_the_state()
    {
        var h = new HypervolumeWeighting(new[] { "acc", "len" }, reference: new[] { 0.0, 0.0 });
        string before = h.ToJson();
        h.Observe(Array.Empty<Rollout>());
        Assert.Contains("empty", h.LastUpdate);
        var bad = Means(0.5, 0.5);
        bad[0].Rewards!["len"] = double.PositiveInfinity;
        Assert.Throws<NonFiniteRewardException>(() => h.Observe(bad));
        Assert.Throws<ArgumentException>(() => h.ObserveVector(new[] { double.NaN, 0.0 }));
        Assert.Equal(0, h.Updates);
        Assert.Equal(1.0, h.MetaReward);
        Assert.Equal(before.Replace("\"lastUpdate\": \"none yet\"", ""), h.ToJson().Replace("\"lastUpdate\": \"empty batch: no update\"", ""));
    }

    [Fact]
    public void Bad_parameters_are_rejected()
    {
        Assert.Contains("sum to 1", Assert.Throws<ArgumentException>(() => new HypervolumeWeighting(new[] { "a", "b" }, weights: new[] { 0.5, 0.6 })).Message);
        Assert.Throws<ArgumentException>(() => new HypervolumeWeighting(new[] { "a", "b" }, reference: new[] { 0.0 }));
        Assert.Contains("'x'", Assert.Throws<ArgumentException>(() => RewardWeightingRegistry.Create("Hypervolume", new[] { "a" }, new Hashtable { ["Minimize"] = "x" })).Message);
    }

    [Fact]
    public void Registry_parameters_and_json_round_trip()
    {
        var h = (HypervolumeWeighting)RewardWeightingRegistry.Create("Hypervolume", new[] { "acc", "len" },
            new Hashtable { ["Weights"] = new object[] { 0.6, 0.4 }, ["Minimize"] = new object[] { "len" }, ["Reference"] = new Hashtable { ["acc"] = 0.1, ["len"] = 0.9 } });
        Assert.Equal(new[] { false, true }, h.Minimize);
        h.Observe(Means(0.5, 0.5));
        var restored = (HypervolumeWeighting)RewardWeightingController.FromJson(h.ToJson());
        Assert.Equal(h.ToJson(), restored.ToJson());
        h.Observe(Means(0.7, 0.6));
        restored.Observe(Means(0.7, 0.6));
        Assert.Equal(h.MetaReward, restored.MetaReward);
        Assert.Equal(h.Buffer.Count, restored.Buffer.Count);
    }
}
