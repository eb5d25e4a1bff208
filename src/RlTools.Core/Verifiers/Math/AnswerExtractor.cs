namespace RlTools.Core.Verifiers.Math;

/// <summary>
/// Finds the final answer in a completion or a gold solution. Markers, in priority order:
/// the last <c>\boxed{…}</c> or <c>\fbox{…}</c> (brace-matched, also <c>\boxed 5</c>; Hendrycks MATH and verl's
/// <c>math_reward.py</c>), the last <c>&lt;answer&gt;…&lt;/answer&gt;</c> (verl <c>search_r1</c>, TRL format rewards),
/// the last <c>#### x</c> (GSM8K, verl <c>gsm8k.py</c>), the last "answer is x" / "Answer: x" (Minerva, verl
/// <c>math_dapo.py</c>). Without a marker, a short text is taken whole; otherwise, when the fallback is on, the last
/// inline math span or number of the last sentence (verl's gsm8k "flexible" mode).
/// Every search is linear (IndexOf/LastIndexOf), so megabyte inputs stay fast.
/// </summary>
public static class AnswerExtractor
{
    /// <summary>Longest answer kept (characters); longer extractions are cut.</summary>
    public const int MaxAnswerLength = 1000;

    /// <summary>Characters at the end of a text searched for answer phrases and &lt;answer&gt; tags.</summary>
    public const int TailLength = 20_000;

    /// <summary>How the answer was found.</summary>
    public enum Method { None, Boxed, AnswerTag, Hashes, Phrase, Whole, LastNumber }

    /// <summary>Extracts the final answer; null when none is found.</summary>
    public static (string? Answer, Method How) Extract(string? text, bool fallback, bool isGold)
    {
        if (string.IsNullOrWhiteSpace(text)) return (null, Method.None);
        // A reasoning block is not the answer: look after the last </think> first (TRL reasoning_accuracy_reward).
        int think = isGold ? -1 : text.LastIndexOf("</think>", StringComparison.Ordinal);
        if (think >= 0)
        {
            string after = text[(think + 8)..];
            if (!string.IsNullOrWhiteSpace(after))
            {
                var found = ExtractCore(after, fallback, isGold);
                if (found.Answer is not null) return found;
            }
        }
        return ExtractCore(text, fallback, isGold);
    }

    private static (string? Answer, Method How) ExtractCore(string text, bool fallback, bool isGold)
    {
        if (BoxedAll(text) is { } b) return (Clip(b), Method.Boxed);
        // Phrases and tags are searched case-insensitively in the tail only: the final answer is near the end, and a
        // case-insensitive scan of a megabyte would cost the time budget.
        string tail = text.Length > TailLength ? text[^TailLength..] : text;
        if (AnswerTag(tail) is { } a)
        {
            if (Boxed(a) is { } ab) return (Clip(ab), Method.Boxed);
            return (Clip(Phrase(a) ?? a.Trim()), Method.AnswerTag);
        }
        if (Hashes(text) is { } h) return (Clip(h), Method.Hashes);
        if (Phrase(tail) is { } p) return (Clip(p), Method.Phrase);
        string trimmed = text.Trim();
        // a gold written as prose ("Since x = 2, the sum is 5") stands for its last number
        if (isGold && LooksLikeSentence(trimmed) && trimmed.Length > 40 && LastNumber(trimmed) is { } gn) return (gn, Method.LastNumber);
        if (isGold || (trimmed.Length <= MaxAnswerLength && !trimmed.Contains('\n') && !LooksLikeSentence(trimmed))) return (Clip(StripDelimiters(trimmed)), Method.Whole);
        if (fallback && LastNumber(text) is { } n) return (n, Method.LastNumber);
        return (null, Method.None);
    }

    /// <summary>
    /// A multiple-choice option with its content, "(B) 12" or "\textbf{(B) } 12" or "B) 12": the letter and the content.
    /// </summary>
    public static bool TrySplitOption(string s, out char letter, out string content)
    {
        letter = '\0';
        content = "";
        string t = s.Replace("\\textbf{", "", StringComparison.Ordinal).Replace("\\text{", "", StringComparison.Ordinal).Replace("}", " ", StringComparison.Ordinal).Trim();
        int i = 0;
        bool paren = t.StartsWith('(');
        if (paren) i++;
        if (i + 1 >= t.Length || !(t[i] is >= 'A' and <= 'E') || t[i + 1] != ')') return false;
        if (paren && i != 1) return false;
        letter = t[i];
        content = t[(i + 2)..].Trim();
        return content.Length > 0;
    }

    /// <summary>A bare option letter: "B", "(B)", "\text{(B)}".</summary>
    public static char? OptionLetter(string s)
    {
        string t = s.Replace("\\textbf", "", StringComparison.Ordinal).Replace("\\text", "", StringComparison.Ordinal).Replace("\\mathrm", "", StringComparison.Ordinal);
        var chars = t.Where(c => !(c is '(' or ')' or '{' or '}' or ' ' or '$' or '.' or '*')).ToArray();
        return chars.Length == 1 && chars[0] is >= 'A' and <= 'E' ? chars[0] : null;
    }

    /// <summary>Three or more plain words (not LaTeX commands): prose, not a bare answer.</summary>
    private static bool LooksLikeSentence(string s)
    {
        int words = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (!char.IsLetter(s[i]) || (i > 0 && (char.IsLetter(s[i - 1]) || s[i - 1] == '\\'))) continue;
            int j = i;
            while (j < s.Length && char.IsLetter(s[j])) j++;
            if (j - i >= 2) words++;
            i = j;
        }
        return words >= 3;
    }

    private static string Clip(string s)
    {
        s = s.Trim();
        return s.Length > MaxAnswerLength ? s[..MaxAnswerLength] : s;
    }

    /// <summary>
    /// The last \boxed{}, joined with the boxes just before it when only separators stand between them
    /// ("\boxed{2} and \boxed{3}" gives "2, 3").
    /// </summary>
    private static string? BoxedAll(string text)
    {
        var last = Boxed(text, text.Length, out int start);
        if (last is null) return null;
        var parts = new List<string> { last };
        for (int n = 0; n < 20 && start > 0; n++)
        {
            var prev = Boxed(text, start, out int prevStart, out int prevEnd);
            if (prev is null || !OnlySeparators(text, prevEnd, start)) break;
            parts.Insert(0, prev);
            start = prevStart;
        }
        return parts.Count == 1 ? last : string.Join(", ", parts);
    }

    private static bool OnlySeparators(string text, int from, int to)
    {
        if (to - from > 24 || to < from) return false;
        string between = text[from..to].Replace("\\text", "", StringComparison.Ordinal).Replace("\\quad", "", StringComparison.Ordinal);
        foreach (var w in between.Split([' ', ',', ';', '$', '{', '}', '\\', '(', ')', '\n'], StringSplitOptions.RemoveEmptyEntries))
            if (w is not ("and" or "or" or "&")) return false;
        return true;
    }

    /// <summary>Content of the last \boxed{} or \fbox{} (nested braces matched; an unclosed brace takes the rest).</summary>
    public static string? Boxed(string text) => Boxed(text, text.Length, out _);

    private static string? Boxed(string text, int before, out int start) => Boxed(text, before, out start, out _);

    private static string? Boxed(string text, int before, out int boxStart, out int boxEnd)
    {
        boxStart = -1;
        boxEnd = -1;
        if (before <= 0) return null;
        int i1 = text.LastIndexOf("\\boxed", before - 1, StringComparison.Ordinal);
        int i2 = text.LastIndexOf("\\fbox", before - 1, StringComparison.Ordinal);
        int idx = System.Math.Max(i1, i2);
        if (idx < 0) return null;
        boxStart = idx;
        int i = idx + (idx == i1 ? 6 : 5);
        while (i < text.Length && text[i] == ' ') i++;
        if (i >= text.Length) return null;
        if (text[i] != '{')
        {
            if (idx == i1 && i > idx + 6)
            {
                // "\boxed 5": up to the next space or dollar sign
                int end = i;
                while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] != '$') end++;
                boxEnd = end;
                return text[i..end];
            }
            return null;
        }
        int start = i + 1;
        int close = LatexBraces.MatchingClose(text, i, start + 100_000);
        if (close >= 0) { boxEnd = close + 1; return text[start..close]; }
        boxEnd = text.Length;
        return text[start..System.Math.Min(text.Length, start + MaxAnswerLength)];
    }

    private static string? AnswerTag(string text)
    {
        int open = text.LastIndexOf("<answer>", StringComparison.OrdinalIgnoreCase);
        if (open < 0) return null;
        int start = open + 8;
        int close = text.IndexOf("</answer>", start, StringComparison.OrdinalIgnoreCase);
        string inner = close < 0 ? text[start..] : text[start..close];
        return string.IsNullOrWhiteSpace(inner) ? null : inner;
    }

    private static string? Hashes(string text)
    {
        int idx = text.LastIndexOf("####", StringComparison.Ordinal);
        if (idx < 0) return null;
        int start = idx + 4;
        while (start < text.Length && text[start] == '#') start++;
        int end = text.IndexOf('\n', start);
        string line = (end < 0 ? text[start..] : text[start..end]).Trim();
        if (line.Length == 0) return null;
        return CutSentence(line);
    }

    private static readonly string[] Phrases =
    [
        "final answer is", "the answer is", "answer is", "final answer:", "answer:", "final answer", "answer =",
    ];

    private static string? Phrase(string text)
    {
        int best = -1, bestLen = 0;
        foreach (var ph in Phrases)
        {
            int idx = text.LastIndexOf(ph, StringComparison.OrdinalIgnoreCase);
            if (idx > best) { best = idx; bestLen = ph.Length; }
        }
        if (best < 0) return null;
        int start = best + bestLen;
        // "The final answer is: $5$", "Answer: (B)"
        while (start < text.Length && (text[start] is ':' or ' ' or '\t' or '*')) start++;
        if (start >= text.Length) return null;
        string rest = text[start..];
        if (rest.Length > 4 * MaxAnswerLength) rest = rest[..(4 * MaxAnswerLength)];
        int nl = rest.IndexOf('\n');
        if (nl == 0) { rest = rest.TrimStart('\n', '\r', ' '); nl = rest.IndexOf('\n'); }
        if (nl > 0) rest = rest[..nl];
        // An inline math span right after the phrase is the answer: "The answer is $x = 3$."
        string trimmed = rest.Trim();
        if (trimmed.StartsWith("$", StringComparison.Ordinal))
        {
            // "$x=4$ or $x=-1$": the first span and any spans joined to it by "or", "and" or commas
            var spans = new List<string>();
            int pos = 0;
            while (pos < trimmed.Length && trimmed[pos] == '$' && spans.Count < 20)
            {
                bool dbl = pos + 1 < trimmed.Length && trimmed[pos + 1] == '$';
                int s0 = pos + (dbl ? 2 : 1);
                int close = UnescapedDollar(trimmed, s0, dbl);
                if (close <= s0) break;
                spans.Add(trimmed[s0..close]);
                pos = close + (dbl ? 2 : 1);
                int next = pos;
                while (next < trimmed.Length && (trimmed[next] is ' ' or ',')) next++;
                if (string.CompareOrdinal(trimmed, next, "or ", 0, 3) == 0) next += 3;
                else if (string.CompareOrdinal(trimmed, next, "and ", 0, 4) == 0) next += 4;
                while (next < trimmed.Length && trimmed[next] == ' ') next++;
                if (next < trimmed.Length && trimmed[next] == '$' && next > pos) pos = next;
                else break;
            }
            if (spans.Count > 0) return string.Join(", ", spans);
        }
        if (trimmed.StartsWith("\\(", StringComparison.Ordinal) || trimmed.StartsWith("\\[", StringComparison.Ordinal))
        {
            int close = trimmed.IndexOf(trimmed[1] == '(' ? "\\)" : "\\]", 2, StringComparison.Ordinal);
            if (close > 2) return trimmed[2..close];
        }
        var cut = CutSentence(trimmed);
        // "12 (since 3 * 4 = 12)": drop a trailing remark in parentheses that starts with a word
        int paren = cut.IndexOf(" (", StringComparison.Ordinal);
        if (paren > 0 && paren + 5 < cut.Length && char.IsLetter(cut[paren + 2]) && char.IsLetter(cut[paren + 3]) && char.IsLetter(cut[paren + 4]))
            cut = cut[..paren].TrimEnd();
        return cut.Length == 0 ? null : cut;
    }

    private static int UnescapedDollar(string s, int from, bool dbl)
    {
        for (int i = from; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] == '$' && (!dbl || (i + 1 < s.Length && s[i + 1] == '$'))) return i;
        }
        return -1;
    }

    /// <summary>Cuts at the first sentence end (". " or a final "."), not at a decimal point; strips $ delimiters.</summary>
    private static string CutSentence(string s)
    {
        int depth = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is '{' or '(' or '[') depth++;
            else if (c is '}' or ')' or ']') depth--;
            else if (depth <= 0 && (c is '.' or '!' or '?') && (i + 1 == s.Length || char.IsWhiteSpace(s[i + 1])) && !(c == '.' && i > 0 && s[i - 1] == '\\'))
            {
                s = s[..i];
                break;
            }
        }
        return StripDelimiters(s.Trim());
    }

    internal static string StripDelimiters(string s)
    {
        s = s.Trim();
        if (s.StartsWith("$$", StringComparison.Ordinal) && s.EndsWith("$$", StringComparison.Ordinal) && s.Length >= 4) s = s[2..^2];
        else if (s.StartsWith('$') && s.EndsWith('$') && s.Length >= 2) s = s[1..^1];
        else if ((s.StartsWith("\\(", StringComparison.Ordinal) && s.EndsWith("\\)", StringComparison.Ordinal)) ||
                 (s.StartsWith("\\[", StringComparison.Ordinal) && s.EndsWith("\\]", StringComparison.Ordinal))) s = s.Length >= 4 ? s[2..^2] : s;
        return s.Trim().TrimEnd('.', ' ').Trim().Trim('*').Trim();
    }

    /// <summary>The last number (or inline math span that ends the text) in the last 300 characters, as verl's gsm8k flexible mode.</summary>
    public static string? LastNumber(string text)
    {
        string tail = text.Length > 300 ? text[^300..] : text;
        // A math span at the very end ("... so the total is $\frac{3}{4}$.") beats a bare number.
        string t = tail.TrimEnd(' ', '\n', '\r', '\t', '.', '!');
        if (t.EndsWith('$'))
        {
            // the closing chain of spans: "... the roots are $x = 2$ and $x = 3$"
            var spans = new List<string>();
            int end = t.Length;
            while (end > 0 && t[end - 1] == '$' && spans.Count < 10)
            {
                int close = end - 1;
                int open = t.LastIndexOf('$', System.Math.Max(0, close - 1));
                if (open < 0 || close - open <= 1) break;
                spans.Insert(0, t[(open + 1)..close]);
                int before = open;
                while (before > 0 && t[before - 1] is ' ' or ',') before--;
                if (before >= 3 && string.CompareOrdinal(t, before - 3, "and", 0, 3) == 0) before -= 3;
                else if (before >= 2 && string.CompareOrdinal(t, before - 2, "or", 0, 2) == 0) before -= 2;
                else if (before == open) break;
                while (before > 0 && t[before - 1] is ' ' or ',') before--;
                if (before <= 0 || t[before - 1] != '$') break;
                end = before;
            }
            if (spans.Count == 1)
            {
                int eq = spans[0].LastIndexOf('=');
                return (eq >= 0 ? spans[0][(eq + 1)..] : spans[0]).Trim();
            }
            if (spans.Count > 1) return string.Join(", ", spans);
        }
        for (int i = tail.Length - 1; i >= 0; i--)
        {
            if (!char.IsDigit(tail[i])) continue;
            int end = i + 1;
            int start = i;
            int group = 1;
            while (start > 0)
            {
                char c = tail[start - 1];
                if (char.IsDigit(c)) { start--; group++; }
                else if (c == ' ' && group == 3 && start >= 2 && char.IsDigit(tail[start - 2])) { start--; group = 0; } // 1 000 000
                else if (c == '.' || (c == ',' && start >= 2 && char.IsDigit(tail[start - 2]))) { start--; group = 0; }
                else if (c == ',' && start >= 3 && tail[start - 2] == '\\' && char.IsDigit(tail[start - 3])) start -= 2; // 1\,000
                else break;
            }
            // a fraction like 3/4
            if (start >= 2 && tail[start - 1] == '/' && char.IsDigit(tail[start - 2]))
            {
                start -= 1;
                while (start > 0 && char.IsDigit(tail[start - 1])) start--;
            }
            if (start > 0 && tail[start - 1] == '-') start--;
            return tail[start..end].Trim('.', ',', ' ');
        }
        return null;
    }
}
