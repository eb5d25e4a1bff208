using RlTools.Core.Advantages;
using RlTools.Core.Advantages.Estimators;
using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

public class VerlErEstimatorTests
{
    private static Rollout Er(string pid, int index, double reward, double er, double erv, double era, int length = 3)
    {
        var r = R(pid, reward, index, length);
        r.EffectiveRank = er; r.EffectiveRankVelocity = erv; r.EffectiveRankAcceleration = era;
        return r;
    }

    private static readonly double A0 = 0.5 / (Math.Sqrt(0.5) + 1e-6);   // GRPO of rewards (1, 0)
    private static readonly double Tau = 1 / (1 + Math.Exp(-10));        // sigmoid(g·5), δ_ERA clamped at 5

    // batch 1 sets the baselines to its means: ERA 0, ERV 0, ER 8; reward mean 0.5
    private static List<Rollout> First() => new() { Er("q", 0, 1, 10, 1, 0.5), Er("q", 1, 0, 6, -1, -0.5) };
    // batch 2: ERA 0.2 and ERV 0.5 against baselines 0 → δ = +5 (clamped); ER 9 → δ = 1/8, ER 4 → δ = −1/2
    private static List<Rollout> Second() => new() { Er("q", 0, 1, 9, 0.5, 0.2), Er("q", 1, 0, 4, 0.5, 0.2) };

    [Fact]
    public void First_batch_is_plain_grpo_then_the_bonus_is_added_under_the_cap()
    {
        var e = AdvantageEstimatorRegistry.Create("VERLER");
        var b1 = First();
        e.Estimate(b1);
        Close(new[] { A0, -A0 }, b1);
        var b2 = Second();
        e.Estimate(b2);
        // w = τ·(0,0,1) + (1−τ)·(0,1,0); aux = (1−τ)·tanh(5) + τ·tanh(δ_ER)
        double aux0 = (1 - Tau) * Math.Tanh(5) + Tau * Math.Tanh(0.125);
        Assert.True(aux0 < A0 / 2);
        Close(A0 + aux0, b2[0].Advantage);
        Close(-A0, b2[1].Advantage);   // aux = (1−τ)·tanh(5) + τ·tanh(−1/2) < 0 → relu 0
        TokenReference.CloseTokens(new[] { A0 + aux0, A0 + aux0, A0 + aux0 }, b2[0].TokenAdvantages);
        var st = ((VerlErEstimator)e).State;
        Assert.Equal(2, st.Steps);
        Close(0.3 * 0.2, st.Baselines[0]); Close(0.3 * 0.5, st.Baselines[1]); Close(0.7 * 8 + 0.3 * 6.5, st.Baselines[2]);
        Close(0.5, st.RewardEma);
    }

    [Fact]
    public void The_bonus_is_capped_at_a_kappa_th_of_the_advantage()
    {
        var e = AdvantageEstimatorRegistry.Create("VERLER");
        e.Estimate(First());
        var b2 = new List<Rollout> { Er("q", 0, 1, 16, 0.5, 0.2), Er("q", 1, 0, 4, 0.5, 0.2) };   // δ_ER = 1 → aux ≈ 0.76 > A0/2
        e.Estimate(b2);
        Close(A0 + A0 / 2, b2[0].Advantage);
        e.SetParameter("Kappa", 4.0);
        ((VerlErEstimator)e).ResetState(); e.Estimate(First()); e.Estimate(b2 = new List<Rollout> { Er("q", 0, 1, 16, 0.5, 0.2), Er("q", 1, 0, 4, 0.5, 0.2) });
        Close(A0 + A0 / 4, b2[0].Advantage);
    }

    [Fact]
    public void Last_token_placement_skips_interior_masked_tokens()
    {
        var e = AdvantageEstimatorRegistry.Create("VERLER");
        e.SetParameter("BonusOn", "last-token");
        e.Estimate(First());
        var b2 = Second();
        b2[0].LossMask = new[] { 1f, 1f, 0f };
        e.Estimate(b2);
        double aux0 = (1 - Tau) * Math.Tanh(5) + Tau * Math.Tanh(0.125);
        TokenReference.CloseTokens(new[] { A0, A0 + aux0, 0 }, b2[0].TokenAdvantages);
        Close(A0 + aux0, b2[0].Advantage);
    }

    [Fact]
    public void Dynamic_scale_shrinks_the_bonus_as_the_reward_ema_rises()
    {
        var e = AdvantageEstimatorRegistry.Create("VERLER", new Dictionary<string, object?> { ["FixedScale"] = false, ["RewardLow"] = 0.0, ["RewardHigh"] = 1.0 });
        e.Estimate(First());                 // reward EMA = 0.5 → S = 1 − 0.5
        var b2 = Second();
        e.Estimate(b2);
        Close(A0 + 0.5 * ((1 - Tau) * Math.Tanh(5) + Tau * Math.Tanh(0.125)), b2[0].Advantage);
    }

    [Fact]
    public void Released_code_baselines_start_at_zero_and_lag_one_step()
    {
        var e = (VerlErEstimator)AdvantageEstimatorRegistry.Create("VERLER", new Dictionary<string, object?> { ["ReleasedCode"] = true });
        e.Estimate(First());
        Assert.Equal(new double[3], e.State.Baselines);
        var b2 = Second();
        e.Estimate(b2);
        // baselines 0: every δ = +5 → aux = tanh(5) > A0/2 → capped
        Close(A0 + A0 / 2, b2[0].Advantage);
        Close(-A0 + A0 / 2, b2[1].Advantage);   // same δs: the capped bonus shrinks a negative advantage, never flips it
        Close(0.3 * 8, e.State.Baselines[2]);   // batch 1's ER mean, one step late
        Close(0.3 * 0.5, e.State.RewardEma);
    }

    [Fact]
    public void Group_of_one_all_equal_rewards_and_missing_indicators()
    {
        var e = AdvantageEstimatorRegistry.Create("VERLER");
        e.Estimate(First());
        var b = new List<Rollout> { Er("one", 0, 1, 20, 0.5, 0.2), Er("eq", 0, 1, 20, 0.5, 0.2), Er("eq", 1, 1, 20, 0.5, 0.2) };
        e.Estimate(b);
        Close(1 / 1.000001 + 1 / 1.000001 / 2, b[0].Advantage);   // group of one: A0 = r/(1+ε), bonus capped at A0/2
        Close(0, b[1].Advantage); Close(0, b[2].Advantage);      // A0 = 0 caps the bonus at 0
        var bad = new List<Rollout> { Er("q", 0, 1, 1, 1, 1) };
        bad[0].EffectiveRankVelocity = null;
        Assert.Equal("MissingInput", Assert.Single(AdvantageEstimatorRegistry.Create("VERLER").Estimate(bad).Issues).ErrorId);
        bad[0].EffectiveRankVelocity = double.NaN;
        Assert.Equal("NonFiniteInput", Assert.Single(AdvantageEstimatorRegistry.Create("VERLER").Estimate(bad).Issues).ErrorId);
    }
}

public class HapoAdaptiveTemperatureTests
{
    [Fact]
    public void Temperature_follows_the_normalised_entropy_of_the_previous_step()
    {
        // previous step: entropies e^-1, e^0, e^1, e^3 → e = −1, 0, 1, 3; pivot (q = 0.5, nearest: index round(1.5) = 2) = 1
        var prev = new[] { new[] { (float)Math.Exp(-1), 1f }, new[] { (float)Math.E, (float)Math.Exp(3) } };
        var s = HapoEstimator.Statistics(prev, 0.5)!;
        Assert.Equal(1, s.Pivot, 6);
        double scale = Math.Sqrt((4 + 1 + 0 + 4) / 4.0);   // √mean((e − 1)²) = 1.5
        Assert.Equal(scale, s.Scale, 6);
        Assert.Equal(2 / scale, s.PositiveMax, 6);
        Assert.Equal(-2 / scale, s.NegativeMin, 6);
        Assert.Equal(1, HapoEstimator.Normalize(Math.Exp(3), s), 6);
        Assert.Equal(-0.5, HapoEstimator.Normalize(Math.Exp(0), s), 6);
        Assert.Equal(0.5, HapoEstimator.Normalize(Math.Exp(0), s, releasedCode: true), 6);
        Assert.Equal(1.0 * (1 + 0.05 * -0.5), HapoEstimator.AdaptiveTemperature(1.0, 0.05, HapoEstimator.Normalize(1, s)), 9);
        Assert.Equal(0.7 * 1.05, HapoEstimator.AdaptiveTemperature(0.7, 0.05, HapoEstimator.Normalize(Math.Exp(9), s)), 9);   // ĥ > 1 clamps
        Assert.Null(HapoEstimator.Statistics(new[] { Array.Empty<float>() }, 0.5));
    }
}
