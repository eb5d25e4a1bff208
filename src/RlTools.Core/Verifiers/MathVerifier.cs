using RlTools.Core.Records;
using RlTools.Core.Verifiers.Math;

namespace RlTools.Core.Verifiers;

/// <summary>
/// Math answer verifier: 1 when the completion's final answer equals the gold answer, 0 otherwise,
/// null when the rollout has no gold answer.
/// <para>
/// Extraction (<see cref="AnswerExtractor"/>): last <c>\boxed{}</c>/<c>\fbox{}</c> (Hendrycks et al., MATH,
/// arXiv:2103.03874; verl <c>math_reward.py</c>), <c>&lt;answer&gt;</c> tags, GSM8K's <c>#### x</c>
/// (Cobbe et al., arXiv:2110.14168; verl <c>gsm8k.py</c>), "the answer is x" (Minerva, Lewkowycz et al.,
/// arXiv:2206.14858; verl <c>math_dapo.py</c>; also in French, German, Spanish, Portuguese, Italian, Russian, Chinese and
/// Japanese), and without a marker the last math region (<c>$…$</c>, <c>\(…\)</c>, <c>\[…\]</c>; Math-Verify's unanchored
/// LaTeX match) or, when a plain number follows it, the last number (verl gsm8k "flexible"). Chat-template tokens end the
/// completion. The gold answer may itself be a full solution and goes through the same extraction (without the fallback).
/// Answers are compared whole; one longer than <see cref="AnswerExtractor.MaxAnswerLength"/> characters is refused with a reason.
/// </para>
/// <para>
/// Equivalence (<see cref="MathEquivalence"/>): our own LaTeX/plain-math parser, exact rational arithmetic where
/// possible, numeric evaluation at fixed points for free variables, sets/tuples/intervals/matrices/equations, and
/// the documented rounding rules; in the spirit of Math-Verify (HuggingFace) and the PRIME/verl <c>prime_math</c>
/// grader, without a CAS. Every check runs under a time budget (<c>TimeBudgetMs</c>) and never throws.
/// </para>
/// </summary>
public sealed class MathVerifier : IVerifier
{
    public static VerifierInfo Info { get; } = new(
        "Math",
        "Final math answer (\\boxed{}, ####, 'the answer is', <answer>, last number) equals the gold answer: exact rationals, symbolic-numeric expressions, sets, tuples, intervals, matrices, equations, percent, degrees, units. 1 or 0; null without a gold answer.",
        "MATH (arXiv:2103.03874), GSM8K (arXiv:2110.14168), Minerva (arXiv:2206.14858); verl reward_score/math_*, Math-Verify",
        [
            new ParameterSpec("Fallback", typeof(bool), true, "Without an answer marker, take the last number (or closing math span) of the completion. Turn it off when the prompt asks for a marked answer (\\boxed{}, ####) or the policy is weak: it rewards text that merely ends in the right number."),
            new ParameterSpec("FloatRounding", typeof(int), 6, "Decimal places both numbers are rounded to when either is a decimal (Math-Verify's float_rounding): 0.1428571 = 0.14285713, 3.14 ≠ 3.141."),
            new ParameterSpec("AcceptRounding", typeof(bool), false, "Also accept the lenient rounding rules (gold 0.3333 vs 1/3, gold 3.14 vs 3.141); off by the graders' convention."),
            new ParameterSpec("RelativeTolerance", typeof(double), 1e-9, "Relative tolerance of numeric comparisons."),
            new ParameterSpec("CorrectScore", typeof(double), 1.0, "Score of a correct answer."),
            new ParameterSpec("IncorrectScore", typeof(double), 0.0, "Score of a wrong or missing answer."),
            new ParameterSpec("TimeBudgetMs", typeof(double), 25.0, "Time budget of one check in milliseconds of the checking thread's CPU time (waiting for a core does not count), once it has done real work (a hard stop applies at 40 ms, or at this budget when it is larger); a check that runs out is scored as incorrect."),
        ],
        s => new MathVerifier(s));

    private readonly bool _fallback;
    private readonly MathEquivalenceOptions _options;
    private readonly double _correct, _incorrect;
    private readonly TimeSpan _budget;

    public MathVerifier(VerifierSettings settings) : this(settings, warm: true) { }

    private MathVerifier(VerifierSettings settings, bool warm)
    {
        _fallback = settings.GetBool("Fallback");
        _options = new MathEquivalenceOptions
        {
            AcceptRounding = settings.GetBool("AcceptRounding"), RelativeTolerance = settings.GetDouble("RelativeTolerance"), FloatRounding = settings.GetInt("FloatRounding"),
        };
        if (_options.FloatRounding is < 0 or > 15) throw new ArgumentException("The Math verifier's FloatRounding must be between 0 and 15 decimal places.");
        _correct = settings.GetDouble("CorrectScore");
        _incorrect = settings.GetDouble("IncorrectScore");
        double ms = settings.GetDouble("TimeBudgetMs");
        if (!(ms > 0) || ms > 60_000) throw new ArgumentException("The Math verifier's TimeBudgetMs must be between 0 and 60000 (exclusive of 0).");
        if (!(_options.RelativeTolerance >= 0)) throw new ArgumentException("The Math verifier's RelativeTolerance must be 0 or more.");
        _budget = TimeSpan.FromMilliseconds(ms);
        if (warm) WarmUp();
    }

    private static int _warm;

    /// <summary>
    /// Runs a few representative checks once per process without a time budget, so that JIT compilation of the
    /// parser and evaluator does not eat the first real checks' budget.
    /// </summary>
    private static void WarmUp()
    {
        if (Interlocked.Exchange(ref _warm, 1) == 1) return;
        var v = new MathVerifier(VerifierSettings.Bind("Math", [.. Info.Parameters.Where(p => p.Name != "TimeBudgetMs"),
            new ParameterSpec("TimeBudgetMs", typeof(double), 10_000.0, "")], null), warm: false);
        string[][] pairs =
        [
            ["The answer is \\boxed{\\frac{1}{2}}.", "0.5"], ["#### 1,000", "1000"], ["\\boxed{x^2+2x+1}", "(x+1)^2"],
            ["\\boxed{(-\\infty, 3) \\cup [4, 5]}", "x < 3 or 4 <= x <= 5"], ["\\boxed{\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}"],
            ["\\boxed{\\sqrt[3]{-8} + \\sin 30^\\circ + \\log_2 8 + 3!}", "\\binom{4}{2}"], ["\\boxed{\\{1, 2\\}}", "2, 1"], ["\\boxed{y = 2x + 1}", "2x - y + 1 = 0"],
            ["\\boxed{\\text{Monday}}", "Monday"], ["\\boxed{25\\%}", "0.25"], ["\\boxed{1 \\pm \\sqrt{2}}", "1+\\sqrt2, 1-\\sqrt2"], ["\\boxed{3+4i}", "|3+4i|"],
            ["\\boxed{0.333}", "\\frac13"], ["so she has 18 eggs left", "18"],
            ["La réponse est 3,5.<|im_end|>", "3.5"], ["hence $-2t \\le 6$ is required", "t \\ge -3"], ["\\boxed{2 \\le |w| \\le 5}", "[-5,-2] \\cup [2,5]"],
            ["\\boxed{m = 2+3 = 5 \\approx 5.0}", "5"], ["\\boxed{\\lim_{t\\to 0}\\frac{\\tan t}{t} = 1}", "1"], ["\\boxed{a=2, b=5; a=4, b=1}", "(2,5),(4,1)"],
            ["$x_1 = \\boxed{-1}$ and $x_2 = \\boxed{3}$", "\\{-1, 3\\}"], ["\\boxed{-\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}}", "\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}"],
            ["答案：12", "12"], ["\\text{The sequence diverges}", "\\text{The sequence diverges}"], ["\\boxed{b + 2c = 0}", "0"],
        ];
        foreach (var p in pairs) v.Check(p[0], p[1]);
    }

    /// <summary>A verifier with the default parameters.</summary>
    public MathVerifier() : this(VerifierSettings.Bind("Math", Info.Parameters, null)) { }

    public string Name => "Math";

    public VerificationResult Verify(Rollout rollout) => Check(rollout.Completion, rollout.Answer);

    /// <summary>Checks one completion against one gold answer (either may be a full solution).</summary>
    public VerificationResult Check(string? completion, string? gold)
    {
        try
        {
            return CheckCore(completion, gold);
        }
        catch (BudgetExceededException e)
        {
            return new VerificationResult { Score = _incorrect, IsCorrect = false, Reason = "not verified: " + e.Message };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Robustness contract: never throw out of a verifier.
            return new VerificationResult { Score = _incorrect, IsCorrect = false, Reason = "internal error while checking: " + e.GetType().Name };
        }
    }

    private VerificationResult CheckCore(string? completion, string? gold)
    {
        var (goldAnswer, _) = AnswerExtractor.Extract(gold, fallback: false, isGold: true);
        if (goldAnswer is null || goldAnswer.Length == 0) return VerificationResult.NoGoldAnswer("no gold answer");
        var (pred, how) = AnswerExtractor.Extract(completion, _fallback, isGold: false);
        if (pred is null || pred.Length == 0)
            return new VerificationResult { Score = _incorrect, IsCorrect = false, ExtractedAnswer = goldAnswer, Reason = "no answer found in the completion" };
        // Answers are compared whole or not at all: never a prefix of them (issue #18).
        if (pred.Length > AnswerExtractor.MaxAnswerLength || goldAnswer.Length > AnswerExtractor.MaxAnswerLength)
            return new VerificationResult
            {
                Score = _incorrect, IsCorrect = false,
                Reason = $"not verified: the {(goldAnswer.Length > AnswerExtractor.MaxAnswerLength ? "gold" : "extracted")} answer is longer than {AnswerExtractor.MaxAnswerLength} characters, the longest compared ({Describe(how)})",
            };

        // Doubled backslashes from escaped strings ("\\frac", "\\le") read like single ones.
        pred = UndoubleBackslashes(pred);
        goldAnswer = UndoubleBackslashes(goldAnswer);

        // Multiple choice with content: "(B) 12" against "B" compares letters, against "12" compares contents.
        bool predOption = AnswerExtractor.TrySplitOption(pred, out char pl, out string pc);
        bool goldOption = AnswerExtractor.TrySplitOption(goldAnswer, out char gl, out string gc);
        if (predOption && goldOption) { pred = pl.ToString(); goldAnswer = gl.ToString(); }
        else if (predOption) pred = AnswerExtractor.OptionLetter(goldAnswer) is not null ? pl.ToString() : pc;
        else if (goldOption) goldAnswer = AnswerExtractor.OptionLetter(pred) is not null ? gl.ToString() : gc;

        var budget = new Budget(_budget);
        MathNode? g = null, p = null;
        string? gErr = null, pErr = null;
        try { g = MathParser.Parse(goldAnswer, budget); } catch (MathParseException e) { gErr = e.Message; }
        try { p = MathParser.Parse(pred, budget); } catch (MathParseException e) { pErr = e.Message; }
        string gNorm = g?.ToString() ?? MathEquivalence.NormalizeText(goldAnswer);
        string pNorm = p?.ToString() ?? MathEquivalence.NormalizeText(pred);
        bool equal;
        string reason;
        try
        {
            if (g is not null && p is not null)
            {
                var eq = new MathEquivalence(budget, _options);
                equal = eq.Equal(g, p);
                string rule = eq.Rule;
                // "3,5" is 3.5 (decimal comma), unless the other side is several values: then it is the list 3, 5.
                if (!equal && IsSeveral(g) != IsSeveral(p) && (IsSeveral(g) ? DecimalCommaIn(pred) : DecimalCommaIn(goldAnswer)))
                {
                    try
                    {
                        var g2 = IsSeveral(g) ? g : MathParser.Parse(goldAnswer, budget, decimalComma: false);
                        var p2 = IsSeveral(g) ? MathParser.Parse(pred, budget, decimalComma: false) : p;
                        if (eq.Equal(g2, p2)) { equal = true; rule = "a comma between digits read as a list separator, as the other side is several values; " + eq.Rule; }
                    }
                    catch (MathParseException) { }
                }
                reason = (equal ? "equivalent" : "not equivalent") + $" by rule: {rule} ({Describe(how)})";
            }
            else
            {
                string a = MathEquivalence.NormalizeText(goldAnswer), b = MathEquivalence.NormalizeText(pred);
                equal = a.Length > 0 && a == b;
                if (!equal && g is not null && p is null) equal = string.Equals(MathEquivalence.Canonical(g), pred.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
                reason = (equal ? "same text" : "different text") + $" ({Describe(how)}; {(gErr is not null ? "gold: " + gErr : "completion: " + pErr)})";
            }
        }
        catch (BudgetExceededException e)
        {
            equal = false;
            reason = $"not verified: {e.Message} ({Describe(how)})";
        }
        return new VerificationResult
        {
            Score = equal ? _correct : _incorrect,
            IsCorrect = equal,
            Extracted = pred,
            ExtractedAnswer = goldAnswer,
            NormalizedCompletion = pNorm,
            NormalizedAnswer = gNorm,
            Reason = reason,
            // the rules that apply only with Fallback on (an unmarked answer read from prose); a short answer line is not one
            FromFallback = how is AnswerExtractor.Method.LastNumber or AnswerExtractor.Method.MathRegion or AnswerExtractor.Method.ProseRelation,
        };
    }

    private static readonly System.Text.RegularExpressions.Regex DoubledCommand = new(@"\\\\(?=[A-Za-z]{2})", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// A LaTeX answer that went through one more level of string escaping ("\\frac{1}{2}", "x \\le 3") has every backslash
    /// doubled; when a doubled backslash starts a command name, the doubling is undone (a matrix row break "\\" then
    /// becomes "\\" from "\\\\").
    /// </summary>
    private static string UndoubleBackslashes(string s)
    {
        if (s.Length > AnswerExtractor.MaxAnswerLength || !DoubledCommand.IsMatch(s)) return s;
        // every run of backslashes must have an even length (a single "\\frac" beside a "\\\\" row break is plain LaTeX)
        for (int i = 0; i < s.Length;)
        {
            if (s[i] != '\\') { i++; continue; }
            int j = i;
            while (j < s.Length && s[j] == '\\') j++;
            if ((j - i) % 2 == 1) return s;
            i = j;
        }
        var sb = new System.Text.StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            sb.Append(s[i]);
            if (s[i] == '\\' && i + 1 < s.Length && s[i + 1] == '\\') i++;
        }
        return sb.ToString();
    }

    private static bool IsSeveral(MathNode n) => n is ListNode or SetNode { Items.Count: >= 2 } or TupleNode;

    private static bool DecimalCommaIn(string s)
    {
        for (int i = 1; i + 1 < s.Length; i++)
            if (s[i] == ',' && char.IsDigit(s[i - 1]) && char.IsDigit(s[i + 1])) return true;
        return false;
    }

    private static string Describe(AnswerExtractor.Method how) => how switch
    {
        AnswerExtractor.Method.Boxed => "answer from \\boxed{}",
        AnswerExtractor.Method.AnswerTag => "answer from <answer> tags",
        AnswerExtractor.Method.Hashes => "answer after ####",
        AnswerExtractor.Method.Phrase => "answer after 'the answer is'",
        AnswerExtractor.Method.Whole => "whole completion",
        AnswerExtractor.Method.LineMath => "math of the short answer line",
        AnswerExtractor.Method.LastNumber => "last number of the completion",
        AnswerExtractor.Method.MathRegion => "last math region of the completion",
        AnswerExtractor.Method.ProseRelation => "last relation in the prose of the completion",
        _ => "no answer",
    };
}
