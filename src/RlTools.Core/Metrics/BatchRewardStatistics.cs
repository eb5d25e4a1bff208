using RlTools.Core.Records;

namespace RlTools.Core.Metrics;

/// <summary>
/// The reward statistics of one training batch that <c>Update-RlPolicy</c> puts on each of its results, as verl
/// (<c>critic/score/mean</c>, <c>response_length/mean</c>) and TRL (<c>reward</c>, <c>completions/mean_length</c>)
/// log them: the mean reward over rollouts that have one, the accuracy (share of rewards equal to 1) when every
/// reward is 0 or 1, and the mean completion length in tokens. Expert rollouts (<see cref="Rollout.IsExpert"/>,
/// demonstrations of hybrid objectives) are not samples of the policy and are left out; non-finite rewards too.
/// </summary>
public sealed record BatchRewardStatistics(double? Reward, double? Accuracy, double? ResponseLength)
{
    /// <summary>Statistics of <paramref name="batch"/>; every value is null when it has no on-policy rollout.</summary>
    public static BatchRewardStatistics Of(IReadOnlyList<Rollout> batch)
    {
        double rewardSum = 0, lengthSum = 0;
        int rewarded = 0, ones = 0, samples = 0;
        bool binary = true;
        foreach (var r in batch)
        {
            if (r.IsExpert) continue;
            samples++;
            lengthSum += r.CompletionLength;
            if (r.Reward is not { } v || !double.IsFinite(v)) continue;
            rewarded++;
            rewardSum += v;
            if (v == 1) ones++;
            else if (v != 0) binary = false;
        }
        return new BatchRewardStatistics(
            rewarded > 0 ? rewardSum / rewarded : null,
            rewarded > 0 && binary ? (double)ones / rewarded : null,
            samples > 0 ? lengthSum / samples : null);
    }

    /// <summary>Copies the statistics onto an update result.</summary>
    public void ApplyTo(UpdateResult result)
    {
        result.Reward = Reward;
        result.Accuracy = Accuracy;
        result.ResponseLength = ResponseLength;
    }
}
