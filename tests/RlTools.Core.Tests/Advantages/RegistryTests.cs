using RlTools.Core.Advantages;
using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

/// <summary>Contract checks that every registered estimator must pass.</summary>
public class RegistryTests
{
    public static TheoryData<string> Names()
    {
        var d = new TheoryData<string>();
        foreach (var n in AdvantageEstimatorRegistry.Names) d.Add(n);
        return d;
    }

    [Fact]
    public void Registry_lists_every_estimator_of_the_issue()
    {
        var expected = new[] { "GRPO", "DrGRPO", "RLOO", "ReinforcePlusPlus", "ReinforcePlusPlusBaseline", "ReMax", "OPO", "GPG", "GRPOPassK", "GDPO", "GAE",
            "NGRPO", "DGPO", "AGRAE", "ARM", "CANON", "ADORA", "QHawkeye", "CalibRL", "HAPO", "NSR", "WReinforce", "R3Rank",
            "SPO", "SPOTree", "SPAE", "VERLER", "ADHint" };
        Assert.Empty(expected.Except(AdvantageEstimatorRegistry.Names));
    }

    [Fact]
    public void Every_estimator_class_is_registered()
    {
        var classes = typeof(AdvantageEstimatorBase).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(AdvantageEstimatorBase).IsAssignableFrom(t)).Select(t => t.FullName).OrderBy(x => x).ToList();
        var registered = AdvantageEstimatorRegistry.Names.Select(n => AdvantageEstimatorRegistry.Create(n).GetType().FullName).Distinct().OrderBy(x => x).ToList();
        Assert.Equal(classes, registered);
        Assert.Equal(AdvantageEstimatorRegistry.Names.Count, AdvantageEstimatorRegistry.Names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory, MemberData(nameof(Names))]
    public void Describes_source_arxiv_inputs_and_parameters(string name)
    {
        var e = AdvantageEstimatorRegistry.Create(name);
        Assert.Equal(name, e.Name);
        Assert.Matches(@"^\d{4}\.\d{4,5}$", e.ArxivId);
        Assert.False(string.IsNullOrWhiteSpace(e.Source));
        Assert.False(string.IsNullOrWhiteSpace(e.Summary));
        Assert.True((e.Inputs & AdvantageInputs.Reward) != 0 || (e.Inputs & AdvantageInputs.Rewards) != 0);
        foreach (var p in e.Parameters)
        {
            Assert.False(string.IsNullOrWhiteSpace(p.Description));
            Assert.Equal(p.Default is Array a ? a.Length : 1, e.GetParameter(p.Name) is Array b ? b.Length : 1);
        }
    }

    [Theory, MemberData(nameof(Names))]
    public void Empty_input_gives_an_empty_result(string name)
    {
        var r = AdvantageEstimatorRegistry.Create(name).Estimate(new List<Rollout>());
        Assert.Empty(r.Issues);
        Assert.Equal(0, r.GroupCount);
    }

    [Theory, MemberData(nameof(Names))]
    public void Nan_reward_is_reported_and_its_group_excluded_not_zeroed(string name)
    {
        var clean = For(name, new[] { 4, 3, 4 }, seed: 7);
        var withNan = For(name, new[] { 4, 3, 4 }, seed: 7);
        withNan[5].Reward = double.NaN;   // group p1, sample 1
        if (name == "GDPO") withNan[5].Rewards!["accuracy"] = double.NaN; // GDPO reads the components
        foreach (var r in withNan) r.Advantage = 42; // stale values must be cleared, not kept
        var res = AdvantageEstimatorRegistry.Create(name).Estimate(withNan);
        var issue = Assert.Single(res.Issues);
        Assert.Equal("NonFiniteReward", issue.ErrorId);
        Assert.Same(withNan[5], issue.Rollout);
        Assert.Contains("prompt_id 'p1'", issue.Message);
        Assert.Contains("sample_index 1", issue.Message);
        Assert.Equal(1, res.ExcludedGroupCount);
        foreach (var r in withNan.Where(r => r.PromptId == "p1")) { Assert.Null(r.Advantage); Assert.Null(r.TokenAdvantages); }
        // the other groups get exactly what they get in a batch without the bad group
        var rest = clean.Where(r => r.PromptId != "p1").ToList();
        AdvantageEstimatorRegistry.Create(name).Estimate(rest);
        var kept = withNan.Where(r => r.PromptId != "p1").ToList();
        for (int i = 0; i < rest.Count; i++)
        {
            Assert.Equal(rest[i].Advantage, kept[i].Advantage);
            Assert.Equal(rest[i].TokenAdvantages, kept[i].TokenAdvantages);
        }
    }

    [Theory, MemberData(nameof(Names))]
    public void Infinite_and_missing_rewards_are_reported(string name)
    {
        var b = For(name, new[] { 3, 3 }, seed: 3);
        b[0].Reward = double.PositiveInfinity;
        if (name == "GDPO") b[0].Rewards!["accuracy"] = double.PositiveInfinity;
        b[4].Reward = null;
        if (name == "GDPO") b[4].Rewards = null;
        var res = AdvantageEstimatorRegistry.Create(name).Estimate(b);
        Assert.Equal(2, res.Issues.Count);
        Assert.Equal("NonFiniteReward", res.Issues[0].ErrorId);
        Assert.Equal("MissingInput", res.Issues[1].ErrorId);
        Assert.All(b, r => Assert.Null(r.Advantage));
    }

    [Theory, MemberData(nameof(Names))]
    public void Every_rollout_of_a_valid_mixed_batch_gets_a_finite_advantage(string name)
    {
        var b = For(name, new[] { 1, 2, 5, 8, 3 }, seed: 11);
        var res = AdvantageEstimatorRegistry.Create(name).Estimate(b);
        if (name == "GRPOPassK")
        {   // a group of one is refused, as verl does
            Assert.All(res.Issues, i => Assert.Equal("GroupTooSmall", i.ErrorId));
            b = b.Where(r => r.PromptId != "p0").ToList();
            res = AdvantageEstimatorRegistry.Create(name).Estimate(b);
        }
        Assert.Empty(res.Issues);
        var est = AdvantageEstimatorRegistry.Create(name);
        foreach (var r in b)
        {
            Assert.True(r.Advantage.HasValue && double.IsFinite(r.Advantage.Value), $"{name}: {r.PromptId}/{r.SampleIndex}");
            if (est.Level == AdvantageLevel.Token)
            {
                Assert.NotNull(r.TokenAdvantages);
                Assert.Equal(r.CompletionLength, r.TokenAdvantages!.Length);
                Assert.All(r.TokenAdvantages, t => Assert.True(float.IsFinite(t)));
            }
            else Assert.Null(r.TokenAdvantages);
        }
    }

    [Theory, MemberData(nameof(Names))]
    public void Json_round_trip_keeps_parameters_and_state(string name)
    {
        var e = AdvantageEstimatorRegistry.Create(name);
        var p = e.Parameters.FirstOrDefault(x => x.Type == "double");
        if (p is not null) e.SetParameter(p.Name, 0.25);
        e.Estimate(For(name, new[] { 3, 4 }, seed: 5));
        var copy = AdvantageEstimatorRegistry.FromJson(e.ToJson());
        Assert.Equal(e.ToJson(), copy.ToJson());
        if (p is not null) Assert.Equal(0.25, copy.GetParameter(p.Name));
        // both continue identically
        var b1 = For(name, new[] { 3, 4 }, seed: 6); var b2 = For(name, new[] { 3, 4 }, seed: 6);
        e.Estimate(b1); copy.Estimate(b2);
        Assert.Equal(Adv(b1), Adv(b2));
    }

    [Fact]
    public void Unknown_names_and_parameters_list_the_valid_ones()
    {
        var ex = Assert.Throws<KeyNotFoundException>(() => AdvantageEstimatorRegistry.Create("GRPOO"));
        Assert.Contains("GRPO", ex.Message); Assert.Contains("RLOO", ex.Message);
        var e = AdvantageEstimatorRegistry.Create("GRPO");
        var ax = Assert.Throws<ArgumentException>(() => e.SetParameter("Epsilonn", 1.0));
        Assert.Contains("Epsilon", ax.Message); Assert.Contains("UnbiasedStd", ax.Message);
        Assert.Throws<ArgumentException>(() => e.SetParameter("StdScope", "global"));
        Assert.Throws<ArgumentException>(() => e.SetParameter("Epsilon", "abc"));
        Assert.Throws<ArgumentException>(() => e.SetParameter("Epsilon", double.NaN));
        var d = AdvantageEstimatorRegistry.Create("DrGRPO");
        Assert.Contains("takes no parameters", Assert.Throws<ArgumentException>(() => d.SetParameter("Epsilon", 1.0)).Message);
    }

    [Fact]
    public void Parameters_convert_from_loose_types()
    {
        var e = AdvantageEstimatorRegistry.Create("GRPO", new Dictionary<string, object?> { ["epsilon"] = 1, ["unbiasedstd"] = "false", ["stdscope"] = "BATCH" });
        Assert.Equal(1.0, e.GetParameter("Epsilon"));
        Assert.Equal(false, e.GetParameter("UnbiasedStd"));
        Assert.Equal("batch", e.GetParameter("StdScope"));
        var g = AdvantageEstimatorRegistry.Create("GDPO", new Dictionary<string, object?> { ["Components"] = new object[] { "a", "b" }, ["Weights"] = new object[] { 1, 0.5 } });
        Assert.Equal(new[] { 1.0, 0.5 }, (double[])g.GetParameter("Weights")!);
        Assert.Throws<ArgumentException>(() => g.SetParameter("Weights", new[] { 1.0 }));
    }

    [Fact]
    public void Results_are_written_back_in_input_order_even_when_groups_interleave()
    {
        var b = new List<Rollout> { R("a", 1, 0), R("b", 0, 0), R("a", 0, 1), R("b", 1, 1), R("a", 0, 2) };
        Run("DrGRPO", b);
        Close(new[] { 2.0 / 3, -0.5, -1.0 / 3, 0.5, -1.0 / 3 }, b);
    }
}
