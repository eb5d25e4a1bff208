using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Models;

/// <summary>
/// A causal language model as the rest of the engine sees it: token ids in, next-token logits out, plus what a policy
/// reports about itself and what checkpoint import/export need (configuration, weights by name, device and dtype moves).
/// Implemented by the Qwen2/Qwen3/Llama decoder (<see cref="DecoderLM"/>); <see cref="CausalLMFactory"/> picks the class
/// for a config.json, so a second architecture family is one class plus its entry there. Tests may implement it with
/// tiny modules (<see cref="TinyCausalLM"/>), which keep the defaults below. The KV-cache decode path of generation
/// still takes a <see cref="DecoderLM"/>.
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

    /// <summary>The underlying module: parameters (named as in the checkpoint), state dict, train/eval, device moves.</summary>
    nn.Module Module { get; }

    /// <summary>The architecture: config.json's model_type, or the class name for a model without one.</summary>
    string ModelType => Config?.ModelType ?? GetType().Name;

    /// <summary>The Hugging Face configuration export writes as config.json; null for a model that cannot be exported.</summary>
    ModelConfig? Config => null;

    /// <summary>Where the weights live (cpu, cuda:0, ...); empty when the model does not say.</summary>
    string DeviceName => "";

    /// <summary>The weight dtype's name (float32, bfloat16, ...); empty when the model does not say.</summary>
    string DTypeName => "";

    /// <summary>True for a model too small to gain from several intra-op threads (generation and scoring then use one).</summary>
    bool PrefersOneThread => false;

    /// <summary>Moves the weights (and future activations) to <paramref name="device"/> / <paramref name="dtype"/>.</summary>
    void MoveTo(Device device, ScalarType dtype)
    {
        Module.to(device);
        Module.to(dtype);
    }
}

/// <summary>The one place that maps a config.json to the class implementing its architecture.</summary>
public static class CausalLMFactory
{
    /// <summary>
    /// A freshly initialised model of <paramref name="config"/> on <paramref name="device"/> in <paramref name="dtype"/>
    /// (seeded when <paramref name="seed"/> is given). Every type in <see cref="ModelConfig.SupportedModelTypes"/> is a
    /// variant of the decoder today.
    /// </summary>
    public static ICausalLM Create(ModelConfig config, Device device, ScalarType dtype, long? seed) => config.ModelType switch
    {
        "qwen2" or "qwen3" or "llama" => new DecoderLM(config, device, dtype, seed),
        _ => throw new ModelConfigException("UnknownModelType", null,
            $"model_type '{config.ModelType}' has no implementation. Supported: {string.Join(", ", ModelConfig.SupportedModelTypes)}."),
    };
}
