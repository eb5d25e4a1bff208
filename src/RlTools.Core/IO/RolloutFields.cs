namespace RlTools.Core.IO;

/// <summary>The rollout record's file field names (DESIGN.md, "The rollout record"), in the order writers emit them.</summary>
public static class RolloutFields
{
    public const string PromptId = "prompt_id";
    public const string SampleIndex = "sample_index";
    public const string Prompt = "prompt";
    public const string Answer = "answer";
    public const string Completion = "completion";
    public const string FinishReason = "finish_reason";
    public const string PromptTokens = "prompt_tokens";
    public const string CompletionTokens = "completion_tokens";
    public const string Logprobs = "logprobs";
    public const string Entropies = "entropies";
    public const string RefLogprobs = "ref_logprobs";
    public const string PromptLogprobs = "prompt_logprobs";
    public const string Values = "values";
    public const string Reward = "reward";
    public const string Rewards = "rewards";
    public const string BaselineReward = "baseline_reward";
    public const string Advantage = "advantage";
    public const string TokenAdvantages = "token_advantages";
    public const string LossMask = "loss_mask";
    public const string IsExpert = "is_expert";
    public const string Temperatures = "temperatures";
    public const string NodeId = "node_id";
    public const string ParentId = "parent_id";
    public const string Depth = "depth";
    public const string CutPositions = "cut_positions";
    public const string IsProbe = "is_probe";
    public const string IsHint = "is_hint";
    public const string HintRatio = "hint_ratio";
    public const string EffectiveRank = "effective_rank";
    public const string EffectiveRankVelocity = "effective_rank_velocity";
    public const string EffectiveRankAcceleration = "effective_rank_acceleration";
    public const string Step = "step";
    public const string Metadata = "metadata";

    /// <summary>Every known field, in the canonical order.</summary>
    public static readonly IReadOnlyList<string> All = new[]
    {
        PromptId, SampleIndex, Prompt, Answer, Completion, FinishReason, PromptTokens, CompletionTokens,
        Logprobs, Entropies, RefLogprobs, PromptLogprobs, Values, Reward, Rewards, BaselineReward, Advantage,
        TokenAdvantages, LossMask, IsExpert, Temperatures, NodeId, ParentId, Depth, CutPositions, IsProbe, IsHint, HintRatio,
        EffectiveRank, EffectiveRankVelocity, EffectiveRankAcceleration, Step, Metadata,
    };

    /// <summary>
    /// The fields of the open rollout stage (DESIGN.md, round 2). JSONL omits them when absent (null or false), and a
    /// CSV file written before they existed may lack their columns: they are optional there.
    /// </summary>
    public static readonly IReadOnlyList<string> Optional = new[]
    {
        Temperatures, NodeId, ParentId, Depth, CutPositions, IsProbe, IsHint, HintRatio,
        EffectiveRank, EffectiveRankVelocity, EffectiveRankAcceleration,
    };

    private static readonly HashSet<string> Known = new(All, StringComparer.Ordinal);

    /// <summary>True for a field name of the rollout record (anything else is kept in <see cref="Records.Rollout.Extra"/>).</summary>
    public static bool IsKnown(string name) => Known.Contains(name);
}
