using System.Globalization;
using System.Text.RegularExpressions;

namespace RlTools.Torch.Tokenizers;

/// <summary>Splits a text section into pre-tokens (substrings that BPE then merges independently).</summary>
internal abstract class PreTokenizer
{
    /// <summary>Appends the pre-tokens of <paramref name="text"/> to <paramref name="output"/>.</summary>
    public abstract void Split(string text, List<string> output);
}

/// <summary>
/// Hand-written matcher for the GPT-2 / GPT-4-style split patterns that byte-level BPE checkpoints use,
/// evaluated exactly as a backtracking regex engine in Unicode (code point) mode would:
/// <list type="bullet">
/// <item><b>Cl100k</b> (Qwen2/Qwen2.5/Qwen3 with <c>MaxDigits = 1</c>, Llama-3 with <c>MaxDigits = 3</c>):
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,k}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c></item>
/// <item><b>Gpt2</b> (the ByteLevel pre-tokenizer's own regex):
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c></item>
/// </list>
/// .NET's Regex works on UTF-16 code units, so <c>\p{L}</c> never matches a letter outside the BMP and
/// one optional "other" character can be half an emoji; matching on code points avoids both.
/// Semantics follow the reference (transformers.js): <c>(?i:...)</c> is ASCII case-insensitive and
/// <c>\s</c> is ECMAScript white space (includes U+FEFF, excludes U+0085).
/// </summary>
internal sealed class CodePointPatternPreTokenizer : PreTokenizer
{
    public const string Cl100kDigits1 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Cl100kDigits3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly bool _gpt2;
    private readonly int _maxDigits;

    private CodePointPatternPreTokenizer(bool gpt2, int maxDigits) { _gpt2 = gpt2; _maxDigits = maxDigits; }

    public static CodePointPatternPreTokenizer Gpt2Split { get; } = new(true, int.MaxValue);

    /// <summary>The matcher for <paramref name="pattern"/>, or null when it is not one of the known patterns.</summary>
    public static CodePointPatternPreTokenizer? TryCreate(string pattern) => pattern switch
    {
        Cl100kDigits1 => new CodePointPatternPreTokenizer(false, 1),
        Cl100kDigits3 => new CodePointPatternPreTokenizer(false, 3),
        Gpt2 => Gpt2Split,
        _ => null,
    };

    private enum Cls : byte { Letter, Number, Space, Other }

    public override void Split(string text, List<string> output)
    {
        int n = text.Length, i = 0;
        while (i < n)
        {
            int len = _gpt2 ? MatchGpt2(text, i) : MatchCl100k(text, i);
            output.Add(text.Substring(i, len));
            i += len;
        }
    }

    // Each Match* returns the length (UTF-16 units) of the match at i; every code point matches some alternative.
    private int MatchCl100k(string s, int i)
    {
        int c = CodePoint(s, i, out int w);
        Cls k = Classify(c);
        int m = Contraction(s, i);
        if (m > 0) return m;
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (k == Cls.Letter) return RunOf(s, i, Cls.Letter) - i;
        if (c != '\r' && c != '\n' && k != Cls.Number && i + w < s.Length && Classify(CodePoint(s, i + w, out _)) == Cls.Letter)
            return RunOf(s, i + w, Cls.Letter) - i;
        // \p{N}{1,k}
        if (k == Cls.Number) return RunOf(s, i, Cls.Number, _maxDigits) - i;
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        int start = i;
        if (c == ' ' && i + 1 < s.Length && Classify(CodePoint(s, i + 1, out _)) == Cls.Other) start = i + 1;
        if (start > i || k == Cls.Other)
        {
            int j = RunOf(s, start, Cls.Other);
            while (j < s.Length && s[j] is '\r' or '\n') j++;
            return j - i;
        }
        // Only white space is left: \s*[\r\n]+ | \s+(?!\S) | \s+
        int end = RunOf(s, i, Cls.Space);
        for (int p = end - 1; p >= i; p--)
            if (s[p] is '\r' or '\n') return p + 1 - i;
        return SpaceTail(s, i, end);
    }

    private static int MatchGpt2(string s, int i)
    {
        int m = Contraction(s, i, caseSensitive: true);
        if (m > 0) return m;
        int c = CodePoint(s, i, out _);
        Cls k = Classify(c);
        int start = i;
        if (c == ' ' && i + 1 < s.Length)
        {
            Cls next = Classify(CodePoint(s, i + 1, out _));
            if (next != Cls.Space) { start = i + 1; k = next; }
        }
        if (k != Cls.Space) return RunOf(s, start, k) - i;
        return SpaceTail(s, i, RunOf(s, i, Cls.Space));
    }

    /// <summary><c>\s+(?!\S)|\s+</c> over the white-space run [i, end).</summary>
    private static int SpaceTail(string s, int i, int end)
    {
        if (end == s.Length || end - i == 1) return end - i;
        // Back off one code point so the last space stays with the following word (units: white space is BMP).
        return end - 1 - i;
    }

    /// <summary><c>'s|'t|'re|'ve|'m|'ll|'d</c>, ASCII case-insensitive unless <paramref name="caseSensitive"/>.</summary>
    private static int Contraction(string s, int i, bool caseSensitive = false)
    {
        if (s[i] != '\'' || i + 1 >= s.Length) return 0;
        char a = caseSensitive ? s[i + 1] : AsciiLower(s[i + 1]);
        if (a is 's' or 't' or 'm' or 'd') return 2;
        if (i + 2 >= s.Length) return 0;
        char b = caseSensitive ? s[i + 2] : AsciiLower(s[i + 2]);
        return (a, b) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? 3 : 0;
    }

    private static char AsciiLower(char c) => c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;

    private static int RunOf(string s, int i, Cls k, int max = int.MaxValue)
    {
        int count = 0;
        while (i < s.Length && count < max)
        {
            int c = CodePoint(s, i, out int w);
            if (Classify(c) != k) break;
            i += w;
            count++;
        }
        return i;
    }

    private static int CodePoint(string s, int i, out int width)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }
        width = 1;
        return c;
    }

    private static Cls Classify(int c)
    {
        if (c < 128)
        {
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z') return Cls.Letter;
            if (c is >= '0' and <= '9') return Cls.Number;
            if (c is ' ' or >= 9 and <= 13) return Cls.Space;
            return Cls.Other;
        }
        if (IsEcmaSpace(c)) return Cls.Space;
        switch (CharUnicodeInfo.GetUnicodeCategory(c))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                return Cls.Letter;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                return Cls.Number;
            default:
                return Cls.Other;
        }
    }

    /// <summary>ECMAScript <c>\s</c>: WhiteSpace and LineTerminator (Zs, U+FEFF, TAB..CR, U+2028, U+2029).</summary>
    private static bool IsEcmaSpace(int c) =>
        c is 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 or 0xFEFF;
}

/// <summary>
/// Fallback for split patterns other than the known ones: .NET Regex (UTF-16 semantics; see
/// <see cref="CodePointPatternPreTokenizer"/> for why the known patterns do not use it).
/// </summary>
internal sealed class RegexSplitPreTokenizer : PreTokenizer
{
    /// <summary>Bound on one match of a tokenizer.json pattern: a crafted pattern can backtrack for ever; real ones take microseconds.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex _regex;
    private readonly bool _removed;

    public RegexSplitPreTokenizer(Regex regex, bool removed) { _regex = regex; _removed = removed; }

    public override void Split(string text, List<string> output)
    {
        // .NET's Regex sees UTF-16 code units, so \p{L} never matches a letter outside the BMP and a character class
        // can take half a surrogate pair. The Rust library matches code points: match on a copy where each surrogate
        // pair is one BMP stand-in of the same Unicode category, then cut the original at the mapped positions.
        string subject = text;
        int[]? map = null;
        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0) (subject, map) = StandIns(text);
        int prev = 0;
        try
        {
            foreach (Match m in _regex.Matches(subject))
            {
                int start = map is null ? m.Index : map[m.Index], end = map is null ? m.Index + m.Length : map[m.Index + m.Length];
                if (start > prev) output.Add(text[prev..start]);
                if (end > start && !_removed) output.Add(text[start..end]);
                prev = end;
            }
        }
        catch (RegexMatchTimeoutException e)
        {
            throw new TokenizerRegexTimeoutException(_regex.ToString(), text.Length, e.MatchTimeout, e);
        }
        if (prev < text.Length) output.Add(text[prev..]);
    }

    /// <summary>
    /// The text with each surrogate pair replaced by one BMP character of the same general category (chosen outside
    /// the literal ranges real patterns use, such as CJK), and the map from positions in it to positions in the text
    /// (one longer than the copy). Lone surrogates stay as they are.
    /// </summary>
    internal static (string Subject, int[] Map) StandIns(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length);
        var map = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length; i++)
        {
            map.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(StandIn(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text[i], text[i + 1]))));
                i++;
            }
            else sb.Append(text[i]);
        }
        map.Add(text.Length);
        return (sb.ToString(), [.. map]);
    }

    private static char StandIn(UnicodeCategory c) => c switch
    {
        UnicodeCategory.UppercaseLetter => '\uA640',        // Cyrillic capital zemlya
        UnicodeCategory.LowercaseLetter => '\uA641',        // Cyrillic small zemlya
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\uA015',         // Yi syllable iteration mark
        UnicodeCategory.OtherLetter => '\uA000',            // Yi syllable it
        UnicodeCategory.NonSpacingMark => '\uA66F',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0966',     // Devanagari zero
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u2460',
        UnicodeCategory.MathSymbol => '\u2200',
        UnicodeCategory.CurrencySymbol => '\u20AC',
        UnicodeCategory.ModifierSymbol => '\u02C5',
        UnicodeCategory.OtherSymbol => '\u2600',
        UnicodeCategory.ConnectorPunctuation => '\u2040',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u2039',
        UnicodeCategory.FinalQuotePunctuation => '\u203A',
        UnicodeCategory.OtherPunctuation => '\u203B',
        UnicodeCategory.Format => '\u2060',
        UnicodeCategory.PrivateUse => '\uE000',
        UnicodeCategory.SpaceSeparator => '\u2002',
        _ => '\u0378',                                      // unassigned
    };
}

/// <summary>A tokenizer.json pre-tokenizer pattern ran past its match timeout (catastrophic backtracking): the file is crafted or broken.</summary>
public sealed class TokenizerRegexTimeoutException(string pattern, int textLength, TimeSpan timeout, Exception inner)
    : TimeoutException($"The tokenizer's pre-tokenizer pattern ran past its {timeout.TotalSeconds:0.#} s match timeout on a text of {textLength:N0} characters " +
        $"(the pattern backtracks without end: '{(pattern.Length > 80 ? pattern[..80] + "..." : pattern)}'). The tokenizer.json is crafted or broken; use the model's original tokenizer files.", inner)
{
    /// <summary>The RlTools error id for this failure.</summary>
    public const string ErrorId = "TokenizerRegexTimeout";
}

/// <summary>The ByteLevel pre-tokenizer's splitting part (its byte mapping is applied by the model).</summary>
internal sealed class ByteLevelPreTokenizer : PreTokenizer
{
    private readonly bool _addPrefixSpace;
    private readonly bool _useRegex;

    public ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) { _addPrefixSpace = addPrefixSpace; _useRegex = useRegex; }

    public override void Split(string text, List<string> output)
    {
        if (_addPrefixSpace && !text.StartsWith(' ')) text = " " + text;
        if (_useRegex) CodePointPatternPreTokenizer.Gpt2Split.Split(text, output);
        else output.Add(text);
    }
}

/// <summary>Applies pre-tokenizers in order, each to every piece the previous one produced.</summary>
internal sealed class SequencePreTokenizer : PreTokenizer
{
    private readonly PreTokenizer[] _steps;

    public SequencePreTokenizer(PreTokenizer[] steps) => _steps = steps;

    public override void Split(string text, List<string> output)
    {
        var current = new List<string> { text };
        var next = new List<string>();
        foreach (PreTokenizer step in _steps)
        {
            next.Clear();
            foreach (string piece in current) step.Split(piece, next);
            (current, next) = (next, current);
        }
        output.AddRange(current);
    }
}
