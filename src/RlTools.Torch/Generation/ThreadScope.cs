using RlTools.Torch.Models;
using TorchSharp;

namespace RlTools.Torch.Generation;

/// <summary>
/// Runs tiny models on one intra-op thread (generation and log-prob recomputation) and restores the setting afterwards. A tiny decoder's matrices
/// (width ≤ 256) are far too small to split across threads; on a busy machine the thread pool's barriers cost
/// more than the arithmetic (measured: 8.1 s vs 0.17 s for the same 12×24-token rollout with 2 threads on a loaded
/// 2-core machine). Larger models keep the process-wide setting.
/// </summary>
internal readonly struct ThreadScope : IDisposable
{
    private readonly int previous;

    private ThreadScope(int previous) => this.previous = previous;

    public static ThreadScope For(ICausalLM model)
    {
        if (model.PrefersOneThread)
        {
            int prev = torch.get_num_threads();
            if (prev != 1) torch.set_num_threads(1);
            return new ThreadScope(prev);
        }
        return new ThreadScope(0);
    }

    public void Dispose()
    {
        if (previous > 1) torch.set_num_threads(previous);
    }
}
