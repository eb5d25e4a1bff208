using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Generation;

/// <summary>
/// VERL's hidden-state indicators (Huang et al., "Beyond the Exploration-Exploitation Trade-off: A Hidden State
/// Approach", arXiv 2509.23808; released code verl/trainer/metrics_utils.py; seed-algorithms-2.md §6).
/// For hidden states H <c>[T, D]</c>: centre the rows, σ = √eig(centred Gram), p_i = σ_i / (Σσ + 1e-8),
/// ER = exp(−Σ p_i ln(p_i + 1e-8)). For prefix lengths t = s, 2s, … ≤ T: m_j = ER(H[0..t)); d_j = m_j − mean(m_1..m_{j−1})
/// (j ≥ 2), a_j = d_j − d_{j−1} (j ≥ 3); when the last prefix stops short of T − 1, the whole-window ER closes the
/// sequence as one more m (as the released code does with its base metric). ERV = mean d_j, ERA = mean a_j (0 when
/// there are none, e.g. T &lt; 2s). Computed in float64.
/// </summary>
public static class EffectiveRank
{
    /// <summary>(ER, ERV, ERA) of <paramref name="rows"/> (each a hidden state of <paramref name="dim"/> numbers, in token order).</summary>
    public static (double Er, double Erv, double Era) Measure(IReadOnlyList<float[]> rows, int dim, int stride)
    {
        if (stride < 1) throw new ArgumentException("Stride must be at least 1.", nameof(stride));
        int t = rows.Count;
        if (t < 2) return (0, 0, 0);
        using var scope = NewDisposeScope();
        var flat = new float[t * dim];
        for (int i = 0; i < t; i++) Array.Copy(rows[i], 0, flat, i * dim, dim);
        Tensor h = tensor(flat, new long[] { t, dim }).to(ScalarType.Float64);
        double er = Of(h);
        var m = new List<double>();
        int lastT = 0;
        for (int k = stride; k <= t; k += stride) { m.Add(Of(h.narrow(0, 0, k))); lastT = k; }
        if (m.Count > 0 && lastT < t - 1) m.Add(er);
        var diffs = new List<double>();
        var accels = new List<double>();
        double sum = 0;
        for (int j = 0; j < m.Count; j++)
        {
            if (j > 0)
            {
                double dj = m[j] - sum / j;
                if (diffs.Count > 0) accels.Add(dj - diffs[^1]);
                diffs.Add(dj);
            }
            sum += m[j];
        }
        return (er, diffs.Count == 0 ? 0 : diffs.Average(), accels.Count == 0 ? 0 : accels.Average());
    }

    /// <summary>Effective rank of one matrix <c>[T, D]</c> (float64).</summary>
    public static double Of(Tensor h)
    {
        using var scope = NewDisposeScope();
        long t = h.shape[0], d = h.shape[1];
        if (t < 2) return 0;
        Tensor c = h - h.mean(new long[] { 0 }, keepdim: true);
        Tensor gram = t < d ? c.matmul(c.t()) : c.t().matmul(c);
        Tensor sigma = linalg.eigvalsh(gram).relu().sqrt();
        Tensor p = sigma / (sigma.sum() + 1e-8);
        return Math.Exp(-(p * (p + 1e-8).log()).sum().item<double>());
    }
}
