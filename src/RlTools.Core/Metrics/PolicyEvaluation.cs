using RlTools.Core.Records;

namespace RlTools.Core.Metrics;

/// <summary>
/// Turns scored samples into the evaluation researchers report: pass@1 = mean over prompts of c/n,
/// unbiased pass@k (<see cref="PassAtK"/>) for each k ≤ n, mean reward, mean length and stop rate.
/// Prompts are grouped by <see cref="Rollout.PromptId"/>; every prompt must have the same n.
/// </summary>
public static class PolicyEvaluation
{
    /// <summary>Summarises <paramref name="samples"/>; <paramref name="correct"/>[i] says whether sample i was judged correct.</summary>
    /// <exception cref="ArgumentException">No samples, mismatched lengths, unequal samples per prompt, or k outside 1..n.</exception>
    public static EvaluationResult Summarize(IReadOnlyList<Rollout> samples, IReadOnlyList<bool> correct, IReadOnlyList<double?> scores,
        IReadOnlyCollection<int> ks, string verifier, bool greedy)
    {
        if (samples.Count == 0) throw new ArgumentException("There are no samples to evaluate.", nameof(samples));
        if (correct.Count != samples.Count || scores.Count != samples.Count)
            throw new ArgumentException("Every sample needs one correctness flag and one score.", nameof(correct));
        var groups = new Dictionary<string, (int N, int C)>(StringComparer.Ordinal);
        var order = new List<string>();
        double lengthSum = 0, rewardSum = 0;
        int rewardCount = 0, stopped = 0;
        for (int i = 0; i < samples.Count; i++)
        {
            Rollout r = samples[i];
            if (!groups.TryGetValue(r.PromptId, out var g)) order.Add(r.PromptId);
            groups[r.PromptId] = (g.N + 1, g.C + (correct[i] ? 1 : 0));
            lengthSum += r.CompletionLength;
            if (scores[i] is double s && double.IsFinite(s)) { rewardSum += s; rewardCount++; }
            if (r.FinishReason == "stop") stopped++;
        }
        int n = groups[order[0]].N;
        foreach (string id in order)
            if (groups[id].N != n) throw new ArgumentException($"Prompt '{id}' has {groups[id].N} samples but '{order[0]}' has {n}; pass@k needs the same n for every prompt.", nameof(samples));
        var result = new EvaluationResult
        {
            Prompts = order.Count,
            Samples = n,
            Greedy = greedy,
            Verifier = verifier,
            PassAt1 = order.Average(id => (double)groups[id].C / n),
            MeanReward = rewardCount > 0 ? rewardSum / rewardCount : null,
            MeanLength = lengthSum / samples.Count,
            StopRate = (double)stopped / samples.Count,
        };
        foreach (int k in ks.Distinct().OrderBy(k => k))
        {
            if (k < 1 || k > n) throw new ArgumentException($"k = {k} is outside 1..{n}: draw at least k samples per prompt (-Samples).", nameof(ks));
            result.PassAtK[k] = PassAtK.Mean(order.Select(id => groups[id]), k);
        }
        return result;
    }
}
