using RlTools.Core.Records;

namespace RlTools.Core.Tests.Rewards;

internal static class RewardWeightingTestData
{
    /// <summary>A rollout of prompt <paramref name="prompt"/> with the given components (pairs name, value).</summary>
    public static Rollout R(string prompt, int sample, params (string Name, double? Value)[] components)
    {
        var r = new Rollout { PromptId = prompt, SampleIndex = sample, Rewards = new Dictionary<string, double?>(StringComparer.Ordinal) };
        foreach (var (n, v) in components) r.Rewards[n] = v;
        return r;
    }
}
