namespace RlTools.Core.IO;

/// <summary>How <c>Import-RlDataset</c> reduces the answer field to the gold answer.</summary>
public enum AnswerExtraction
{
    /// <summary>Keep the answer field as it is.</summary>
    None,
    /// <summary>GSM8K: keep the number after the last <c>####</c> (commas removed).</summary>
    Gsm8k,
    /// <summary>MATH: keep the content of the last <c>\boxed{...}</c> (or <c>\fbox{...}</c>), nested braces included.</summary>
    Boxed,
}

/// <summary>
/// Extracts gold answers from published dataset solutions. GSM8K (Cobbe et al. 2021, arXiv
/// 2110.14168) ends each answer with <c>#### &lt;number&gt;</c>; MATH (Hendrycks et al. 2021, arXiv
/// 2103.03874) marks the final answer with <c>\boxed{...}</c> inside the solution.
/// </summary>
public static class DatasetAnswerExtractor
{
    /// <summary>Applies <paramref name="mode"/>; null when the text has no answer of that form.</summary>
    public static string? Extract(string text, AnswerExtraction mode) => mode switch
    {
        AnswerExtraction.None => text,
        AnswerExtraction.Gsm8k => Gsm8k(text),
        AnswerExtraction.Boxed => LastBoxed(text),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>The text after the last <c>####</c>, trimmed, thousands separators (commas) removed; null without a marker or with nothing after it.</summary>
    public static string? Gsm8k(string text)
    {
        int i = text.LastIndexOf("####", StringComparison.Ordinal);
        if (i < 0) return null;
        string tail = text[(i + 4)..].Trim().Replace(",", "", StringComparison.Ordinal);
        return tail.Length == 0 ? null : tail;
    }

    /// <summary>
    /// The content of the last <c>\boxed{...}</c> or <c>\fbox{...}</c>, matching nested braces as the Math verifier does
    /// (<see cref="Verifiers.Math.LatexBraces"/>); null when absent or unbalanced. Stricter than the verifier on purpose:
    /// a gold answer must be closed (the verifier takes the rest of a truncated completion) and must use braces
    /// (the verifier also reads <c>\boxed 5</c>).
    /// </summary>
    public static string? LastBoxed(string text)
    {
        int start = Math.Max(LastCommand(text, "\\boxed"), LastCommand(text, "\\fbox"));
        if (start < 0) return null;
        int i = start;
        while (i < text.Length && text[i] != '{') i++;
        if (i >= text.Length) return null;
        int close = Verifiers.Math.LatexBraces.MatchingClose(text, i, text.Length);
        return close < 0 ? null : text[(i + 1)..close].Trim();
    }

    // Last occurrence of the command followed (after optional spaces) by an opening brace.
    private static int LastCommand(string text, string command)
    {
        int from = text.Length;
        while (from > 0)
        {
            int i = text.LastIndexOf(command, from - 1, StringComparison.Ordinal);
            if (i < 0) return -1;
            int k = i + command.Length;
            while (k < text.Length && text[k] == ' ') k++;
            if (k < text.Length && text[k] == '{') return i;
            from = i;
        }
        return -1;
    }
}
