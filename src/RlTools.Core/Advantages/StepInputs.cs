using RlTools.Core.Records;

namespace RlTools.Core.Advantages;

/// <summary>
/// Reads and checks the step-level inputs of the open rollout stage (probe records and trees,
/// /work/coord/notes/rollout-fields.md): a source rollout carries <c>cut_positions</c> (ascending prefix
/// lengths) and its probes are records of the same prompt with <c>is_probe</c>, <c>parent_id</c> = the
/// source's <c>node_id</c> and <c>cut_positions</c> = [cut]. Shared by SPO, SPAE and SPOTree.
/// </summary>
public static class StepInputs
{
    /// <summary>Checks a rollout's <c>cut_positions</c>: ascending, inside [0, length); a probe has exactly one.</summary>
    public static (string ErrorId, string Message)? CheckCuts(Rollout r)
    {
        var c = r.CutPositions;
        int len = AdvantageMath.TokenCount(r);
        if (CheckLossMask(r) is { } m) return m;
        if (r.IsProbe)
        {
            if (c is null || c.Length != 1) return ("InvalidCutPositions", "a probe record needs 'cut_positions' with exactly its one cut.");
            if (string.IsNullOrEmpty(r.ParentId)) return ("MissingInput", "a probe record needs 'parent_id' (the node_id of the rollout it continues).");
            return null;
        }
        if (c is null) return null;
        for (int k = 0; k < c.Length; k++)
        {
            if (c[k] < 0 || c[k] >= Math.Max(len, 0))
                return ("InvalidCutPositions", $"cut_positions[{k}] = {c[k]} is outside the completion (0..{len - 1}); a cut is the length of a kept prefix.");
            if (k > 0 && c[k] <= c[k - 1])
                return ("InvalidCutPositions", $"cut_positions must be strictly ascending (cut_positions[{k - 1}] = {c[k - 1]}, cut_positions[{k}] = {c[k]}).");
        }
        if (c.Length > 0 && string.IsNullOrEmpty(r.NodeId))
            return ("MissingInput", "a rollout with cut_positions needs a 'node_id' so its probe records can name it as parent.");
        return null;
    }

    /// <summary>Checks that <c>loss_mask</c>, when present, has one finite value per completion token.</summary>
    public static (string ErrorId, string Message)? CheckLossMask(Rollout r)
    {
        if (r.LossMask is not { } m) return null;
        int len = AdvantageMath.TokenCount(r);
        if (m.Length != len) return ("InputLengthMismatch", $"'loss_mask' has {m.Length} values but the completion has {len} tokens; they must align.");
        foreach (var v in m) if (!float.IsFinite(v)) return ("NonFiniteInput", "'loss_mask' holds a non-finite value; use 1 (train) or 0 (do not).");
        return null;
    }

    /// <summary>
    /// Group checks: every probe's parent is a non-probe rollout of the same group with that cut, and every
    /// cut of a source has at least one probe. Rejects the offending rollouts (their groups are excluded).
    /// </summary>
    public static void CheckProbes(IReadOnlyList<Rollout> batch, int[] gid, Action<int, string, string> reject)
    {
        var sources = new Dictionary<(int, string), int>();
        for (int i = 0; i < batch.Count; i++)
        {
            var r = batch[i];
            if (!r.IsProbe && !string.IsNullOrEmpty(r.NodeId) && !sources.TryAdd((gid[i], r.NodeId), i))
                reject(i, "DuplicateNodeId", $"node_id '{r.NodeId}' appears twice in the group; node ids must be unique.");
        }
        var covered = new HashSet<(int, int)>();
        for (int i = 0; i < batch.Count; i++)
        {
            var r = batch[i];
            if (!r.IsProbe || r.ParentId is null || r.CutPositions is not { Length: 1 } pc) continue;
            if (!sources.TryGetValue((gid[i], r.ParentId), out int src))
            {
                reject(i, "ProbeWithoutSource", $"probe parent_id '{r.ParentId}' names no rollout of this prompt in the batch; keep the source rollout with its probes.");
                continue;
            }
            if (batch[src].CutPositions is not { } sc || Array.IndexOf(sc, pc[0]) < 0)
            {
                reject(i, "ProbeWithoutSource", $"probe cut {pc[0]} is not in the cut_positions of its source '{r.ParentId}'.");
                continue;
            }
            covered.Add((src, pc[0]));
        }
        foreach (var ((_, _), i) in sources)
        {
            if (batch[i].CutPositions is not { } cuts || CheckCuts(batch[i]) is not null) continue;   // bad cuts are reported once, by the rollout check
            foreach (var c in cuts)
                if (!covered.Contains((i, c)))
                {
                    reject(i, "MissingProbe", $"cut {c} has no probe record in the batch, so its value is unknown; keep the probes (Invoke-RlRollout -Probe) with their source.");
                    break;
                }
        }
    }

    /// <summary>The probes of one group's sources: for each source position (batch order), cut → probe positions.</summary>
    public static Dictionary<int, Dictionary<int, List<int>>> ProbesBySource(AdvantageBatch b, int s, int e)
    {
        var nodes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = s; i < e; i++)
            if (!b.Rollouts[i].IsProbe && b.Rollouts[i].NodeId is { Length: > 0 } id) nodes[id] = i;
        var map = new Dictionary<int, Dictionary<int, List<int>>>();
        for (int i = s; i < e; i++)
        {
            var r = b.Rollouts[i];
            if (!r.IsProbe) continue;
            int src = nodes[r.ParentId!];
            if (!map.TryGetValue(src, out var byCut)) map[src] = byCut = new Dictionary<int, List<int>>();
            int c = r.CutPositions![0];
            if (!byCut.TryGetValue(c, out var list)) byCut[c] = list = new List<int>();
            list.Add(i);
        }
        return map;
    }

    /// <summary>Mean of <paramref name="x"/> over the loss_mask-1 positions of <paramref name="r"/> (NaN when none).</summary>
    public static double MaskedMean(float[] x, Rollout r)
    {
        double s = 0; int n = 0;
        for (int j = 0; j < x.Length; j++)
            if (r.LossMask is null || r.LossMask[j] != 0) { s += x[j]; n++; }
        return n == 0 ? double.NaN : s / n;
    }
}
