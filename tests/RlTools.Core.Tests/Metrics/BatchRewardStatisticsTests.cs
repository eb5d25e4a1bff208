using RlTools.Core.Metrics;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.Metrics;

public class BatchRewardStatisticsTests
{
    private static Rollout R(double? reward, int length, bool expert = false) =>
        new() { PromptId = "p", Reward = reward, CompletionTokens = new int[length], IsExpert = expert };

    [Fact]
    public void Binary_rewards_give_mean_accuracy_and_length_by_hand()
    {
        // Rewards 1, 0, 1, 0 → mean 0.5, accuracy 2/4; lengths 2, 4, 6, 8 → 5.
        var s = BatchRewardStatistics.Of([R(1, 2), R(0, 4), R(1, 6), R(0, 8)]);
        Assert.Equal(0.5, s.Reward!.Value, 12);
        Assert.Equal(0.5, s.Accuracy!.Value, 12);
        Assert.Equal(5.0, s.ResponseLength!.Value, 12);
    }

    [Fact]
    public void Graded_rewards_have_a_mean_but_no_accuracy()
    {
        var s = BatchRewardStatistics.Of([R(1, 1), R(0.5, 1), R(0, 1)]);
        Assert.Equal(0.5, s.Reward!.Value, 12);
        Assert.Null(s.Accuracy);
    }

    [Fact]
    public void Missing_and_non_finite_rewards_are_left_out_but_their_lengths_count()
    {
        // Rewards: 1, null, NaN, 0 → mean over {1, 0} = 0.5, accuracy 1/2; lengths 1, 2, 3, 6 → 3.
        var s = BatchRewardStatistics.Of([R(1, 1), R(null, 2), R(double.NaN, 3), R(0, 6)]);
        Assert.Equal(0.5, s.Reward!.Value, 12);
        Assert.Equal(0.5, s.Accuracy!.Value, 12);
        Assert.Equal(3.0, s.ResponseLength!.Value, 12);
    }

    [Fact]
    public void Expert_rollouts_are_not_policy_samples()
    {
        // The expert's reward 1 and length 100 are left out: mean 0, accuracy 0, length 4.
        var s = BatchRewardStatistics.Of([R(0, 4), R(1, 100, expert: true)]);
        Assert.Equal(0.0, s.Reward!.Value, 12);
        Assert.Equal(0.0, s.Accuracy!.Value, 12);
        Assert.Equal(4.0, s.ResponseLength!.Value, 12);
    }

    [Fact]
    public void A_single_rollout_and_an_all_equal_batch()
    {
        var one = BatchRewardStatistics.Of([R(1, 3)]);
        Assert.Equal((1.0, 1.0, 3.0), (one.Reward!.Value, one.Accuracy!.Value, one.ResponseLength!.Value));
        var equal = BatchRewardStatistics.Of([R(-2, 1), R(-2, 1)]);
        Assert.Equal(-2.0, equal.Reward!.Value, 12);
        Assert.Null(equal.Accuracy);
    }

    [Fact]
    public void No_rewards_or_no_rollouts_give_nulls()
    {
        var unscored = BatchRewardStatistics.Of([R(null, 2), R(null, 4)]);
        Assert.Null(unscored.Reward);
        Assert.Null(unscored.Accuracy);
        Assert.Equal(3.0, unscored.ResponseLength!.Value, 12);
        var empty = BatchRewardStatistics.Of([]);
        Assert.Equal(new BatchRewardStatistics(null, null, null), empty);
        var experts = BatchRewardStatistics.Of([R(1, 2, expert: true)]);
        Assert.Equal(new BatchRewardStatistics(null, null, null), experts);
    }

    [Fact]
    public void ApplyTo_copies_onto_the_result()
    {
        var r = new UpdateResult();
        new BatchRewardStatistics(0.25, null, 7).ApplyTo(r);
        Assert.Equal((0.25, (double?)null, 7.0), (r.Reward!.Value, r.Accuracy, r.ResponseLength!.Value));
    }
}
