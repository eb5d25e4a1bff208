using RlTools.Torch.Models;
using RlTools.Torch.Tokenizers;

namespace RlTools.Torch;

/// <summary>
/// A policy as cmdlets hold it: a causal LM and its tokenizer, plus the training state the update
/// stage keeps with it (optimizer moments, step, schedule, RNG), so a checkpoint resumes exactly.
/// An opaque handle for PowerShell: no tensor is exposed.
/// </summary>
public sealed class Policy : IDisposable
{
    public Policy(ICausalLM model, ITokenizer tokenizer, bool frozen = false)
    {
        Model = model;
        Tokenizer = tokenizer;
        Frozen = frozen;
    }

    /// <summary>The model.</summary>
    public ICausalLM Model { get; }

    /// <summary>The tokenizer.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>A frozen policy (e.g. a reference) is never updated.</summary>
    public bool Frozen { get; }

    /// <summary>Optimizer steps taken so far.</summary>
    public int Step { get; set; }

    /// <summary>Where the policy was loaded from, if anywhere.</summary>
    public string? SourcePath { get; set; }

    /// <summary>Token ids that end a completion besides the tokenizer's EOS (generation_config.json eos_token_id).</summary>
    public int[] StopTokenIds { get; set; } = Array.Empty<int>();

    /// <summary>Folder the tokenizer files came from (copied by Export-RlPolicy), or null for the byte tokenizer.</summary>
    public string? TokenizerPath { get; set; }

    /// <summary>The architecture (model_type qwen2/qwen3/llama), or the model class name for other models.</summary>
    public string ModelType => Model.ModelType;

    /// <summary>Number of weights.</summary>
    public long ParameterCount => Model.Module.parameters().Sum(p => p.numel());

    /// <summary>Where the weights live (cpu, cuda:0, ...).</summary>
    public string Device => Model.DeviceName;

    /// <summary>Weight dtype (float32 or bfloat16).</summary>
    public string DType => Model.DTypeName;

    /// <summary>The tokenizer kind (class name).</summary>
    public string TokenizerName => Tokenizer.GetType().Name;

    /// <summary>Output vocabulary size of the model.</summary>
    public long VocabSize => Model.VocabSize;

    /// <summary>State owned by the update stage (optimizer, schedule, RNG); null until the first update.</summary>
    public object? TrainerState { get; set; }

    public void Dispose()
    {
        (TrainerState as IDisposable)?.Dispose();
        Model.Dispose();
    }
}
