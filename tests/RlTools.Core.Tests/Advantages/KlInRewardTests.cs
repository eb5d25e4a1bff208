using RlTools.Core.Advantages;
using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

/// <summary>
/// KL in the reward (verl use_kl_in_reward): token rewards lose β·KL_t before the estimator runs.
/// Batch: one group; A reward 1, logprobs [−1, −2], ref [−1.5, −2] (k1: [0.5, 0]); B reward 0,
/// logprobs [−1, −1], ref [−1, −1.2] (k1: [0, 0.2]); β = 0.1. Expected values worked out by hand.
/// </summary>
public class KlInRewardTests
{
    private static List<Rollout> Batch()
    {
        var a = R("q", 1, 0, 2); a.Logprobs = new[] { -1f, -2f }; a.RefLogprobs = new[] { -1.5f, -2f };
        var b = R("q", 0, 1, 2); b.Logprobs = new[] { -1f, -1f }; b.RefLogprobs = new[] { -1f, -1.2f };
        return new List<Rollout> { a, b };
    }

    private static AdvantageResult Run(string name, List<Rollout> batch, KlRewardPenalty kl, params (string, object?)[] ps)
    {
        var e = AdvantageEstimatorRegistry.Create(name);
        foreach (var (k, v) in ps) e.SetParameter(k, v);
        return e.Estimate(batch, kl);
    }

    [Fact]
    public void Sequence_estimators_see_the_shaped_reward()
    {
        // Shaped: A 1 − 0.1·0.5 = 0.95, B 0 − 0.1·0.2 = −0.02; Dr.GRPO: mean 0.465 → ±0.485 (without KL ±0.5).
        var b = Batch();
        var res = Run("DrGRPO", b, new KlRewardPenalty(KlController.Fixed(0.1), "k1"));
        Close(new[] { 0.485, -0.485 }, b, 1e-6);
        Assert.Equal(1.0, b[0].Reward); // the record keeps its score
        Close(0.175, res.RewardKlPenalty, 1e-6); // mean of token-mean KL: (0.25 + 0.1)/2
        Assert.Equal(0.1, res.RewardKlPenaltyCoefficient);
    }

    [Fact]
    public void ReinforcePlusPlus_returns_accumulate_future_penalties()
    {
        // γ = 1: token rewards A [−0.05, 1], B [0, −0.02] → returns A [0.95, 1], B [−0.02, −0.02], then whitened.
        var b = Batch();
        Run("ReinforcePlusPlus", b, new KlRewardPenalty(KlController.Fixed(0.1), "kl"));
        TokenReference.CloseTokens(new[] { 0.82198777, 0.90897060 }, b[0].TokenAdvantages);
        TokenReference.CloseTokens(new[] { -0.86547919, -0.86547919 }, b[1].TokenAdvantages);
        // γ = 0.5: A [−0.05 + 0.5·1, 1] = [0.45, 1], B [0.5·(−0.02), −0.02] = [−0.01, −0.02].
        Run("ReinforcePlusPlus", b, new KlRewardPenalty(KlController.Fixed(0.1), "k1"), ("Gamma", 0.5));
        TokenReference.CloseTokens(new[] { 0.19682339, 1.33632721 }, b[0].TokenAdvantages);
        TokenReference.CloseTokens(new[] { -0.75621617, -0.77693443 }, b[1].TokenAdvantages);
    }

    [Fact]
    public void Masked_tokens_carry_no_penalty_and_k3_is_verls_low_var_kl()
    {
        var b = Batch();
        b[0].LossMask = new[] { 0f, 1f };
        var res = Run("DrGRPO", b, new KlRewardPenalty(KlController.Fixed(0.1), "k1"));
        // A's only KL sits on a masked token: A 1, B −0.02 → ±0.51.
        Close(new[] { 0.51, -0.51 }, b, 1e-6);
        // k3 at x = 0.5: e^−0.5 + 0.5 − 1 = 0.10653066; at x = −0.2: e^0.2 − 0.2 − 1 = 0.02140276.
        Assert.Equal(0.1065306597, KlPenalty.Value("k3", 0.5), 9);
        Assert.Equal(0.0214027582, KlPenalty.Value("k3", -0.2), 9);
        b[0].LossMask = null;
        Run("DrGRPO", b, new KlRewardPenalty(KlController.Fixed(1), "low_var_kl+"));
        double ra = 1 - 0.1065306597, rb = -KlPenalty.Value("k3", 0.2);
        Close(new[] { (ra - rb) / 2, (rb - ra) / 2 }, b, 1e-6);
    }

    [Fact]
    public void Adaptive_controller_moves_beta_as_verl()
    {
        // current KL 0.175, target 0.1: error clip(0.75) = 0.2; n = 2, horizon 100 → β·(1 + 0.2·2/100).
        var c = KlController.Adaptive(0.1, 0.1, 100);
        var res = Run("DrGRPO", Batch(), new KlRewardPenalty(c));
        Assert.Equal(0.1, res.RewardKlPenaltyCoefficient);
        Assert.Equal(0.1 * 1.004, c.Value, 12);
        // below target: KL 0.175 vs target 1 → error −0.2 (clipped from −0.825).
        var low = KlController.Adaptive(0.1, 1, 100);
        Run("DrGRPO", Batch(), new KlRewardPenalty(low));
        Assert.Equal(0.1 * 0.996, low.Value, 12);
        var fixedBeta = KlController.Fixed(0.1);
        Run("DrGRPO", Batch(), new KlRewardPenalty(fixedBeta));
        Assert.Equal(0.1, fixedBeta.Value);
    }

    [Fact]
    public void Missing_ref_logprobs_exclude_the_group_and_estimators_without_reward_refuse()
    {
        var b = Batch();
        b[1].RefLogprobs = null;
        var res = Run("GRPO", b, new KlRewardPenalty(KlController.Fixed(0.1)));
        Assert.Contains(res.Issues, i => i.ErrorId == "MissingInput" && i.Message.Contains("ref_logprobs"));
        Assert.Null(b[0].Advantage);
        Assert.Throws<ArgumentException>(() => Run("GDPO", Batch(), new KlRewardPenalty(KlController.Fixed(0.1))));
        Assert.Throws<ArgumentException>(() => new KlRewardPenalty(KlController.Fixed(0.1), "k9"));
        Assert.Throws<ArgumentException>(() => KlController.Fixed(-1));
        Assert.Throws<ArgumentException>(() => KlController.Adaptive(0.1, 0, 100));
    }

    [Fact]
    public void Every_listed_name_parses()
    {
        foreach (var n in KlPenalty.Names) KlPenalty.Parse(n);
        Assert.Contains("kl+", KlPenalty.Names);
        Assert.Contains("mse+", KlPenalty.Names);
    }
}
