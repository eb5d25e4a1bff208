using RlTools.Core;
using RlTools.Core.Records;
using RlTools.Torch.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Training.Objectives;

/// <summary>
/// What an update optimises (Update-RlPolicy -Objective): which rows the policy loss covers and what auxiliary term,
/// if any, is added to it. The trainer adds the terms every objective shares — β·agg(KL) and −c_H·agg(H) over the
/// main rows — and c_E·(auxiliary term) with c_E = ExpertCoefficient (default <see cref="DefaultAuxiliaryCoefficient"/>).
/// One class per method with its paper and formula in the doc comment; <see cref="ObjectiveRegistry"/> lists them.
/// Implementations are stateless.
/// </summary>
public interface IUpdateObjective
{
    /// <summary>Registry name (case-insensitive).</summary>
    string Name { get; }
    /// <summary>The paper: "arXiv:NNNN.NNNNN" or a citation.</summary>
    string Paper { get; }
    /// <summary>One line: what it optimises.</summary>
    string Summary { get; }
    /// <summary>c_E when -ExpertCoefficient is not given.</summary>
    double DefaultAuxiliaryCoefficient => 1.0;
    /// <summary>False when the objective ignores advantages and behaviour log-probs (SFT).</summary>
    bool UsesPolicyLoss => true;
    /// <summary>Whether a rollout must carry an advantage.</summary>
    bool NeedsAdvantage(Rollout r) => UsesPolicyLoss;
    /// <summary>What else this objective needs from one rollout: null, or a stable error id and message. <paramref name="who"/> names the rollout.</summary>
    (string Id, string Message)? Check(Rollout r, string who) => null;
    /// <summary>Whether a rollout's tokens count in the main term's normaliser (and carry the KL and entropy terms).</summary>
    bool IsMainRow(Rollout r) => true;
    /// <summary>Whether a rollout forms the auxiliary term's own normaliser; when no row does, the auxiliary term uses the main one.</summary>
    bool IsAuxiliaryRow(Rollout r) => false;
    /// <summary>
    /// Per-rollout token arrays the objective compares against, prepared once per update from every rollout's behaviour
    /// log-probs (CalibRL: the group's expert row); null when the objective needs none.
    /// </summary>
    float[]?[]? Guides(IReadOnlyList<Rollout> rows, float[]?[] behaviour) => null;
    /// <summary>The objective's terms for one micro-batch.</summary>
    ObjectiveTerms Compute(ObjectiveContext ctx);
}

/// <summary>Everything an objective sees for one micro-batch (tensors <c>[B,T]</c> in the log-probs' dtype; <see cref="Expert"/> <c>[B,1]</c>).</summary>
public sealed class ObjectiveContext
{
    /// <summary>ℓ under the current policy (carries the gradient).</summary>
    public required Tensor LogProbs { get; init; }
    /// <summary>Current-policy entropy (may carry the gradient; losses get it detached).</summary>
    public Tensor? Entropy { get; init; }
    public required TrainingBatch Batch { get; init; }
    /// <summary>Trained completion tokens (padding and loss_mask zeros are 0).</summary>
    public required Tensor Mask { get; init; }
    /// <summary>1 for expert rows, else 0.</summary>
    public required Tensor Expert { get; init; }
    public required IPolicyLoss Loss { get; init; }
    public required IReadOnlyDictionary<string, double> LossParameters { get; init; }
    public required LossAggregation Aggregation { get; init; }
    /// <summary>Normaliser of the main rows over the whole mini-batch.</summary>
    public required LossNormalizer MainNormalizer { get; init; }
    /// <summary>Normaliser of the auxiliary rows (default when no row is auxiliary).</summary>
    public required LossNormalizer AuxiliaryNormalizer { get; init; }
    public required SplitMix64 Random { get; init; }
}

/// <summary>What an objective returns for one micro-batch.</summary>
public sealed class ObjectiveTerms
{
    /// <summary>The tokens the main term covers (the KL and entropy terms use them too).</summary>
    public required Tensor MainMask { get; init; }
    /// <summary>The main term, aggregated (reported as pg_loss).</summary>
    public required Tensor Main { get; init; }
    /// <summary>The policy loss's own outputs (clip masks, ppo_kl) when the main term is a policy loss; null otherwise.</summary>
    public LossTerms? Surrogate { get; init; }
    /// <summary>The auxiliary term before its weight c_E (reported as expert_loss); null when there is none.</summary>
    public Tensor? Auxiliary { get; init; }
    /// <summary>Tokens trained by the auxiliary term alone (counted in <c>tokens</c>); null when none.</summary>
    public Tensor? AuxiliaryMask { get; init; }
}

/// <summary>Pieces the objectives share.</summary>
public static class ObjectiveTerm
{
    /// <summary>The chosen policy loss over <paramref name="mainMask"/> with the main normaliser.</summary>
    public static LossTerms PolicyLoss(ObjectiveContext ctx, Tensor mainMask) => ctx.Loss.Compute(new LossContext
    {
        LogProbs = ctx.LogProbs, OldLogProbs = ctx.Batch.OldLogProbs.to(ctx.LogProbs.dtype), Advantages = ctx.Batch.Advantages.to(ctx.LogProbs.dtype),
        Mask = mainMask, Entropy = ctx.Entropy?.detach(), Expert = ctx.Expert, Aggregation = ctx.Aggregation, Normalizer = ctx.MainNormalizer,
        Parameters = ctx.LossParameters, Random = ctx.Random,
    });

    /// <summary>Cross-entropy −ℓ over <paramref name="mask"/>, aggregated with the chosen mode and <paramref name="norm"/>.</summary>
    public static Tensor CrossEntropy(ObjectiveContext ctx, Tensor mask, LossNormalizer norm) =>
        LossAggregator.Aggregate(-ctx.LogProbs, mask, ctx.Aggregation, norm);

    /// <summary>The message of a rollout with no advantage.</summary>
    public static (string Id, string Message) MissingAdvantage(string who) =>
        ("RolloutMissingAdvantage", $"The {who} has no advantage; pipe the rollouts through Measure-RlAdvantage first (or use -Objective Sft).");
}
