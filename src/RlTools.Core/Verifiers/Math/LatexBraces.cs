namespace RlTools.Core.Verifiers.Math;

/// <summary>
/// Brace matching in LaTeX source, shared by the answer extractor (completions and gold solutions) and the dataset
/// importer's <c>-AnswerExtract Boxed</c>: a backslash escapes the character after it (so <c>\{</c> and <c>\}</c> are
/// literal braces and <c>\\}</c> is a line break followed by a closing brace).
/// </summary>
internal static class LatexBraces
{
    /// <summary>Index of the brace that closes the one at <paramref name="open"/>, looking before <paramref name="limit"/>; -1 when it is not closed there.</summary>
    public static int MatchingClose(string text, int open, int limit)
    {
        int depth = 0;
        limit = System.Math.Min(limit, text.Length);
        for (int i = open; i < limit; i++)
        {
            char c = text[i];
            if (c == '\\' && i + 1 < text.Length) { i++; continue; }
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return i;
        }
        return -1;
    }
}
