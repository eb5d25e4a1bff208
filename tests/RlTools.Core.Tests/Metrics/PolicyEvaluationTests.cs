using RlTools.Core.Metrics;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.Metrics;

public class PolicyEvaluationTests
{
    private static Rollout R(string id, int len, string finish = "stop") =>
        new() { PromptId = id, CompletionTokens = new int[len], FinishReason = finish };

    [Fact]
    public void Pass_at_k_and_means_match_a_hand_computation()
    {
        // Prompt a: 4 samples, 1 correct; prompt b: 4 samples, 3 correct.
        var samples = new[] { R("a", 2), R("a", 4), R("a", 6, "length"), R("a", 8), R("b", 1), R("b", 1), R("b", 1), R("b", 1) };
        var correct = new[] { true, false, false, false, true, true, false, true };
        var scores = new double?[] { 1, 0, 0, 0, 1, 1, 0, null };
        var e = PolicyEvaluation.Summarize(samples, correct, scores, new[] { 1, 2, 4 }, "Math", greedy: false);
        Assert.Equal(2, e.Prompts);
        Assert.Equal(4, e.Samples);
        Assert.Equal((0.25 + 0.75) / 2, e.PassAt1, 12);
        Assert.Equal(e.PassAt1, e.PassAtK[1], 12);
        // pass@2: a = 1 - C(3,2)/C(4,2) = 1 - 3/6 = 0.5; b = 1 (n - c = 1 < 2).
        Assert.Equal((0.5 + 1.0) / 2, e.PassAtK[2], 12);
        // pass@4: a = 1, b = 1.
        Assert.Equal(1.0, e.PassAtK[4], 12);
        Assert.Equal(3.0 / 7, e.MeanReward!.Value, 12); // null score left out
        Assert.Equal((2 + 4 + 6 + 8 + 4) / 8.0, e.MeanLength, 12);
        Assert.Equal(7 / 8.0, e.StopRate, 12);
    }

    [Fact]
    public void A_single_greedy_sample_per_prompt_is_plain_accuracy()
    {
        var samples = new[] { R("a", 1), R("b", 1), R("c", 1) };
        var e = PolicyEvaluation.Summarize(samples, new[] { true, false, true }, new double?[] { 1, 0, 1 }, new[] { 1 }, "Math", greedy: true);
        Assert.Equal(2.0 / 3, e.PassAt1, 12);
        Assert.True(e.Greedy);
    }

    [Fact]
    public void All_scores_null_gives_no_mean_reward()
    {
        var e = PolicyEvaluation.Summarize(new[] { R("a", 1) }, new[] { false }, new double?[] { null }, new[] { 1 }, "Math", true);
        Assert.Null(e.MeanReward);
        Assert.Equal(0, e.PassAt1);
    }

    [Fact]
    public void Rejects_empty_input_unequal_groups_and_k_above_n()
    {
        Assert.Throws<ArgumentException>(() => PolicyEvaluation.Summarize(Array.Empty<Rollout>(), Array.Empty<bool>(), Array.Empty<double?>(), new[] { 1 }, "Math", true));
        var uneven = new[] { R("a", 1), R("a", 1), R("b", 1) };
        Assert.Throws<ArgumentException>(() => PolicyEvaluation.Summarize(uneven, new[] { true, true, true }, new double?[] { 1, 1, 1 }, new[] { 1 }, "Math", false));
        var two = new[] { R("a", 1), R("a", 1) };
        Assert.Throws<ArgumentException>(() => PolicyEvaluation.Summarize(two, new[] { true, false }, new double?[] { 1, 0 }, new[] { 3 }, "Math", false));
    }
}
