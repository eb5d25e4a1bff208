using RlTools.Core.Records;
using RlTools.Torch.Models;

namespace RlTools.Torch.Generation;

/// <summary>Where a probe cuts a completion (<see cref="ProbeRequest"/>).</summary>
public enum CutMode
{
    /// <summary>SPO: before every token whose sampling probability is below the threshold (every k-th such token).</summary>
    LowProbability,
    /// <summary>SPAE: after every token at which the completion text so far ends with the step delimiter.</summary>
    Step,
    /// <summary>At the positions given.</summary>
    Positions,
}

/// <summary>What a probe does (SPO's Monte-Carlo values, SPAE's step probes).</summary>
public sealed class ProbeRequest
{
    public CutMode Mode { get; set; } = CutMode.LowProbability;
    /// <summary>ρ: a token with exp(logprob) below it is a cut candidate (SPO's 0.9).</summary>
    public double Threshold { get; set; } = 0.9;
    /// <summary>k: keep every k-th candidate, starting with the first (SPO's cutpoint interval).</summary>
    public int Interval { get; set; } = 1;
    /// <summary>The step delimiter for <see cref="CutMode.Step"/> (SPAE's ".\n\n").</summary>
    public string Delimiter { get; set; } = ".\n\n";
    /// <summary>The cuts for <see cref="CutMode.Positions"/> (positions outside 0..length-1 are ignored).</summary>
    public IReadOnlyList<int> Positions { get; set; } = [];
    /// <summary>N: continuations per cut.</summary>
    public int Samples { get; set; } = 4;
    /// <summary>Text forced after the prefix before sampling (SPAE: "**Final Answer**\n\\boxed{"); null: none.</summary>
    public string? Suffix { get; set; }
    /// <summary>
    /// Also one teacher-forced answer probe per cut: prefix + suffix + the record's answer tokens, nothing sampled
    /// (SPAE's correctness, the mean probability of the ground-truth answer tokens, reads its log-probs where loss_mask is 1).
    /// </summary>
    public bool Answer { get; set; }
}

/// <summary>A segment tree per prompt (SPO-tree).</summary>
public sealed class TreeRequest
{
    /// <summary>Branching factor per depth (D = its length; SPO's default 6, 6, 6).</summary>
    public IReadOnlyList<int> Branching { get; set; } = [6, 6, 6];
    /// <summary>M: tokens per segment below the last depth; the last depth runs to <see cref="SamplingOptions.MaxNewTokens"/> in all.</summary>
    public int SegmentTokens { get; set; } = 100;
}

public static partial class RolloutEngine
{
    /// <summary>
    /// Continues every record from its <c>completion_tokens</c> by up to <see cref="SamplingOptions.MaxNewTokens"/> new
    /// tokens (a whole completion, one that finished with <c>stop</c> or ends with a stop token, comes back unchanged,
    /// the same object). The prefix is
    /// teacher-forced, so log-probs and entropies cover the whole completion exactly as sampling it in one go would.
    /// With <see cref="RolloutRequest.Dedup"/>, records with identical prompt and completion tokens are decoded once and
    /// each gets a copy of that continuation. Records come back in input order; stale scores (reward, rewards, advantage,
    /// token advantages, reference log-probs, values) are cleared, a loss mask is extended with ones.
    /// </summary>
    public static IEnumerable<RolloutBatch> Continue(Policy policy, IReadOnlyList<Rollout> records, RolloutRequest request)
    {
        DecoderLM model = Check(policy, request);
        foreach (Rollout r in records) Tokens(r);
        long baseSeed = request.Seed ?? Random.Shared.NextInt64();
        var keyOf = new int[records.Count];
        var rows = new List<DecodeRow>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < records.Count; i++)
        {
            Rollout r = records[i];
            keyOf[i] = Finished(policy, request, r) ? -1 : Row(rows, index, request.Dedup, r.PromptTokens!, r.CompletionTokens ?? [], [], 1, null);
        }
        int next = 0;
        return Batches(policy, model, request, baseSeed, rows, results =>
        {
            var ready = new List<Rollout>();
            for (; next < records.Count && (keyOf[next] < 0 || results[keyOf[next]] is not null); next++)
                ready.Add(keyOf[next] < 0 ? records[next] : Continued(records[next], results[keyOf[next]]!));
            return (ready, next, records.Count);
        });
    }

    /// <summary>
    /// Probes every record at its cut points (<see cref="ProbeRequest"/>): <see cref="ProbeRequest.Samples"/> continuations
    /// of up to <see cref="SamplingOptions.MaxNewTokens"/> new tokens from each prefix (plus the forced suffix). Each
    /// source record comes back first (a copy with <c>cut_positions</c> = its cuts and a <c>node_id</c> when it had none),
    /// then its probe records (<c>is_probe</c>, <c>parent_id</c> = the source's node id, <c>node_id</c> "parent/c&lt;cut&gt;/&lt;n&gt;",
    /// <c>cut_positions</c> = [c], <c>loss_mask</c> 0 on prefix and suffix), and with <see cref="ProbeRequest.Answer"/> the
    /// answer probe "parent/c&lt;cut&gt;/answer" (finish_reason length, loss_mask 1 on the answer tokens only). Identical
    /// prefixes are sampled once and fanned out (SPO dedup).
    /// </summary>
    public static IEnumerable<RolloutBatch> Probe(Policy policy, IReadOnlyList<Rollout> records, RolloutRequest request, ProbeRequest probe)
    {
        DecoderLM model = Check(policy, request);
        if (probe.Samples < 1) throw new ArgumentException("A probe needs at least 1 sample per cut.", nameof(probe));
        if (probe.Interval < 1) throw new ArgumentException("The probe interval must be at least 1.", nameof(probe));
        if (probe.Mode == CutMode.Step && string.IsNullOrEmpty(probe.Delimiter)) throw new ArgumentException("The step delimiter must not be empty.", nameof(probe));
        foreach (Rollout r in records) Tokens(r);
        int[] suffix = string.IsNullOrEmpty(probe.Suffix) ? [] : policy.Tokenizer.Encode(probe.Suffix, addSpecialTokens: false);
        long baseSeed = request.Seed ?? Random.Shared.NextInt64();
        var rows = new List<DecodeRow>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var cuts = new int[records.Count][];
        var first = new int[records.Count][];
        var answerRow = new int[records.Count][];
        for (int i = 0; i < records.Count; i++)
        {
            Rollout r = records[i];
            int[] completion = r.CompletionTokens ?? [];
            cuts[i] = Cuts(policy, r, probe);
            first[i] = new int[cuts[i].Length];
            answerRow[i] = new int[cuts[i].Length];
            int[]? answer = probe.Answer && !string.IsNullOrEmpty(r.Answer) ? policy.Tokenizer.Encode(r.Answer, addSpecialTokens: false) : null;
            for (int k = 0; k < cuts[i].Length; k++)
            {
                first[i][k] = Row(rows, index, request.Dedup, r.PromptTokens!, completion[..cuts[i][k]], suffix, probe.Samples, null);
                answerRow[i][k] = answer is null ? -1 : Row(rows, index, request.Dedup, r.PromptTokens!, completion[..cuts[i][k]], [.. suffix, .. answer], 1, 0);
            }
        }
        int next = 0;
        return Batches(policy, model, request, baseSeed, rows, results =>
        {
            var ready = new List<Rollout>();
            for (; next < records.Count; next++)
            {
                int i = next;
                if (!first[i].All(f => Enumerable.Range(f, probe.Samples).All(x => results[x] is not null))
                    || !answerRow[i].All(a => a < 0 || results[a] is not null)) break;
                Rollout src = records[i].Clone();
                src.NodeId ??= $"{src.PromptId}/{src.SampleIndex}";
                src.CutPositions = cuts[i];
                ready.Add(src);
                for (int k = 0; k < cuts[i].Length; k++)
                {
                    for (int n = 0; n < probe.Samples; n++)
                        ready.Add(ProbeRecord(src, cuts[i][k], $"{n}", results[first[i][k] + n]!, c => c.ForcedCount));
                    if (answerRow[i][k] >= 0)
                        ready.Add(ProbeRecord(src, cuts[i][k], "answer", results[answerRow[i][k]]!, c => cuts[i][k] + suffix.Length));
                }
            }
            return (ready, next, records.Count);
        });
    }

    /// <summary>A probe record of <paramref name="src"/> at <paramref name="cut"/>: loss_mask 0 before <paramref name="trained"/>'s position.</summary>
    private static Rollout ProbeRecord(Rollout src, int cut, string name, Completion c, Func<Completion, int> trained)
    {
        var pr = new Rollout
        {
            PromptId = src.PromptId, SampleIndex = src.SampleIndex, Prompt = src.Prompt, Answer = src.Answer,
            PromptTokens = (int[])src.PromptTokens!.Clone(), Step = src.Step,
            Metadata = RlTools.Core.IO.JsonValues.CloneMap(src.Metadata),
            IsProbe = true, ParentId = src.NodeId, NodeId = $"{src.NodeId}/c{cut}/{name}", CutPositions = [cut],
        };
        Fill(pr, c);
        pr.LossMask = Mask(c.Tokens.Length, trained(c));
        return pr;
    }

    /// <summary>The cut positions of <paramref name="r"/> under <paramref name="probe"/>, ascending and distinct, each in 0..length-1.</summary>
    public static int[] Cuts(Policy policy, Rollout r, ProbeRequest probe)
    {
        int[] tokens = r.CompletionTokens ?? [];
        switch (probe.Mode)
        {
            case CutMode.LowProbability:
                if (r.Logprobs is not { } lp || lp.Length != tokens.Length)
                    throw new ArgumentException($"Rollout '{r.PromptId}' #{r.SampleIndex} has no logprobs for its {tokens.Length} completion tokens; low-probability cuts need them.");
                return LowProbabilityCuts(lp, probe.Threshold, probe.Interval);
            case CutMode.Step:
            {
                var cuts = new List<int>();
                var text = new System.Text.StringBuilder();
                int vocab = policy.Tokenizer.VocabSize;
                for (int j = 0; j < tokens.Length - 1; j++)
                {
                    if (tokens[j] < vocab) text.Append(policy.Tokenizer.Decode(new[] { tokens[j] }, skipSpecialTokens: true));
                    if (EndsWith(text, probe.Delimiter)) cuts.Add(j + 1);
                }
                return Every(cuts, probe.Interval);
            }
            default:
                return Every(probe.Positions.Where(c => c >= 0 && c < tokens.Length).Distinct().Order().ToList(), probe.Interval);
        }
    }

    /// <summary>SPO's cutpoints: every position j with exp(logprobs[j]) &lt; <paramref name="threshold"/> (the prefix ends just before the low-probability token), every <paramref name="interval"/>-th one starting with the first.</summary>
    public static int[] LowProbabilityCuts(float[] logprobs, double threshold, int interval)
    {
        var cuts = new List<int>();
        for (int j = 0; j < logprobs.Length; j++)
            if (Math.Exp(logprobs[j]) < threshold) cuts.Add(j);
        return Every(cuts, interval);
    }

    private static int[] Every(List<int> candidates, int k)
    {
        var kept = new List<int>();
        for (int i = 0; i < candidates.Count; i += k) kept.Add(candidates[i]);
        return kept.ToArray();
    }

    private static bool EndsWith(System.Text.StringBuilder text, string s)
    {
        if (text.Length < s.Length) return false;
        for (int i = 0; i < s.Length; i++)
            if (text[text.Length - s.Length + i] != s[i]) return false;
        return true;
    }

    /// <summary>
    /// A segment tree per prompt (SPO-tree): depth d has <c>Branching[d]</c> children per open node; segments below the
    /// last depth hold at most <see cref="TreeRequest.SegmentTokens"/> tokens, the last depth runs to the end (at most
    /// <see cref="SamplingOptions.MaxNewTokens"/> tokens in all). A node that finished (stop, or the budget) has no
    /// children. One record per node, parents first: its whole path as the completion, <c>loss_mask</c> 0 on the
    /// ancestors' tokens, <c>node_id</c>, <c>parent_id</c>, <c>depth</c> and <c>cut_positions</c> (segment starts).
    /// </summary>
    public static IEnumerable<RolloutBatch> Tree(Policy policy, IReadOnlyList<PromptRecord> prompts, RolloutRequest request, TreeRequest tree)
    {
        DecoderLM model = Check(policy, request);
        if (tree.Branching.Count == 0 || tree.Branching.Any(x => x < 1)) throw new ArgumentException("A tree needs at least one branching factor, each at least 1.", nameof(tree));
        if (tree.SegmentTokens < 1) throw new ArgumentException("Segments need at least 1 token.", nameof(tree));
        long baseSeed = request.Seed ?? Random.Shared.NextInt64();
        var (texts, ids) = Encode(policy, prompts, request);
        return TreeLevels(policy, model, prompts, request, tree, baseSeed, texts, ids);
    }

    private sealed record TreeNode(int Prompt, string Id, int[] Tokens, int[] Cuts, string Finish);

    private static IEnumerable<RolloutBatch> TreeLevels(Policy policy, DecoderLM model, IReadOnlyList<PromptRecord> prompts, RolloutRequest request,
        TreeRequest tree, long baseSeed, string[] texts, int[][] ids)
    {
        int depthCount = tree.Branching.Count, budget = request.Sampling.MaxNewTokens;
        long upper = 0, per = 1;
        foreach (int f in tree.Branching) { per *= f; upper += per; }
        int total = (int)Math.Min(int.MaxValue, upper * prompts.Count);
        var sampleIndex = new int[prompts.Count];
        var parents = new List<TreeNode>();
        for (int p = 0; p < prompts.Count; p++) parents.Add(new TreeNode(p, prompts[p].Id, [], [], "length"));
        int batchCounter = 0, done = 0;
        for (int depth = 0; depth < depthCount && parents.Count > 0; depth++)
        {
            var jobs = new List<(TreeNode Parent, int Child, DecodeRow Row)>();
            foreach (TreeNode parent in parents)
            {
                int left = budget - parent.Tokens.Length;
                int take = depth < depthCount - 1 ? Math.Min(tree.SegmentTokens, left) : left;
                for (int c = 0; c < tree.Branching[depth]; c++)
                    jobs.Add((parent, c, new DecodeRow { Prompt = ids[parent.Prompt], Forced = parent.Tokens, MaxNewTokens = take }));
            }
            var children = new List<TreeNode>();
            for (int first = 0; first < jobs.Count; first += request.BatchSize)
            {
                int n = Math.Min(request.BatchSize, jobs.Count - first);
                Completion[] out_ = Decode(policy, model, jobs.GetRange(first, n).Select(j => j.Row).ToList(), request, MixSeed(baseSeed, batchCounter++));
                var batch = new Rollout[n];
                for (int r = 0; r < n; r++)
                {
                    var (parent, child, _) = jobs[first + r];
                    Completion c = out_[r];
                    PromptRecord pr = prompts[parent.Prompt];
                    var node = new TreeNode(parent.Prompt, $"{parent.Id}/{child}", c.Tokens, depth == 0 ? [] : [.. parent.Cuts, parent.Tokens.Length], c.FinishReason);
                    var ro = new Rollout
                    {
                        PromptId = pr.Id, SampleIndex = sampleIndex[parent.Prompt]++, Prompt = texts[parent.Prompt], Answer = pr.Answer,
                        PromptTokens = (int[])ids[parent.Prompt].Clone(), Step = policy.Step,
                        Metadata = new Dictionary<string, object?>(pr.Metadata, StringComparer.Ordinal),
                        NodeId = node.Id, ParentId = depth == 0 ? null : parent.Id, Depth = depth, CutPositions = node.Cuts,
                    };
                    Fill(ro, c);
                    if (depth > 0) ro.LossMask = Mask(c.Tokens.Length, parent.Tokens.Length);
                    batch[r] = ro;
                    if (c.FinishReason == "length" && c.Tokens.Length < budget) children.Add(node);
                }
                done += n;
                yield return new RolloutBatch(batch, batchCounter - 1, batchCounter, done, Math.Max(done, total));
            }
            parents = children;
        }
    }

    /// <summary>
    /// Adds the decode rows for (prompt, prefix + suffix) × <paramref name="samples"/> unless <paramref name="dedup"/> finds
    /// them already there; returns the index of the first of them.
    /// </summary>
    private static int Row(List<DecodeRow> rows, Dictionary<string, int> index, bool dedup, int[] prompt, int[] prefix, int[] suffix, int samples, int? maxNew)
    {
        string key = Key(prompt, prefix, suffix) + "|" + maxNew;
        if (dedup && index.TryGetValue(key, out int at)) return at;
        at = rows.Count;
        if (dedup) index[key] = at;
        int[] forced = suffix.Length == 0 ? prefix : [.. prefix, .. suffix];
        for (int n = 0; n < samples; n++) rows.Add(new DecodeRow { Prompt = prompt, Forced = forced, MaxNewTokens = maxNew });
        return at;
    }

    /// <summary>
    /// Decodes <paramref name="rows"/> batch by batch (batch i seeded with MixSeed(seed, i)); after each batch
    /// <paramref name="drain"/> turns the results so far into the records that are ready (and says how far it got).
    /// </summary>
    private static IEnumerable<RolloutBatch> Batches(Policy policy, DecoderLM model, RolloutRequest request, long baseSeed, List<DecodeRow> rows,
        Func<Completion?[], (List<Rollout> Ready, int Done, int Total)> drain)
    {
        var results = new Completion?[rows.Count];
        int batches = Math.Max(1, (rows.Count + request.BatchSize - 1) / request.BatchSize);
        for (int bi = 0; bi < batches; bi++)
        {
            int first = bi * request.BatchSize, n = Math.Min(request.BatchSize, rows.Count - first);
            if (n > 0)
            {
                Completion[] done = Decode(policy, model, rows.GetRange(first, n), request, MixSeed(baseSeed, bi));
                for (int r = 0; r < n; r++) results[first + r] = done[r];
            }
            var (ready, count, total) = drain(results);
            yield return new RolloutBatch(ready, bi, batches, count, total);
        }
    }

    private static Rollout Continued(Rollout src, Completion c)
    {
        Rollout r = src.Clone();
        int old = src.CompletionTokens?.Length ?? 0;
        Fill(r, c);
        if (src.LossMask is { } m && m.Length == old)
        {
            var mask = new float[c.Tokens.Length];
            Array.Copy(m, mask, old);
            for (int j = old; j < mask.Length; j++) mask[j] = 1f;
            r.LossMask = mask;
        }
        r.Reward = null; r.Rewards = null; r.Advantage = null; r.TokenAdvantages = null; r.RefLogprobs = null; r.Values = null;
        return r;
    }

    /// <summary>
    /// True when <paramref name="r"/> is a whole completion: it finished with <c>stop</c>, or its last token is one the
    /// sampler stops on (EOS unless ignored, the request's and the policy's stop ids), whatever its finish_reason says.
    /// </summary>
    private static bool Finished(Policy policy, RolloutRequest request, Rollout r)
    {
        if (r.FinishReason == "stop") return true;
        if (r.CompletionTokens is not { Length: > 0 } t) return false;
        int last = t[^1];
        return (!request.Sampling.IgnoreEos && policy.Tokenizer.EosTokenId == last)
            || request.Sampling.StopTokenIds.Contains(last) || policy.StopTokenIds.Contains(last);
    }

    /// <summary>Checks that a record carries what continuing or probing needs.</summary>
    private static void Tokens(Rollout r)
    {
        if (r.PromptTokens is not { Length: > 0 })
            throw new PromptException(r.PromptId, $"Rollout '{r.PromptId}' #{r.SampleIndex} has no prompt_tokens; continue or probe rollouts that Invoke-RlRollout produced (they carry their tokens).", "RolloutTokensMissing");
        if (r.CompletionTokens is null && !string.IsNullOrEmpty(r.Completion))
            throw new PromptException(r.PromptId, $"Rollout '{r.PromptId}' #{r.SampleIndex} has completion text but no completion_tokens, so its prefix is unknown; continue or probe rollouts that Invoke-RlRollout produced (they carry their tokens).", "RolloutTokensMissing");
    }

    private static string Key(int[] prompt, int[] completion, int[] suffix)
        => string.Join(',', prompt) + "|" + string.Join(',', completion) + "|" + string.Join(',', suffix);
}
