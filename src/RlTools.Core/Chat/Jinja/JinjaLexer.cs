using System.Globalization;
using System.Numerics;
using System.Text;

namespace RlTools.Core.Chat.Jinja;

internal enum TokenType { Data, BlockBegin, BlockEnd, VarBegin, VarEnd, Name, String, Integer, Float, Operator, Eof }

internal readonly record struct Token(TokenType Type, string Value, int Line, object? Literal = null)
{
    public bool Is(TokenType t, string v) => Type == t && Value == v;
    public bool IsName(string v) => Type == TokenType.Name && Value == v;
    public bool IsOp(string v) => Type == TokenType.Operator && Value == v;
}

/// <summary>
/// Splits template source into tokens the way Jinja2's lexer does with transformers' settings
/// (<c>trim_blocks</c>, <c>lstrip_blocks</c>, <c>keep_trailing_newline=False</c>): newlines normalised to <c>\n</c>,
/// one final newline dropped, <c>-</c>/<c>+</c> whitespace control, comments removed, and tag ends only
/// recognised outside brackets.
/// </summary>
internal static class JinjaLexer
{
    private static readonly string[] Operators = ["//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"];

    public static List<Token> Tokenize(string source)
    {
        source = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (source.EndsWith('\n')) source = source[..^1];
        var tokens = new List<Token>();
        int pos = 0, line = 1;
        bool lineStarting = true;
        while (pos < source.Length)
        {
            int tag = FindTagStart(source, pos);
            if (tag < 0) { Emit(tokens, source[pos..], ref line); break; }
            char kind = source[tag + 1];
            char sign = tag + 2 < source.Length && (source[tag + 2] == '-' || source[tag + 2] == '+') ? source[tag + 2] : '\0';
            string text = source[pos..tag];
            if (sign == '-') text = RStripSpace(text);
            else if (sign != '+' && kind != '{')
            {
                int lpos = text.LastIndexOf('\n') + 1;
                if ((lpos > 0 || lineStarting) && lpos < text.Length && AllSpace(text, lpos)) text = text[..lpos];
            }
            if (text.Length > 0) Emit(tokens, text, ref line);
            line += CountNewlines(source, pos, tag) - CountNewlines(text, 0, text.Length);
            pos = tag + 2 + (sign != '\0' ? 1 : 0);

            if (kind == '#')
            {
                int end = source.IndexOf("#}", pos, StringComparison.Ordinal);
                if (end < 0) throw Syntax("Missing end of comment tag", line);
                bool strip = end > pos && source[end - 1] == '-';
                line += CountNewlines(source, pos, end);
                pos = end + 2;
                pos = AfterTagEnd(source, pos, strip, trim: true, ref line, out lineStarting);
                continue;
            }

            bool block = kind == '%';
            if (block && IsRawStart(source, pos, out int rawBodyStart))
            {
                pos = LexRaw(source, rawBodyStart, tokens, ref line, out lineStarting);
                continue;
            }
            tokens.Add(new Token(block ? TokenType.BlockBegin : TokenType.VarBegin, block ? "{%" : "{{", line));
            pos = LexExpression(source, pos, block, tokens, ref line, out bool stripAfter);
            pos = AfterTagEnd(source, pos, stripAfter, trim: block, ref line, out lineStarting);
        }
        tokens.Add(new Token(TokenType.Eof, "", line));
        return tokens;
    }

    private static int FindTagStart(string s, int from)
    {
        for (int i = s.IndexOf('{', from); i >= 0 && i + 1 < s.Length; i = s.IndexOf('{', i + 1))
            if (s[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    private static void Emit(List<Token> tokens, string text, ref int line)
    {
        tokens.Add(new Token(TokenType.Data, text, line));
        line += CountNewlines(text, 0, text.Length);
    }

    private static int CountNewlines(string s, int from, int to)
    {
        int n = 0;
        for (int i = from; i < to; i++) if (s[i] == '\n') n++;
        return n;
    }

    private static bool AllSpace(string s, int from)
    {
        for (int i = from; i < s.Length; i++) if (!Py.IsSpace(s[i])) return false;
        return true;
    }

    internal static string RStripSpace(string s)
    {
        int end = s.Length;
        while (end > 0 && Py.IsSpace(s[end - 1])) end--;
        return s[..end];
    }

    private static int AfterTagEnd(string s, int pos, bool strip, bool trim, ref int line, out bool lineStarting)
    {
        lineStarting = false;
        if (strip)
        {
            int start = pos;
            while (pos < s.Length && Py.IsSpace(s[pos])) pos++;
            line += CountNewlines(s, start, pos);
            lineStarting = pos > start && s[pos - 1] == '\n';
        }
        else if (trim && pos < s.Length && s[pos] == '\n') { pos++; line++; lineStarting = true; }
        return pos;
    }

    private static bool IsRawStart(string s, int pos, out int bodyStart)
    {
        bodyStart = 0;
        int i = pos;
        while (i < s.Length && Py.IsSpace(s[i])) i++;
        if (string.CompareOrdinal(s, i, "raw", 0, 3) != 0 || (i + 3 < s.Length && (char.IsLetterOrDigit(s[i + 3]) || s[i + 3] == '_'))) return false;
        i += 3;
        while (i < s.Length && Py.IsSpace(s[i])) i++;
        if (i < s.Length && s[i] == '-') i++;
        if (string.CompareOrdinal(s, i, "%}", 0, 2) != 0) return false;
        bodyStart = i + 2;
        if (s[i - 1] == '-') while (bodyStart < s.Length && Py.IsSpace(s[bodyStart])) bodyStart++;
        return true;
    }

    private static int LexRaw(string s, int pos, List<Token> tokens, ref int line, out bool lineStarting)
    {
        var endRaw = new System.Text.RegularExpressions.Regex(@"\{%([-+]?)\s*endraw\s*(-?)%\}");
        var m = endRaw.Match(s, pos);
        if (!m.Success) throw Syntax("Missing end of raw directive", line);
        string body = s[pos..m.Index];
        if (m.Groups[1].Value == "-") body = RStripSpace(body);
        if (body.Length > 0) Emit(tokens, body, ref line);
        int next = m.Index + m.Length;
        return AfterTagEnd(s, next, m.Groups[2].Value == "-", trim: true, ref line, out lineStarting);
    }

    private static int LexExpression(string s, int pos, bool block, List<Token> tokens, ref int line, out bool stripAfter)
    {
        int depth = 0;
        string close = block ? "%}" : "}}";
        while (true)
        {
            while (pos < s.Length && Py.IsSpace(s[pos])) { if (s[pos] == '\n') line++; pos++; }
            if (pos >= s.Length) throw Syntax($"unexpected end of template, expected '{(block ? "end of statement block" : "end of print statement")}'", line);
            if (depth == 0)
            {
                if (string.CompareOrdinal(s, pos, close, 0, 2) == 0)
                {
                    tokens.Add(new Token(block ? TokenType.BlockEnd : TokenType.VarEnd, close, line));
                    stripAfter = false;
                    return pos + 2;
                }
                if ((s[pos] == '-' || s[pos] == '+') && string.CompareOrdinal(s, pos + 1, close, 0, 2) == 0)
                {
                    tokens.Add(new Token(block ? TokenType.BlockEnd : TokenType.VarEnd, close, line));
                    stripAfter = s[pos] == '-';
                    return pos + 3;
                }
            }
            char c = s[pos];
            if (char.IsAsciiLetter(c) || c == '_')
            {
                int start = pos;
                while (pos < s.Length && (char.IsAsciiLetterOrDigit(s[pos]) || s[pos] == '_')) pos++;
                tokens.Add(new Token(TokenType.Name, s[start..pos], line));
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                pos = LexNumber(s, pos, tokens, line);
                continue;
            }
            if (c == '\'' || c == '"')
            {
                pos = LexString(s, pos, tokens, ref line);
                continue;
            }
            string? op = null;
            foreach (string o in Operators)
                if (string.CompareOrdinal(s, pos, o, 0, o.Length) == 0) { op = o; break; }
            if (op is null) throw Syntax($"unexpected char {Py.StrRepr(c.ToString())} at {pos}", line);
            if (op is "(" or "[" or "{") depth++;
            else if (op is ")" or "]" or "}")
            {
                if (depth == 0) throw Syntax($"unexpected '{op}'", line);
                depth--;
            }
            tokens.Add(new Token(TokenType.Operator, op, line));
            pos += op.Length;
        }
    }

    private static int LexNumber(string s, int pos, List<Token> tokens, int line)
    {
        int start = pos;
        static void Digits(string s, ref int p) { while (p < s.Length && (char.IsAsciiDigit(s[p]) || (s[p] == '_' && p + 1 < s.Length && char.IsAsciiDigit(s[p + 1])))) p++; }
        Digits(s, ref pos);
        bool isFloat = false;
        if (pos + 1 < s.Length && s[pos] == '.' && char.IsAsciiDigit(s[pos + 1])) { pos++; Digits(s, ref pos); isFloat = true; }
        if (pos < s.Length && (s[pos] == 'e' || s[pos] == 'E'))
        {
            int p = pos + 1;
            if (p < s.Length && (s[p] == '+' || s[p] == '-')) p++;
            if (p < s.Length && char.IsAsciiDigit(s[p])) { pos = p; Digits(s, ref pos); isFloat = true; }
        }
        string text = s[start..pos].Replace("_", "");
        if (isFloat) tokens.Add(new Token(TokenType.Float, text, line, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)));
        else tokens.Add(new Token(TokenType.Integer, text, line, Py.Int(BigInteger.Parse(text, CultureInfo.InvariantCulture))));
        return pos;
    }

    private static int LexString(string s, int pos, List<Token> tokens, ref int line)
    {
        char q = s[pos];
        int i = pos + 1;
        var sb = new StringBuilder();
        int startLine = line;
        while (true)
        {
            if (i >= s.Length) throw Syntax("unexpected end of string", startLine);
            char c = s[i];
            if (c == q) { i++; break; }
            if (c == '\n') line++;
            if (c != '\\') { sb.Append(c); i++; continue; }
            if (i + 1 >= s.Length) throw Syntax("unexpected end of string", startLine);
            char e = s[i + 1];
            i += 2;
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case 'a': sb.Append('\a'); break;
                case '0' or '1' or '2' or '3' or '4' or '5' or '6' or '7':
                    {
                        int v = e - '0', k = 0;
                        while (k < 2 && i < s.Length && s[i] is >= '0' and <= '7') { v = v * 8 + (s[i] - '0'); i++; k++; }
                        sb.Append((char)v);
                        break;
                    }
                case 'x': sb.Append(HexEscape(s, ref i, 2, startLine)); break;
                case 'u': sb.Append(HexEscape(s, ref i, 4, startLine)); break;
                case 'U': sb.Append(HexEscape(s, ref i, 8, startLine)); break;
                case '\n': line++; break;
                case '\\' or '\'' or '"': sb.Append(e); break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        tokens.Add(new Token(TokenType.String, sb.ToString(), startLine, sb.ToString()));
        return i;
    }

    private static string HexEscape(string s, ref int i, int n, int line)
    {
        if (i + n > s.Length) throw Syntax("truncated escape in string", line);
        int v = int.Parse(s.AsSpan(i, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        i += n;
        return char.ConvertFromUtf32(v);
    }

    internal static JinjaException Syntax(string message, int line) => new("TemplateSyntaxError", $"{message} (line {line})");
}
