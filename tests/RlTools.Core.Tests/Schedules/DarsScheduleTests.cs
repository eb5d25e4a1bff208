using RlTools.Core.Records;
using RlTools.Core.Schedules;

namespace RlTools.Core.Tests.Schedules;

public class DarsScheduleTests
{
    private static readonly double[] Rates = { 0, 1 / 8.0, 2 / 8.0, 3 / 8.0, 4 / 8.0, 5 / 8.0, 1 };

    [Fact]
    public void Equal_treatment_reproduces_the_papers_table()
    {
        // seed-1 §9, N = 8, no std, N_max = 32: p = 0, 1/8, 2/8, 3/8, >= 4/8 -> 24, 11, 3, 1, 0.
        var o = new DarsOptions { Mode = DarsMode.EqualTreatment };
        Assert.Equal(new[] { 24, 11, 3, 1, 0, 0, 0 }, DarsSchedule.Allocate(Rates, o));
    }

    [Fact]
    public void Hardness_weighted_reproduces_the_papers_table()
    {
        // N_max = 64: 56, 24, 8, 3, 0. p = 0 (as 1/16) is exactly 56: (7.5 − 0.9375)/0.1171875.
        Assert.Equal(new[] { 56, 24, 8, 3, 0, 0, 0 }, DarsSchedule.Allocate(Rates, new DarsOptions()));
        Assert.Equal(DarsSchedule.Allocate(Rates, new DarsOptions()), DarsSchedule.Allocate(Rates, DarsSchedule.ForName("dars")!));
    }

    [Fact]
    public void Without_the_cap_the_uncapped_values_show()
    {
        // ET p = 0: (4 − 0.9375)/0.1171875 = 26.13 -> 27 when N_max is large.
        Assert.Equal(27, DarsSchedule.ExtraRollouts(0, new DarsOptions { Mode = DarsMode.EqualTreatment, MaxRollouts = 1000 }));
        // A cap below N gives nothing.
        Assert.Equal(0, DarsSchedule.ExtraRollouts(0, new DarsOptions { MaxRollouts = 4 }));
    }

    [Fact]
    public void With_std_the_rate_is_two_sqrt_p_one_minus_p_and_the_peak_is_N()
    {
        // By hand, N = 8: p = 1/16: S = 2·sqrt(15/256) = 0.484123; ET (8 − 3.87298)/0.484123 = 8.52 -> 9, HW (15 − 3.87298)/0.484123 = 22.98 -> 23.
        // p = 1/8: S = 0.661438; ET 4.09 -> 5, HW 13.17 -> 14. p = 1/4: ET 1.24 -> 2, HW 5.86 -> 6. p = 3/8: ET 0.26 -> 1, HW 2.33 -> 3.
        double[] rates = { 0, 1 / 8.0, 2 / 8.0, 3 / 8.0 };
        Assert.Equal(new[] { 9, 5, 2, 1 }, DarsSchedule.Allocate(rates, new DarsOptions { Mode = DarsMode.EqualTreatment, UseStd = true }));
        Assert.Equal(new[] { 23, 14, 6, 3 }, DarsSchedule.Allocate(rates, new DarsOptions { UseStd = true }));
        Assert.Equal(2 * Math.Sqrt(0.25 * 0.75), DarsSchedule.CumulativeAdvantageRate(0.25, true), 15);
        Assert.Equal(0.375, DarsSchedule.CumulativeAdvantageRate(0.25, false), 15);
    }

    [Fact]
    public void Group_of_sixteen()
    {
        // N = 16, no std, HW, N_max 64: p = 0 -> 1/32: S = 2·(1/32)(31/32) = 0.060546875, N·S = 0.96875,
        // target 2·(31/32)·8 = 15.5, (15.5 − 0.96875)/0.060546875 = 240 -> capped at 48.
        // p = 4/16: S = 0.375, N·S = 6, target 12: (12 − 6)/0.375 = 16.
        Assert.Equal(new[] { 48, 16 }, DarsSchedule.Allocate(new[] { 0, 0.25 }, new DarsOptions { FirstPassRollouts = 16 }));
    }

    [Fact]
    public void Total_budget_scales_down_with_largest_remainders()
    {
        double[] rates = { 0, 1 / 8.0, 0.5 };                              // HW: 56, 24, 0 (total 80)
        var o = new DarsOptions();
        Assert.Equal(new[] { 56, 24, 0 }, DarsSchedule.Allocate(rates, o with { TotalBudget = 80 }));
        Assert.Equal(new[] { 28, 12, 0 }, DarsSchedule.Allocate(rates, o with { TotalBudget = 40 }));
        Assert.Equal(new[] { 29, 12, 0 }, DarsSchedule.Allocate(rates, o with { TotalBudget = 41 })); // 28.7, 12.3
        // 24, 24, 3 (total 51) into 10: 4.706, 4.706, 0.588 -> floors 4, 4, 0, two left to the .706s.
        Assert.Equal(new[] { 5, 5, 0 }, DarsSchedule.Allocate(new[] { 1 / 8.0, 1 / 8.0, 3 / 8.0 }, o with { TotalBudget = 10 }));
        Assert.Equal(new[] { 0, 0, 0 }, DarsSchedule.Allocate(rates, o with { TotalBudget = 0 }));
    }

    [Fact]
    public void Edge_cases()
    {
        Assert.Empty(DarsSchedule.Allocate(Array.Empty<double>(), new DarsOptions()));
        Assert.Throws<ArgumentOutOfRangeException>(() => DarsSchedule.Allocate(new[] { double.NaN }, new DarsOptions()));
        Assert.Throws<ArgumentOutOfRangeException>(() => DarsSchedule.Allocate(new[] { 1.5 }, new DarsOptions()));
        Assert.Throws<ArgumentOutOfRangeException>(() => DarsSchedule.ExtraRollouts(0.1, new DarsOptions { FirstPassRollouts = 0 }));
        // A failed group of one: p = 0 counts as 0.5/N = 0.5, so S = 0.5 and N·S = 0.5 = A_peak: ΔN = 0 (HW: (2·0.5·0.5 − 0.5)/0.5 = 0).
        Assert.Equal(0, DarsSchedule.ExtraRollouts(0, new DarsOptions { FirstPassRollouts = 1 }));
        Assert.Null(DarsSchedule.ForName("nope"));
        Assert.True(DarsSchedule.ForName("DARS-B")!.Breadth);
        Assert.Equal(32, DarsSchedule.ForName("dars-et")!.EffectiveMaxRollouts);
    }

    [Fact]
    public void Combined_groups_keep_only_informative_ones()
    {
        Assert.False(DarsSchedule.KeepGroup(0, 32));
        Assert.True(DarsSchedule.KeepGroup(1, 32));
        Assert.False(DarsSchedule.KeepGroup(32, 32));
        Assert.False(DarsSchedule.KeepGroup(8, 10, upperThreshold: 0.8));
        Assert.Throws<ArgumentOutOfRangeException>(() => DarsSchedule.KeepGroup(3, 2));
    }

    [Fact]
    public void Plan_uses_each_groups_own_size()
    {
        var rollouts = new List<Rollout>();
        void Group(string id, int n, int correct) { for (int i = 0; i < n; i++) rollouts.Add(new Rollout { PromptId = id, SampleIndex = i, Reward = i < correct ? 1 : 0 }); }
        Group("a", 8, 1);   // HW, N = 8, p = 1/8 -> 24
        Group("b", 8, 4);   // p = 1/2 -> 0
        Group("c", 4, 0);   // N = 4, p = 0 -> 1/8: S = 0.21875, N·S = 0.875, target 2·(7/8)·2 = 3.5: (3.5 − 0.875)/0.21875 = 12
        var plan = DarsSchedule.Plan(rollouts, new DarsOptions());
        Assert.Equal(new[] { new DarsAllocation("a", 0.125, 8, 24), new DarsAllocation("b", 0.5, 8, 0), new DarsAllocation("c", 0.0, 4, 12) }, plan);
        var capped = DarsSchedule.Plan(rollouts, new DarsOptions { TotalBudget = 18 });   // 24, 0, 12 of 36 -> 12, 0, 6
        Assert.Equal(new[] { 12, 0, 6 }, capped.Select(p => p.ExtraRollouts));
        Assert.Empty(DarsSchedule.Plan(Array.Empty<Rollout>(), new DarsOptions()));
    }

    [Fact]
    public void Pass_rates_from_rollouts()
    {
        var rollouts = new[]
        {
            new Rollout { PromptId = "b", Reward = 1 }, new Rollout { PromptId = "a", Reward = 0 },
            new Rollout { PromptId = "b", Reward = 0 }, new Rollout { PromptId = "a", Reward = 0.5 },
        };
        var rates = DarsSchedule.PassRates(rollouts);
        Assert.Equal(new[] { ("b", 0.5, 2), ("a", 0.0, 2) }, rates);
        Assert.Equal(0.5, DarsSchedule.PassRates(rollouts, successThreshold: 0.5)[1].PassRate);
        var e = Assert.Throws<ArgumentException>(() => DarsSchedule.PassRates(new[] { new Rollout { PromptId = "x", SampleIndex = 3, Reward = double.NaN } }));
        Assert.Contains("'x'", e.Message);
        Assert.Throws<ArgumentException>(() => DarsSchedule.PassRates(new[] { new Rollout { PromptId = "x" } }));
        Assert.Empty(DarsSchedule.PassRates(Array.Empty<Rollout>()));
    }
}
