using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// CANON, conditional advantage estimation (Chen et al., arXiv 2509.23962; code biuboomc/CANON
/// <c>compute_dr_entropy_per_token_*</c>, <c>compute_dr_length_on_mean_*</c>).
/// <para>Each group is sorted ascending by a metric (stable; ties keep input order) and split: the low
/// half is the first ⌊G/2⌋, the high half the rest; μ_low, μ_high are the halves' mean rewards (an
/// empty half and a group of one have mean 0). No std normalisation; everything is divided by
/// <c>MaxLength</c> (L_max: the max response length when the loss is seq-mean-token-sum, else 1).</para>
/// <para><c>Metric=entropy</c> (mean token entropy): high half A = [λ(r − α·μ_low + β) + (1−λ)(r − μ_high)]/L_max,
/// low half A = [λ(α·r − μ_high − β) + (1−λ)(r − μ_low)]/L_max.</para>
/// <para><c>Metric=length</c>: long half A = [λ(α·r − μ_short + β) + (1−λ)(r − μ_long)]/L_max,
/// short half A = [λ(r − α·μ_long − β) + (1−λ)(r − μ_short)]/L_max. <c>Metric=order</c> splits by input
/// order (the code's <c>dr_random</c> control) with the entropy-form formula.</para>
/// <para>Schedules replace the λ mix by A = [(1−w)(r − μ_other) + w(r − μ_own)]/L_max: <c>anneal</c>
/// w = 1 − batch mean reward; <c>cosine</c> linear warm-up to 0.6 over 30 steps then a 0.6→0 cosine in
/// 3 restarts over the remaining 120 of 150 steps (code constants, exposed as parameters);
/// <c>cosine_reverse</c> 1 − w. The step is <c>Step</c>, or the largest <c>step</c> field of the batch.</para>
/// <para>With a <c>loss_mask</c> the metrics read trained tokens only: the mean entropy over mask ≠ 0 tokens,
/// the length Σ loss_mask.</para>
/// <para>Check: λ = 0.5, α = 1, β = 0 and equal halves give r − μ (Dr.GRPO).</para>
/// </summary>
public sealed class CanonEstimator : AdvantageEstimatorBase
{
    public override string Name => "CANON";
    public override string Summary => "split each group by entropy or length; inter/intra half baselines mixed by λ or a schedule";
    public override string Source => "Chen et al. 2025, CANON";
    public override string ArxivId => "2509.23962";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | Metric switch
    {
        "entropy" => AdvantageInputs.Entropies,
        "length" => AdvantageInputs.Lengths,
        _ => AdvantageInputs.None,
    };

    [AdvantageParameter("Metric that splits a group: 'entropy' (mean token entropy), 'length', or 'order' (input order, control).", Allowed = new[] { "entropy", "length", "order" })]
    public string Metric { get; set; } = "entropy";

    [AdvantageParameter("λ (μ in the paper's Eq. 5): weight of the inter-group term; 1 = pure inter-group (scripts).")]
    public double Lambda { get; set; } = 1.0;

    [AdvantageParameter("α (Eq. 8) on the reward or the other half's mean (scripts 1.0).")]
    public double Alpha { get; set; } = 1.0;

    [AdvantageParameter("β offset of the inter-group term (code default 0).")]
    public double Beta { get; set; } = 0.0;

    [AdvantageParameter("L_max divisor: max response length when the loss is seq-mean-token-sum, else 1.")]
    public double MaxLength { get; set; } = 1.0;

    [AdvantageParameter("Mixing schedule: 'none' (λ), 'anneal' (w = 1 − batch mean reward), 'cosine', 'cosine_reverse'.", Allowed = new[] { "none", "anneal", "cosine", "cosine_reverse" })]
    public string Schedule { get; set; } = "none";

    [AdvantageParameter("Training step for the cosine schedules; -1 = the largest 'step' field of the batch.")]
    public int Step { get; set; } = -1;

    [AdvantageParameter("Cosine schedule: total steps (150).")]
    public int ScheduleTotalSteps { get; set; } = 150;

    [AdvantageParameter("Cosine schedule: warm-up steps (30).")]
    public int ScheduleWarmupSteps { get; set; } = 30;

    [AdvantageParameter("Cosine schedule: number of restarts after warm-up (3).")]
    public int ScheduleCycles { get; set; } = 3;

    [AdvantageParameter("Cosine schedule: maximum weight (0.6).")]
    public double ScheduleMax { get; set; } = 0.6;

    [AdvantageParameter("Cosine schedule: minimum weight (0).")]
    public double ScheduleMin { get; set; } = 0.0;

    protected override void Validate()
    {
        if (MaxLength <= 0) throw new ArgumentException("CANON MaxLength must be positive.");
        if (ScheduleCycles < 1 || ScheduleTotalSteps <= ScheduleWarmupSteps) throw new ArgumentException("CANON needs ScheduleCycles ≥ 1 and ScheduleTotalSteps > ScheduleWarmupSteps.");
    }

    protected override void CheckGroups(IReadOnlyList<Rollout> batch, int[] gid, List<int> counts, Action<int, string, string> reject)
    {
        if (Schedule is not ("cosine" or "cosine_reverse") || Step >= 0) return;
        for (int i = 0; i < batch.Count; i++)
            if (batch[i].Step is null) reject(i, "MissingInput", "the cosine schedule needs the training step: set -Parameters @{ Step = n } or the rollouts' 'step' field.");
    }

    /// <summary>The cosine-with-restarts weight w(step) (code constants by default).</summary>
    public double CosineWeight(int step)
    {
        if (step < ScheduleWarmupSteps) return ScheduleMax * step / ScheduleWarmupSteps;
        double cycle = (double)(ScheduleTotalSteps - ScheduleWarmupSteps) / ScheduleCycles;
        double pos = (step - ScheduleWarmupSteps) % cycle;
        return ScheduleMin + 0.5 * (ScheduleMax - ScheduleMin) * (1 + Math.Cos(Math.PI * pos / cycle));
    }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        double w = 0;
        if (Schedule == "anneal") w = 1 - AdvantageMath.Mean(r, 0, r.Length);
        else if (Schedule is "cosine" or "cosine_reverse")
        {
            int step = Step;
            if (step < 0) foreach (var x in b.Rollouts) step = Math.Max(step, x.Step ?? -1);
            w = CosineWeight(step);
            if (Schedule == "cosine_reverse") w = 1 - w;
        }
        var metric = new double[r.Length];
        for (int i = 0; i < r.Length; i++)
            metric[i] = Metric switch
            {
                "entropy" => AdvantageMath.MeanOf(b.Rollouts[i].Entropies!, b.Masks![i]),
                "length" => b.TrainedLengths![i],
                _ => 0,
            };
        double inv = 1.0 / MaxLength, lam = Lambda, al = Alpha, be = Beta;
        bool length = Metric == "length";
        var order = new int[0];
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1], n = e - s;
            if (order.Length < n) order = new int[n];
            for (int k = 0; k < n; k++) order[k] = s + k;
            // stable insertion sort by metric (groups are small)
            for (int k = 1; k < n; k++)
            {
                int x = order[k], j = k - 1;
                while (j >= 0 && metric[order[j]] > metric[x]) { order[j + 1] = order[j]; j--; }
                order[j + 1] = x;
            }
            int nLow = n / 2;
            double muLow = 0, muHigh = 0;
            if (n > 1)
            {
                for (int k = 0; k < nLow; k++) muLow += r[order[k]];
                for (int k = nLow; k < n; k++) muHigh += r[order[k]];
                muLow = nLow > 0 ? muLow / nLow : 0;
                muHigh /= n - nLow;
            }
            for (int k = 0; k < n; k++)
            {
                int i = order[k];
                bool high = k >= nLow;
                double own = high ? muHigh : muLow, other = high ? muLow : muHigh, x;
                if (Schedule != "none") x = (1 - w) * (r[i] - other) + w * (r[i] - own);
                else if (!length)
                    x = high ? lam * (r[i] - al * other + be) + (1 - lam) * (r[i] - own)
                             : lam * (al * r[i] - other - be) + (1 - lam) * (r[i] - own);
                else
                    x = high ? lam * (al * r[i] - other + be) + (1 - lam) * (r[i] - own)
                             : lam * (r[i] - al * other - be) + (1 - lam) * (r[i] - own);
                a[i] = x * inv;
            }
        }
    }
}
