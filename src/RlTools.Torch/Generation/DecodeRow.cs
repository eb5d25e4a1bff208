namespace RlTools.Torch.Generation;

/// <summary>One row of a decode batch: a prompt, an optional forced completion prefix, and its budget of new tokens.</summary>
public sealed class DecodeRow
{
    /// <summary>Prompt token ids (non-empty).</summary>
    public required int[] Prompt { get; init; }

    /// <summary>Completion tokens to teacher-force before sampling (a continued completion, probe prefix, hint or tree path).</summary>
    public int[] Forced { get; init; } = [];

    /// <summary>New tokens to sample at most; null: <see cref="SamplingOptions.MaxNewTokens"/>. 0 returns the forced tokens only.</summary>
    public int? MaxNewTokens { get; init; }
}

/// <summary>Optional extras of a decode: per-token adaptive temperature, hidden-state effective rank.</summary>
public sealed class DecodeExtras
{
    /// <summary>HAPO's per-token temperature; null: the fixed <see cref="SamplingOptions.Temperature"/>.</summary>
    public AdaptiveTemperature? Temperature { get; init; }

    /// <summary>Reduce the final hidden states to VERL's effective rank (ER, ERV, ERA); null: off.</summary>
    public EffectiveRankOptions? Rank { get; init; }
}

/// <summary>Settings of the effective-rank reduction (VERL, arXiv 2509.23808; released code's defaults from train.sh).</summary>
public sealed class EffectiveRankOptions
{
    /// <summary>Stride s between the prefix lengths whose effective rank is measured (train.sh 40).</summary>
    public int Stride { get; init; } = 40;

    /// <summary>Completion tokens kept (the first W, as the released calculator's <c>max_seq_len</c> 512).</summary>
    public int Window { get; init; } = 512;
}
