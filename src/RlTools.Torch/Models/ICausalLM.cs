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

    /// <summary>Size of the output vocabulary (V).</summary>
    long VocabSize { get; }

    /// <summary>The underlying module: parameters, state dict, train/eval, device moves.</summary>
    nn.Module Module { get; }
}
