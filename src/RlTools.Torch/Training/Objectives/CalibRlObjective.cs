using RlTools.Core.Records;
using RlTools.Torch.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Training.Objectives;

/// <summary>
/// CalibRL (Huang et al., arXiv:2602.20197): the policy loss on on-policy rows plus c_E (ExpertCoefficient, default 0.1)
/// × the guided term LeakyReLU_{0.5}(−(2·pass_i − 1)(ℓ_{i,t} − ℓ^exp_t))·|A_i|, token-mean over on-policy tokens, where
/// ℓ^exp_t is the behaviour log-prob of the group's expert row (same PromptId, IsExpert = true) at the same index t and
/// pass_i = Reward_i &gt; PassThreshold (0.1). The expert row itself gets no policy-gradient term. Positions beyond the
/// expert's length are left out (the released code compares them with padding; RlTools does not).
/// </summary>
public sealed class CalibRlObjective : IUpdateObjective
{
    public string Name => "CalibRL";
    public string Paper => "arXiv:2602.20197";
    public string Summary => "The policy loss on on-policy rows plus ExpertCoefficient × LeakyReLU guided term against the group's expert row.";
    public double DefaultAuxiliaryCoefficient => 0.1;
    public bool NeedsAdvantage(Rollout r) => !r.IsExpert;
    public bool IsMainRow(Rollout r) => !r.IsExpert;

    public (string Id, string Message)? Check(Rollout r, string who) => !r.IsExpert && r.Reward is null
        ? ("RolloutMissingReward", $"The {who} has no reward; CalibRL needs it to decide pass/fail (Measure-RlReward).")
        : null;

    /// <summary>Each on-policy row's guide: the behaviour log-probs of the first expert row with its PromptId (null when the group has none).</summary>
    public float[]?[]? Guides(IReadOnlyList<Rollout> rows, float[]?[] behaviour)
    {
        var expertByPrompt = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int i = 0; i < rows.Count; i++)
            if (rows[i].IsExpert && !expertByPrompt.ContainsKey(rows[i].PromptId) && behaviour[i] is { } lp) expertByPrompt[rows[i].PromptId] = lp;
        return rows.Select(x => !x.IsExpert && expertByPrompt.TryGetValue(x.PromptId, out var g) ? g : null).ToArray();
    }

    public ObjectiveTerms Compute(ObjectiveContext ctx)
    {
        var batch = ctx.Batch;
        var dtype = ctx.LogProbs.dtype;
        var mainMask = ctx.Mask * (1 - ctx.Expert);
        var terms = ObjectiveTerm.PolicyLoss(ctx, mainMask);
        Tensor? guided = null;
        if (batch.GuideLogProbs is not null)
        {
            var gm = mainMask * batch.GuideMask!.to(dtype);
            var sign = (batch.Pass ?? torch.ones_like(batch.Expert)).to(dtype) * 2 - 1;
            var g = -sign * (ctx.LogProbs - batch.GuideLogProbs.to(dtype));
            var term = torch.nn.functional.leaky_relu(g, 0.5) * batch.Advantages.to(dtype).abs();
            guided = LossAggregator.Aggregate(term, gm, LossAggregation.TokenMean, ctx.MainNormalizer);
        }
        return new ObjectiveTerms { MainMask = mainMask, Main = terms.Loss, Surrogate = terms, Auxiliary = guided };
    }
}
