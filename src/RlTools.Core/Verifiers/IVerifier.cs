using RlTools.Core.Records;

namespace RlTools.Core.Verifiers;

/// <summary>
/// A configured reward verifier. <see cref="Verify"/> never throws and must return quickly: every
/// implementation catches its own failures and reports them in <see cref="VerificationResult.Reason"/>.
/// A verifier that does not apply to a rollout (no gold answer, no tokens) returns a null
/// <see cref="VerificationResult.Score"/>, which is not 0 and is left out of the weighted sum.
/// Implementations are immutable and safe to call from several threads at once.
/// </summary>
public interface IVerifier
{
    /// <summary>Registry name (e.g. <c>Math</c>).</summary>
    string Name { get; }

    /// <summary>Scores one rollout (its <see cref="Rollout.Completion"/> against <see cref="Rollout.Answer"/>).</summary>
    VerificationResult Verify(Rollout rollout);
}

/// <summary>The outcome of one verification.</summary>
public sealed class VerificationResult
{
    /// <summary>The reward component; null when the verifier does not apply.</summary>
    public double? Score { get; init; }

    /// <summary>Whether the answer was judged correct (null when the verifier has no notion of correctness or does not apply).</summary>
    public bool? IsCorrect { get; init; }

    /// <summary>The correctness rule of every evaluation: <see cref="IsCorrect"/> when the verifier decides it, else a score of at least 1.</summary>
    public bool Correct => IsCorrect ?? Score is >= 1.0;

    /// <summary>What was taken from the completion (the extracted answer).</summary>
    public string? Extracted { get; init; }

    /// <summary>The gold answer as extracted from the dataset's answer field.</summary>
    public string? ExtractedAnswer { get; init; }

    /// <summary>Canonical form of the completion's answer.</summary>
    public string? NormalizedCompletion { get; init; }

    /// <summary>Canonical form of the gold answer.</summary>
    public string? NormalizedAnswer { get; init; }

    /// <summary>Why the verifier decided so, in a short sentence.</summary>
    public string Reason { get; init; } = "";

    /// <summary>
    /// True when the verifier did not apply because it compares with a gold answer and the rollout has none it can use
    /// (empty, or not of the kind it needs). Measure-RlReward reports these rollouts, since their reward stays null.
    /// </summary>
    public bool MissingGoldAnswer { get; init; }

    /// <summary>
    /// True when the completion's answer was taken by a fallback rule (the Math verifier's last number or last math span, the Numeric verifier's last number, of a
    /// completion without an answer marker) rather than from a marker. A rising share of rewards from the fallback is
    /// a sign of reward hacking; Measure-RlReward counts them.
    /// </summary>
    public bool FromFallback { get; init; }

    /// <summary>A result for a verifier that does not apply.</summary>
    public static VerificationResult NotApplicable(string reason) => new() { Score = null, IsCorrect = null, Reason = reason };

    /// <summary>A result for a verifier that needs a gold answer and found none it can use.</summary>
    public static VerificationResult NoGoldAnswer(string reason) => new() { Score = null, IsCorrect = null, Reason = reason, MissingGoldAnswer = true };
}

