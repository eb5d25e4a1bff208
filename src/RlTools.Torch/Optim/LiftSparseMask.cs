using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Optim;

/// <summary>LIFT settings: filter rank r, budget rank R (k = min((m + n)·R, m·n) entries) and refresh interval.</summary>
public sealed record LiftSettings(int FilterRank = 128, int BudgetRank = 128, int Interval = 200);

/// <summary>
/// LIFT, low-rank informed sparse fine-tuning (Liu et al., arXiv:2506.00772). For every 2-D weight W ∈ R^{m×n}
/// that is not an embedding or output head (no dimension equal to the vocabulary size): W' = U_r Σ_r V_rᵀ
/// (rank-r SVD in fp32), and the mask keeps the k = min((m + n)·R, m·n) entries of largest |W'| (the paper's
/// "principal weights"; the released configs' smallest-entries slip is not reproduced). Only those entries are
/// updated; every other parameter (1-D, embeddings, head) is frozen. Every <c>Interval</c> steps (when
/// (step + 1) mod Interval = 0) the mask is recomputed on the current W, and optimizer moments are kept only for
/// entries that stay in the mask (new entries start at zero). R = 0 trains the whole matrix.
/// </summary>
public static class LiftSparseMask
{
    /// <summary>Names of the parameters LIFT sparsifies.</summary>
    public static bool Eligible(Tensor p, long vocabSize) => p.dim() == 2 && p.shape[0] != vocabSize && p.shape[1] != vocabSize;

    /// <summary>The mask (float 0/1, same shape) of one weight.</summary>
    public static Tensor Compute(Tensor w, LiftSettings s)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long m = w.shape[0], n = w.shape[1];
        if (s.BudgetRank <= 0) return torch.ones_like(w).MoveToOuterDisposeScope();
        long k = Math.Min((m + n) * (long)s.BudgetRank, m * n);
        var w32 = w.detach().to(ScalarType.Float32);
        Tensor approx;
        if (s.FilterRank >= Math.Min(m, n)) approx = w32;
        else
        {
            var (u, sv, vh) = torch.linalg.svd(w32, fullMatrices: false);
            long r = s.FilterRank;
            approx = (u.narrow(1, 0, r) * sv.narrow(0, 0, r)).matmul(vh.narrow(0, 0, r));
        }
        var idx = approx.abs().flatten().topk((int)k).indexes;
        var mask = torch.zeros(m * n, dtype: w.dtype, device: w.device).index_fill_(0, idx, 1.0).reshape(m, n);
        return mask.MoveToOuterDisposeScope();
    }

    /// <summary>Builds masks on <paramref name="opt"/> for eligible parameters and freezes the others.</summary>
    public static void Attach(ParameterOptimizer opt, long vocabSize, LiftSettings s)
    {
        foreach (var (name, p) in opt.Parameters)
        {
            if (Eligible(p, vocabSize)) opt.Masks[name] = Compute(p, s).DetachFromDisposeScope();
            else opt.Frozen.Add(name);
        }
    }

    /// <summary>Recomputes masks; moments survive only where old and new masks are both 1.</summary>
    public static void Refresh(ParameterOptimizer opt, LiftSettings s)
    {
        foreach (var (name, p) in opt.Parameters)
        {
            if (!opt.Masks.TryGetValue(name, out var old)) continue;
            var fresh = Compute(p, s).DetachFromDisposeScope();
            using (var scope = torch.NewDisposeScope())
            using (torch.no_grad())
            {
                var keep = old * fresh;
                foreach (var (key, t) in opt.State)
                    if (key.EndsWith("/" + name, StringComparison.Ordinal)) t.mul_(keep);
            }
            old.Dispose();
            opt.Masks[name] = fresh;
        }
    }
}
