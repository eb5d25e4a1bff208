namespace RlTools.Core.Records;

/// <summary>
/// One sampled completion of one prompt: the record that flows between the stages
/// (DESIGN.md, "The rollout record"). Stages fill the fields they own and pass every
/// other field, including <see cref="Metadata"/> and <see cref="Extra"/> (unknown top-level fields), through untouched.
/// </summary>
/// <remarks>
/// JSONL names are given in each property's doc comment. Per-token arrays are aligned with
/// <see cref="CompletionTokens"/>. A group is every rollout sharing <see cref="PromptId"/>
/// within one step's batch.
/// </remarks>
public sealed class Rollout
{
    /// <summary><c>prompt_id</c>: the group key.</summary>
    public string PromptId { get; set; } = "";

    /// <summary><c>sample_index</c>: 0..G-1 within the group.</summary>
    public int SampleIndex { get; set; }

    /// <summary><c>prompt</c>: the prompt text as given to the policy (after any chat template).</summary>
    public string Prompt { get; set; } = "";

    /// <summary><c>answer</c>: the gold answer, when the dataset has one.</summary>
    public string? Answer { get; set; }

    /// <summary><c>completion</c>: the sampled text.</summary>
    public string Completion { get; set; } = "";

    /// <summary><c>finish_reason</c>: <c>stop</c> or <c>length</c>.</summary>
    public string? FinishReason { get; set; }

    /// <summary><c>prompt_tokens</c>.</summary>
    public int[]? PromptTokens { get; set; }

    /// <summary><c>completion_tokens</c>.</summary>
    public int[]? CompletionTokens { get; set; }

    /// <summary><c>logprobs</c>: log-probability of each sampled completion token under the sampling distribution.</summary>
    public float[]? Logprobs { get; set; }

    /// <summary><c>entropies</c>: entropy of the sampling distribution at each completion token.</summary>
    public float[]? Entropies { get; set; }

    /// <summary><c>ref_logprobs</c>: per-token log-probs under a reference policy (optional).</summary>
    public float[]? RefLogprobs { get; set; }

    /// <summary><c>prompt_logprobs</c>: per-token log-probs of the prompt under the sampling policy (ARM prompt confidence; optional).</summary>
    public float[]? PromptLogprobs { get; set; }

    /// <summary><c>values</c>: per-token value estimates (GAE; optional).</summary>
    public float[]? Values { get; set; }

    /// <summary><c>reward</c>: the scalar reward (weighted sum of <see cref="Rewards"/>).</summary>
    public double? Reward { get; set; }

    /// <summary><c>rewards</c>: per-verifier components; null means "did not apply", which is not 0.</summary>
    public Dictionary<string, double?>? Rewards { get; set; }

    /// <summary><c>baseline_reward</c>: reward of a baseline (e.g. greedy) rollout, for ReMax.</summary>
    public double? BaselineReward { get; set; }

    /// <summary><c>advantage</c>: the sequence-level advantage.</summary>
    public double? Advantage { get; set; }

    /// <summary><c>token_advantages</c>: per-token advantages for token-level estimators.</summary>
    public float[]? TokenAdvantages { get; set; }

    /// <summary>
    /// <c>loss_mask</c>: per completion token, 1 when the update stage trains on the token and 0 when it must not
    /// (tool outputs, injected hint tokens). Null trains every completion token.
    /// </summary>
    public float[]? LossMask { get; set; }

    /// <summary><c>is_expert</c>: an expert/demonstration completion (hybrid objectives), not an on-policy sample.</summary>
    public bool IsExpert { get; set; }

    /// <summary><c>temperatures</c>: per completion token, the temperature the sampler divided the logits by (HAPO adaptive temperature); <see cref="Logprobs"/> and <see cref="Entropies"/> are then under that per-token distribution.</summary>
    public float[]? Temperatures { get; set; }

    /// <summary><c>node_id</c>: id of a tree node, probe or continued record within a run (opaque text).</summary>
    public string? NodeId { get; set; }

    /// <summary><c>parent_id</c>: <see cref="NodeId"/> of the parent node (tree) or of the probed source rollout (probe); null at a tree's first level.</summary>
    public string? ParentId { get; set; }

    /// <summary><c>depth</c>: depth of a tree node (0 = first segment).</summary>
    public int? Depth { get; set; }

    /// <summary>
    /// <c>cut_positions</c>: positions in <see cref="CompletionTokens"/> where a prefix ends (a cut at c keeps tokens
    /// 0..c-1): a tree node's segment starts, a probe's cut, or every cut probed on a source rollout.
    /// </summary>
    public int[]? CutPositions { get; set; }

    /// <summary><c>is_probe</c>: a Monte-Carlo probe continuation from a cut point of another rollout (see <see cref="ParentId"/>), not an on-policy sample of the prompt.</summary>
    public bool IsProbe { get; set; }

    /// <summary><c>is_hint</c>: the completion starts with forced hint tokens (a prefix of a reference solution), marked by <see cref="LossMask"/> zeros.</summary>
    public bool IsHint { get; set; }

    /// <summary><c>hint_ratio</c>: the fraction of the reference solution's tokens given as the hint (hinted rollouts only).</summary>
    public double? HintRatio { get; set; }

    /// <summary><c>effective_rank</c>: effective rank of the completion's final-norm hidden states (VERL's ER).</summary>
    public double? EffectiveRank { get; set; }

    /// <summary><c>effective_rank_velocity</c>: mean first difference of the prefix effective ranks (VERL's ERV).</summary>
    public double? EffectiveRankVelocity { get; set; }

    /// <summary><c>effective_rank_acceleration</c>: mean second difference of the prefix effective ranks (VERL's ERA).</summary>
    public double? EffectiveRankAcceleration { get; set; }

    /// <summary><c>step</c>: training step that produced this rollout.</summary>
    public int? Step { get; set; }

    /// <summary><c>metadata</c>: a free map (values: string, long, double, bool, null, lists, maps).</summary>
    public Dictionary<string, object?> Metadata { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Every unknown top-level field of the file the rollout came from, by name, in file order
    /// (same value model as <see cref="Metadata"/>). Writers put them back as top-level fields, so
    /// they survive a round trip untouched.
    /// </summary>
    public Dictionary<string, object?> Extra { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Completion length in tokens (0 when no tokens are recorded).</summary>
    public int CompletionLength => CompletionTokens?.Length ?? 0;

    /// <summary>A deep copy: arrays and maps are cloned, so a stage can change the copy freely.</summary>
    public Rollout Clone()
    {
        var c = (Rollout)MemberwiseClone();
        c.PromptTokens = (int[]?)PromptTokens?.Clone();
        c.CompletionTokens = (int[]?)CompletionTokens?.Clone();
        c.Logprobs = (float[]?)Logprobs?.Clone();
        c.Entropies = (float[]?)Entropies?.Clone();
        c.RefLogprobs = (float[]?)RefLogprobs?.Clone();
        c.Values = (float[]?)Values?.Clone();
        c.PromptLogprobs = (float[]?)PromptLogprobs?.Clone();
        c.TokenAdvantages = (float[]?)TokenAdvantages?.Clone();
        c.LossMask = (float[]?)LossMask?.Clone();
        c.Temperatures = (float[]?)Temperatures?.Clone();
        c.CutPositions = (int[]?)CutPositions?.Clone();
        c.Rewards = Rewards is null ? null : new Dictionary<string, double?>(Rewards, StringComparer.Ordinal);
        c.Metadata = RlTools.Core.IO.JsonValues.CloneMap(Metadata);
        c.Extra = RlTools.Core.IO.JsonValues.CloneMap(Extra);
        return c;
    }
}
