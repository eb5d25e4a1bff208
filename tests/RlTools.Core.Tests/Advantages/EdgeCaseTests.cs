using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

/// <summary>Groups of one, all-wrong and all-right groups for the estimators whose golden files do not cover them.</summary>
public class EdgeCaseTests
{
    private static Rollout Full(string pid, double r, int index = 0)
    {
        var x = R(pid, r, index, 3);
        x.Logprobs = new[] { -0.2f, -1f, -3f };
        x.PromptLogprobs = new[] { -0.5f };
        x.Entropies = new[] { 1f, 1f, 1f };
        x.FinishReason = "stop";
        x.Completion = "<answer>3</answer>";
        return x;
    }

    [Fact]
    public void Arm_group_of_one_is_grpo_plus_the_shift()
    {
        var b = new List<Rollout> { Full("one", 1) };
        Run("ARM", b);
        Close(1 / 1.000001 + 0.1 * (Math.Exp(-0.5) - Math.Exp(-3)), b[0].Advantage, 1e-7);
    }

    [Fact]
    public void Adora_group_of_one_and_homogeneous_groups()
    {
        var b = new List<Rollout> { Full("right1", 1), Full("wrong1", 0), Full("r", 1, 0), Full("r", 1, 1), Full("w", 0, 0), Full("w", 0, 1) };
        Run("ADORA", b);
        Close(new[] { 1 / 1.000001, 0, 0, 0, 0, 0 }, b);
    }

    [Fact]
    public void QHawkeye_group_of_one_is_undamped_grpo()
    {
        var b = new List<Rollout> { Full("one", 0.8), Full("w", 0, 0), Full("w", 0, 1), Full("r", 1, 0), Full("r", 1, 1) };
        Run("QHawkeye", b);
        Close(new[] { 0.8 / 1.000001, 0, 0, 0, 0 }, b);
    }

    [Fact]
    public void WReinforce_group_of_one_all_wrong_all_right()
    {
        var b = new List<Rollout> { Full("one", 1), Full("w", 0, 0), Full("w", 0, 1), Full("r", 1, 0), Full("r", 1, 1) };
        Run("WReinforce", b);
        Close(new[] { 0.1, -1, -1, 0.1, 0.1 }, b);
    }

    [Fact]
    public void R3Rank_group_of_one_all_right_and_all_wrong_with_tied_scores()
    {
        var b = new List<Rollout> { Full("one", 1), Full("onewrong", 0), Full("r", 1, 0), Full("r", 1, 1), Full("w", 0, 0), Full("w", 0, 1), Full("w", 0, 2) };
        Run("R3Rank", b);
        var shaped = new[] { 0.0, 0.05, 0.1 };   // equal scores: ranks follow input order
        var (m, s) = Stats(shaped);
        Close(new[] { 1 / 1.000001, 0, 0, 0, (0 - m) / (s + 1e-6), (0.05 - m) / (s + 1e-6), (0.1 - m) / (s + 1e-6) }, b);
    }

    [Fact]
    public void Gae_and_reinforce_plus_plus_treat_groups_independently_of_prompt()
    {
        var a = Make(new[] { 3, 4 }, 17); var b = Make(new[] { 3, 4 }, 17);
        foreach (var r in b) r.PromptId = "same";
        Run("GAE", a); Run("GAE", b);
        Assert.Equal(Adv(a), Adv(b));
        Run("ReinforcePlusPlus", a); Run("ReinforcePlusPlus", b);
        Assert.Equal(Adv(a), Adv(b));
    }
}
