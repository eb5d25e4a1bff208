using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// SPO-tree, the tree variant of segment policy optimisation (Guo et al., arXiv 2505.23564; code
/// AIFrameResearch/SPO <c>hybrid_inference_strategy.py</c>, <c>tree_episode_generator.py</c>).
/// <para>Input: one record per tree node (<c>Invoke-RlRollout -Tree</c>): <c>node_id</c>, <c>parent_id</c>
/// (null for depth 0: the parent is the prompt, the virtual root), <c>depth</c>; <c>completion_tokens</c> hold
/// the node's whole path with <c>loss_mask</c> 0 on the ancestors' tokens, so each record is one edge sample
/// (query = parent's text, response = the node's segment). A node no record names as parent is a leaf.</para>
/// <para>Values: V(leaf) = its reward (the verifier score of the full response, or of the truncated text
/// at the last level); V(internal) = mean of its children's values; V(root) = mean of the depth-0 values.
/// The rewards of internal nodes are not read.</para>
/// <para>Edge advantage: <c>Method=rloo</c> (default) A(n) = V(n) − V(parent(n)); <c>Method=grpo</c>
/// A(n) = (V(n) − V(parent(n))) / (σ(values of parent's children) + 1e-8). Every loss_mask-1 token of the
/// record gets A(n) (0 elsewhere); the optional probability mask and the batch whitening are SPO-chain's
/// (<see cref="SpoEstimator"/>). <c>advantage</c> is the mean over the record's loss_mask-1 tokens.
/// SPO drops edges with A = 0 from training; here they keep advantage 0 (filter with
/// <c>Where-Object Advantage -ne 0</c> to reproduce the drop).</para>
/// </summary>
public sealed class SpoTreeEstimator : AdvantageEstimatorBase
{
    public override string Name => "SPOTree";
    public override string Summary => "tree node advantages V(node) − V(parent), values = mean of children (leaves: reward); optional std scaling; edges as samples";
    public override string Source => "Guo et al. 2025, SPO (SPO-tree); code AIFrameResearch/SPO";
    public override string ArxivId => "2505.23564";
    public override AdvantageLevel Level => AdvantageLevel.Token;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.Tree;
    public override string? Assumptions => "The std of Method=grpo is the population std of the parent's child values (UnbiasedStd=false; numpy's default); a parent with one child has std 0.";

    [AdvantageParameter("'rloo' (V(n) − V(parent), code default) or 'grpo' (divided by the std of the parent's children + ε).", Allowed = new[] { "rloo", "grpo" })]
    public string Method { get; set; } = "rloo";

    [AdvantageParameter("ε added to the std of Method=grpo (1e-8).")]
    public double Epsilon { get; set; } = 1e-8;

    [AdvantageParameter("Bessel-corrected std for Method=grpo; false = population (assumed, numpy default).")]
    public bool UnbiasedStd { get; set; }

    [AdvantageParameter("ρ of SPO's probability mask (tokens with p > ρ get no advantage); 0 = off (default; the Qwen configs turn it on with 0.9).")]
    public double ProbabilityMask { get; set; }

    [AdvantageParameter("Whiten the token advantages over the trained tokens of the batch (SPO trainer: true).")]
    public bool Whiten { get; set; } = true;

    [AdvantageParameter("ε inside the whitening √(var + ε) (1e-8).")]
    public double WhitenEpsilon { get; set; } = 1e-8;

    protected override void Validate()
    {
        if (ProbabilityMask < 0 || ProbabilityMask > 1) throw new ArgumentException("SPOTree ProbabilityMask is a probability in [0, 1] (0 = off).");
        if (Epsilon < 0 || WhitenEpsilon < 0) throw new ArgumentException("SPOTree Epsilon and WhitenEpsilon must be ≥ 0.");
    }

    protected override (string ErrorId, string Message)? CheckRollout(Rollout r)
    {
        if (string.IsNullOrEmpty(r.NodeId)) return ("MissingInput", "SPOTree needs tree records with 'node_id' (Invoke-RlRollout -Tree).");
        if (r.Depth is not { } d) return ("MissingInput", "SPOTree needs 'depth' on every tree record.");
        if (d < 0) return ("InvalidTree", $"depth {d} is negative.");
        if (ProbabilityMask > 0 && r.Logprobs is { } lp && lp.Length != AdvantageMath.TokenCount(r))
            return ("InputLengthMismatch", $"'logprobs' has {lp.Length} values but the completion has {AdvantageMath.TokenCount(r)} tokens.");
        return StepInputs.CheckLossMask(r);
    }

    protected override void CheckGroups(IReadOnlyList<Rollout> batch, int[] gid, List<int> counts, Action<int, string, string> reject)
    {
        var nodes = new Dictionary<(int, string), int>();
        for (int i = 0; i < batch.Count; i++)
            if (batch[i].NodeId is { Length: > 0 } id && !nodes.TryAdd((gid[i], id), i))
                reject(i, "DuplicateNodeId", $"node_id '{id}' appears twice in the tree of this prompt; node ids must be unique.");
        for (int i = 0; i < batch.Count; i++)
        {
            var r = batch[i];
            if (r.Depth is not { } d || string.IsNullOrEmpty(r.NodeId)) continue;
            if (string.IsNullOrEmpty(r.ParentId))
            {
                if (d != 0) reject(i, "InvalidTree", $"node '{r.NodeId}' has no parent_id but depth {d}; only depth-0 nodes hang under the prompt.");
                continue;
            }
            if (!nodes.TryGetValue((gid[i], r.ParentId), out int p))
                reject(i, "InvalidTree", $"parent_id '{r.ParentId}' of node '{r.NodeId}' is not a node of this prompt in the batch; keep whole trees together.");
            else if (batch[p].Depth is { } pd && pd + 1 != d)
                reject(i, "InvalidTree", $"node '{r.NodeId}' has depth {d} but its parent '{r.ParentId}' has depth {pd}; a child is one level deeper.");
        }
    }

    /// <summary>
    /// Node values and edge advantages of one tree. <paramref name="parent"/>[i] is the index of node i's
    /// parent (−1 under the prompt), <paramref name="depth"/>[i] its depth, <paramref name="reward"/>[i] its
    /// reward (read for leaves only). Returns (V, A) per node.
    /// </summary>
    public static (double[] Values, double[] Advantages) TreeAdvantages(int[] parent, int[] depth, double[] reward, bool grpo, bool unbiased, double epsilon)
    {
        int n = parent.Length;
        var children = new List<int>[n];
        var roots = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (parent[i] < 0) roots.Add(i);
            else (children[parent[i]] ??= new List<int>()).Add(i);
        }
        var order = Enumerable.Range(0, n).OrderByDescending(i => depth[i]).ToArray();
        var v = new double[n];
        foreach (int i in order)
            v[i] = children[i] is { } ch ? ch.Average(c => v[c]) : reward[i];
        double rootValue = roots.Count == 0 ? 0 : roots.Average(i => v[i]);
        var a = new double[n];
        for (int i = 0; i < n; i++)
        {
            var siblings = parent[i] < 0 ? roots : children[parent[i]]!;
            double pv = parent[i] < 0 ? rootValue : v[parent[i]];
            a[i] = v[i] - pv;
            if (grpo)
            {
                double ss = 0;
                foreach (int s in siblings) ss += (v[s] - pv) * (v[s] - pv);
                int m = siblings.Count;
                double std = m < 2 ? 0 : Math.Sqrt(ss / (unbiased ? m - 1 : m));
                a[i] /= std + epsilon;
            }
        }
        return (v, a);
    }

    protected override void Compute(AdvantageBatch b)
    {
        int n = b.Count;
        var tok = b.TokenAdvantages!;
        var keep = new bool[n][];
        var valid = new bool[n][];
        for (int g = 0; g < b.GroupCount; g++)
        {
            int s = b.GroupStart[g], e = b.GroupStart[g + 1], m = e - s;
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = s; i < e; i++) index[b.Rollouts[i].NodeId!] = i - s;
            var parent = new int[m]; var depth = new int[m]; var reward = new double[m];
            for (int i = s; i < e; i++)
            {
                var r = b.Rollouts[i];
                parent[i - s] = string.IsNullOrEmpty(r.ParentId) ? -1 : index[r.ParentId];
                depth[i - s] = r.Depth!.Value;
                reward[i - s] = b.Rewards[i];
            }
            var (_, adv) = TreeAdvantages(parent, depth, reward, Method == "grpo", UnbiasedStd, Epsilon);
            for (int i = s; i < e; i++)
            {
                var r = b.Rollouts[i];
                int len = b.Lengths![i];
                (keep[i], valid[i]) = SpoEstimator.TrainedTokens(r.Logprobs, r.LossMask, len, ProbabilityMask);
                var t = new float[len];
                for (int j = 0; j < len; j++) if (keep[i][j]) t[j] = (float)adv[i - s];
                tok[i] = t;
            }
        }
        if (Whiten) SpoEstimator.WhitenMasked(tok, keep, valid, WhitenEpsilon);
        for (int i = 0; i < n; i++) b.Advantages[i] = SpoEstimator.TrainedMean(tok[i], valid[i]);
    }
}
