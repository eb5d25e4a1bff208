using RlTools.Core.Records;

namespace RlTools.Core.Verifiers;

/// <summary>
/// DAPO soft overlong punishment (Yu et al., DAPO, arXiv:2503.14476, eq. 13; verl <c>reward_manager/dapo.py</c>):
/// with L the completion length, L_max = <c>MaxLength</c>, L_cache = <c>Buffer</c> and expected length
/// E = L_max − L_cache, the component is
/// <c>penalty = min(−(L − E) / L_cache · Factor, 0)</c>:
/// 0 up to E, falling linearly to −Factor at L_max, and (as in verl) continuing below −Factor past L_max.
/// L counts completion tokens when they are recorded (<c>Unit</c> Auto or Tokens) or characters
/// (<c>Unit</c> Characters, or Auto without tokens). Null when <c>Unit</c> is Tokens and none are recorded.
/// </summary>
public sealed class LengthVerifier : IVerifier
{
    public static VerifierInfo Info { get; } = new(
        "Length",
        "DAPO soft overlong penalty: min(-(len - (MaxLength - Buffer)) / Buffer * Factor, 0). 0 for short completions, -Factor at MaxLength.",
        "DAPO (arXiv:2503.14476) eq. 13; verl reward_manager/dapo.py",
        [
            new ParameterSpec("MaxLength", typeof(int), 20480, "L_max: the maximum response length."),
            new ParameterSpec("Buffer", typeof(int), 4096, "L_cache: the length of the soft-penalty window before MaxLength (> 0, <= MaxLength)."),
            new ParameterSpec("Factor", typeof(double), 1.0, "Penalty at MaxLength (overlong_penalty_factor)."),
            new ParameterSpec("Unit", typeof(string), "Auto", "Tokens, Characters, or Auto (tokens when recorded, else characters)."),
        ],
        s => new LengthVerifier(s));

    private readonly int _max, _buffer;
    private readonly double _factor;
    private readonly string _unit;

    public LengthVerifier(VerifierSettings s)
    {
        _max = s.GetInt("MaxLength");
        _buffer = s.GetInt("Buffer");
        _factor = s.GetDouble("Factor");
        _unit = s.GetString("Unit") ?? "Auto";
        if (_buffer <= 0) throw new ArgumentException($"The Length verifier's Buffer must be more than 0 (got {_buffer}).");
        if (_max < _buffer) throw new ArgumentException($"The Length verifier's MaxLength ({_max}) must be at least its Buffer ({_buffer}).");
        if (!double.IsFinite(_factor) || _factor < 0) throw new ArgumentException("The Length verifier's Factor must be a finite number, 0 or more.");
        if (_unit is not ("Auto" or "Tokens" or "Characters"))
        {
            _unit = _unit.Equals("tokens", StringComparison.OrdinalIgnoreCase) ? "Tokens"
                : _unit.Equals("characters", StringComparison.OrdinalIgnoreCase) ? "Characters"
                : _unit.Equals("auto", StringComparison.OrdinalIgnoreCase) ? "Auto"
                : throw new ArgumentException($"The Length verifier's Unit must be Auto, Tokens or Characters (got '{_unit}').");
        }
    }

    public string Name => "Length";

    /// <summary>The penalty for a length (the formula above).</summary>
    public double Penalty(int length)
    {
        int expected = _max - _buffer;
        return System.Math.Min(-(double)(length - expected) / _buffer * _factor, 0.0);
    }

    public VerificationResult Verify(Rollout rollout)
    {
        bool hasTokens = rollout.CompletionTokens is not null;
        if (_unit == "Tokens" && !hasTokens) return VerificationResult.NotApplicable("no completion tokens recorded");
        bool tokens = _unit == "Tokens" || (_unit == "Auto" && hasTokens);
        int len = tokens ? rollout.CompletionLength : (rollout.Completion ?? "").Length;
        double p = Penalty(len);
        return new VerificationResult
        {
            Score = p,
            Reason = $"{len} {(tokens ? "tokens" : "characters")}, expected at most {_max - _buffer}" + (p < 0 ? $": penalty {p:0.####}" : ": no penalty"),
        };
    }
}
