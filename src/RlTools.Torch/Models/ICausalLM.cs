using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Models;

/// <summary>
/// A causal language model as the rest of the engine sees it: token ids in, next-token logits out.
/// Implemented by the Qwen2/Llama decoder; tests may implement it with tiny modules.
/// </summary>
public interface ICausalLM : IDisposable
{
    /// <summary>
    /// Logits <c>[B, T, V]</c> (float32) for <paramref name="inputIds"/> <c>[B, T]</c> (int64).
    /// <paramref name="attentionMask"/> <c>[B, T]</c>: 1 for real tokens, 0 for padding (left or right);
    /// positions are counted over real tokens only, and no position attends to padding.
    /// </summary>
    Tensor Forward(Tensor inputIds, Tensor? attentionMask = null);

    /// <summary>
    /// Logits <c>[B, P, V]</c> (float32) at <paramref name="positions"/> <c>[B, P]</c> (indices into T) only: what training
    /// needs, since only the positions that predict completion tokens enter a loss. The default computes every position
    /// and gathers; <see cref="DecoderLM"/> gathers the final hidden states first, so the output projection (and its
    /// backward) runs on P rows instead of T.
    /// </summary>
    Tensor ForwardAt(Tensor inputIds, Tensor attentionMask, Tensor positions)
    {
        Tensor logits = Forward(inputIds, attentionMask);
        long b = positions.shape[0], p = positions.shape[1], v = logits.shape[2];
        return logits.gather(1, positions.unsqueeze(-1).expand(b, p, v));
    }

    /// <summary>Size of the output vocabulary (V).</summary>
    long VocabSize { get; }

    /// <summary>The underlying module: parameters, state dict, train/eval, device moves.</summary>
    nn.Module Module { get; }
}
