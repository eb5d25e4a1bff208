using RlTools.Core.Records;
using RlTools.Core.Verifiers.Math;

namespace RlTools.Core.Verifiers;

/// <summary>
/// Multiple choice: the chosen letter equals the gold letter. The letter is read from, in order, <c>\boxed{B}</c>,
/// "answer is (B)" / "Answer: B", <c>&lt;answer&gt;B&lt;/answer&gt;</c>, then the last "(B)" or a last line that is
/// only a letter ("B", "B.", "B)"). The gold may be "B", "(B)" or "B) 12". Letters outside <c>Letters</c> do not
/// count (MMLU/AQuA-style grading; NeMo-RL multichoice environment). 1 or 0; null when the gold is not a letter.
/// </summary>
public sealed class ChoiceVerifier : IVerifier
{
    public static VerifierInfo Info { get; } = new(
        "Choice",
        "Multiple choice: the letter chosen in the completion (\\boxed{B}, 'answer is (B)', last '(B)') equals the gold letter. 1 or 0; null when the gold is not a letter.",
        "MMLU (arXiv:2009.03300) / AQuA letter grading; NeMo-RL multichoice environment",
        [
            new ParameterSpec("Letters", typeof(string), "ABCDE", "The valid option letters."),
        ],
        s => new ChoiceVerifier(s));

    private readonly string _letters;

    public ChoiceVerifier(VerifierSettings s)
    {
        _letters = (s.GetString("Letters") ?? "ABCDE").ToUpperInvariant();
        if (_letters.Length == 0 || !_letters.All(char.IsLetter)) throw new ArgumentException("The Choice verifier's Letters must be letters, e.g. 'ABCDE'.");
    }

    public string Name => "Choice";

    public VerificationResult Verify(Rollout rollout)
    {
        try
        {
            char? gold = GoldLetter(rollout.Answer);
            if (gold is null) return VerificationResult.NoGoldAnswer("the gold answer is not an option letter");
            char? pred = Chosen(rollout.Completion ?? "");
            bool ok = pred == gold;
            return new VerificationResult
            {
                Score = ok ? 1 : 0, IsCorrect = ok, Extracted = pred?.ToString(), ExtractedAnswer = gold.ToString(),
                NormalizedCompletion = pred?.ToString(), NormalizedAnswer = gold.ToString(),
                Reason = pred is null ? "no option letter found in the completion" : ok ? "same letter" : "different letter",
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new VerificationResult { Score = 0, IsCorrect = false, Reason = "internal error: " + e.GetType().Name };
        }
    }

    private char? GoldLetter(string? answer)
    {
        if (string.IsNullOrWhiteSpace(answer)) return null;
        var (a, _) = AnswerExtractor.Extract(answer, false, true);
        if (a is null) return null;
        if (Letter(a) is { } l) return l;
        // "B) 12" or "(B) 12"
        string t = a.TrimStart('(', ' ');
        if (t.Length >= 2 && IsOption(t[0]) && t[1] is ')' or '.' or ':') return char.ToUpperInvariant(t[0]);
        return null;
    }

    private bool IsOption(char c) => _letters.Contains(char.ToUpperInvariant(c)) && char.IsLetter(c);

    /// <summary>A string that is only a letter: "B", "(B)", "\text{B}", "B.", "$B$", "**B**".</summary>
    private char? Letter(string s)
    {
        s = AnswerExtractor.StripDelimiters(s).Replace("\\text", "", StringComparison.Ordinal).Replace("\\textbf", "", StringComparison.Ordinal);
        var chars = s.Where(c => !(c is '(' or ')' or '{' or '}' or '[' or ']' or '.' or '*' or ':' or ' ' or '$' or '\\')).ToArray();
        if (chars.Length == 1 && IsOption(chars[0])) return char.ToUpperInvariant(chars[0]);
        if (chars.Length >= 2 && IsOption(chars[0]) && s.TrimStart('(', ' ', '*').Length > 1 && s.TrimStart('(', ' ', '*')[1] is ')' or '.' or ':')
            return char.ToUpperInvariant(chars[0]);
        return null;
    }

    private char? Chosen(string text)
    {
        if (text.Length > 200_000) text = text[^200_000..];
        if (AnswerExtractor.Boxed(text) is { } b && Letter(b) is { } lb) return lb;
        var (a, how) = AnswerExtractor.Extract(text, false, false);
        if (a is not null && how is not AnswerExtractor.Method.Whole && Letter(a) is { } la) return la;
        if (a is not null && Letter(a) is { } lw) return lw;
        // Last "(B)" anywhere.
        for (int i = text.Length - 3; i >= 0; i--)
            if (text[i] == '(' && text[i + 2] == ')' && IsOption(text[i + 1])) return char.ToUpperInvariant(text[i + 1]);
        // A last line that is only a letter.
        var lines = text.TrimEnd().Split('\n');
        if (lines.Length > 0 && Letter(lines[^1]) is { } ll) return ll;
        return null;
    }
}
