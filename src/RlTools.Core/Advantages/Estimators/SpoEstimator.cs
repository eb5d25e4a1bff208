using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// SPO-chain, segment policy optimisation (Guo et al., "Segment Policy Optimization: Effective
/// Segment-Level Credit Assignment in RL for Large Language Models", arXiv 2505.23564; code
/// AIFrameResearch/SPO <c>math_episode_generator_with_mc_advantages.py</c>, <c>ppo_trainer.py</c>).
/// <para>Cut points are prefix lengths k (the prefix keeps tokens [0, k); k = 0 is the prompt state) in the
/// rollout's <c>cut_positions</c>, chosen by <c>Invoke-RlRollout -Probe -CutAt LowProbability</c> just before
/// low-probability tokens (p_j &lt; ρ = 0.9, every k-th such token, interval 5). Each cut's Monte-Carlo value
/// V(k) is the mean reward of its probe records (<c>is_probe</c>, <c>parent_id</c> = the rollout's
/// <c>node_id</c>, <c>cut_positions</c> = [k]; N = 4–9 in the paper), scored by <c>Measure-RlReward</c> (a
/// truncated probe scores whatever the verifier gives it: SPO's "unfinished" penalty 0). With
/// k_0 &lt; k_1 &lt; … &lt; k_m the cuts and k_{m+1} = L, V(L) = r (the rollout's own reward):</para>
/// <para>A_j = V(k_{i+1}) − V(k_i) for tokens j ∈ [k_i, k_{i+1}) (segment advantage, each segment starts at
/// a low-probability token); tokens before the first cut get 0 (no prompt value unless k_0 = 0); a rollout
/// without cuts gets 0 everywhere. Probability mask: tokens with p_j = exp(logprob_j) &gt; <c>ProbabilityMask</c>
/// get 0. Tokens with <c>loss_mask</c> 0 get 0 and stay out of every statistic.</para>
/// <para>Whitening (<c>Whiten</c>, the paper's trainer): over the batch's tokens with p_j &lt; ρ and loss_mask 1
/// (all loss_mask-1 tokens when there are none): A ← (A − mean)/√(var + 1e-8), unbiased var; tokens outside
/// that set are then 0 (SPO drops them from the loss; here they carry no advantage).
/// <c>advantage</c> is the mean of the rollout's token advantages over its loss_mask-1 tokens. Probe records
/// get advantage 0 (value estimates, not samples: drop them before the update).</para>
/// </summary>
public sealed class SpoEstimator : AdvantageEstimatorBase
{
    public override string Name => "SPO";
    public override string Summary => "segment advantages V(next cut) − V(cut) from Monte-Carlo values at low-probability cut points; probability mask; whitened";
    public override string Source => "Guo et al. 2025, SPO (SPO-chain); code AIFrameResearch/SPO";
    public override string ArxivId => "2505.23564";
    public override AdvantageLevel Level => AdvantageLevel.Token;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Logprobs | AdvantageInputs.Probes;
    public override string? Assumptions => "The loss mask of the released trainer (only tokens with p < 0.9 enter the token mean) is represented by zero advantages: those tokens still count in a token-mean denominator unless the update masks them.";

    [AdvantageParameter("ρ of the probability mask: tokens with p > ρ get no advantage (code: 0.9, hard-coded); 0 turns the mask off.")]
    public double ProbabilityMask { get; set; } = 0.9;

    [AdvantageParameter("Whiten the token advantages over the masked tokens of the batch (SPO trainer: true).")]
    public bool Whiten { get; set; } = true;

    [AdvantageParameter("ε inside the whitening √(var + ε) (1e-8).")]
    public double WhitenEpsilon { get; set; } = 1e-8;

    protected override void Validate()
    {
        if (ProbabilityMask < 0 || ProbabilityMask > 1) throw new ArgumentException("SPO ProbabilityMask is a probability in [0, 1] (0 = off).");
        if (WhitenEpsilon < 0) throw new ArgumentException("SPO WhitenEpsilon must be ≥ 0.");
    }

    protected override (string ErrorId, string Message)? CheckRollout(Rollout r) => StepInputs.CheckCuts(r);

    protected override void CheckGroups(IReadOnlyList<Rollout> batch, int[] gid, List<int> counts, Action<int, string, string> reject)
        => StepInputs.CheckProbes(batch, gid, reject);

    /// <summary>
    /// Raw (unwhitened) SPO-chain token advantages of one rollout: segment value differences, 0 before the
    /// first cut, 0 where p &gt; <paramref name="probabilityMask"/> (when &gt; 0) or where <paramref name="lossMask"/> is 0.
    /// </summary>
    public static float[] ChainTokenAdvantages(float[] logprobs, int[] cuts, double[] values, double reward, double probabilityMask, float[]? lossMask)
    {
        int L = logprobs.Length;
        var t = new float[L];
        for (int i = 0; i < cuts.Length; i++)
        {
            int end = i + 1 < cuts.Length ? cuts[i + 1] : L;
            double next = i + 1 < cuts.Length ? values[i + 1] : reward;
            float a = (float)(next - values[i]);
            for (int j = cuts[i]; j < end; j++) t[j] = a;
        }
        for (int j = 0; j < L; j++)
            if ((probabilityMask > 0 && Math.Exp(logprobs[j]) > probabilityMask) || (lossMask is not null && lossMask[j] == 0)) t[j] = 0;
        return t;
    }

    /// <summary>
    /// SPO's masked whitening over a batch: statistics over tokens where <paramref name="keep"/> is true
    /// (falling back to <paramref name="valid"/> when none is kept), unbiased variance; kept tokens become
    /// (a − mean)/√(var + ε), every other token 0.
    /// </summary>
    internal static void WhitenMasked(float[][] tok, bool[][] keep, bool[][] valid, double epsilon)
    {
        long n = 0;
        foreach (var k in keep) foreach (var x in k) if (x) n++;
        var use = n > 0 ? keep : valid;
        double sum = 0; n = 0;
        for (int i = 0; i < tok.Length; i++)
            for (int j = 0; j < tok[i].Length; j++) if (use[i][j]) { sum += tok[i][j]; n++; }
        if (n == 0) return;
        double mean = sum / n, ss = 0;
        for (int i = 0; i < tok.Length; i++)
            for (int j = 0; j < tok[i].Length; j++) if (use[i][j]) { double d = tok[i][j] - mean; ss += d * d; }
        double var = n == 1 ? 0 : ss / (n - 1);
        double inv = 1.0 / Math.Sqrt(var + epsilon);
        for (int i = 0; i < tok.Length; i++)
            for (int j = 0; j < tok[i].Length; j++) tok[i][j] = use[i][j] ? (float)((tok[i][j] - mean) * inv) : 0f;
    }

    /// <summary>Which tokens SPO trains on: p &lt; ρ (all when the mask is off) and loss_mask 1.</summary>
    internal static (bool[] Keep, bool[] Valid) TrainedTokens(float[]? logprobs, float[]? lossMask, int length, double probabilityMask)
    {
        var keep = new bool[length];
        var valid = new bool[length];
        for (int j = 0; j < length; j++)
        {
            valid[j] = lossMask is null || lossMask[j] != 0;
            keep[j] = valid[j] && (probabilityMask <= 0 || logprobs is null || Math.Exp(logprobs[j]) < probabilityMask);
        }
        return (keep, valid);
    }

    /// <summary>Mean of the token advantages over loss_mask-1 tokens (0 when there are none).</summary>
    internal static double TrainedMean(float[] t, bool[] valid)
    {
        double s = 0; int n = 0;
        for (int j = 0; j < t.Length; j++) if (valid[j]) { s += t[j]; n++; }
        return n == 0 ? 0 : s / n;
    }

    /// <summary>V̂ = mean reward of the given probe records.</summary>
    internal static double MeanReward(AdvantageBatch b, List<int> probes)
    {
        double s = 0;
        foreach (int p in probes) s += b.Rewards[p];
        return s / probes.Count;
    }

    protected override void Compute(AdvantageBatch b)
    {
        int n = b.Count;
        var tok = b.TokenAdvantages!;
        var keep = new bool[n][];
        var valid = new bool[n][];
        for (int g = 0; g < b.GroupCount; g++)
        {
            int s = b.GroupStart[g], e = b.GroupStart[g + 1];
            var probes = StepInputs.ProbesBySource(b, s, e);
            for (int i = s; i < e; i++)
            {
                var r = b.Rollouts[i];
                int len = b.Lengths![i];
                if (r.IsProbe)
                {   // a probe is a value estimate, not a sample: no advantage, out of the statistics
                    tok[i] = new float[len];
                    keep[i] = valid[i] = new bool[len];
                    continue;
                }
                var cuts = r.CutPositions ?? Array.Empty<int>();
                var values = new double[cuts.Length];
                for (int k = 0; k < cuts.Length; k++) values[k] = MeanReward(b, probes[i][cuts[k]]);
                tok[i] = ChainTokenAdvantages(r.Logprobs!, cuts, values, b.Rewards[i], ProbabilityMask, r.LossMask);
                (keep[i], valid[i]) = TrainedTokens(r.Logprobs, r.LossMask, len, ProbabilityMask);
            }
        }
        if (Whiten) WhitenMasked(tok, keep, valid, WhitenEpsilon);
        for (int i = 0; i < n; i++) b.Advantages[i] = TrainedMean(tok[i], valid[i]);
    }
}
