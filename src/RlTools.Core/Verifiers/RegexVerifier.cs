using System.Text.RegularExpressions;
using RlTools.Core.Records;

namespace RlTools.Core.Verifiers;

/// <summary>
/// Regular-expression reward: 1 when the completion matches <c>Pattern</c>, else 0. The placeholder
/// <c>{answer}</c> in the pattern is replaced by the escaped gold answer (null when the pattern uses it and the
/// rollout has no gold answer). Matching runs with a timeout (<c>TimeoutMs</c>), so a catastrophic pattern
/// scores 0 instead of hanging (the brittle format-regex rewards of TRL/Unsloth recipes, research §4).
/// </summary>
public sealed class RegexVerifier : IVerifier
{
    public static VerifierInfo Info { get; } = new(
        "Regex",
        "Completion matches a .NET regular expression (Pattern; {answer} is replaced by the escaped gold answer). 1 or 0.",
        "TRL/open-r1 regex format rewards (research §3.2, §4)",
        [
            new ParameterSpec("Pattern", typeof(string), null, "The regular expression (required)."),
            new ParameterSpec("IgnoreCase", typeof(bool), false, "Match case-insensitively."),
            new ParameterSpec("Multiline", typeof(bool), false, "^ and $ match at line breaks; . also matches newlines when this is off only through (?s)."),
            new ParameterSpec("TimeoutMs", typeof(double), 20.0, "Match timeout in milliseconds; a timeout scores 0."),
        ],
        s => new RegexVerifier(s));

    private readonly string _pattern;
    private readonly RegexOptions _options;
    private readonly TimeSpan _timeout;
    private readonly Regex? _fixed;

    public RegexVerifier(VerifierSettings s)
    {
        _pattern = s.GetString("Pattern") ?? throw new ArgumentException("The Regex verifier needs a Pattern, e.g. -Parameters @{ Regex = @{ Pattern = '^<think>' } }.");
        _options = RegexOptions.CultureInvariant | (s.GetBool("IgnoreCase") ? RegexOptions.IgnoreCase : 0) | (s.GetBool("Multiline") ? RegexOptions.Multiline : 0);
        double ms = s.GetDouble("TimeoutMs");
        if (!(ms > 0)) throw new ArgumentException("The Regex verifier's TimeoutMs must be more than 0.");
        _timeout = TimeSpan.FromMilliseconds(ms);
        try
        {
            var test = new Regex(_pattern.Replace("{answer}", "x", StringComparison.Ordinal), _options, _timeout);
            GC.KeepAlive(test);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The Regex verifier's Pattern is not a valid regular expression: {e.Message}", e);
        }
        if (!_pattern.Contains("{answer}", StringComparison.Ordinal)) _fixed = new Regex(_pattern, _options, _timeout);
    }

    public string Name => "Regex";

    public VerificationResult Verify(Rollout rollout)
    {
        try
        {
            Regex rx;
            if (_fixed is not null) rx = _fixed;
            else
            {
                if (string.IsNullOrEmpty(rollout.Answer)) return VerificationResult.NoGoldAnswer("the pattern uses {answer} and there is no gold answer");
                rx = new Regex(_pattern.Replace("{answer}", Regex.Escape(rollout.Answer.Trim()), StringComparison.Ordinal), _options, _timeout);
            }
            var m = rx.Match(rollout.Completion ?? "");
            return new VerificationResult
            {
                Score = m.Success ? 1 : 0, IsCorrect = m.Success, Extracted = m.Success ? (m.Length > 200 ? m.Value[..200] : m.Value) : null,
                Reason = m.Success ? "pattern matched" : "pattern did not match",
            };
        }
        catch (RegexMatchTimeoutException)
        {
            return new VerificationResult { Score = 0, IsCorrect = false, Reason = "pattern timed out" };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new VerificationResult { Score = 0, IsCorrect = false, Reason = "internal error: " + e.GetType().Name };
        }
    }
}
