using System.Text;
using RlTools.Core.Records;
using RlTools.Core.Verifiers.Math;

namespace RlTools.Core.Verifiers;

/// <summary>
/// Normalised exact match: the extracted answer equals the gold answer (or one of several, split on
/// <c>Separator</c>) after SQuAD normalisation — lower case, punctuation and the articles a/an/the removed,
/// whitespace collapsed (Rajpurkar et al., SQuAD, arXiv:1606.05250; verl <c>search_r1_like_qa_em.py</c>).
/// 1 or 0; null without a gold answer.
/// </summary>
public sealed class ExactMatchVerifier : IVerifier
{
    public static VerifierInfo Info { get; } = new(
        "ExactMatch",
        "Extracted answer equals the gold answer after normalisation (case, punctuation, articles, whitespace). 1 or 0; null without a gold answer.",
        "SQuAD normalisation (arXiv:1606.05250); verl reward_score/search_r1_like_qa_em.py",
        [
            new ParameterSpec("Extract", typeof(bool), true, "Take the answer from \\boxed{}, <answer>, ####, 'the answer is' first; otherwise compare the whole completion."),
            new ParameterSpec("CaseSensitive", typeof(bool), false, "Keep letter case when comparing."),
            new ParameterSpec("Separator", typeof(string), "|", "Splits the gold answer into alternatives; an empty string turns this off."),
        ],
        s => new ExactMatchVerifier(s));

    private readonly bool _extract, _case;
    private readonly string _sep;

    public ExactMatchVerifier(VerifierSettings s)
    {
        _extract = s.GetBool("Extract");
        _case = s.GetBool("CaseSensitive");
        _sep = s.GetString("Separator") ?? "";
    }

    public string Name => "ExactMatch";

    public VerificationResult Verify(Rollout rollout)
    {
        try
        {
            if (string.IsNullOrWhiteSpace(rollout.Answer)) return VerificationResult.NoGoldAnswer("no gold answer");
            string pred = rollout.Completion ?? "";
            if (_extract) pred = AnswerExtractor.Extract(pred, fallback: false, isGold: true).Answer ?? "";
            string np = Normalize(pred, _case);
            var golds = (_sep.Length > 0 ? rollout.Answer.Split(_sep) : [rollout.Answer]).Select(x => Normalize(x, _case)).Where(x => x.Length > 0).ToList();
            if (golds.Count == 0) return VerificationResult.NoGoldAnswer("gold answer is empty after normalisation");
            bool ok = golds.Contains(np, StringComparer.Ordinal);
            return new VerificationResult
            {
                Score = ok ? 1 : 0, IsCorrect = ok, Extracted = pred, ExtractedAnswer = rollout.Answer,
                NormalizedCompletion = np, NormalizedAnswer = string.Join(" | ", golds),
                Reason = ok ? "normalised texts match" : "normalised texts differ",
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new VerificationResult { Score = 0, IsCorrect = false, Reason = "internal error: " + e.GetType().Name };
        }
    }

    /// <summary>SQuAD normalisation: lower-case, drop punctuation and articles, collapse whitespace.</summary>
    public static string Normalize(string s, bool caseSensitive = false)
    {
        if (s.Length > 100_000) s = s[..100_000];
        s = AnswerExtractor.StripDelimiters(s);
        foreach (var cmd in new[] { "\\textbf", "\\textit", "\\text", "\\mathrm", "\\mbox", "\\mathbf" }) s = s.Replace(cmd, " ", StringComparison.Ordinal);
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            if (char.IsLetterOrDigit(c)) sb.Append(caseSensitive ? c : char.ToLowerInvariant(c));
            else if (char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c)) sb.Append(' ');
        }
        var words = sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => !(w.Equals("a", StringComparison.OrdinalIgnoreCase) || w.Equals("an", StringComparison.OrdinalIgnoreCase) || w.Equals("the", StringComparison.OrdinalIgnoreCase)));
        return string.Join(" ", words);
    }
}
