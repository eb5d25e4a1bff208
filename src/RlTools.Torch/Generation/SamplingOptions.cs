namespace RlTools.Torch.Generation;

/// <summary>
/// How completions are sampled.
/// <para>
/// Convention for the recorded numbers: at each step the logits are divided by <see cref="Temperature"/> (1 when
/// <see cref="Temperature"/> is 0, i.e. greedy) and soft-maxed; that distribution p is the "sampling distribution".
/// The recorded log-prob is log p(token) and the recorded entropy is −Σ p log p, both <b>before</b> top-k, top-p and
/// min-p truncation (truncation only restricts which tokens may be drawn). This is the distribution a policy-gradient
/// loss evaluates with the same temperature, so <c>Measure-RlLogProb -Temperature t</c> reproduces the numbers.
/// </para>
/// </summary>
public sealed class SamplingOptions
{
    /// <summary>Tokens to generate at most per completion (finish_reason <c>length</c> when reached).</summary>
    public int MaxNewTokens { get; set; } = 256;

    /// <summary>Softmax temperature; 0 means greedy (argmax).</summary>
    public double Temperature { get; set; } = 1.0;

    /// <summary>Keep only the k most probable tokens (0: off).</summary>
    public int TopK { get; set; }

    /// <summary>Keep the smallest set of most probable tokens whose mass reaches p (1: off).</summary>
    public double TopP { get; set; } = 1.0;

    /// <summary>Drop tokens whose probability is below min_p times the top probability (0: off).</summary>
    public double MinP { get; set; }

    /// <summary>Stop when the completion text contains any of these (the completion keeps the stop string).</summary>
    public IReadOnlyList<string> StopStrings { get; set; } = Array.Empty<string>();

    /// <summary>Stop on these token ids (in addition to the tokenizer's EOS unless <see cref="IgnoreEos"/>).</summary>
    public IReadOnlyList<int> StopTokenIds { get; set; } = Array.Empty<int>();

    /// <summary>Do not stop on the tokenizer's EOS token.</summary>
    public bool IgnoreEos { get; set; }

    /// <summary>Seed of the sampling generator; the same seed, prompts and batch size give the same completions.</summary>
    public long Seed { get; set; }

    /// <summary>Checked before every decode step (Ctrl+C stops a batch within one step): <see cref="OperationCanceledException"/> when set.</summary>
    public CancellationToken Cancellation { get; set; }

    /// <summary>Checks the values; returns what is wrong, or null.</summary>
    public string? Validate()
    {
        if (MaxNewTokens < 1) return $"MaxNewTokens must be at least 1, not {MaxNewTokens}.";
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) return $"Temperature must be a finite number >= 0, not {Temperature}.";
        if (TopK < 0) return $"TopK must be >= 0 (0 = off), not {TopK}.";
        if (!(TopP > 0 && TopP <= 1)) return $"TopP must be in (0, 1], not {TopP}.";
        if (!(MinP >= 0 && MinP < 1)) return $"MinP must be in [0, 1), not {MinP}.";
        if (StopStrings.Any(string.IsNullOrEmpty)) return "Stop strings must not be empty.";
        return null;
    }
}

/// <summary>One generated completion: plain arrays only.</summary>
public sealed class Completion
{
    public int[] Tokens { get; init; } = Array.Empty<int>();
    /// <summary>log p(token) under the sampling distribution (see <see cref="SamplingOptions"/>).</summary>
    public float[] Logprobs { get; init; } = Array.Empty<float>();
    /// <summary>Entropy of the sampling distribution at each step (nats).</summary>
    public float[] Entropies { get; init; } = Array.Empty<float>();
    /// <summary>Per token, the temperature the sampler used (adaptive temperature only; null otherwise).</summary>
    public float[]? Temperatures { get; init; }
    /// <summary>How many leading <see cref="Tokens"/> were forced (teacher-forced prefix), not sampled.</summary>
    public int ForcedCount { get; init; }
    /// <summary>Effective rank of the completion's final hidden states and its mean first/second differences (when asked for).</summary>
    public double? EffectiveRank { get; init; }
    public double? EffectiveRankVelocity { get; init; }
    public double? EffectiveRankAcceleration { get; init; }
    /// <summary><c>stop</c> (EOS, a stop token or a stop string) or <c>length</c>.</summary>
    public string FinishReason { get; init; } = "length";
    /// <summary>The completion text (special tokens left out).</summary>
    public string Text { get; init; } = "";
}
