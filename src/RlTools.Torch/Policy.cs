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

    /// <summary>State owned by the update stage (optimizer, schedule, RNG); null until the first update.</summary>
    public object? TrainerState { get; set; }

    public void Dispose()
    {
        (TrainerState as IDisposable)?.Dispose();
        Model.Dispose();
    }
}
