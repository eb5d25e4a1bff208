using RlTools.Torch.Losses;
using RlTools.Torch.Training;
using static RlTools.Torch.Tests.Update.LossTestKit;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Update;

/// <summary>Metrics named like verl's are computed like verl's (LossTestKit's batch: δ = ℓ − ℓ_old, five trained tokens).</summary>
public class VerlMetricTests
{
    // δ: row 0 (0.2, −0.1, −1.0), row 1 (1.5, 0.3, [−0.5 masked]); A: row 0 (1, −0.5, 2), row 1 (−1, 0.5, [−2]).
    private static double MaskedMean(Tensor x) => LossAggregator.MaskedMean(x, T(Mask));

    [Fact]
    public void Gmpo_clip_fractions_split_by_advantage_sign_as_verl()
    {
        using var scope = NewDisposeScope();
        var loss = new GmpoLoss();
        var terms = loss.Compute(Context(loss, T(LogP)));
        // Outside [−0.4, 0.4]: (0,2) δ = −1 with A = 2 > 0 → pg_clipfrac; (1,0) δ = 1.5 with A = −1 < 0 → pg_clipfrac_lower.
        Assert.Equal(1.0 / 5, MaskedMean(terms.Clipped!), 9);
        Assert.Equal(1.0 / 5, MaskedMean(terms.ClippedLower!), 9);
        // ppo_kl unclamped: −(0.2 − 0.1 − 1 + 1.5 + 0.3)/5 = −0.18.
        Assert.Equal(-0.18, MaskedMean(terms.PpoKl!), 9);
    }

    [Fact]
    public void KlCov_ppo_kl_is_the_mean_absolute_log_ratio_and_nothing_is_clipped()
    {
        using var scope = NewDisposeScope();
        var loss = new KlCovLoss();
        var terms = loss.Compute(Context(loss, T(LogP)));
        Assert.Equal((0.2 + 0.1 + 1.0 + 1.5 + 0.3) / 5, MaskedMean(terms.PpoKl!), 9);
        Assert.Equal(0.0, MaskedMean(terms.Clipped!), 9);
        Assert.Equal(1.0 / 5, MaskedMean(terms.Selected!), 9); // one penalised token (k = max(1, ⌊2e-4·5⌋))
    }

    [Fact]
    public void Ppo_kl_clamps_the_log_ratio_at_20_as_verl()
    {
        // Behaviour log-probs of −50 against a tiny model's ≈ −5.6: δ ≈ 44 is clamped to 20, so ppo_kl = −20 exactly.
        using var policy = TrainerTests.NewPolicy();
        var rows = TrainerTests.NewRollouts(4, withLogprobs: false);
        foreach (var r in rows) r.Logprobs = Enumerable.Repeat(-50f, r.CompletionLength).ToArray();
        var res = PolicyUpdater.Update(policy, rows, new UpdateOptions { LearningRate = 1e-9 })[0];
        Assert.Equal(-20.0, res.ApproxKl, 6);
        var kc = PolicyUpdater.Update(TrainerTests.NewPolicy(), TrainerTests.NewRollouts(4), new UpdateOptions { Loss = "KLCov", LearningRate = 1e-9 })[0];
        Assert.True(kc.ApproxKl > 0);
        Assert.Equal(0.0, kc.ClipFrac);
        Assert.True(kc.SelectedFrac > 0);
    }
}
