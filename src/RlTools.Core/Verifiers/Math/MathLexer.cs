using System.Text;

namespace RlTools.Core.Verifiers.Math;

internal enum TokKind { Num, Ident, Cmd, Word, Text, Sym, BeginEnv, EndEnv, End }

internal sealed class Token(TokKind kind, string text)
{
    public TokKind Kind { get; } = kind;
    public string Text { get; set; } = text;
    public bool SpaceBefore { get; init; }
    public override string ToString() => $"{Kind}:{Text}";
}

/// <summary>Thrown when an answer cannot be read as math; the caller then compares normalised text.</summary>
internal sealed class MathParseException(string message) : Exception(message);

/// <summary>
/// Turns a LaTeX or plain-text answer into tokens: numbers (thousands separators, decimals,
/// scientific notation), single-letter identifiers, LaTeX commands, words (units and text
/// answers), \text{} contents, symbols and matrix environments. Layout commands
/// (\left, \right, \displaystyle, spacing) are dropped here.
/// </summary>
internal static class MathLexer
{
    public const int MaxLength = 2000;

    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal)
    {
        "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
        "ln", "log", "exp", "lg", "sqrt", "abs",
    };

    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        "left", "right", "displaystyle", "textstyle", "scriptstyle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
        "biggl", "biggr", "quad", "qquad", "limits", "nolimits", "middle", "hfill", "ensuremath", "phantom", "!", ",", ";", ":", " ",
        "mathrm", "mathbf", "mathit", "boldsymbol", "bm", "vec", "hat", "bar", "overline", "underline", "mathsf", "mathcal", "mathnormal",
        "boxed", "fbox", "framebox", "cancel", "tiny", "small", "large", "Large", "huge", "angle", "measuredangle", "triangle", "arc", "widehat",
    };

    /// <summary>Two-letter (and a few one-letter-free) unit words that are not products of variables.</summary>
    private static readonly HashSet<string> ShortUnits = new(StringComparer.Ordinal)
    {
        "cm", "mm", "km", "ft", "kg", "mg", "mi", "hr", "hrs", "ml", "oz", "lb", "lbs", "yd", "sq", "in", "am", "pm", "or", "and",
        // two-letter English words that appear around answers ("3/4 of the pizza", "it is 5")
        "of", "is", "on", "at", "to", "it", "be", "as", "an", "so", "we", "he", "if", "my", "no", "up", "do", "go", "us", "am",
        "st", "nd", "rd", "th",
    };

    public static List<Token> Tokenize(string s, Budget budget, bool decimalComma = true)
    {
        if (s.Length > MaxLength) throw new MathParseException("answer too long to parse");
        var toks = new List<Token>();
        int i = 0;
        int depth = 0;
        bool space = false;
        while (i < s.Length)
        {
            budget.Check();
            char c = s[i];
            if (char.IsWhiteSpace(c) || c is '~' or '$' or '€' or '£' or '¥' or '₹' or '₽' or '₩') { space = true; i++; continue; }
            if (char.IsDigit(c) || (c == '.' && i + 1 < s.Length && char.IsDigit(s[i + 1])))
            {
                int numStart = i;
                string num = ReadNumber(s, ref i, decimalComma ? depth : 1);
                // 9:30 is a time (compared as text); 3:2 is a ratio (3/2)
                if (i + 1 < s.Length && s[i] == ':' && char.IsDigit(s[i + 1]) && !num.Contains('.'))
                {
                    int j = i + 1;
                    while (j < s.Length && char.IsDigit(s[j])) j++;
                    if (j - i - 1 == 2 && num.Length <= 2)
                    {
                        toks.Add(new Token(TokKind.Text, s[numStart..j]) { SpaceBefore = space });
                        i = j;
                        space = false;
                        continue;
                    }
                    toks.Add(new Token(TokKind.Num, num) { SpaceBefore = space });
                    toks.Add(new Token(TokKind.Sym, "/"));
                    i++;
                    space = false;
                    continue;
                }
                toks.Add(new Token(TokKind.Num, num) { SpaceBefore = space });
                space = false;
                continue;
            }
            if (char.IsLetter(c))
            {
                int start = i;
                // ASCII letters, and accented Latin letters inside words ("dû", "Lösung"); other scripts one letter at a time
                while (i < s.Length && char.IsLetter(s[i]) && (s[i] < 128 || (s[i] is >= '\u00C0' and <= '\u024F' && i > start))) i++;
                if (i == start) { i++; toks.Add(new Token(TokKind.Word, s.Substring(start, 1)) { SpaceBefore = space }); space = false; continue; }
                string w = s[start..i];
                // contractions: "it's", "don't" (a prime after one letter, f', stays)
                if (w.Length >= 2 && i + 1 < s.Length && s[i] == '\'' && char.IsLetter(s[i + 1]))
                {
                    i++;
                    while (i < s.Length && char.IsLetter(s[i])) i++;
                }
                // Number words: "five", "forty-eight", "twenty one"
                if (NumberWord(w) is { } nw)
                {
                    int j = i;
                    if (nw >= 20 && nw < 100 && nw % 10 == 0 && j + 1 < s.Length && (s[j] == '-' || s[j] == ' '))
                    {
                        int k = j + 1, ks = k;
                        while (k < s.Length && char.IsLetter(s[k])) k++;
                        if (k > ks && NumberWord(s[ks..k]) is { } unit && unit is > 0 and < 10) { nw += unit; i = k; }
                    }
                    toks.Add(new Token(TokKind.Num, nw.ToString(System.Globalization.CultureInfo.InvariantCulture)) { SpaceBefore = space });
                    space = false;
                    continue;
                }
                AddWord(toks, w, space);
                space = false;
                continue;
            }
            if (c == '\\')
            {
                i++;
                if (i >= s.Length) break;
                if (!char.IsLetter(s[i]))
                {
                    char e = s[i++];
                    switch (e)
                    {
                        case '{': toks.Add(new Token(TokKind.Sym, "\\{") { SpaceBefore = space }); depth++; break;
                        case '}': toks.Add(new Token(TokKind.Sym, "\\}") { SpaceBefore = space }); depth--; break;
                        case '%': toks.Add(new Token(TokKind.Sym, "%") { SpaceBefore = space }); break;
                        case '\\': toks.Add(new Token(TokKind.Sym, "\\\\") { SpaceBefore = space }); break;
                        case '|': toks.Add(new Token(TokKind.Sym, "|") { SpaceBefore = space }); break;
                        case '$': break;
                        default: space = true; continue; // \, \; \! \: \  and friends are spacing
                    }
                    space = false;
                    continue;
                }
                int start = i;
                while (i < s.Length && char.IsLetter(s[i])) i++;
                string name = s[start..i];
                if (name is "text" or "textbf" or "textit" or "mbox" or "textrm" or "texttt" or "mathrm" or "operatorname" or "textnormal" or "hbox" or "textsf" or "emph")
                {
                    string rawContent = ReadGroup(s, ref i);
                    string content = rawContent.Trim();
                    if (name is "operatorname" && Functions.Contains(content)) { toks.Add(new Token(TokKind.Cmd, content) { SpaceBefore = space }); }
                    else if (content.Length > 0 && content.Length <= 40 && IsPlainNumber(content)) toks.Add(new Token(TokKind.Num, content.Replace(",", "", StringComparison.Ordinal)) { SpaceBefore = space });
                    else if (content.Any(char.IsDigit) && content.Length < s.Length && !content.Contains('\\'))
                    {
                        // "\text{5 apples}": read the content as plain text (numbers and unit words)
                        var inner = Tokenize(content, budget, decimalComma);
                        inner.RemoveAt(inner.Count - 1);
                        toks.AddRange(inner);
                    }
                    else if (content.Length == 1 && char.IsLetter(content[0]) && !rawContent.StartsWith(' ') && !AfterQuantity(toks)) toks.Add(new Token(TokKind.Ident, content) { SpaceBefore = space });
                    else if (content.ToLowerInvariant() is "infinity" or "infty" or "inf" or "oo") toks.Add(new Token(TokKind.Cmd, "infty") { SpaceBefore = space });
                    else if (content.ToLowerInvariant() is "pi") toks.Add(new Token(TokKind.Cmd, "pi") { SpaceBefore = space });
                    else if (content.Length > 0) toks.Add(new Token(TokKind.Text, content) { SpaceBefore = space });
                    space = false;
                    continue;
                }
                if (name is "begin" or "end")
                {
                    string env = ReadGroup(s, ref i).Trim().TrimEnd('*');
                    if (name == "begin" && env == "array") ReadGroup(s, ref i); // column spec
                    toks.Add(new Token(name == "begin" ? TokKind.BeginEnv : TokKind.EndEnv, env) { SpaceBefore = space });
                    space = false;
                    continue;
                }
                if (name is "mathbb")
                {
                    string content = ReadGroup(s, ref i).Trim();
                    toks.Add(new Token(TokKind.Text, "\\mathbb " + content) { SpaceBefore = space });
                    space = false;
                    continue;
                }
                if (name is "left" or "right" && i < s.Length && s[i] == '.') { i++; space = true; continue; }
                if (Ignored.Contains(name)) { space = true; continue; }
                if (name is "lbrace" or "rbrace") { toks.Add(new Token(TokKind.Sym, name == "lbrace" ? "\\{" : "\\}") { SpaceBefore = space }); space = false; continue; }
                if (name is "dfrac" or "tfrac" or "cfrac") name = "frac";
                toks.Add(new Token(TokKind.Cmd, name) { SpaceBefore = space });
                space = false;
                continue;
            }
            // Superscript digits: x² is x^2, 10⁻³ is 10^-3.
            if (Superscript(c) >= 0 || c == '⁻')
            {
                var sup = new StringBuilder();
                bool neg = false;
                if (c == '⁻') { neg = true; i++; }
                while (i < s.Length && Superscript(s[i]) >= 0) sup.Append((char)('0' + Superscript(s[i++])));
                toks.Add(new Token(TokKind.Sym, "^") { SpaceBefore = space });
                if (neg) toks.Add(new Token(TokKind.Sym, "-"));
                if (sup.Length > 0) toks.Add(new Token(TokKind.Num, sup.ToString()));
                space = false;
                continue;
            }
            // Vulgar fractions: ½ ⅓ ¼ ¾ ...
            if (Vulgar(c) is { } vf)
            {
                toks.Add(new Token(TokKind.Sym, "(") { SpaceBefore = space });
                toks.Add(new Token(TokKind.Num, vf.N.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                toks.Add(new Token(TokKind.Sym, "/"));
                toks.Add(new Token(TokKind.Num, vf.D.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                toks.Add(new Token(TokKind.Sym, ")"));
                // "2½" is a mixed number: 2 + 1/2
                if (toks.Count >= 6 && toks[^6].Kind == TokKind.Num && !space) toks.Insert(toks.Count - 5, new Token(TokKind.Sym, "+"));
                i++;
                space = false;
                continue;
            }
            // Unicode math the models like to emit.
            string? sym = c switch
            {
                '−' or '–' => "-", '×' or '·' or '⋅' or '∗' => "*", '÷' => "/", '≤' or '⩽' => "<=", '≥' or '⩾' => ">=", '≠' => "!=",
                '∞' => "\\infty", 'π' => "\\pi", '√' => "\\sqrt", '°' => "°", '±' => "\\pm", '∓' => "\\mp", '∪' => "\\cup", '∩' => "\\cap",
                '≈' => "\\approx", '∈' => "\\in", '⟨' => "\\langle", '⟩' => "\\rangle", '∖' => "\\setminus",
                _ => null,
            };
            if (sym is not null)
            {
                i++;
                if (sym.StartsWith('\\')) toks.Add(new Token(TokKind.Cmd, sym[1..]) { SpaceBefore = space });
                else toks.Add(new Token(TokKind.Sym, sym) { SpaceBefore = space });
                space = false;
                continue;
            }
            if (c is '<' or '>' or '!' or '=' )
            {
                if (i + 1 < s.Length && s[i + 1] == '=') { toks.Add(new Token(TokKind.Sym, c + "=") { SpaceBefore = space }); i += 2; space = false; continue; }
                if (c == '=' && i + 1 < s.Length && s[i + 1] == '>') { toks.Add(new Token(TokKind.Sym, ",") { SpaceBefore = space }); i += 2; space = false; continue; }
            }
            if (c == '*' && i + 1 < s.Length && s[i + 1] == '*') { toks.Add(new Token(TokKind.Sym, "^") { SpaceBefore = space }); i += 2; space = false; continue; }
            if (c == '{' || c == '(' || c == '[') depth++;
            if (c == '}' || c == ')' || c == ']') depth--;
            if ("+-*/^_!=<>,;|(){}[]&%'".IndexOf(c) >= 0)
            {
                toks.Add(new Token(TokKind.Sym, c.ToString()) { SpaceBefore = space });
                i++;
                space = false;
                continue;
            }
            if (c is ':' or '?' or '"' or '\'' or '`') { i++; space = true; continue; }
            if (c == '.') { i++; space = true; continue; }
            throw new MathParseException($"unexpected character '{c}'");
        }
        toks.Add(new Token(TokKind.End, ""));
        return toks;
    }

    /// <summary>After a number or a degree sign a one-letter \text{} is a unit (25^\circ\text{C}, 5\text{m}).</summary>
    private static bool AfterQuantity(List<Token> toks)
    {
        if (toks.Count == 0) return false;
        var t = toks[^1];
        return t.Kind == TokKind.Num || (t.Kind == TokKind.Sym && t.Text is "}" or "°") || (t.Kind == TokKind.Cmd && t.Text is "circ");
    }

    private static readonly string[] Ones =
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
        "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];

    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    private static int? NumberWord(string w)
    {
        if (w.Length < 3 || w.Length > 9) return null;
        string l = w.ToLowerInvariant();
        int k = Array.IndexOf(Ones, l);
        if (k >= 0) return k;
        k = Array.IndexOf(Tens, l);
        if (k >= 2) return 10 * k;
        return l switch { "hundred" => 100, "thousand" => 1000, _ => null };
    }

    private static int Superscript(char c) => c switch
    {
        '⁰' => 0, '¹' => 1, '²' => 2, '³' => 3, '⁴' => 4, '⁵' => 5, '⁶' => 6, '⁷' => 7, '⁸' => 8, '⁹' => 9, _ => -1,
    };

    private static (int N, int D)? Vulgar(char c) => c switch
    {
        '½' => (1, 2), '⅓' => (1, 3), '⅔' => (2, 3), '¼' => (1, 4), '¾' => (3, 4), '⅕' => (1, 5), '⅖' => (2, 5), '⅗' => (3, 5),
        '⅘' => (4, 5), '⅙' => (1, 6), '⅚' => (5, 6), '⅛' => (1, 8), '⅜' => (3, 8), '⅝' => (5, 8), '⅞' => (7, 8), _ => null,
    };

    private static bool IsPlainNumber(string s)
    {
        int digits = 0;
        for (int k = 0; k < s.Length; k++)
        {
            char c = s[k];
            if (char.IsDigit(c)) digits++;
            else if (c == '.' || (c == ',' && k > 0)) continue;
            else return false;
        }
        return digits > 0 && s[^1] != '.' && s[^1] != ',' && s.Count(c => c == '.') <= 1;
    }

    private static void AddWord(List<Token> toks, string w, bool space)
    {
        if (w.Length == 1) { toks.Add(new Token(TokKind.Ident, w) { SpaceBefore = space }); return; }
        string lower = w.ToLowerInvariant();
        if (Functions.Contains(lower)) { toks.Add(new Token(TokKind.Cmd, lower) { SpaceBefore = space }); return; }
        if (lower is "pi") { toks.Add(new Token(TokKind.Cmd, "pi") { SpaceBefore = space }); return; }
        if (lower is "oo" or "inf" or "infty" or "infinity") { toks.Add(new Token(TokKind.Cmd, "infty") { SpaceBefore = space }); return; }
        if (lower is "sqrt") { toks.Add(new Token(TokKind.Cmd, "sqrt") { SpaceBefore = space }); return; }
        if (lower is "percent") { toks.Add(new Token(TokKind.Sym, "%") { SpaceBefore = space }); return; }
        if (w.Length >= 3 || ShortUnits.Contains(lower) || w.Any(c => c >= 128))
        {
            toks.Add(new Token(TokKind.Word, w) { SpaceBefore = space });
            return;
        }
        // A short run of letters such as "xy" or "ab" is a product of variables.
        for (int k = 0; k < w.Length; k++) toks.Add(new Token(TokKind.Ident, w[k].ToString()) { SpaceBefore = space && k == 0 });
    }

    private static string ReadNumber(string s, ref int i, int depth)
    {
        var sb = new StringBuilder();
        int start = i;
        while (i < s.Length && char.IsDigit(s[i])) sb.Append(s[i++]);
        // Thousands separators: 1,234,567 (groups of exactly three; inside brackets only with two or more groups).
        if (sb.Length is >= 1 and <= 3 && sb[0] != '0')
        {
            int groups = 0, j = i;
            bool plainComma = false;
            var g = new StringBuilder();
            // separators: ",", "{,}", and the LaTeX spaces "\,", "\;", "\:", "\ ", "~" ("1\;234\;567")
            while (j < s.Length && (s[j] is ',' or '~' || (s[j] == '{' && j + 2 < s.Length && s[j + 1] == ',' && s[j + 2] == '}') || (s[j] == '\\' && j + 1 < s.Length && s[j + 1] is ',' or ';' or ':' or ' ')))
            {
                int k = s[j] is ',' or '~' ? j + 1 : s[j] == '\\' ? j + 2 : j + 3;
                if (s[j] == ',') plainComma = true;
                if (s[j] == ',' && k + 1 < s.Length && s[k] == '\\' && s[k + 1] == '!') k += 2; // 10,\!000
                if (k + 3 > s.Length) break;
                if (!(char.IsDigit(s[k]) && char.IsDigit(s[k + 1]) && char.IsDigit(s[k + 2]))) break;
                if (k + 3 < s.Length && char.IsDigit(s[k + 3])) break;
                g.Append(s, k, 3);
                groups++;
                j = k + 3;
            }
            if (groups >= 2 || (groups == 1 && depth <= 0))
            {
                sb.Append(g);
                i = j;
                // "1,234,5" is ambiguous; "1\,234,5" or "1{,}234" followed by ",5" is not: spaces group, the comma is decimal
                if (plainComma && i < s.Length && s[i] == ',' && depth <= 0 && DecimalComma(s, i) > 0) throw new MathParseException("ambiguous number: thousands separators and a decimal comma");
            }
            else if (depth <= 0)
            {
                // Space as thousands separator: "10 000", "1 000 000" (groups of exactly three, not "2 1/4")
                int jj = i, sgroups = 0;
                var sg = new StringBuilder();
                // the last group may carry decimals: "1 250,75", "1 250.75"
                while (jj + 3 < s.Length && s[jj] == ' ' && char.IsDigit(s[jj + 1]) && char.IsDigit(s[jj + 2]) && char.IsDigit(s[jj + 3])
                       && (jj + 4 == s.Length || !(char.IsDigit(s[jj + 4]) || s[jj + 4] is '/' or '.' or ',')
                           || (s[jj + 4] == '.' && jj + 5 < s.Length && char.IsDigit(s[jj + 5])) || (s[jj + 4] == ',' && DecimalComma(s, jj + 4) > 0)))
                {
                    sg.Append(s, jj + 1, 3);
                    sgroups++;
                    jj += 4;
                }
                if (sgroups > 0) { sb.Append(sg); i = jj; }
            }
        }
        // Decimal comma (Math-Verify's number rule; French, German, ...): "3,5" and "1250,75" and "0,001" and "3{,}5" are
        // decimals, while "12,345" (a group of three after one to three digits) was read above as a thousands separator and
        // "12, 345" (comma and space) or "1,2,3" is a list. Only outside brackets: "(3,5)" is a pair.
        if (depth <= 0 && i < s.Length && !sb.ToString().Contains('.') && !(start >= 2 && s[start - 1] == ',' && char.IsDigit(s[start - 2]))
            && DecimalComma(s, i) is > 0 and var commaLen)
        {
            sb.Append('.');
            i += commaLen;
            while (i < s.Length && char.IsDigit(s[i])) sb.Append(s[i++]);
        }
        else if (i < s.Length && s[i] == '.' && i + 1 < s.Length && char.IsDigit(s[i + 1]))
        {
            sb.Append('.');
            i++;
            while (i < s.Length && char.IsDigit(s[i])) sb.Append(s[i++]);
        }
        else if (i < s.Length && s[i] == '.' && (i + 1 == s.Length || !char.IsLetter(s[i + 1])) && i > start)
        {
            i++; // "5." is 5
            if (string.CompareOrdinal(s, i, "\\overline", 0, 9) == 0) sb.Append('.');
        }
        // Repeating decimal: 0.\overline{3}, 0.1\overline{6} (encoded as "0.1|6" for the parser)
        if (sb.ToString().Contains('.') && string.CompareOrdinal(s, i, "\\overline", 0, 9) == 0)
        {
            int j = i + 9;
            string rep = ReadGroup(s, ref j).Trim();
            if (rep.Length is > 0 and <= 50 && rep.All(char.IsDigit))
            {
                sb.Append('|').Append(rep);
                i = j;
                return sb.ToString();
            }
        }
        // Scientific notation: 1.5e-3, 2E+10 (not 2e alone, which is 2 times e).
        if (i + 1 < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            int j = i + 1;
            if (j < s.Length && (s[j] == '+' || s[j] == '-')) j++;
            int digits = j;
            while (j < s.Length && char.IsDigit(s[j]) && j - digits < 6) j++;
            if (j > digits && (j >= s.Length || !char.IsLetterOrDigit(s[j])))
            {
                sb.Append('e').Append(s, i + 1, j - i - 1);
                i = j;
            }
        }
        if (sb.Length > 400) throw new MathParseException("number too long");
        return sb.ToString();
    }

    /// <summary>
    /// Length of a decimal comma at <paramref name="i"/> ("," or "{,}") followed by digits that do not continue into a list
    /// ("1,2,3") or a decimal point; 0 when there is none.
    /// </summary>
    private static int DecimalComma(string s, int i)
    {
        int len = s[i] == ',' ? 1 : string.CompareOrdinal(s, i, "{,}", 0, 3) == 0 ? 3 : 0;
        if (len == 0 || i + len >= s.Length || !char.IsDigit(s[i + len])) return 0;
        int j = i + len;
        while (j < s.Length && char.IsDigit(s[j])) j++;
        if (j < s.Length && (s[j] == '.' || (s[j] == ',' && j + 1 < s.Length && char.IsDigit(s[j + 1])))) return 0;
        return len;
    }

    /// <summary>Reads a {group} (brace-matched) or, without braces, one character.</summary>
    internal static string ReadGroup(string s, ref int i)
    {
        while (i < s.Length && s[i] == ' ') i++;
        if (i >= s.Length) return "";
        if (s[i] != '{') return s[i++].ToString();
        int depth = 0, start = i + 1;
        for (; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] == '{') depth++;
            else if (s[i] == '}' && --depth == 0) { i++; return s[start..(i - 1)]; }
        }
        return s[start..];
    }
}
