using RlTools.Core.Records;

namespace RlTools.Core.Advantages;

/// <summary>
/// One step's usable rollouts laid out group by group (groups in order of first appearance, rollouts
/// in input order within a group) as flat arrays, so estimators run plain loops over
/// <c>[GroupStart[g], GroupStart[g+1])</c>. Excluded groups are not in it.
/// </summary>
public sealed class AdvantageBatch
{
    internal AdvantageBatch(Rollout[] rollouts, int[] groupStart, double[] rewards, int[]? lengths, float[]?[]? masks, bool token, double[][]? penalties = null)
    {
        TokenPenalties = penalties;
        Rollouts = rollouts;
        GroupStart = groupStart;
        Rewards = rewards;
        Lengths = lengths;
        if (lengths is not null)
        {
            Masks = masks ?? new float[]?[rollouts.Length];
            TrainedLengths = new double[rollouts.Length];
            for (int i = 0; i < rollouts.Length; i++) TrainedLengths[i] = AdvantageMath.MaskedCount(lengths[i], Masks[i]);
        }
        Advantages = new double[rollouts.Length];
        TokenAdvantages = token ? new float[rollouts.Length][] : null;
    }

    /// <summary>Rollouts in grouped order.</summary>
    public Rollout[] Rollouts { get; }
    /// <summary>Start offset of each group, plus the end (length = GroupCount + 1).</summary>
    public int[] GroupStart { get; }
    /// <summary>Scalar rewards in grouped order (NaN where the estimator does not read <c>reward</c>).</summary>
    public double[] Rewards { get; }
    /// <summary>Completion lengths in tokens (when the estimator reads lengths or token arrays); the size of every token array.</summary>
    public int[]? Lengths { get; }
    /// <summary>
    /// Each rollout's <c>loss_mask</c> (null entries: every token trained), set with <see cref="Lengths"/>.
    /// Token-level statistics leave mask-0 tokens out, as verl leaves out <c>response_mask</c> zeros.
    /// </summary>
    public float[]?[]? Masks { get; }
    /// <summary>
    /// With KL in the reward: β·m_t·KL_t per token of each rollout (then <see cref="Rewards"/> already holds
    /// the shaped sequence reward r − Σ_t β·m_t·KL_t); null otherwise.
    /// </summary>
    public double[][]? TokenPenalties { get; }

    /// <summary>
    /// Token-level reward of token <paramref name="j"/> of rollout <paramref name="i"/> (verl <c>token_level_rewards</c>):
    /// the outcome reward on token <paramref name="last"/> (the last trained one), minus the KL penalty of that token when
    /// KL is in the reward. Summed over the tokens it gives <see cref="Rewards"/>[i].
    /// </summary>
    public double TokenReward(int i, int j, int last)
    {
        if (TokenPenalties is not { } p) return j == last ? Rewards[i] : 0;
        var pi = p[i];
        if (j != last) return -pi[j];
        double sum = 0;
        for (int k = 0; k < pi.Length; k++) if (k != j) sum += pi[k];
        return Rewards[i] + sum;
    }

    /// <summary>Σ loss_mask per rollout (= <see cref="Lengths"/> without a mask): verl's <c>response_mask.sum(-1)</c>, the length used in token statistics.</summary>
    public double[]? TrainedLengths { get; }
    /// <summary>Output: the sequence-level advantage of each rollout.</summary>
    public double[] Advantages { get; }
    /// <summary>Output for token-level estimators: one array per rollout, length = its completion length.</summary>
    public float[][]? TokenAdvantages { get; }
    /// <summary>Number of rollouts.</summary>
    public int Count => Rollouts.Length;
    /// <summary>Number of groups.</summary>
    public int GroupCount => GroupStart.Length - 1;

    /// <summary>Builds a batch from rollouts that are already known to be valid (all groups kept). For benchmarks and tests.</summary>
    public static AdvantageBatch FromRollouts(IReadOnlyList<Rollout> rollouts, bool token = false, bool lengths = false)
    {
        int n = rollouts.Count;
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var gid = new int[n];
        var counts = new List<int>();
        for (int i = 0; i < n; i++)
        {
            string key = rollouts[i].PromptId ?? "";
            if (!ids.TryGetValue(key, out int g)) { g = counts.Count; ids.Add(key, g); counts.Add(0); }
            gid[i] = g;
            counts[g]++;
        }
        var rw = new double[n];
        int[]? lens = lengths || token ? new int[n] : null;
        float[]?[]? masks = lens is not null ? new float[]?[n] : null;
        for (int i = 0; i < n; i++)
        {
            rw[i] = rollouts[i].Reward ?? double.NaN;
            if (lens is not null) { lens[i] = AdvantageMath.TokenCount(rollouts[i]); masks![i] = rollouts[i].LossMask; }
        }
        return Build(rollouts, gid, counts, null, token, rw, lens, masks);
    }

    /// <summary>Lays out the kept groups; <paramref name="rewardIn"/> and <paramref name="lengthIn"/> are in input order (read once by the caller).</summary>
    internal static AdvantageBatch Build(IReadOnlyList<Rollout> rollouts, int[] gid, List<int> counts, bool[]? excluded, bool token, double[] rewardIn, int[]? lengthIn, float[]?[]? maskIn, double[][]? penaltyIn = null)
    {
        int groups = counts.Count;
        var newIndex = new int[groups];
        int kept = 0, total = 0;
        for (int g = 0; g < groups; g++)
        {
            if (excluded is not null && excluded[g]) { newIndex[g] = -1; continue; }
            newIndex[g] = kept++;
            total += counts[g];
        }
        var start = new int[kept + 1];
        for (int g = 0; g < groups; g++)
            if (newIndex[g] >= 0) start[newIndex[g] + 1] = counts[g];
        for (int g = 0; g < kept; g++) start[g + 1] += start[g];
        var cursor = new int[kept];
        Array.Copy(start, cursor, kept);
        var items = new Rollout[total];
        var rewards = new double[total];
        var lens = lengthIn is not null ? new int[total] : null;
        var masks = lengthIn is not null ? new float[]?[total] : null;
        var penalties = penaltyIn is not null ? new double[total][] : null;
        int n = rollouts.Count;
        for (int i = 0; i < n; i++)
        {
            int g = newIndex[gid[i]];
            if (g < 0) continue;
            int k = cursor[g]++;
            items[k] = rollouts[i];
            rewards[k] = rewardIn[i];
            if (lens is not null) { lens[k] = lengthIn![i]; masks![k] = maskIn?[i]; }
            if (penalties is not null) penalties[k] = penaltyIn![i];
        }
        return new AdvantageBatch(items, start, rewards, lens, masks, token, penalties);
    }
}
