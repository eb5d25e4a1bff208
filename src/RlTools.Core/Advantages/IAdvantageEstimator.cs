using RlTools.Core.Records;

namespace RlTools.Core.Advantages;

/// <summary>Whether an estimator produces one advantage per rollout or one per completion token.</summary>
public enum AdvantageLevel
{
    /// <summary>Sets <see cref="Rollout.Advantage"/> only (the loss broadcasts it over the tokens).</summary>
    Sequence,
    /// <summary>Sets <see cref="Rollout.TokenAdvantages"/> and, as a summary, <see cref="Rollout.Advantage"/>.</summary>
    Token,
}

/// <summary>The rollout fields an estimator reads (checked per rollout before estimation).</summary>
[Flags]
public enum AdvantageInputs
{
    None = 0,
    /// <summary><c>reward</c>: a finite scalar.</summary>
    Reward = 1,
    /// <summary><c>rewards</c>: the per-component map.</summary>
    Rewards = 2,
    /// <summary><c>baseline_reward</c>: a finite scalar (ReMax).</summary>
    BaselineReward = 4,
    /// <summary>Completion length: <c>completion_tokens</c> (or, failing that, <c>logprobs</c>/<c>entropies</c>).</summary>
    Lengths = 8,
    /// <summary><c>entropies</c>: one finite value per completion token.</summary>
    Entropies = 16,
    /// <summary><c>logprobs</c>: one finite value per completion token.</summary>
    Logprobs = 32,
    /// <summary><c>prompt_logprobs</c>: per prompt token.</summary>
    PromptLogprobs = 64,
    /// <summary><c>values</c>: one finite value per completion token.</summary>
    Values = 128,
    /// <summary>A numeric prediction per rollout: <c>metadata.predicted_score</c> or <c>&lt;answer&gt;x&lt;/answer&gt;</c> in the completion.</summary>
    PredictedScore = 256,
    /// <summary>One <c>is_expert</c> rollout per group with its <c>logprobs</c>.</summary>
    Expert = 512,
    /// <summary><c>finish_reason</c> (stop/length), used to spot truncated samples.</summary>
    FinishReason = 1024,
    /// <summary>Probe records of the same prompt (<c>is_probe</c>, <c>parent_id</c> = the source's <c>node_id</c>, <c>cut_positions</c> = [cut]) and the source's <c>cut_positions</c>.</summary>
    Probes = 2048,
    /// <summary>Tree records: <c>node_id</c>, <c>parent_id</c> (null under the prompt), <c>depth</c>.</summary>
    Tree = 4096,
    /// <summary><c>is_hint</c> and the <c>loss_mask</c> zeros on the hint tokens.</summary>
    Hint = 8192,
    /// <summary><c>effective_rank</c>, <c>effective_rank_velocity</c>, <c>effective_rank_acceleration</c> (VERL).</summary>
    EffectiveRank = 16384,
}

/// <summary>A rollout the estimator could not use; its whole group gets no advantage.</summary>
/// <param name="Index">Position of the rollout in the input batch.</param>
/// <param name="Rollout">The offending rollout.</param>
/// <param name="ErrorId">Stable PascalCase id (NonFiniteReward, MissingInput, InputLengthMismatch, GroupTooSmall, ...).</param>
/// <param name="Message">What is wrong and what to fix.</param>
public sealed record AdvantageIssue(int Index, Rollout Rollout, string ErrorId, string Message);

/// <summary>What one call of <see cref="IAdvantageEstimator.Estimate(IReadOnlyList{Rollout})"/> did.</summary>
public sealed class AdvantageResult
{
    /// <summary>Rollouts that could not be used (one entry per bad rollout).</summary>
    public List<AdvantageIssue> Issues { get; } = new();
    /// <summary>Groups that received advantages.</summary>
    public int GroupCount { get; set; }
    /// <summary>Groups left without advantages because one of their rollouts was bad.</summary>
    public int ExcludedGroupCount { get; set; }
    /// <summary>Rollouts that received advantages.</summary>
    public int RolloutCount { get; set; }
    /// <summary>With KL in the reward: the batch mean of each rollout's token-mean KL (verl <c>actor/reward_kl_penalty</c>); else null.</summary>
    public double? RewardKlPenalty { get; set; }
    /// <summary>With KL in the reward: the β that was applied (verl <c>actor/reward_kl_penalty_coeff</c>); else null.</summary>
    public double? RewardKlPenaltyCoefficient { get; set; }
}

/// <summary>
/// An advantage estimator: reads rewards (and whatever <see cref="Inputs"/> names) of one step's
/// batch and sets <see cref="Rollout.Advantage"/> (and, for <see cref="AdvantageLevel.Token"/>,
/// <see cref="Rollout.TokenAdvantages"/>). Groups are the rollouts sharing <see cref="Rollout.PromptId"/>.
/// A rollout with a non-finite reward or a missing input is reported in the result and its whole
/// group is left without advantages (never zeroed).
/// </summary>
public interface IAdvantageEstimator
{
    /// <summary>Registry name (<c>GRPO</c>, <c>RLOO</c>, ...).</summary>
    string Name { get; }
    /// <summary>One line: what it computes.</summary>
    string Summary { get; }
    /// <summary>Paper and/or framework it comes from.</summary>
    string Source { get; }
    /// <summary>arXiv id of the paper.</summary>
    string ArxivId { get; }
    /// <summary>Sequence or token level.</summary>
    AdvantageLevel Level { get; }
    /// <summary>Fields it reads.</summary>
    AdvantageInputs Inputs { get; }
    /// <summary>Parameters with their defaults.</summary>
    IReadOnlyList<ParameterSpec> Parameters { get; }
    /// <summary>Assumptions made where the paper's formula was not found (null when none).</summary>
    string? Assumptions { get; }
    /// <summary>True when the estimator keeps state across batches (save it with <see cref="ToJson"/>).</summary>
    bool IsStateful { get; }
    /// <summary>Current value of a parameter.</summary>
    object? GetParameter(string name);
    /// <summary>Sets a parameter (converted to its type); throws <see cref="ArgumentException"/> naming the valid ones.</summary>
    void SetParameter(string name, object? value);
    /// <summary>Estimates advantages for one step's batch, in place.</summary>
    AdvantageResult Estimate(IReadOnlyList<Rollout> batch);
    /// <summary>Estimates advantages with a KL penalty folded into the rewards first (verl <c>use_kl_in_reward</c>); null = none.</summary>
    AdvantageResult Estimate(IReadOnlyList<Rollout> batch, KlRewardPenalty? klInReward);
    /// <summary>Name, parameters and state as JSON; <see cref="AdvantageEstimatorRegistry.FromJson"/> restores it.</summary>
    string ToJson();
}
