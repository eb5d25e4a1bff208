using RlTools.Core.Records;

namespace RlTools.Torch.Training.Objectives;

/// <summary>
/// Reinforcement learning with verifiable rewards: the chosen policy loss (PPO, GSPO, …; Update-RlPolicy -Loss) on every
/// rollout, expert rows included (only GRAO treats them apart): J = L_pg(ℓ, ℓ_old, A) over all trained tokens.
/// </summary>
public sealed class RlObjective : IUpdateObjective
{
    public string Name => "Rl";
    public string Paper => "the chosen policy loss's paper (Get-RlPolicyLoss)";
    public string Summary => "The policy loss on every rollout.";

    public ObjectiveTerms Compute(ObjectiveContext ctx)
    {
        var terms = ObjectiveTerm.PolicyLoss(ctx, ctx.Mask);
        return new ObjectiveTerms { MainMask = ctx.Mask, Main = terms.Loss, Surrogate = terms };
    }
}

/// <summary>
/// Supervised fine-tuning: cross-entropy J = agg(−ℓ_{i,t}) over every trained completion token with the chosen aggregation;
/// advantages and behaviour log-probs are ignored.
/// </summary>
public sealed class SftObjective : IUpdateObjective
{
    public string Name => "Sft";
    public string Paper => "supervised fine-tuning (maximum likelihood)";
    public string Summary => "Cross-entropy on the completion tokens; no advantages needed.";
    public bool UsesPolicyLoss => false;

    public ObjectiveTerms Compute(ObjectiveContext ctx) =>
        new() { MainMask = ctx.Mask, Main = ObjectiveTerm.CrossEntropy(ctx, ctx.Mask, ctx.MainNormalizer) };
}

/// <summary>
/// On-policy RL plus supervised learning on expert rows: J = L_pg over on-policy rows (IsExpert = false) +
/// c_E · agg(−ℓ) over expert rows (IsExpert = true, their own normaliser), c_E = ExpertCoefficient (default 1) — the
/// off-policy/expert mix of LUFFY (Yan et al., arXiv:2504.14945) and SRFT (Fu et al., arXiv:2506.19767), and the shape
/// hint-based methods such as ADHint (arXiv:2512.13095) reduce to when hint tokens are masked with LossMask.
/// </summary>
public sealed class HybridObjective : IUpdateObjective
{
    public string Name => "Hybrid";
    public string Paper => "arXiv:2504.14945 (LUFFY), arXiv:2506.19767 (SRFT)";
    public string Summary => "The policy loss on on-policy rows plus ExpertCoefficient × cross-entropy on expert rows.";
    public bool NeedsAdvantage(Rollout r) => !r.IsExpert;
    public bool IsMainRow(Rollout r) => !r.IsExpert;
    public bool IsAuxiliaryRow(Rollout r) => r.IsExpert;

    public ObjectiveTerms Compute(ObjectiveContext ctx)
    {
        var mainMask = ctx.Mask * (1 - ctx.Expert);
        var terms = ObjectiveTerm.PolicyLoss(ctx, mainMask);
        var expertMask = ctx.Mask * ctx.Expert;
        return new ObjectiveTerms
        {
            MainMask = mainMask, Main = terms.Loss, Surrogate = terms,
            Auxiliary = ObjectiveTerm.CrossEntropy(ctx, expertMask, ctx.AuxiliaryNormalizer), AuxiliaryMask = expertMask,
        };
    }
}
