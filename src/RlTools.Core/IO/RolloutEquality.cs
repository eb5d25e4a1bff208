using RlTools.Core.Records;

namespace RlTools.Core.IO;

/// <summary>
/// Semantic comparison of two rollouts, field by field: floats and doubles by bits (every NaN equals
/// every NaN; -0 differs from 0), arrays element-wise (null differs from empty), maps by key and
/// value (<see cref="JsonValues.DeepEquals"/>; key order ignored). Used by the round-trip tests.
/// </summary>
public static class RolloutEquality
{
    /// <summary>The first difference as "field: a vs b", or null when the rollouts are equal.</summary>
    public static string? Difference(Rollout a, Rollout b)
    {
        if (a.PromptId != b.PromptId) return Show(RolloutFields.PromptId, a.PromptId, b.PromptId);
        if (a.SampleIndex != b.SampleIndex) return Show(RolloutFields.SampleIndex, a.SampleIndex, b.SampleIndex);
        if (a.Prompt != b.Prompt) return Show(RolloutFields.Prompt, a.Prompt, b.Prompt);
        if (a.Answer != b.Answer) return Show(RolloutFields.Answer, a.Answer, b.Answer);
        if (a.Completion != b.Completion) return Show(RolloutFields.Completion, a.Completion, b.Completion);
        if (a.FinishReason != b.FinishReason) return Show(RolloutFields.FinishReason, a.FinishReason, b.FinishReason);
        if (!SameInts(a.PromptTokens, b.PromptTokens)) return RolloutFields.PromptTokens + " differ";
        if (!SameInts(a.CompletionTokens, b.CompletionTokens)) return RolloutFields.CompletionTokens + " differ";
        if (!SameFloats(a.Logprobs, b.Logprobs)) return RolloutFields.Logprobs + " differ";
        if (!SameFloats(a.Entropies, b.Entropies)) return RolloutFields.Entropies + " differ";
        if (!SameFloats(a.RefLogprobs, b.RefLogprobs)) return RolloutFields.RefLogprobs + " differ";
        if (!SameFloats(a.PromptLogprobs, b.PromptLogprobs)) return RolloutFields.PromptLogprobs + " differ";
        if (!SameFloats(a.Values, b.Values)) return RolloutFields.Values + " differ";
        if (!SameDouble(a.Reward, b.Reward)) return Show(RolloutFields.Reward, a.Reward, b.Reward);
        if (!SameRewards(a.Rewards, b.Rewards)) return RolloutFields.Rewards + " differ";
        if (!SameDouble(a.BaselineReward, b.BaselineReward)) return Show(RolloutFields.BaselineReward, a.BaselineReward, b.BaselineReward);
        if (!SameDouble(a.Advantage, b.Advantage)) return Show(RolloutFields.Advantage, a.Advantage, b.Advantage);
        if (!SameFloats(a.TokenAdvantages, b.TokenAdvantages)) return RolloutFields.TokenAdvantages + " differ";
        if (!SameFloats(a.LossMask, b.LossMask)) return RolloutFields.LossMask + " differ";
        if (a.IsExpert != b.IsExpert) return Show(RolloutFields.IsExpert, a.IsExpert, b.IsExpert);
        if (!SameFloats(a.Temperatures, b.Temperatures)) return RolloutFields.Temperatures + " differ";
        if (a.NodeId != b.NodeId) return Show(RolloutFields.NodeId, a.NodeId, b.NodeId);
        if (a.ParentId != b.ParentId) return Show(RolloutFields.ParentId, a.ParentId, b.ParentId);
        if (a.Depth != b.Depth) return Show(RolloutFields.Depth, a.Depth, b.Depth);
        if (!SameInts(a.CutPositions, b.CutPositions)) return RolloutFields.CutPositions + " differ";
        if (a.IsProbe != b.IsProbe) return Show(RolloutFields.IsProbe, a.IsProbe, b.IsProbe);
        if (a.IsHint != b.IsHint) return Show(RolloutFields.IsHint, a.IsHint, b.IsHint);
        if (!SameDouble(a.HintRatio, b.HintRatio)) return Show(RolloutFields.HintRatio, a.HintRatio, b.HintRatio);
        if (!SameDouble(a.EffectiveRank, b.EffectiveRank)) return Show(RolloutFields.EffectiveRank, a.EffectiveRank, b.EffectiveRank);
        if (!SameDouble(a.EffectiveRankVelocity, b.EffectiveRankVelocity)) return Show(RolloutFields.EffectiveRankVelocity, a.EffectiveRankVelocity, b.EffectiveRankVelocity);
        if (!SameDouble(a.EffectiveRankAcceleration, b.EffectiveRankAcceleration)) return Show(RolloutFields.EffectiveRankAcceleration, a.EffectiveRankAcceleration, b.EffectiveRankAcceleration);
        if (a.Step != b.Step) return Show(RolloutFields.Step, a.Step, b.Step);
        if (!JsonValues.DeepEquals(a.Metadata, b.Metadata)) return Show(RolloutFields.Metadata, JsonValues.ToJson(a.Metadata), JsonValues.ToJson(b.Metadata));
        if (!JsonValues.DeepEquals(a.Extra, b.Extra)) return Show("extra", JsonValues.ToJson(a.Extra), JsonValues.ToJson(b.Extra));
        return null;
    }

    private static string Show(string field, object? a, object? b) => $"{field}: {a ?? "null"} vs {b ?? "null"}";

    private static bool SameDouble(double? a, double? b)
        => a is double x ? b is double y && JsonValues.SameDouble(x, y) : b is null;

    private static bool SameInts(int[]? a, int[]? b)
        => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static bool SameFloats(float[]? a, float[]? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            if (float.IsNaN(a[i])) { if (!float.IsNaN(b[i])) return false; }
            else if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i])) return false;
        }
        return true;
    }

    private static bool SameRewards(Dictionary<string, double?>? a, Dictionary<string, double?>? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a.Count != b.Count) return false;
        foreach (var kv in a) if (!b.TryGetValue(kv.Key, out double? v) || !SameDouble(kv.Value, v)) return false;
        return true;
    }
}
