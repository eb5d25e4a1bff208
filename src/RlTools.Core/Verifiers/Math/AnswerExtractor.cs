namespace RlTools.Core.Verifiers.Math;

/// <summary>
/// Finds the final answer in a completion or a gold solution. Markers, in priority order:
/// the last <c>\boxed{…}</c> or <c>\fbox{…}</c> (brace-matched, also <c>\boxed 5</c>; Hendrycks MATH and verl's
/// <c>math_reward.py</c>), the last <c>&lt;answer&gt;…&lt;/answer&gt;</c> (verl <c>search_r1</c>, TRL format rewards),
/// the last <c>#### x</c> (GSM8K, verl <c>gsm8k.py</c>), the last "answer is x" / "Answer: x" (Minerva, verl
/// <c>math_dapo.py</c>). Without a marker, a short text is taken whole; otherwise, when the fallback is on, the last
/// math region, an inequality written in plain prose ("hence t ≥ -3 is required"), or the last number (verl's gsm8k
/// "flexible" mode), each only when no plain number follows it.
/// Every search is linear (IndexOf/LastIndexOf), so megabyte inputs stay fast.
/// </summary>
public static class AnswerExtractor
{
    /// <summary>
    /// Longest answer compared (characters). Answers are never cut: a longer extraction is returned whole (up to one
    /// character more, so the caller can tell) and the verifier refuses it with a reason (issue #18: a clipped
    /// comparison judged 1,500 sevens equal to 1,499 sevens and a 6).
    /// </summary>
    public const int MaxAnswerLength = 5000;

    /// <summary>Characters at the end of a text searched for answer phrases and &lt;answer&gt; tags.</summary>
    public const int TailLength = 20_000;

    /// <summary>How the answer was found.</summary>
    public enum Method { None, Boxed, AnswerTag, Hashes, Phrase, Whole, LineMath, LastNumber, MathRegion, ProseRelation }

    /// <summary>Extracts the final answer; null when none is found.</summary>
    public static (string? Answer, Method How) Extract(string? text, bool fallback, bool isGold)
    {
        if (string.IsNullOrWhiteSpace(text)) return (null, Method.None);
        text = StripChatTokens(text);
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
        if (isGold || (trimmed.Length <= MaxAnswerLength && !trimmed.Contains('\n') && (!LooksLikeSentence(trimmed) || IsOneTextGroup(trimmed))))
        {
            // a short line with a word outside its math ("so $-2t \le 6$", "prix : $4,20$ €"): the word is prose, not a
            // factor of the answer; its last math region is the answer, as in longer prose
            if (!isGold && WordOutsideMath(trimmed) && LastMathRegion(trimmed, out int shortEnd) is { } shortMath && LastNumberPosition(trimmed, shortEnd) < 0)
                return (Clip(shortMath), Method.LineMath);
            return (Clip(StripDelimiters(trimmed)), Method.Whole);
        }
        if (!fallback) return (null, Method.None);
        // Without a marker: the last math region ($…$, \(…\), \[…\]) that holds math, unless a plain number follows it
        // in the prose (Math-Verify's unanchored LaTeX and number patterns: the later match wins); a number in a trailing
        // "because …" clause is commentary.
        string region = tail;
        var math = LastMathRegion(region, out int regionEnd);
        int numberAt = LastNumberPosition(region, regionEnd);
        if (math is not null && numberAt < 0) return (Clip(math), Method.MathRegion);
        // "hence t ≥ -3 is required", "the solution set is -1 < x < 4.": a relation written in plain prose, when no number
        // follows it, is the answer rather than its last number (issue #13 class 2)
        if (ProseRelation(region, regionEnd) is { } rel) return (Clip(rel), Method.ProseRelation);
        if (LastNumber(text) is { } n) return (n, Method.LastNumber);
        return (null, Method.None);
    }

    /// <summary>
    /// Chat-template tokens are not part of the answer: the text is cut at the first turn marker that follows some
    /// content (<c>&lt;|im_start|&gt;user …</c>, <c>&lt;|im_end|&gt;</c>, <c>&lt;|eot_id|&gt;</c>, <c>&lt;|endoftext|&gt;</c>, <c>&lt;/s&gt;</c>),
    /// so a new question the model goes on to write is never read as its answer.
    /// </summary>
    internal static string StripChatTokens(string text)
    {
        // skip leading whitespace and chat tokens (one linear pass), then cut at the first token after the content
        int pos = 0;
        while (pos < text.Length)
        {
            if (char.IsWhiteSpace(text[pos])) { pos++; continue; }
            if (string.CompareOrdinal(text, pos, "<|im_start|>assistant", 0, 21) == 0) { pos += 21; continue; }
            int len = 0;
            foreach (var tok in ChatTokens)
                if (string.CompareOrdinal(text, pos, tok, 0, tok.Length) == 0) { len = tok.Length; break; }
            if (len == 0) break;
            pos += len;
        }
        if (pos >= text.Length) return "";
        int cut = text.Length;
        foreach (var tok in ChatTokens)
        {
            int i = text.IndexOf(tok, pos, StringComparison.Ordinal);
            if (i >= 0 && i < cut) cut = i;
        }
        return text[pos..cut];
    }

    private static readonly string[] ChatTokens = ["<|im_end|>", "<|im_start|>", "<|eot_id|>", "<|endoftext|>", "<|end_of_text|>", "</s>", "<|end|>"];

    /// <summary>A completion that is one \text{…} group (or \textbf, \mathrm): a text answer, not prose around an answer.</summary>
    private static bool IsOneTextGroup(string s)
    {
        s = StripDelimiters(s);
        foreach (var cmd in new[] { "\\text{", "\\textbf{", "\\mathrm{", "\\textit{" })
        {
            if (!s.StartsWith(cmd, StringComparison.Ordinal)) continue;
            int close = LatexBraces.MatchingClose(s, cmd.Length - 1, s.Length);
            return close == s.Length - 1;
        }
        return false;
    }

    /// <summary>
    /// Content of the last math region of the text that holds math (a digit, a relation, a LaTeX command or an operator;
    /// not a lone name such as <c>$x$</c> or <c>$ABCD$</c>), with its end position; null when there is none.
    /// </summary>
    private static string? LastMathRegion(string text, out int end)
    {
        end = -1;
        int searchEnd = text.Length;
        for (int tries = 0; tries < 20 && searchEnd > 0; tries++)
        {
            int best = -1, bestClose = -1, bestOpenLen = 0;
            // \[ … \] and \( … \)
            foreach (var (open, close) in new[] { ("\\[", "\\]"), ("\\(", "\\)") })
            {
                int c = text.LastIndexOf(close, searchEnd - 1, StringComparison.Ordinal);
                if (c < 0) continue;
                int o = text.LastIndexOf(open, c, StringComparison.Ordinal);
                if (o < 0 || c + close.Length <= bestClose) continue;
                best = o; bestClose = c + close.Length; bestOpenLen = open.Length;
            }
            // $ … $ and $$ … $$ (unescaped dollars)
            int d2 = LastUnescaped(text, '$', searchEnd);
            if (d2 >= 0 && d2 + 1 > bestClose)
            {
                bool dbl = d2 > 0 && text[d2 - 1] == '$' && !(d2 > 1 && text[d2 - 2] == '\\');
                int closeStart = dbl ? d2 - 1 : d2;
                int d1 = LastUnescaped(text, '$', closeStart);
                if (dbl)
                {
                    while (d1 >= 1 && !(text[d1 - 1] == '$')) d1 = LastUnescaped(text, '$', d1);
                    if (d1 >= 1) { best = d1 - 1; bestClose = d2 + 1; bestOpenLen = 2; }
                }
                else if (d1 >= 0) { best = d1; bestClose = d2 + 1; bestOpenLen = 1; }
            }
            if (best < 0) return null;
            string inner = text[(best + bestOpenLen)..(bestClose - bestOpenLen)].Trim().TrimEnd('.', ',', ';').Trim();
            if (HoldsMath(inner))
            {
                end = bestClose;
                // regions joined by "and", "or" or commas are one answer ("the roots are $x = 2$ and $x = 3$"), as Math-Verify joins them
                var parts = new List<string> { inner };
                int before = best;
                while (parts.Count < 6)
                {
                    int k = before;
                    while (k > 0 && text[k - 1] is ' ' or ',') k--;
                    if (k >= 3 && string.CompareOrdinal(text, k - 3, "and", 0, 3) == 0) k -= 3;
                    else if (k >= 2 && string.CompareOrdinal(text, k - 2, "or", 0, 2) == 0) k -= 2;
                    else if (k == before || !text[k..before].Contains(',')) break;
                    while (k > 0 && text[k - 1] is ' ' or ',') k--;
                    if (k < 2 || text[k - 1] != '$' || (k >= 2 && text[k - 2] == '$')) break;
                    int open = LastUnescaped(text, '$', k - 1);
                    if (open < 0) break;
                    string prev = text[(open + 1)..(k - 1)].Trim();
                    if (!HoldsMath(prev)) break;
                    parts.Insert(0, prev);
                    before = open;
                }
                return parts.Count == 1 ? inner : string.Join(", ", parts);
            }
            searchEnd = best;
        }
        return null;
    }

    /// <summary>
    /// True when the text has a math region ($…$, \(…\), \[…\]) and, outside every region, a plain word of two or more
    /// letters (not a LaTeX command).
    /// </summary>
    private static bool WordOutsideMath(string s)
    {
        if (s.IndexOf('$') < 0 && !s.Contains("\\(", StringComparison.Ordinal) && !s.Contains("\\[", StringComparison.Ordinal)) return false;
        bool inMath = false;
        char close = '\0';
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\\' && i + 1 < s.Length)
            {
                char n = s[i + 1];
                if (!inMath && n is '(' or '[') { inMath = true; close = n == '(' ? ')' : ']'; i++; continue; }
                if (inMath && close != '$' && n == close) { inMath = false; i++; continue; }
                i++;
                while (i + 1 < s.Length && char.IsLetter(s[i + 1])) i++; // a command name is not a word
                continue;
            }
            if (c == '$')
            {
                if (!inMath) { inMath = true; close = '$'; }
                else if (close == '$') inMath = false;
                while (i + 1 < s.Length && s[i + 1] == '$') i++;
                continue;
            }
            if (!inMath && char.IsLetter(c) && i + 1 < s.Length && char.IsLetter(s[i + 1]) && (i == 0 || !char.IsLetter(s[i - 1]))) return true;
        }
        return false;
    }

    private static readonly string[] CommentaryWords = [" because ", " since ", " as there ", ", which ", " where ", " for all "];

    private static readonly string[] InequalitySigns = ["≥", "≤", "≠", "⩾", "⩽", ">=", "<=", "!=", "<", ">"];

    /// <summary>
    /// The last inequality written in plain prose near the end of the text ("t ≥ -3", "-1 &lt; x &lt; 4"), after the last
    /// math region: its sides hold a one-letter variable and a number, no plain number follows it; null otherwise.
    /// </summary>
    private static string? ProseRelation(string text, int after)
    {
        int from = System.Math.Max(System.Math.Max(0, after), text.Length - 300);
        // a trailing "because 2x > 6" clause is commentary, not the answer
        int limit = text.Length;
        foreach (var w in CommentaryWords)
        {
            int k = text.IndexOf(w, from, StringComparison.OrdinalIgnoreCase);
            if (k >= 0 && k < limit) limit = k;
        }
        int op = -1;
        foreach (var sign in InequalitySigns)
        {
            if (limit - from < sign.Length) continue;
            int k = text.LastIndexOf(sign, limit - 1, limit - from, StringComparison.Ordinal);
            if (k >= from && k + sign.Length <= limit && k > op) op = k;
        }
        if (op < 0) return null;
        static bool MathChar(char c) => char.IsDigit(c) || c is ' ' or '.' or '+' or '-' or '−' or '*' or '/' or '^' or '(' or ')' or '|'
            or '<' or '>' or '=' or '!' or '≥' or '≤' or '≠' or '⩾' or '⩽' || (c < 128 && char.IsLetter(c));
        bool WordAt(int i) => char.IsLetter(text[i]) && ((i > 0 && char.IsLetter(text[i - 1])) || (i + 1 < text.Length && char.IsLetter(text[i + 1])));
        int l = op;
        while (l > from && MathChar(text[l - 1]) && !WordAt(l - 1)) l--;
        int r = op;
        while (r < text.Length && MathChar(text[r]) && !WordAt(r) && !(text[r] == '.' && (r + 1 == text.Length || char.IsWhiteSpace(text[r + 1])))) r++;
        string span = text[l..r].Trim().TrimEnd('.').Trim();
        if (span.Length is < 3 or > 200) return null;
        bool variable = false, digit = false;
        for (int i = 0; i < span.Length; i++)
        {
            if (char.IsDigit(span[i])) digit = true;
            else if (char.IsLetter(span[i]) && (i == 0 || !char.IsLetter(span[i - 1])) && (i + 1 == span.Length || !char.IsLetter(span[i + 1]))) variable = true;
        }
        if (!variable || !digit) return null;
        // the relation must close the answer: no plain number after it (a trailing "because ..." clause is commentary)
        int back = r;
        while (back > l && char.IsWhiteSpace(text[back - 1])) back--;
        if (LastNumberPosition(text, back) >= 0) return null;
        return span;
    }

    private static int LastUnescaped(string text, char c, int before)
    {
        for (int i = System.Math.Min(before, text.Length) - 1; i >= 0; i--)
            if (text[i] == c && (i == 0 || text[i - 1] != '\\')) return i;
        return -1;
    }

    private static bool HoldsMath(string s)
    {
        if (s.Length == 0 || s.Length > MaxAnswerLength) return false;
        foreach (char c in s)
            if (char.IsDigit(c) || c is '\\' or '=' or '<' or '>' or '+' or '^' or '/' or '(' or '[' or '≤' or '≥' or '−' or '-' or '*' or ',' or '∞' or 'π') return true;
        return false;
    }

    /// <summary>
    /// Position of the last plain number of the text after <paramref name="from"/>, outside math regions, ignoring a trailing
    /// clause that gives a reason ("because there are 6 faces"); −1 when there is none.
    /// </summary>
    private static int LastNumberPosition(string text, int from)
    {
        if (from < 0) return -1;
        string after = text[from..];
        foreach (var w in CommentaryWords)
        {
            int k = after.IndexOf(w, StringComparison.OrdinalIgnoreCase);
            if (k >= 0) after = after[..k];
        }
        for (int i = 0; i < after.Length; i++)
            if (char.IsDigit(after[i])) return from + i;
        return -1;
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
        return s.Length > MaxAnswerLength + 1 ? s[..(MaxAnswerLength + 1)] : s;
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

    private static readonly System.Text.RegularExpressions.Regex NameBeforeBox = new(@"[A-Za-z](_\{?[A-Za-z0-9]{1,3}\}?)?\s*=\s*$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static bool OnlySeparators(string text, int from, int to)
    {
        if (to - from > 40 || to < from) return false;
        string between = text[from..to].Replace("\\text", "", StringComparison.Ordinal).Replace("\\quad", "", StringComparison.Ordinal);
        // "$x_1 = \boxed{-1}$ and $x_2 = \boxed{3}$": a name and '=' in front of the next box belong to it (Math-Verify joins
        // math regions linked by "and", "or" or commas, and reads "x_2 = 3" as its right side)
        between = NameBeforeBox.Replace(between, "");
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
        return text[start..System.Math.Min(text.Length, start + MaxAnswerLength + 1)];
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
        // other languages (issue #13 class 11): French, Spanish, Portuguese, German, Italian, Russian, Chinese, Japanese
        "réponse finale est", "la réponse est", "réponse est", "réponse :", "réponse:", "respuesta final es", "la respuesta es", "respuesta es", "respuesta:",
        "resposta final é", "a resposta é", "resposta é", "resposta:", "die antwort ist", "antwort ist", "antwort:", "die lösung ist", "lösung ist", "lösung:",
        "ergebnis ist", "ergebnis:", "la risposta è", "risposta:", "ответ:", "ответ —", "ответ", "最终答案是", "最终答案为", "最终答案：", "最终答案:", "答案是", "答案为",
        "答案：", "答案:", "答え：", "答え:", "答えは",
        // Dutch, Polish, Turkish, Ukrainian, Korean, Vietnamese, Indonesian, Swedish
        "het antwoord is", "antwoord:", "odpowiedź to", "odpowiedź:", "cevap:", "відповідь:", "відповідь —", "정답은", "정답:", "답은", "답:",
        "đáp án là", "đáp án:", "jawabannya adalah", "jawaban:", "svaret är", "svar:",
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
        while (start < text.Length && (text[start] is ':' or ' ' or '\t' or '*' or '：' or '\u3000')) start++;
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
        // "Final Answer: the smallest k is 12": a description before "is" names the answer, it is not part of it
        cut = AfterDescription(cut);
        // "12 (since 3 * 4 = 12)": drop a trailing remark in parentheses that starts with a word
        int paren = cut.IndexOf(" (", StringComparison.Ordinal);
        if (paren > 0 && paren + 5 < cut.Length && char.IsLetter(cut[paren + 2]) && char.IsLetter(cut[paren + 3]) && char.IsLetter(cut[paren + 4]))
            cut = cut[..paren].TrimEnd();
        return cut.Length == 0 ? null : cut;
    }

    /// <summary>"the smallest k is 12" → "12"; "the volume of ABCD is $120$" → "120". Only when a plain word precedes the verb.</summary>
    private static string AfterDescription(string s)
    {
        int best = -1, len = 0;
        foreach (var verb in new[] { " is ", " are ", " equals ", " was ", " est ", " es ", " ist ", " é ", " è " })
        {
            int k = s.LastIndexOf(verb, StringComparison.OrdinalIgnoreCase);
            if (k > best) { best = k; len = verb.Length; }
        }
        if (best <= 0) return s;
        string head = s[..best];
        // the words before the verb must be prose (letters and spaces, maybe a $name$), not math
        if (head.Any(c => char.IsDigit(c) || c is '=' or '\\' or '{' or '}' or '^')) return s;
        if (!head.Any(char.IsLetter) || !head.TrimStart().Contains(' ')) return s;
        string rest = s[(best + len)..].Trim();
        return rest.Length == 0 ? s : StripDelimiters(rest);
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
            else if (depth <= 0 && c is '。' or '！' or '？')
            {
                s = s[..i];
                break;
            }
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
            if (start == 0 && tail.Length < text.Length)
            {
                // a number longer than the searched tail is read whole (never a cut-off piece of it), up to one character
                // past the longest answer compared, so that the verifier refuses it rather than compares a part
                int offset = text.Length - tail.Length, s0 = offset;
                while (s0 > 0 && offset - s0 <= MaxAnswerLength && (char.IsDigit(text[s0 - 1]) || text[s0 - 1] is '.' or ',')) s0--;
                return text[s0..(offset + end)].Trim('.', ',', ' ');
            }
            return tail[start..end].Trim('.', ',', ' ');
        }
        return null;
    }
}
