namespace RlTools.Core.Verifiers;

/// <summary>The result of <c>Test-RlAnswer</c>: one completion checked against one gold answer.</summary>
public sealed class AnswerCheck
{
    /// <summary>Verifier that decided.</summary>
    public string Verifier { get; init; } = "";

    /// <summary>Whether the completion's answer is correct; null when the verifier does not apply.</summary>
    public bool? IsCorrect { get; init; }

    /// <summary>The reward component the verifier gives.</summary>
    public double? Score { get; init; }

    /// <summary>What was taken from the completion.</summary>
    public string? Extracted { get; init; }

    /// <summary>What was taken from the gold answer.</summary>
    public string? ExtractedAnswer { get; init; }

    /// <summary>Canonical forms of both sides.</summary>
    public NormalizedAnswers Normalized { get; init; } = new();

    /// <summary>Why.</summary>
    public string Reason { get; init; } = "";

    /// <summary>Builds the check from a verifier result.</summary>
    public static AnswerCheck From(string verifier, VerificationResult r) => new()
    {
        Verifier = verifier,
        IsCorrect = r.IsCorrect,
        Score = r.Score,
        Extracted = r.Extracted,
        ExtractedAnswer = r.ExtractedAnswer,
        Normalized = new NormalizedAnswers { Completion = r.NormalizedCompletion, Answer = r.NormalizedAnswer },
        Reason = r.Reason,
    };
}

/// <summary>The canonical forms of the completion's answer and of the gold answer.</summary>
public sealed class NormalizedAnswers
{
    public string? Completion { get; init; }
    public string? Answer { get; init; }
    public override string ToString() => $"{Completion} | {Answer}";
}
