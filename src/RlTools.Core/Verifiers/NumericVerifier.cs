using System.Numerics;
using RlTools.Core.Records;
using RlTools.Core.Verifiers.Math;

namespace RlTools.Core.Verifiers;

/// <summary>
/// Numeric answer within a tolerance: with p the extracted number and g the gold number,
/// correct when |p − g| ≤ AbsoluteTolerance + RelativeTolerance · |g| (the numpy <c>isclose</c> rule; the
/// countdown/TinyZero check used |p − g| &lt; 1e-5). Numbers may be written as integers, decimals, with thousands
/// separators, in scientific notation, as fractions or LaTeX expressions without variables, or with a percent
/// sign (taken as written: 25% is 25). 1 or 0; null when the gold answer is not a number.
/// </summary>
public sealed class NumericVerifier : IVerifier
{
    public static VerifierInfo Info { get; } = new(
        "Numeric",
        "Extracted number is within a tolerance of the gold number: |p − g| <= AbsoluteTolerance + RelativeTolerance·|g|. 1 or 0; null when the gold answer is not a number.",
        "numpy isclose rule; verl/TinyZero countdown (|p − g| < 1e-5)",
        [
            new ParameterSpec("AbsoluteTolerance", typeof(double), 1e-6, "Absolute tolerance."),
            new ParameterSpec("RelativeTolerance", typeof(double), 1e-4, "Relative tolerance (times |gold|)."),
            new ParameterSpec("Fallback", typeof(bool), true, "Without an answer marker, take the last number of the completion. Turn it off when the prompt asks for a marked answer or the policy is weak: it rewards text that merely ends in the right number."),
        ],
        s => new NumericVerifier(s));

    private readonly double _abs, _rel;
    private readonly bool _fallback;

    public NumericVerifier(VerifierSettings s)
    {
        _abs = s.GetDouble("AbsoluteTolerance");
        _rel = s.GetDouble("RelativeTolerance");
        _fallback = s.GetBool("Fallback");
        if (!(_abs >= 0) || !(_rel >= 0)) throw new ArgumentException("The Numeric verifier's tolerances must be 0 or more.");
    }

    public string Name => "Numeric";

    public VerificationResult Verify(Rollout rollout)
    {
        try
        {
            var (goldText, _) = AnswerExtractor.Extract(rollout.Answer, false, true);
            if (goldText is null || ToNumber(goldText) is not { } g) return VerificationResult.NoGoldAnswer("the gold answer is not a number");
            var (predText, how) = AnswerExtractor.Extract(rollout.Completion, _fallback, false);
            if (predText is null || ToNumber(predText) is not { } p)
                return new VerificationResult { Score = 0, IsCorrect = false, Extracted = predText, ExtractedAnswer = goldText, Reason = "no number found in the completion" };
            bool ok = System.Math.Abs(p - g) <= _abs + _rel * System.Math.Abs(g);
            return new VerificationResult
            {
                Score = ok ? 1 : 0, IsCorrect = ok, Extracted = predText, ExtractedAnswer = goldText,
                NormalizedCompletion = p.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                NormalizedAnswer = g.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                Reason = ok ? $"within tolerance (|diff| = {System.Math.Abs(p - g):G4})" : $"outside tolerance (|diff| = {System.Math.Abs(p - g):G4})",
                FromFallback = how == AnswerExtractor.Method.LastNumber,
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new VerificationResult { Score = 0, IsCorrect = false, Reason = "internal error: " + e.GetType().Name };
        }
    }

    /// <summary>The real value of a variable-free expression, or null.</summary>
    internal static double? ToNumber(string text)
    {
        try
        {
            var budget = new Budget(TimeSpan.FromMilliseconds(20));
            var node = MathParser.Parse(text, budget);
            if (node is PercentNode pc) node = pc.Inner;
            if (node is RelNode { Ops: [.., "="] } r) node = r.Operands[^1];
            var eval = new MathEvaluator(budget);
            if (eval.Exact(node) is { } x) return x.ToDouble();
            var v = eval.Numeric(node, new Dictionary<string, Complex>());
            return double.IsFinite(v.Real) && v.Imaginary == 0 ? v.Real : null;
        }
        catch (Exception e) when (e is MathParseException or BudgetExceededException)
        {
            return null;
        }
    }
}
