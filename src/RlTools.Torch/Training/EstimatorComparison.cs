using System.Collections;
using System.Diagnostics;
using RlTools.Core.Advantages;
using RlTools.Core.Metrics;
using RlTools.Core.Records;
using RlTools.Core.Verifiers;
using RlTools.Torch.Checkpoints;
using RlTools.Torch.Generation;

namespace RlTools.Torch.Training;

/// <summary>Settings of an estimator comparison: same start, same prompts, same seeds, same budget for every estimator.</summary>
public sealed class ComparisonSettings
{
    /// <summary>Checkpoint every run starts from (and the frozen KL reference).</summary>
    public string CheckpointPath { get; set; } = "";
    public IReadOnlyList<PromptRecord> Train { get; set; } = Array.Empty<PromptRecord>();
    public IReadOnlyList<PromptRecord> Test { get; set; } = Array.Empty<PromptRecord>();
    public IReadOnlyList<string> Estimators { get; set; } = Array.Empty<string>();
    public int Steps { get; set; } = 100;
    public int PromptsPerStep { get; set; } = 16;
    public int GroupSize { get; set; } = 8;
    public int MaxTokens { get; set; } = 16;
    public int EvalEvery { get; set; } = 10;
    public long Seed { get; set; } = 1;
    public double Temperature { get; set; } = 1.0;
    public string Loss { get; set; } = "PPO";
    public double LearningRate { get; set; } = 3e-4;
    public double KLCoefficient { get; set; } = 0.001;
    public string Verifier { get; set; } = "Math";
    public IDictionary? VerifierParameters { get; set; }
}

/// <summary>
/// Runs the same GRPO-style loop (rollout → verify → estimate → update) once per advantage estimator,
/// each from the same checkpoint with the same prompt draws and sampling seeds, and reports reward,
/// held-out accuracy, entropy, KL and length per step. The only difference between runs is the
/// estimator, so differences in the curves are the estimator's (up to sampling noise after the first
/// step, since the policies diverge).
/// </summary>
public static class EstimatorComparison
{
    /// <summary>Yields rows as they are produced: step 0 (the start) and every step of every estimator, in order.</summary>
    public static IEnumerable<ComparisonRow> Run(ComparisonSettings s, CancellationToken cancel = default)
    {
        if (s.Train.Count == 0 || s.Test.Count == 0) throw new ArgumentException("Comparison needs training and held-out prompts.");
        if (s.Steps < 1 || s.PromptsPerStep < 1 || s.GroupSize < 1 || s.EvalEvery < 1) throw new ArgumentException("Steps, PromptsPerStep, GroupSize and EvalEvery must be at least 1.");
        VerifierInfo info = VerifierRegistry.Find(s.Verifier) is { HostProvided: false } v ? v
            : throw new ArgumentException($"'{s.Verifier}' is not a verifier the comparison can use.");
        IVerifier verifier = info.Create(s.VerifierParameters);
        foreach (string name in s.Estimators)
            if (AdvantageEstimatorRegistry.Resolve(name) is null)
                throw new ArgumentException($"'{name}' is not a registered estimator. Valid: {string.Join(", ", AdvantageEstimatorRegistry.Names)}.");

        foreach (string name in s.Estimators)
        {
            IAdvantageEstimator estimator = AdvantageEstimatorRegistry.Create(name);
            using Policy policy = PolicyFiles.Load(s.CheckpointPath);
            using Policy reference = PolicyFiles.Load(s.CheckpointPath, frozen: true);
            var clock = Stopwatch.StartNew();
            var rng = new Random(unchecked((int)s.Seed));
            double heldOut = Evaluate(policy, s, verifier, out double length0);
            yield return new ComparisonRow { Estimator = estimator.Name, Step = 0, HeldoutAccuracy = heldOut, ResponseLength = length0, Seconds = clock.Elapsed.TotalSeconds };
            for (int step = 1; step <= s.Steps; step++)
            {
                cancel.ThrowIfCancellationRequested();
                var prompts = new PromptRecord[s.PromptsPerStep];
                for (int i = 0; i < prompts.Length; i++) prompts[i] = s.Train[rng.Next(s.Train.Count)];
                List<Rollout> rollouts = Sample(policy, prompts, s.GroupSize, s.MaxTokens, s.Temperature, s.Seed * 100003 + step);
                VerificationResult[][] scores = RewardScorer.Verify(rollouts, new[] { verifier }, 0, cancel);
                // The reward step of Measure-RlReward: a verifier that does not apply leaves the reward null, so the
                // estimator leaves that group out (it is not scored as 0).
                for (int i = 0; i < rollouts.Count; i++) RewardScorer.Apply(rollouts[i], [verifier.Name], [scores[i][0].Score], [1.0]);
                estimator.Estimate(rollouts);
                var usable = rollouts.Where(r => r.Advantage is not null).ToList();
                double kl = 0;
                if (usable.Count > 0)
                {
                    var options = new UpdateOptions { Loss = s.Loss, LearningRate = s.LearningRate, KLCoefficient = s.KLCoefficient, Temperature = s.Temperature, Seed = (ulong)(s.Seed + step) };
                    List<UpdateResult> results = PolicyUpdater.Update(policy, usable, options, s.KLCoefficient != 0 ? reference : null);
                    if (results.Count > 0) kl = results[^1].Kl;
                }
                if (step % s.EvalEvery == 0 || step == s.Steps) heldOut = Evaluate(policy, s, verifier, out _);
                yield return new ComparisonRow
                {
                    Estimator = estimator.Name,
                    Step = step,
                    Reward = rollouts.Average(r => r.Reward ?? 0.0),
                    HeldoutAccuracy = heldOut,
                    Entropy = rollouts.SelectMany(r => r.Entropies ?? Array.Empty<float>()).DefaultIfEmpty().Average(x => (double)x),
                    Kl = kl,
                    ResponseLength = rollouts.Average(r => (double)r.CompletionLength),
                    Seconds = clock.Elapsed.TotalSeconds,
                };
            }
        }
    }

    private static List<Rollout> Sample(Policy policy, IReadOnlyList<PromptRecord> prompts, int groupSize, int maxTokens, double temperature, long seed)
    {
        var request = new RolloutRequest
        {
            GroupSize = groupSize,
            BatchSize = Math.Max(1, prompts.Count * groupSize),
            Seed = seed,
            Sampling = new SamplingOptions { MaxNewTokens = maxTokens, Temperature = temperature },
        };
        return RolloutEngine.Run(policy, prompts, request).SelectMany(b => b.Rollouts).ToList();
    }

    /// <summary>Greedy accuracy on the held-out prompts.</summary>
    private static double Evaluate(Policy policy, ComparisonSettings s, IVerifier verifier, out double meanLength)
    {
        List<Rollout> rows = Sample(policy, s.Test, 1, s.MaxTokens, 0.0, s.Seed);
        VerificationResult[][] scores = RewardScorer.Verify(rows, new[] { verifier }, 0);
        EvaluationResult e = PolicyEvaluation.Summarize(rows, scores.Select(x => x[0].Correct).ToArray(),
            scores.Select(x => x[0].Score).ToArray(), new[] { 1 }, verifier.Name, greedy: true);
        meanLength = e.MeanLength;
        return e.PassAt1;
    }
}
