using RlTools.Core.Advantages.Estimators;
using RlTools.Core.Records;
using RlTools.Core.Verifiers;
using RlTools.Torch.Checkpoints;
using RlTools.Torch.Generation;

namespace RlTools.Torch.Training;

/// <summary>
/// What one comparison step samples for an estimator. Plain estimators get G completions per prompt; the methods
/// built on the open rollout stage get what they read, under the same prompts, group size and token budget:
/// <list type="bullet">
/// <item>SPO: the G completions plus <see cref="ComparisonSettings.ProbeSamples"/> probes at every low-probability cut
/// (p &lt; 0.9, interval 1: the demo's completions are a few tokens long).</item>
/// <item>SPAE: the same probes (the demo's completions have no ".\n\n" step boundaries, so cuts are at low-probability
/// tokens); confidence from the probes' entropies, correctness from their rewards.</item>
/// <item>SPOTree: a tree per prompt whose leaves number G (branching 2, 2, G/4 when G is a multiple of 4, else G),
/// segments of ⌈MaxTokens/3⌉ tokens; every node is an edge sample.</item>
/// <item>ADHint: the G completions, then G/2 hinted ones per prompt with ratio 1 − (pass rate of the unhinted ones)
/// (none when all passed), from the prompt's <c>solution</c> metadata.</item>
/// <item>VERLER: the G completions with the effective rank of their final hidden states (stride 1).</item>
/// <item>HAPO: the G completions at HAPO's adaptive temperature (τ 0.05, statistics of the previous step) — with the
/// HAPO loss, the full method.</item>
/// </list>
/// Probe records are verified (their rewards are the values) but never trained on.
/// </summary>
internal static class ComparisonRollouts
{
    /// <summary>The loss a method trains with: HAPO's own loss for HAPO, else the comparison's.</summary>
    public static string Loss(string estimator, string loss) => estimator == "HAPO" ? "HAPO" : loss;

    /// <summary>Samples and scores one step; <paramref name="previous"/> holds the last step's rollouts (HAPO's temperature statistics).</summary>
    public static List<Rollout> Sample(string estimator, Policy policy, IReadOnlyList<PromptRecord> prompts, ComparisonSettings s, long seed,
        IVerifier verifier, IReadOnlyList<Rollout>? previous, CancellationToken cancel)
    {
        var request = Request(s, prompts.Count * s.GroupSize, seed);
        List<Rollout> rollouts;
        switch (estimator)
        {
            case "SPOTree":
            {
                int g = s.GroupSize;
                IReadOnlyList<int> branching = g % 4 == 0 ? [2, 2, g / 4] : [g];
                var tree = new TreeRequest { Branching = branching, SegmentTokens = Math.Max(1, (s.MaxTokens + 2) / 3) };
                rollouts = RolloutEngine.Tree(policy, prompts, request, tree).SelectMany(b => b.Rollouts).ToList();
                break;
            }
            case "VERLER":
                request.Extras = new DecodeExtras { Rank = new EffectiveRankOptions { Stride = 1 } };
                rollouts = Run(policy, prompts, request);
                break;
            case "HAPO":
                request.Extras = new DecodeExtras { Temperature = AdaptiveTemperature.FromEntropies((previous ?? []).Select(r => r.Entropies ?? []), 0.05, 0.8) };
                rollouts = Run(policy, prompts, request);
                break;
            default:
                rollouts = Run(policy, prompts, request);
                break;
        }
        Score(rollouts, verifier, cancel);
        if (estimator is "SPO" or "SPAE")
        {
            var probe = new ProbeRequest { Mode = CutMode.LowProbability, Threshold = 0.9, Interval = 1, Samples = s.ProbeSamples };
            var probed = RolloutEngine.Probe(policy, rollouts, Request(s, s.PromptsPerStep * s.GroupSize, seed + 7919), probe).SelectMany(b => b.Rollouts).ToList();
            Score(probed.Where(r => r.IsProbe).ToList(), verifier, cancel);
            rollouts = probed;
        }
        else if (estimator == "ADHint") rollouts.AddRange(Hinted(policy, prompts, rollouts, s, seed + 104729, verifier, cancel));
        return rollouts;
    }

    /// <summary>Tokens the sampler produced for these records (forced prefixes, probe prefixes, hints and tree ancestors excluded).</summary>
    public static long SampledTokens(IEnumerable<Rollout> rollouts)
    {
        long n = 0;
        foreach (var r in rollouts)
        {
            if (r.LossMask is not { } m) { n += r.CompletionLength; continue; }
            int forced = 0;
            while (forced < m.Length && m[forced] == 0) forced++;   // the forced part leads (hint, probe prefix + suffix, tree path)
            n += m.Length - forced;
        }
        return n;
    }

    private static List<Rollout> Hinted(Policy policy, IReadOnlyList<PromptRecord> prompts, List<Rollout> unhinted, ComparisonSettings s, long seed,
        IVerifier verifier, CancellationToken cancel)
    {
        int extra = Math.Max(1, s.GroupSize / 2);
        var pass = unhinted.GroupBy(r => r.PromptId).ToDictionary(g => g.Key, g => g.Average(r => r.Reward > 0.5 ? 1.0 : 0.0));
        var distinct = prompts.GroupBy(p => p.Id).Select(g => g.First()).ToList();
        var solutions = new List<int[]?>(); var ratios = new List<double>(); var counts = new List<int>(); var first = new List<int>();
        foreach (var p in distinct)
        {
            double ratio = AdHintEstimator.ScheduledHintRatio(pass.GetValueOrDefault(p.Id), 1.0);
            string? text = p.Metadata.TryGetValue("solution", out object? v) ? v?.ToString() : null;
            bool hint = ratio > 0 && !string.IsNullOrEmpty(text);
            solutions.Add(hint ? policy.Tokenizer.Encode(text!, addSpecialTokens: false) : null);
            ratios.Add(ratio);
            counts.Add(hint ? extra : 0);
            first.Add(unhinted.Where(r => r.PromptId == p.Id).Select(r => r.SampleIndex + 1).DefaultIfEmpty(0).Max());
        }
        var request = Request(s, Math.Max(1, distinct.Count * extra), seed);
        request.HintTokens = solutions; request.HintRatios = ratios; request.SamplesPerPrompt = counts; request.FirstSampleIndex = first;
        var hinted = Run(policy, distinct, request);
        Score(hinted, verifier, cancel);
        return hinted;
    }

    private static RolloutRequest Request(ComparisonSettings s, int rows, long seed) => new()
    {
        GroupSize = s.GroupSize,
        BatchSize = Math.Max(1, rows),
        Seed = seed,
        Sampling = new SamplingOptions { MaxNewTokens = s.MaxTokens, Temperature = s.Temperature },
    };

    private static List<Rollout> Run(Policy policy, IReadOnlyList<PromptRecord> prompts, RolloutRequest request)
        => RolloutEngine.Run(policy, prompts, request).SelectMany(b => b.Rollouts).ToList();

    private static void Score(List<Rollout> rollouts, IVerifier verifier, CancellationToken cancel)
    {
        VerificationResult[][] scores = RewardScorer.Verify(rollouts, new[] { verifier }, 0, cancel);
        // The reward step of Measure-RlReward: a verifier that does not apply leaves the reward null, so the
        // estimator leaves that group out (it is not scored as 0).
        for (int i = 0; i < rollouts.Count; i++) RewardScorer.Apply(rollouts[i], [verifier.Name], [scores[i][0].Score], [1.0]);
    }
}
