using RlTools.Core.Records;

namespace RlTools.Core.Verifiers;

/// <summary>
/// Scores a batch of rollouts with several verifiers in parallel (Parallel.For over rollouts, each worker running
/// every verifier on its rollout), and combines components into the reward:
/// <c>reward = Σ_k w_k · r_k</c> over the components r_k that are not null (a verifier that does not apply is left
/// out, not counted as 0; TRL's NaN-skipping sum). When every component is null the reward is null.
/// </summary>
public static class RewardScorer
{
    /// <summary>
    /// Runs each verifier on each rollout; result[i][k] is verifier k's result on rollout i. Order is the input order
    /// whatever the parallelism. <paramref name="maxParallelism"/> ≤ 0 means the number of processors.
    /// </summary>
    public static VerificationResult[][] Verify(IReadOnlyList<Rollout> batch, IReadOnlyList<IVerifier> verifiers, int maxParallelism, CancellationToken cancel = default)
    {
        var results = new VerificationResult[batch.Count][];
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
            CancellationToken = cancel,
        };
        Parallel.For(0, batch.Count, options, i =>
        {
            var row = new VerificationResult[verifiers.Count];
            for (int k = 0; k < verifiers.Count; k++)
            {
                try { row[k] = verifiers[k].Verify(batch[i]); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    row[k] = VerificationResult.NotApplicable($"{verifiers[k].Name} failed: {e.Message}");
                }
            }
            results[i] = row;
        });
        return results;
    }

    /// <summary>Weighted sum of the non-null components; null when all are null.</summary>
    public static double? Combine(IReadOnlyList<double?> components, IReadOnlyList<double> weights)
    {
        if (components.Count != weights.Count) throw new ArgumentException($"{components.Count} components but {weights.Count} weights.");
        double sum = 0;
        bool any = false;
        for (int k = 0; k < components.Count; k++)
        {
            if (components[k] is not { } c) continue;
            sum += weights[k] * c;
            any = true;
        }
        return any ? sum : null;
    }

    /// <summary>Writes <see cref="Rollout.Rewards"/> (name → component) and <see cref="Rollout.Reward"/> on a rollout.</summary>
    public static void Apply(Rollout rollout, IReadOnlyList<string> names, IReadOnlyList<double?> components, IReadOnlyList<double> weights)
    {
        var map = rollout.Rewards is null ? new Dictionary<string, double?>(StringComparer.Ordinal) : new Dictionary<string, double?>(rollout.Rewards, StringComparer.Ordinal);
        for (int k = 0; k < names.Count; k++) map[names[k]] = components[k];
        rollout.Rewards = map;
        rollout.Reward = Combine(components, weights);
    }
}
