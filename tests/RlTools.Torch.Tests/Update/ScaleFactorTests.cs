using RlTools.Core.Records;
using RlTools.Torch.Losses;
using RlTools.Torch.Training;

namespace RlTools.Torch.Tests.Update;

/// <summary>SeqMeanTokenSumNorm divides by a run constant (Dr.GRPO; verl's configured response length), never a batch's longest completion.</summary>
public class ScaleFactorTests
{
    private static List<Rollout> Tagged(object? maxTokens)
    {
        var rows = TrainerTests.NewRollouts(4);
        if (maxTokens is not null) foreach (var r in rows) r.Metadata["max_tokens"] = maxTokens;
        return rows;
    }

    [Fact]
    public void Takes_the_given_factor_else_the_rollouts_max_tokens()
    {
        Assert.Equal(7.0, PolicyUpdater.ScaleFactor(Tagged(32), 7.0));
        Assert.Equal(32.0, PolicyUpdater.ScaleFactor(Tagged(32), null));
        Assert.Equal(32.0, PolicyUpdater.ScaleFactor(Tagged(32L), null));
        Assert.Equal(32.0, PolicyUpdater.ScaleFactor(Tagged("32"), null));
    }

    [Fact]
    public void Refuses_to_guess()
    {
        Assert.Equal("LossScaleFactorRequired", Assert.Throws<UpdateException>(() => PolicyUpdater.ScaleFactor(Tagged(null), null)).ErrorId);
        var mixed = Tagged(32);
        mixed[1].Metadata["max_tokens"] = 64;
        Assert.Equal("LossScaleFactorRequired", Assert.Throws<UpdateException>(() => PolicyUpdater.ScaleFactor(mixed, null)).ErrorId);
        Assert.Equal("InvalidLossScaleFactor", Assert.Throws<UpdateException>(() => PolicyUpdater.ScaleFactor(mixed, 0)).ErrorId);
    }

    [Fact]
    public void The_loss_divides_by_the_constant_whatever_the_mini_batch()
    {
        // Same rollouts, the pg loss of SeqMeanTokenSum divided by 32 equals SeqMeanTokenSumNorm with max_tokens 32.
        double Pg(LossAggregation agg, List<Rollout> rows)
        {
            using var p = TrainerTests.NewPolicy();
            return PolicyUpdater.Update(p, rows, new UpdateOptions { Aggregation = agg, LearningRate = 1e-9 })[0].PgLoss;
        }
        double sum = Pg(LossAggregation.SeqMeanTokenSum, Tagged(32));
        Assert.Equal(sum / 32, Pg(LossAggregation.SeqMeanTokenSumNorm, Tagged(32)), 6);
        using var policy = TrainerTests.NewPolicy();
        var e = Assert.Throws<UpdateException>(() => PolicyUpdater.Update(policy, Tagged(null), new UpdateOptions { Aggregation = LossAggregation.SeqMeanTokenSumNorm }));
        Assert.Equal("LossScaleFactorRequired", e.ErrorId);
    }
}
