using System.Text.Json;
using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// VERL's effective-rank bonus on the GRPO advantage (Huang et al., "Beyond the Exploration-Exploitation
/// Trade-off: A Hidden State Approach for LLM Reasoning in RLVR", arXiv 2509.23808; code hf618/VERL
/// <c>reward_manager_versions.py</c>, <c>ppo/ray_trainer.py</c> <c>compute_advantage</c>).
/// <para>Inputs per rollout (<c>Invoke-RlRollout -EffectiveRank</c>): q = (ERA, ERV, ER) =
/// (<c>effective_rank_acceleration</c>, <c>effective_rank_velocity</c>, <c>effective_rank</c>).
/// A₀ = GRPO, (r − μ_g)/(σ_g + ε), unbiased σ (a group of one: μ = 0, σ = 1).</para>
/// <para>From the second batch on, with μ_q the EMA baselines of the batch means:
/// δ_q = clamp((q_i − μ_q)/(|μ_q| + 1e-8), −5, 5); τ_i = sigmoid(g·δ_ERA);
/// w = τ_i·w_explore + (1 − τ_i)·w_exploit; aux_i = S·Σ_q w_q·tanh(δ_q), S = λ (<c>FixedScale</c>, the
/// train.sh setting) or λ·(1 − (EMA(mean reward) − lo)/(hi − lo)).
/// A_i = A₀_i + min(relu(aux_i), |A₀_i|/κ): the bonus is never negative and never flips A₀'s sign.
/// <c>advantage</c> is A_i; <c>token_advantages</c> hold A_i on every loss_mask-1 token (0 on the others).</para>
/// <para>Baselines (state): after each batch μ_q ← (1 − α)·μ_q + α·mean_q(batch) and likewise the reward EMA;
/// the first batch initialises them to its means (no bias towards 0) and gets no bonus.</para>
/// <para>Released-code differences, resolved here: (1) its EMAs start at 0 and are updated with the previous
/// batch's means after the current bonus, so step t sees means up to t − 2 (<c>ReleasedCode=true</c>
/// reproduces this); (2) it writes the bonus on the last response token only (<c>BonusOn=last-token</c>);
/// the default spreads it over every trained token, the per-response bonus the paper describes;
/// (3) its train.sh sets add_reward False, add_adv True, which in one released version computes no bonus at
/// all — here the bonus is always on (use GRPO for A₀ alone).</para>
/// </summary>
public sealed class VerlErEstimator : AdvantageEstimatorBase
{
    public override string Name => "VERLER";
    public override string Summary => "GRPO + capped effective-rank bonus min(relu(aux), |A|/κ); aux from ER/ERV/ERA deviations vs EMA baselines, ERA-gated explore/exploit weights (stateful)";
    public override string Source => "Huang et al. 2025, VERL (hidden-state effective rank); code hf618/VERL";
    public override string ArxivId => "2509.23808";
    public override AdvantageLevel Level => AdvantageLevel.Token;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.EffectiveRank;
    public override bool IsStateful => true;
    public override string? Assumptions => "Baselines start at the first batch's means (released code: 0, one step late: ReleasedCode=true). The bonus covers every trained token (released code: the last token only: BonusOn=last-token). Reward range for the dynamic scale: RewardLow..RewardHigh (code: −1..1).";

    [AdvantageParameter("Exploration weights for (ERA, ERV, ER) (train.sh [0, 0, 1]; YAML [1, 0.25, 0.0625]).")]
    public double[] ExploreWeights { get; set; } = { 0, 0, 1 };

    [AdvantageParameter("Exploitation weights for (ERA, ERV, ER) (train.sh [0, 1, 0]; YAML [1, 0.01, 0.001]).")]
    public double[] ExploitWeights { get; set; } = { 0, 1, 0 };

    [AdvantageParameter("Gain g of the ERA gate sigmoid(g·δ_ERA) (train.sh 2.0; YAML 1.5).")]
    public double ModulationGain { get; set; } = 2.0;

    [AdvantageParameter("Global weight λ of the bonus (1.0).")]
    public double BonusWeight { get; set; } = 1.0;

    [AdvantageParameter("S = λ (true, train.sh aux_fix) or λ·(1 − normalised reward EMA) (false).")]
    public bool FixedScale { get; set; } = true;

    [AdvantageParameter("EMA rate α: baseline ← (1 − α)·baseline + α·batch mean (train.sh 0.3; YAML 0.7).")]
    public double EmaRate { get; set; } = 0.3;

    [AdvantageParameter("κ: the bonus is capped at |A₀|/κ (2).")]
    public double Kappa { get; set; } = 2.0;

    [AdvantageParameter("Lowest reward, for the dynamic scale (code: −1).")]
    public double RewardLow { get; set; } = -1;

    [AdvantageParameter("Highest reward, for the dynamic scale (code: 1).")]
    public double RewardHigh { get; set; } = 1;

    [AdvantageParameter("'sequence' (every trained token, default) or 'last-token' (released code).", Allowed = new[] { "sequence", "last-token" })]
    public string BonusOn { get; set; } = "sequence";

    [AdvantageParameter("Reproduce the released code's baselines: start at 0, updated one step late.")]
    public bool ReleasedCode { get; set; }

    [AdvantageParameter("ε added to the GRPO std (1e-6).")]
    public double Epsilon { get; set; } = 1e-6;

    protected override void Validate()
    {
        if (ExploreWeights is not { Length: 3 } || ExploitWeights is not { Length: 3 })
            throw new ArgumentException("VERLER ExploreWeights and ExploitWeights take three numbers each, for (ERA, ERV, ER).");
        if (Kappa <= 0) throw new ArgumentException("VERLER Kappa must be > 0.");
        if (EmaRate < 0 || EmaRate > 1) throw new ArgumentException("VERLER EmaRate must be in [0, 1].");
        if (RewardHigh <= RewardLow) throw new ArgumentException("VERLER RewardHigh must be greater than RewardLow.");
    }

    /// <summary>Saved state: batches seen, the three indicator baselines, the reward EMA, and (ReleasedCode) the previous batch's means.</summary>
    public sealed class VerlState
    {
        public int Steps { get; set; }
        public double[] Baselines { get; set; } = new double[3];
        public double RewardEma { get; set; }
        public double[]? PreviousMeans { get; set; }
    }

    /// <summary>The state.</summary>
    public VerlState State { get; private set; } = new();

    public override void ResetState() => State = new VerlState();
    protected override object? SaveState() => State;
    protected override void LoadState(JsonElement state) => State = state.Deserialize<VerlState>() ?? new VerlState();

    protected override (string ErrorId, string Message)? CheckRollout(Rollout r)
    {
        foreach (var (v, name) in new[] { (r.EffectiveRank, "effective_rank"), (r.EffectiveRankVelocity, "effective_rank_velocity"), (r.EffectiveRankAcceleration, "effective_rank_acceleration") })
        {
            if (v is not { } x) return ("MissingInput", $"VERLER needs '{name}' (Invoke-RlRollout -EffectiveRank).");
            if (!double.IsFinite(x)) return ("NonFiniteInput", $"'{name}' is {x}; it must be finite.");
        }
        return StepInputs.CheckLossMask(r);
    }

    /// <summary>
    /// The bonus before the cap: S·Σ_q w_q·tanh(δ_q) for indicators q = (ERA, ERV, ER) against baselines μ.
    /// </summary>
    public static double Aux(double[] q, double[] mu, double[] explore, double[] exploit, double gain, double scale)
    {
        var d = new double[3];
        for (int k = 0; k < 3; k++) d[k] = Math.Clamp((q[k] - mu[k]) / (Math.Abs(mu[k]) + 1e-8), -5, 5);
        double tau = 1 / (1 + Math.Exp(-gain * d[0]));
        double aux = 0;
        for (int k = 0; k < 3; k++) aux += (tau * explore[k] + (1 - tau) * exploit[k]) * Math.Tanh(d[k]);
        return scale * aux;
    }

    /// <summary>A₀ + min(relu(aux), |A₀|/κ).</summary>
    public static double Shape(double a0, double aux, double kappa) => a0 + Math.Min(Math.Max(aux, 0), Math.Abs(a0) / kappa);

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart; int n = b.Count;
        for (int g = 0; g < b.GroupCount; g++)
        {
            int s = gs[g], e = gs[g + 1];
            AdvantageMath.GroupMeanStd(r, s, e, true, out double mean, out double std);
            double inv = 1.0 / (std + Epsilon);
            for (int i = s; i < e; i++) a[i] = (r[i] - mean) * inv;
        }
        var means = new double[3];
        double rewardMean = 0;
        for (int i = 0; i < n; i++)
        {
            var q = Indicators(b.Rollouts[i]);
            for (int k = 0; k < 3; k++) means[k] += q[k] / n;
            rewardMean += r[i] / n;
        }
        var st = State;
        bool bonus = st.Steps >= 1;
        double scale = FixedScale ? BonusWeight : BonusWeight * (1 - (st.RewardEma - RewardLow) / (RewardHigh - RewardLow));
        var bonusOf = new double[n];
        if (bonus)
            for (int i = 0; i < n; i++)
            {
                double shaped = Shape(a[i], Aux(Indicators(b.Rollouts[i]), st.Baselines, ExploreWeights, ExploitWeights, ModulationGain, scale), Kappa);
                bonusOf[i] = shaped - a[i];
            }
        var tok = b.TokenAdvantages!;
        for (int i = 0; i < n; i++)
        {
            var mask = b.Rollouts[i].LossMask;
            int len = b.Lengths![i];
            var t = new float[len];
            int last = -1;
            for (int j = 0; j < len; j++) if (mask is null || mask[j] != 0) { t[j] = (float)a[i]; last = j; }
            if (BonusOn == "sequence") { for (int j = 0; j < len; j++) if (mask is null || mask[j] != 0) t[j] = (float)(a[i] + bonusOf[i]); }
            else if (last >= 0) t[last] = (float)(a[i] + bonusOf[i]);
            tok[i] = t;
            a[i] += bonusOf[i];
        }
        UpdateBaselines(means, rewardMean);
    }

    private static double[] Indicators(Rollout r) => new[] { r.EffectiveRankAcceleration!.Value, r.EffectiveRankVelocity!.Value, r.EffectiveRank!.Value };

    private void UpdateBaselines(double[] means, double rewardMean)
    {
        var st = State; double al = EmaRate;
        if (ReleasedCode)
        {   // code: nothing on the first step; afterwards the EMA takes the previous batch's indicator means and this batch's reward mean
            if (st.Steps >= 1 && st.PreviousMeans is { } prev)
            {
                for (int k = 0; k < 3; k++) st.Baselines[k] = (1 - al) * st.Baselines[k] + al * prev[k];
                st.RewardEma = (1 - al) * st.RewardEma + al * rewardMean;
            }
            st.PreviousMeans = means;
        }
        else if (st.Steps == 0)
        {
            Array.Copy(means, st.Baselines, 3);
            st.RewardEma = rewardMean;
        }
        else
        {
            for (int k = 0; k < 3; k++) st.Baselines[k] = (1 - al) * st.Baselines[k] + al * means[k];
            st.RewardEma = (1 - al) * st.RewardEma + al * rewardMean;
        }
        st.Steps++;
    }
}
