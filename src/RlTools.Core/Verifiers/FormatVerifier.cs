using RlTools.Core.Records;

namespace RlTools.Core.Verifiers;

/// <summary>
/// Format reward (DeepSeek-R1, arXiv:2501.12948: <c>^&lt;think&gt;.*?&lt;/think&gt;\s*&lt;answer&gt;.*?&lt;/answer&gt;$</c>;
/// TRL <c>think_format_reward</c>): 1 when the completion consists of the configured tags, in order, each exactly
/// once with non-empty content; with <c>Strict</c> off, text may surround and separate the blocks. Scanned by
/// hand (no regex), so long completions cannot backtrack. <c>OpenedInPrompt</c> treats the first opening tag as
/// already written (chat templates that end the prompt with <c>&lt;think&gt;</c>).
/// </summary>
public sealed class FormatVerifier : IVerifier
{
    public static VerifierInfo Info { get; } = new(
        "Format",
        "Completion is <think>…</think><answer>…</answer> (tags configurable), each block once and non-empty. 1 or 0.",
        "DeepSeek-R1 format reward (arXiv:2501.12948); TRL think_format_reward",
        [
            new ParameterSpec("Tags", typeof(string[]), new[] { "think", "answer" }, "Tag names, in the order they must appear."),
            new ParameterSpec("Strict", typeof(bool), true, "Nothing but whitespace outside and between the blocks."),
            new ParameterSpec("OpenedInPrompt", typeof(bool), false, "The prompt already ends with the first opening tag."),
        ],
        s => new FormatVerifier(s));

    private readonly string[] _tags;
    private readonly bool _strict, _opened;

    public FormatVerifier(VerifierSettings s)
    {
        _tags = s.GetStrings("Tags");
        if (_tags.Length == 0 || _tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Any(c => c is '<' or '>' || char.IsWhiteSpace(c))))
            throw new ArgumentException("The Format verifier's Tags must be one or more tag names without '<', '>' or spaces, e.g. @('think', 'answer').");
        _strict = s.GetBool("Strict");
        _opened = s.GetBool("OpenedInPrompt");
    }

    public string Name => "Format";

    public VerificationResult Verify(Rollout rollout)
    {
        try
        {
            string? problem = Check(rollout.Completion ?? "");
            return new VerificationResult
            {
                Score = problem is null ? 1 : 0, IsCorrect = problem is null,
                Reason = problem ?? "well-formed: " + string.Join("", _tags.Select(t => $"<{t}>…</{t}>")),
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new VerificationResult { Score = 0, IsCorrect = false, Reason = "internal error: " + e.GetType().Name };
        }
    }

    private string? Check(string text)
    {
        int pos = 0;
        for (int k = 0; k < _tags.Length; k++)
        {
            string open = "<" + _tags[k] + ">", close = "</" + _tags[k] + ">";
            int contentStart;
            if (k == 0 && _opened) contentStart = 0;
            else
            {
                int o = text.IndexOf(open, pos, StringComparison.Ordinal);
                if (o < 0) return $"missing {open}";
                if (_strict && !IsBlank(text, pos, o)) return $"text before {open}";
                contentStart = o + open.Length;
            }
            int c = text.IndexOf(close, contentStart, StringComparison.Ordinal);
            if (c < 0) return $"missing {close}";
            if (text.IndexOf(open, contentStart, c - contentStart, StringComparison.Ordinal) >= 0) return $"{open} opened twice";
            if (IsBlank(text, contentStart, c)) return $"empty {open} block";
            pos = c + close.Length;
            if (text.IndexOf(open, pos, StringComparison.Ordinal) >= 0 || text.IndexOf(close, pos, StringComparison.Ordinal) >= 0) return $"more than one {open} block";
        }
        if (_strict && !IsBlank(text, pos, text.Length)) return "text after the last block";
        return null;
    }

    private static bool IsBlank(string s, int from, int to)
    {
        for (int i = from; i < to; i++) if (!char.IsWhiteSpace(s[i])) return false;
        return true;
    }
}
