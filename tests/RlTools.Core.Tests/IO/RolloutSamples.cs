using RlTools.Core.Records;

namespace RlTools.Core.Tests.IO;

/// <summary>A rollout that uses every field type, with the awkward values each format must keep.</summary>
internal static class RolloutSamples
{
    public static Rollout Full() => new()
    {
        PromptId = "gsm8k:7 \"q\", ü",
        SampleIndex = 3,
        Prompt = "Line one\nline two, with \"quotes\" and a tab\t and 漢字 and 😀",
        Answer = "",
        Completion = "  leading spaces, comma, \r\n CRLF ",
        FinishReason = "length",
        PromptTokens = [1, -2, int.MaxValue, int.MinValue],
        CompletionTokens = [],
        Logprobs = [-0.1f, float.NaN, float.NegativeInfinity, float.Epsilon, -0f, float.MaxValue, 1f / 3f],
        Entropies = [float.PositiveInfinity, 0f],
        RefLogprobs = null,
        PromptLogprobs = [-2.5f, float.NaN, -0f, float.NegativeInfinity, 1e-40f],
        Values = [1e-40f],
        Reward = 0.1 + 0.2,
        Rewards = new() { ["math"] = 1.0, ["format"] = null, ["nan"] = double.NaN },
        BaselineReward = -0.0,
        Advantage = double.NegativeInfinity,
        TokenAdvantages = [0.5f, -0.5f],
        LossMask = [1f, 0f, 0.25f],
        IsExpert = true,
        Temperatures = [1.05f, 0.95f, float.NaN],
        NodeId = "p/0/\"1\"",
        ParentId = "",
        Depth = 0,
        CutPositions = [0, 3, int.MaxValue],
        IsProbe = true,
        IsHint = true,
        HintRatio = 0.1 + 0.2,
        EffectiveRank = double.NaN,
        EffectiveRankVelocity = -0.0,
        EffectiveRankAcceleration = double.PositiveInfinity,
        Step = -1,
        Metadata = new(StringComparer.Ordinal)
        {
            ["int"] = 42L,
            ["big"] = long.MaxValue,
            ["double"] = 2.0,
            ["tiny"] = 5e-324,
            ["nan"] = double.NaN,
            ["text"] = "NaN",
            ["flag"] = false,
            ["none"] = null,
            ["list"] = new List<object?> { 1L, "two", 3.5, null, new List<object?>() },
            ["map"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["nested"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["deep"] = true } },
        },
        Extra = new(StringComparer.Ordinal)
        {
            ["judge"] = "gpt",
            ["numeric_text"] = "5",
            ["empty"] = "",
            ["score"] = 0.75,
            ["count"] = 3L,
            ["tags"] = new List<object?> { "a", "b" },
            ["missing"] = null,
        },
    };

    public static Rollout Minimal(string id, int index) => new() { PromptId = id, SampleIndex = index, Prompt = "p", Completion = "c" };
}
