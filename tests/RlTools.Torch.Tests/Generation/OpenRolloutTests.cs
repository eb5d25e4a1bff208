using RlTools.Core.Records;
using RlTools.Torch.Generation;
using RlTools.Torch.Models;
using RlTools.Torch.Tests.Models;
using RlTools.Torch.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Generation;

/// <summary>The open rollout stage's engine: continue, probe, tree, hint, adaptive temperature, effective rank.</summary>
public class OpenRolloutTests
{
    private static readonly ByteTokenizer Bytes = new();

    private static Policy NewPolicy() => new(TestModels.Random(ModelConfig.Preset("Tiny"), 4, std: 0.15), new ByteTokenizer());

    private static List<PromptRecord> Prompts() => new()
    {
        new PromptRecord { Id = "a", Prompt = "1+1=", Answer = "2" },
        new PromptRecord { Id = "b", Prompt = "Name a colour:" },
    };

    private static RolloutRequest Request(int maxNew, long seed = 5, int batch = 8, int group = 1, double temperature = 1.0) => new()
    {
        GroupSize = group, BatchSize = batch, Seed = seed,
        Sampling = new SamplingOptions { MaxNewTokens = maxNew, Temperature = temperature, IgnoreEos = true },
    };

    private static List<Rollout> Sample(Policy policy, int maxNew, int group = 1, long seed = 5)
        => RolloutEngine.Run(policy, Prompts(), Request(maxNew, seed, group: group)).SelectMany(b => b.Rollouts).ToList();

    /// <summary>Log-probs and entropies of each record's whole completion by one full forward pass (Measure-RlLogProb's path).</summary>
    private static (float[][] Lp, float[][] Ent) Recompute(Policy policy, IEnumerable<Rollout> rs, double temperature = 1.0)
        => TextGenerator.LogProbs(policy.Model, rs.Select(r => (r.PromptTokens!, r.CompletionTokens!)).ToList(), temperature, batchSize: 3);

    private static void Near(float[] expected, float[] actual, double tol = 2e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++) Assert.True(Math.Abs(expected[j] - actual[j]) <= tol, $"[{j}] {expected[j]} vs {actual[j]}");
    }

    [Fact]
    public void Continuing_keeps_the_prefix_and_its_logprobs_equal_the_full_recomputation()
    {
        using Policy policy = NewPolicy();
        List<Rollout> first = Sample(policy, 5);
        List<Rollout> cont = RolloutEngine.Continue(policy, first, Request(7, seed: 9)).SelectMany(b => b.Rollouts).ToList();
        Assert.Equal(first.Count, cont.Count);
        var (lp, ent) = Recompute(policy, cont);
        for (int i = 0; i < cont.Count; i++)
        {
            Assert.Equal(12, cont[i].CompletionTokens!.Length);
            Assert.Equal(first[i].CompletionTokens, cont[i].CompletionTokens![..5]);
            Assert.Equal((first[i].PromptId, first[i].SampleIndex), (cont[i].PromptId, cont[i].SampleIndex));
            Assert.Equal("length", cont[i].FinishReason);
            Assert.Equal(Bytes.Decode(cont[i].CompletionTokens!, true), cont[i].Completion);
            Near(lp[i], cont[i].Logprobs!);
            Near(ent[i], cont[i].Entropies!);
            Near(first[i].Logprobs!, cont[i].Logprobs![..5]);
        }
    }

    [Fact]
    public void Greedy_continuation_equals_greedy_decoding_in_one_go()
    {
        using Policy policy = NewPolicy();
        var whole = RolloutEngine.Run(policy, Prompts(), Request(10, temperature: 0)).SelectMany(b => b.Rollouts).ToList();
        var part = RolloutEngine.Run(policy, Prompts(), Request(4, temperature: 0)).SelectMany(b => b.Rollouts).ToList();
        var cont = RolloutEngine.Continue(policy, part, Request(6, temperature: 0)).SelectMany(b => b.Rollouts).ToList();
        for (int i = 0; i < whole.Count; i++)
        {
            Assert.Equal(whole[i].CompletionTokens, cont[i].CompletionTokens);
            Near(whole[i].Logprobs!, cont[i].Logprobs!);
        }
    }

    [Fact]
    public void A_finished_completion_comes_back_unchanged_and_stale_scores_are_cleared()
    {
        using Policy policy = NewPolicy();
        List<Rollout> first = Sample(policy, 4);
        first[0].FinishReason = "stop";
        first[1].Reward = 1; first[1].Advantage = 0.5; first[1].LossMask = [0f, 0f, 1f, 1f];
        var cont = RolloutEngine.Continue(policy, first, Request(3)).SelectMany(b => b.Rollouts).ToList();
        Assert.Same(first[0], cont[0]);
        Assert.Null(cont[1].Reward);
        Assert.Null(cont[1].Advantage);
        Assert.Equal([0f, 0f, 1f, 1f, 1f, 1f, 1f], cont[1].LossMask!);
        Assert.Equal(1, first[1].Reward); // the input is not modified
    }

    [Fact]
    public void Continuing_under_a_temperature_and_truncation_keeps_the_parity_with_the_full_recomputation()
    {
        using Policy policy = NewPolicy();
        RolloutRequest Tempered(int maxNew, long seed)
        {
            RolloutRequest q = Request(maxNew, seed, temperature: 0.7);
            q.Sampling.TopK = 40; q.Sampling.TopP = 0.9;
            return q;
        }
        List<Rollout> first = RolloutEngine.Run(policy, Prompts(), Tempered(4, 11)).SelectMany(b => b.Rollouts).ToList();
        List<Rollout> cont = RolloutEngine.Continue(policy, first, Tempered(5, 12)).SelectMany(b => b.Rollouts).ToList();
        // The sampler's numbers are those of softmax(logits / 0.7) before truncation: Measure-RlLogProb -Temperature 0.7.
        var (lp, ent) = Recompute(policy, cont, 0.7);
        for (int i = 0; i < cont.Count; i++)
        {
            Assert.Equal(9, cont[i].CompletionTokens!.Length);
            Assert.Equal(first[i].CompletionTokens, cont[i].CompletionTokens![..4]);
            Near(lp[i], cont[i].Logprobs!);
            Near(ent[i], cont[i].Entropies!);
        }
    }

    [Fact]
    public void Continuing_from_an_empty_prefix_is_sampling_in_one_go()
    {
        // Same seed, same batch layout: the continuation draws exactly what one-go sampling draws.
        using Policy policy = NewPolicy();
        List<Rollout> whole = Sample(policy, 6, seed: 21);
        var empty = whole.Select(r => new Rollout
        {
            PromptId = r.PromptId, SampleIndex = r.SampleIndex, Prompt = r.Prompt, PromptTokens = r.PromptTokens,
            CompletionTokens = [], Completion = "", FinishReason = "length",
        }).ToList();
        List<Rollout> cont = RolloutEngine.Continue(policy, empty, Request(6, seed: 21)).SelectMany(b => b.Rollouts).ToList();
        for (int i = 0; i < whole.Count; i++)
        {
            Assert.Equal(whole[i].CompletionTokens, cont[i].CompletionTokens);
            Assert.Equal(whole[i].Logprobs, cont[i].Logprobs);
            Assert.Equal(whole[i].Completion, cont[i].Completion);
        }
    }

    [Fact]
    public void A_completion_that_ends_with_a_stop_token_is_whole_whatever_its_finish_reason()
    {
        using Policy policy = NewPolicy();
        List<Rollout> first = Sample(policy, 3);
        Rollout eos = first[0].Clone();
        eos.CompletionTokens = [.. eos.CompletionTokens!, ByteTokenizer.Eos];
        eos.FinishReason = null;
        Rollout stopId = first[1].Clone();
        stopId.CompletionTokens = [.. stopId.CompletionTokens![..2], 33];
        var req = Request(4);
        req.Sampling.IgnoreEos = false;
        req.Sampling.StopTokenIds = [33];
        var cont = RolloutEngine.Continue(policy, [eos, stopId, first[1]], req).SelectMany(b => b.Rollouts).ToList();
        Assert.Same(eos, cont[0]);
        Assert.Same(stopId, cont[1]);
        Assert.NotSame(first[1], cont[2]);
        Assert.Equal(first[1].CompletionTokens, cont[2].CompletionTokens![..3]);
        // With EOS ignored, a trailing EOS is an ordinary token and the completion goes on.
        var ignoring = Request(4);
        var goesOn = RolloutEngine.Continue(policy, [eos], ignoring).SelectMany(b => b.Rollouts).Single();
        Assert.Equal(eos.CompletionTokens!.Length + 4, goesOn.CompletionTokens!.Length);
    }

    [Fact]
    public void Continuing_a_record_with_text_but_no_completion_tokens_is_refused()
    {
        using Policy policy = NewPolicy();
        Rollout r = Sample(policy, 3)[0];
        r.CompletionTokens = null;
        var e = Assert.Throws<PromptException>(() => RolloutEngine.Continue(policy, [r], Request(3)).ToList());
        Assert.Equal("RolloutTokensMissing", e.ErrorId);
        Assert.Contains("completion_tokens", e.Message);
        Assert.Throws<PromptException>(() => RolloutEngine.Probe(policy, [r], Request(3), new ProbeRequest { Mode = CutMode.Positions, Positions = [0] }).ToList());
    }

    [Fact]
    public void Identical_prefixes_are_decoded_once_and_fanned_out()
    {
        using Policy policy = NewPolicy();
        List<Rollout> first = Sample(policy, 4);
        var twice = new List<Rollout> { first[0], first[1], first[0].Clone() };
        var deduped = RolloutEngine.Continue(policy, twice, Request(6, seed: 3)).SelectMany(b => b.Rollouts).ToList();
        var single = RolloutEngine.Continue(policy, first, Request(6, seed: 3)).SelectMany(b => b.Rollouts).ToList();
        Assert.Equal(3, deduped.Count);
        Assert.Equal(deduped[0].CompletionTokens, deduped[2].CompletionTokens);
        Assert.Equal(single[0].CompletionTokens, deduped[0].CompletionTokens);
        Assert.Equal(single[1].CompletionTokens, deduped[1].CompletionTokens);
        Assert.NotSame(deduped[0], deduped[2]);

        var req = Request(6, seed: 3);
        req.Dedup = false;
        var independent = RolloutEngine.Continue(policy, twice, req).SelectMany(b => b.Rollouts).ToList();
        Assert.Equal(3, independent.Count);
        Assert.NotEqual(independent[0].CompletionTokens, independent[2].CompletionTokens);
    }

    [Fact]
    public void Continuing_a_record_without_prompt_tokens_is_refused()
    {
        using Policy policy = NewPolicy();
        var r = new Rollout { PromptId = "x", Completion = "abc" };
        var e = Assert.Throws<PromptException>(() => RolloutEngine.Continue(policy, [r], Request(3)).ToList());
        Assert.Contains("prompt_tokens", e.Message);
    }

    [Theory]
    [InlineData(1, new[] { 1, 3, 4 })]
    [InlineData(2, new[] { 1, 4 })]
    [InlineData(5, new[] { 1 })]
    public void Low_probability_cuts_are_every_kth_token_below_the_threshold(int interval, int[] expected)
    {
        // p = 0.95, 0.5, 0.9 (exactly the threshold: not a cut), 0.1, 0.8
        float[] lp = [MathF.Log(0.95f), MathF.Log(0.5f), (float)Math.Log(0.9), MathF.Log(0.1f), MathF.Log(0.8f)];
        Assert.Equal(expected, RolloutEngine.LowProbabilityCuts(lp, 0.9, interval));
        Assert.Empty(RolloutEngine.LowProbabilityCuts([], 0.9, 1));
        Assert.Equal([0], RolloutEngine.LowProbabilityCuts([MathF.Log(0.2f)], 0.9, 1)); // the prompt state itself
    }

    [Fact]
    public void Step_cuts_follow_the_delimiter_and_never_the_last_token()
    {
        using Policy policy = NewPolicy();
        var r = new Rollout { PromptId = "s", CompletionTokens = Bytes.Encode("a.\n\nb.\n\nc.\n\n", false) };
        Assert.Equal([4, 8], RolloutEngine.Cuts(policy, r, new ProbeRequest { Mode = CutMode.Step }));
        Assert.Equal([4], RolloutEngine.Cuts(policy, r, new ProbeRequest { Mode = CutMode.Step, Interval = 2 }));
        Assert.Equal([0, 11], RolloutEngine.Cuts(policy, r, new ProbeRequest { Mode = CutMode.Positions, Positions = [11, 0, 12, -1, 0] }));
    }

    [Fact]
    public void Probes_continue_each_cut_and_record_where_they_cut()
    {
        using Policy policy = NewPolicy();
        List<Rollout> src = Sample(policy, 6);
        var probe = new ProbeRequest { Mode = CutMode.Positions, Positions = [0, 3], Samples = 2, Suffix = "=>" };
        var outp = RolloutEngine.Probe(policy, src, Request(4, seed: 2), probe).SelectMany(b => b.Rollouts).ToList();
        Assert.Equal(src.Count * 5, outp.Count);
        int[] suffix = Bytes.Encode("=>", false);
        for (int i = 0; i < src.Count; i++)
        {
            Rollout s = outp[i * 5];
            Assert.False(s.IsProbe);
            Assert.Equal([0, 3], s.CutPositions!);
            Assert.Equal($"{src[i].PromptId}/0", s.NodeId);
            Assert.Equal(src[i].CompletionTokens, s.CompletionTokens);
            Assert.Null(src[i].CutPositions); // the input is not modified
            var probes = outp.Skip(i * 5 + 1).Take(4).ToList();
            Assert.Equal(["a/0/c0/0", "a/0/c0/1", "a/0/c3/0", "a/0/c3/1"], probes.Select(p => p.NodeId!.Replace(src[i].PromptId + "/", "a/")));
            foreach (Rollout p in probes)
            {
                int c = p.CutPositions![0];
                Assert.True(p.IsProbe);
                Assert.Equal(s.NodeId, p.ParentId);
                Assert.Equal(src[i].CompletionTokens![..c], p.CompletionTokens![..c]);
                Assert.Equal(suffix, p.CompletionTokens![c..(c + 2)]);
                Assert.Equal(c + 2 + 4, p.CompletionTokens.Length);
                Assert.Equal(RolloutEngine.Mask(c + 6, c + 2), p.LossMask!);
                Assert.Equal(src[i].Answer, p.Answer);
            }
            var (lp, _) = Recompute(policy, probes);
            for (int k = 0; k < probes.Count; k++) Near(lp[k], probes[k].Logprobs!);
            Assert.NotEqual(probes[0].CompletionTokens, probes[1].CompletionTokens); // two samples, not one twice
        }
    }

    [Fact]
    public void An_answer_probe_teacher_forces_the_answer_after_the_suffix()
    {
        using Policy policy = NewPolicy();
        List<Rollout> src = Sample(policy, 6).Where(r => r.PromptId == "a").ToList(); // answer "2"
        src[0].Answer = "42";
        var probe = new ProbeRequest { Mode = CutMode.Positions, Positions = [2], Samples = 1, Suffix = "=", Answer = true };
        var outp = RolloutEngine.Probe(policy, [src[0]], Request(3, seed: 2), probe).SelectMany(b => b.Rollouts).ToList();
        Assert.Equal(3, outp.Count);
        Rollout a = outp[2];
        Assert.EndsWith("/c2/answer", a.NodeId);
        Assert.True(a.IsProbe);
        Assert.Equal([.. src[0].CompletionTokens![..2], .. Bytes.Encode("=42", false)], a.CompletionTokens!);
        Assert.Equal("length", a.FinishReason);
        Assert.Equal([0f, 0f, 0f, 1f, 1f], a.LossMask!);
        var (lp, _) = Recompute(policy, [a]);
        Near(lp[0], a.Logprobs!);
        // Without an answer there is no answer probe.
        src[0].Answer = null;
        Assert.Equal(2, RolloutEngine.Probe(policy, [src[0]], Request(3, seed: 2), probe).SelectMany(b => b.Rollouts).Count());
    }

    [Fact]
    public void Probing_a_duplicate_record_reuses_its_samples()
    {
        using Policy policy = NewPolicy();
        List<Rollout> src = Sample(policy, 5);
        var probe = new ProbeRequest { Mode = CutMode.Positions, Positions = [2], Samples = 2 };
        var one = RolloutEngine.Probe(policy, [src[0]], Request(3, seed: 4), probe).SelectMany(b => b.Rollouts).ToList();
        var two = RolloutEngine.Probe(policy, [src[0], src[0].Clone()], Request(3, seed: 4), probe).SelectMany(b => b.Rollouts).ToList();
        Assert.Equal(6, two.Count);
        for (int k = 1; k <= 2; k++)
        {
            Assert.Equal(one[k].CompletionTokens, two[k].CompletionTokens);
            Assert.Equal(one[k].CompletionTokens, two[3 + k].CompletionTokens);
        }
    }

    [Fact]
    public void A_tree_has_the_asked_shape_and_each_node_extends_its_parent()
    {
        using Policy policy = NewPolicy();
        var tree = new TreeRequest { Branching = [2, 3], SegmentTokens = 3 };
        var nodes = RolloutEngine.Tree(policy, Prompts(), Request(7, batch: 4), tree).SelectMany(b => b.Rollouts).ToList();
        Assert.Equal(2 * (2 + 6), nodes.Count);
        foreach (var g in nodes.GroupBy(n => n.PromptId))
        {
            var list = g.ToList();
            Assert.Equal(Enumerable.Range(0, 8), list.Select(n => n.SampleIndex).Order());
            var byId = list.ToDictionary(n => n.NodeId!);
            Assert.Equal([$"{g.Key}/0", $"{g.Key}/1"], list.Where(n => n.Depth == 0).Select(n => n.NodeId!));
            foreach (Rollout n in list)
            {
                if (n.Depth == 0)
                {
                    Assert.Null(n.ParentId);
                    Assert.Empty(n.CutPositions!);
                    Assert.Null(n.LossMask);
                    Assert.Equal(3, n.CompletionTokens!.Length);
                    continue;
                }
                Rollout parent = byId[n.ParentId!];
                Assert.Equal(1, n.Depth);
                Assert.StartsWith(parent.NodeId + "/", n.NodeId);
                Assert.Equal([3], n.CutPositions!);
                Assert.Equal(parent.CompletionTokens, n.CompletionTokens![..3]);
                Assert.Equal(7, n.CompletionTokens.Length); // the last depth runs to the budget
                Assert.Equal(RolloutEngine.Mask(7, 3), n.LossMask!);
            }
            var (lp, _) = Recompute(policy, list);
            for (int k = 0; k < list.Count; k++) Near(lp[k], list[k].Logprobs!);
        }
    }

    [Fact]
    public void A_node_that_finished_has_no_children()
    {
        using Policy policy = NewPolicy();
        // A budget equal to the segment length: depth 0 uses it all, so no node can branch.
        var nodes = RolloutEngine.Tree(policy, Prompts(), Request(3), new TreeRequest { Branching = [2, 2], SegmentTokens = 3 })
            .SelectMany(b => b.Rollouts).ToList();
        Assert.Equal(4, nodes.Count);
        Assert.All(nodes, n => Assert.Equal(0, n.Depth));
    }

    [Theory]
    [InlineData(10, 0.25, 3)]
    [InlineData(10, 0.0, 0)]
    [InlineData(10, 1.0, 10)]
    [InlineData(3, 0.5, 2)]
    [InlineData(10, 0.3, 3)]
    public void Hint_length_is_the_ceiling_of_ratio_times_length(int length, double ratio, int expected)
        => Assert.Equal(expected, RolloutEngine.HintLength(length, ratio));

    [Fact]
    public void Hinted_rollouts_start_with_the_reference_prefix_masked_out_of_the_loss()
    {
        using Policy policy = NewPolicy();
        int[] solution = Bytes.Encode("1+1 is 2", false);
        var req = Request(4, group: 2);
        req.HintTokens = [solution, null];
        req.HintRatio = 0.5;
        req.HintSamples = 1;
        var rs = RolloutEngine.Run(policy, Prompts(), req).SelectMany(b => b.Rollouts).ToList();
        Rollout hinted = rs.Single(r => r.PromptId == "a" && r.SampleIndex == 0);
        Assert.True(hinted.IsHint);
        Assert.Equal(0.5, hinted.HintRatio);
        Assert.Equal(solution[..4], hinted.CompletionTokens![..4]);
        Assert.Equal(8, hinted.CompletionTokens.Length);
        Assert.Equal(RolloutEngine.Mask(8, 4), hinted.LossMask!);
        Assert.StartsWith("1+1 ", hinted.Completion);
        var (lp, _) = Recompute(policy, [hinted]);
        Near(lp[0], hinted.Logprobs!);
        foreach (Rollout r in rs.Where(r => r != hinted))
        {
            Assert.False(r.IsHint);
            Assert.Null(r.HintRatio);
            Assert.Null(r.LossMask);
            Assert.Equal(4, r.CompletionTokens!.Length);
        }
    }

    [Fact]
    public void Adaptive_temperature_statistics_by_hand()
    {
        // ln H = 0, 1, 2; pivot (median, nearest) = 1; s = √(2/3); h = ∓1.2247, so both scales are 1.2247.
        var t = AdaptiveTemperature.FromEntropies([[1f, MathF.E], [MathF.Exp(2)]], tau: 0.1, pivotQuantile: 0.5);
        Assert.Equal(1, t.Pivot, 6);
        Assert.Equal(Math.Sqrt(2.0 / 3), t.Scale, 6);
        Assert.Equal(1, t.NormalizedEntropy(Math.Exp(2)), 5);
        Assert.Equal(-1, t.NormalizedEntropy(1), 5);
        Assert.Equal(0.5, t.NormalizedEntropy(Math.Exp(1.5)), 5);   // (0.5 / 0.8165) / 1.2247
        Assert.Equal(1, t.NormalizedEntropy(Math.Exp(9)), 6);       // clamped
        Assert.False(AdaptiveTemperature.FromEntropies([]).HasStatistics);
        Assert.Equal(0, AdaptiveTemperature.FromEntropies([[2f, 2f]]).NormalizedEntropy(5)); // all equal: s = 0
    }

    [Fact]
    public void Adaptive_temperature_is_recorded_and_the_logprobs_are_the_samplers()
    {
        using Policy policy = NewPolicy();
        var model = (DecoderLM)policy.Model;
        List<Rollout> previous = Sample(policy, 8);
        var adaptive = AdaptiveTemperature.FromEntropies(previous.Select(r => r.Entropies!), tau: 0.3, pivotQuantile: 0.5);
        var req = Request(8, temperature: 0.9);
        req.Extras = new DecodeExtras { Temperature = adaptive };
        var rs = RolloutEngine.Run(policy, Prompts(), req).SelectMany(b => b.Rollouts).ToList();
        var (_, baseEnt) = Recompute(policy, rs, temperature: 0.9);
        bool varied = false;
        foreach (Rollout r in rs)
        {
            Assert.Equal(r.CompletionLength, r.Temperatures!.Length);
            float[] logits = Logits(model, r);
            int v = (int)model.VocabSize, p = r.PromptTokens!.Length;
            for (int j = 0; j < r.CompletionLength; j++)
            {
                double expectedT = 0.9 * (1 + 0.3 * adaptive.NormalizedEntropy(baseEnt[rs.IndexOf(r)][j]));
                Assert.Equal(expectedT, r.Temperatures[j], 3);
                varied |= Math.Abs(r.Temperatures[j] - 0.9) > 1e-3;
                // log softmax(logits / T_t) of the sampled token, by hand
                double max = double.NegativeInfinity, sum = 0;
                for (int k = 0; k < v; k++) max = Math.Max(max, logits[(p - 1 + j) * v + k] / r.Temperatures[j]);
                for (int k = 0; k < v; k++) sum += Math.Exp(logits[(p - 1 + j) * v + k] / r.Temperatures[j] - max);
                double lp = logits[(p - 1 + j) * v + r.CompletionTokens![j]] / r.Temperatures[j] - max - Math.Log(sum);
                Assert.True(Math.Abs(lp - r.Logprobs![j]) < 2e-3, $"{lp} vs {r.Logprobs[j]}");
            }
        }
        Assert.True(varied);
    }

    [Fact]
    public void Without_previous_statistics_the_temperature_is_the_base_one()
    {
        using Policy policy = NewPolicy();
        var req = Request(5, temperature: 0.8);
        var plain = RolloutEngine.Run(policy, Prompts(), req).SelectMany(b => b.Rollouts).ToList();
        req.Extras = new DecodeExtras { Temperature = AdaptiveTemperature.FromEntropies([]) };
        var adaptive = RolloutEngine.Run(policy, Prompts(), req).SelectMany(b => b.Rollouts).ToList();
        for (int i = 0; i < plain.Count; i++)
        {
            Assert.All(adaptive[i].Temperatures!, t => Assert.Equal(0.8f, t, 5));
            Assert.Equal(plain[i].CompletionTokens, adaptive[i].CompletionTokens);
            Near(plain[i].Logprobs!, adaptive[i].Logprobs!, 1e-5);
        }
    }

    /// <summary>Full-sequence logits [(P + T) × V] of a record (no cache).</summary>
    private static float[] Logits(DecoderLM model, Rollout r)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long[] ids = r.PromptTokens!.Concat(r.CompletionTokens!).Select(x => (long)x).ToArray();
        return model.Forward(tensor(ids, new long[] { 1, ids.Length })).cpu().data<float>().ToArray();
    }

    [Fact]
    public void Effective_rank_of_a_matrix_with_known_singular_values()
    {
        // Centred rows with HᵀH = diag(2, 8): σ = √2, 2√2, p = 1/3, 2/3, ER = exp(H(1/3, 2/3)) = 1.88988.
        using var h = tensor(new double[] { 1, 0, -1, 0, 0, 2, 0, -2 }, new long[] { 4, 2 });
        Assert.Equal(Math.Exp(-(Math.Log(1.0 / 3) / 3 + 2 * Math.Log(2.0 / 3) / 3)), EffectiveRank.Of(h), 5);
        // A rank-one spread: ER 1. Shifting every row by a constant changes nothing (rows are centred).
        using var line = tensor(new double[] { 1, 2, 2, 4, 3, 6, 10, 11 }, new long[] { 4, 2 });
        using var one = tensor(new double[] { 5, 5, 6, 6, 7, 7 }, new long[] { 3, 2 });
        Assert.Equal(1, EffectiveRank.Of(one), 5);
        Assert.Equal(EffectiveRank.Of(line), EffectiveRank.Of(line + 3), 9);
    }

    [Fact]
    public void Velocity_and_acceleration_are_the_mean_differences_of_the_prefix_ranks()
    {
        var rnd = new Random(1);
        List<float[]> rows = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, 5).Select(__ => (float)rnd.NextDouble()).ToArray()).ToList();
        double M(int t)
        {
            using var m = tensor(rows.Take(t).SelectMany(x => x).Select(x => (double)x).ToArray(), new long[] { t, 5 });
            return EffectiveRank.Of(m);
        }
        // Stride 3 over 8 tokens: prefixes 3, 6, then the whole window (6 < 7 = T - 1).
        double m1 = M(3), m2 = M(6), m3 = M(8);
        double d2 = m2 - m1, d3 = m3 - (m1 + m2) / 2;
        var (er, erv, era) = EffectiveRank.Measure(rows, 5, 3);
        Assert.Equal(m3, er, 9);
        Assert.Equal((d2 + d3) / 2, erv, 9);
        Assert.Equal(d3 - d2, era, 9);
        // Stride 4 over 8: prefixes 4, 8 (8 reaches the end: no extra); one difference, no acceleration.
        var (_, v4, a4) = EffectiveRank.Measure(rows, 5, 4);
        Assert.Equal(M(8) - M(4), v4, 9);
        Assert.Equal(0, a4);
        // Shorter than 2s: both 0.
        var (er3, v3, a3) = EffectiveRank.Measure(rows.Take(3).ToList(), 5, 2);
        Assert.Equal(M(3), er3, 9);
        Assert.Equal(0, v3); // one prefix (2; it reaches T - 1 = 2, so the whole window is not added): no difference
        Assert.Equal(0, a3);
        Assert.Equal((0.0, 0.0, 0.0), EffectiveRank.Measure(rows.Take(1).ToList(), 5, 2));
    }

    [Fact]
    public void The_engine_reduces_the_final_hidden_states_it_sampled_from()
    {
        using Policy policy = NewPolicy();
        var model = (DecoderLM)policy.Model;
        var req = Request(12);
        req.Extras = new DecodeExtras { Rank = new EffectiveRankOptions { Stride = 4, Window = 10 } };
        var rs = RolloutEngine.Run(policy, Prompts(), req).SelectMany(b => b.Rollouts).ToList();
        foreach (Rollout r in rs)
        {
            // The states that predicted each completion token: positions P-1 .. P+T-2 of a full forward, first 10 kept.
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            long[] ids = r.PromptTokens!.Concat(r.CompletionTokens!).Select(x => (long)x).ToArray();
            Tensor idT = tensor(ids, new long[] { 1, ids.Length });
            Tensor mask = ones(1, ids.Length, ScalarType.Int64);
            Tensor h = model.Hidden(idT, mask, arange(ids.Length, ScalarType.Int64).unsqueeze(0), null, allReal: true);
            int p = r.PromptTokens!.Length, d = (int)model.Config.HiddenSize;
            float[] host = h.squeeze(0).narrow(0, p - 1, 10).contiguous().data<float>().ToArray();
            var states = Enumerable.Range(0, 10).Select(j => host.AsSpan(j * d, d).ToArray()).ToList();
            var (er, erv, era) = EffectiveRank.Measure(states, d, 4);
            Assert.Equal(er, r.EffectiveRank!.Value, 3);
            Assert.Equal(erv, r.EffectiveRankVelocity!.Value, 3);
            Assert.Equal(era, r.EffectiveRankAcceleration!.Value, 3);
            Assert.True(er > 1);
        }
    }
}
