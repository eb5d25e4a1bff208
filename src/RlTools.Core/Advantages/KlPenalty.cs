using System.Globalization;
using RlTools.Core.Records;

namespace RlTools.Core.Advantages;

/// <summary>
/// Per-token KL estimators between a policy and a reference, x = ℓ − ℓ_ref (Schulman, "Approximating KL
/// divergence", 2020; verl <c>kl_penalty</c>). The one list of names and their arithmetic; the update
/// stage's tensor form (RlTools.Torch <c>KlEstimator</c>) parses names here.
/// <list type="bullet">
/// <item><c>k1</c> (alias <c>kl</c>): x.</item>
/// <item><c>abs</c>: |x|.</item>
/// <item><c>k2</c> (alias <c>mse</c>): ½x².</item>
/// <item><c>k3</c> (alias <c>low_var_kl</c>): with u = clamp(−x, −20, 20), clamp(eᵘ − u − 1, −10, 10).</item>
/// <item>any of them with a <c>+</c> suffix: in a loss, the base estimator's value with the gradient of k2
/// (straight-through); as a reward penalty (no gradient) the same value as the base estimator.</item>
/// </list>
/// </summary>
public static class KlPenalty
{
    /// <summary>The accepted names (the canonical ones first).</summary>
    public static IReadOnlyList<string> Names { get; } = new[]
    {
        "k1", "abs", "k2", "k3", "k1+", "abs+", "k2+", "k3+", "kl", "mse", "low_var_kl", "kl+", "mse+", "low_var_kl+",
    };

    /// <summary>Canonical base name (k1, abs, k2, k3) and whether the straight-through suffix was given.</summary>
    public static (string Base, bool StraightThrough) Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = name.Trim().ToLowerInvariant();
        bool st = n.EndsWith('+');
        if (st) n = n[..^1];
        string b = n switch
        {
            "k1" or "kl" => "k1",
            "abs" => "abs",
            "k2" or "mse" => "k2",
            "k3" or "low_var_kl" => "k3",
            _ => throw new ArgumentException($"Unknown KL estimator '{name}'. Use one of: {string.Join(", ", Names)}."),
        };
        return (b, st);
    }

    /// <summary>The base estimator's value at x = ℓ − ℓ_ref (what a reward penalty subtracts, times β).</summary>
    public static double Value(string baseName, double x) => baseName switch
    {
        "k1" => x,
        "abs" => Math.Abs(x),
        "k2" => 0.5 * x * x,
        "k3" => Math.Clamp(Math.Exp(Math.Clamp(-x, -20, 20)) - Math.Clamp(-x, -20, 20) - 1, -10, 10),
        _ => throw new ArgumentOutOfRangeException(nameof(baseName)),
    };
}

/// <summary>
/// The KL coefficient β of a KL-in-reward penalty: fixed, or verl's adaptive controller (Ziegler et al.,
/// "Fine-Tuning Language Models from Human Preferences", arXiv 1909.08593; verl <c>AdaptiveKLController</c>):
/// after each batch β ← β·(1 + clip(KL/target − 1, −0.2, 0.2)·n/horizon), n = rollouts in the batch and KL the
/// batch mean of each rollout's token-mean penalty KL. Pass the same object every step so β adapts.
/// </summary>
public sealed class KlController
{
    private KlController(double value, double? target, double horizon)
    {
        if (!double.IsFinite(value) || value < 0) throw new ArgumentException($"The KL coefficient must be a finite number ≥ 0 (got {value.ToString(CultureInfo.InvariantCulture)}).");
        if (target is { } t && (!double.IsFinite(t) || t <= 0)) throw new ArgumentException($"The KL target must be a finite number > 0 (got {t.ToString(CultureInfo.InvariantCulture)}).");
        if (target is not null && (!double.IsFinite(horizon) || horizon <= 0)) throw new ArgumentException($"The KL horizon must be > 0 (got {horizon.ToString(CultureInfo.InvariantCulture)}); verl's default is 10000.");
        Value = value; Target = target; Horizon = horizon;
    }

    /// <summary>A fixed β (verl <c>kl_ctrl.type=fixed</c>).</summary>
    public static KlController Fixed(double beta) => new(beta, null, 0);

    /// <summary>verl's adaptive controller (<c>kl_ctrl.type=adaptive</c>; verl defaults: β₀ = 0.001, target 0.1, horizon 10000).</summary>
    public static KlController Adaptive(double initialBeta, double targetKl, double horizon = 10000) => new(initialBeta, targetKl, horizon);

    /// <summary>The current β.</summary>
    public double Value { get; private set; }
    /// <summary>Target KL (null for a fixed β).</summary>
    public double? Target { get; }
    /// <summary>Horizon of the adaptive update.</summary>
    public double Horizon { get; }
    /// <summary>True for the adaptive controller.</summary>
    public bool IsAdaptive => Target is not null;

    /// <summary>verl <c>update(current_kl, n_steps)</c>; a fixed β does not move.</summary>
    public void Update(double currentKl, int steps)
    {
        if (Target is not { } target || !double.IsFinite(currentKl)) return;
        double error = Math.Clamp(currentKl / target - 1, -0.2, 0.2);
        Value *= 1 + error * steps / Horizon;
    }

    public override string ToString() => IsAdaptive
        ? $"adaptive β={Value.ToString("R", CultureInfo.InvariantCulture)} target={Target!.Value.ToString("R", CultureInfo.InvariantCulture)} horizon={Horizon.ToString(CultureInfo.InvariantCulture)}"
        : $"fixed β={Value.ToString("R", CultureInfo.InvariantCulture)}";
}

/// <summary>
/// KL in the reward (verl <c>use_kl_in_reward</c>, <c>apply_kl_penalty</c>): before the estimator runs, each
/// trained token's reward loses β·KL_t, KL_t the chosen estimator at x = <c>logprobs</c> − <c>ref_logprobs</c>
/// (times the loss mask). Token-return estimators (REINFORCE++, GAE) see the per-token rewards, so each return
/// accumulates the future penalties; every other estimator sees the shaped sequence reward r − β·Σ_t m_t·KL_t
/// (verl: <c>token_level_rewards.sum(-1)</c>). The record's <c>reward</c> field is left as scored.
/// </summary>
public sealed class KlRewardPenalty
{
    /// <summary>A penalty with the given controller and estimator name (see <see cref="KlPenalty.Names"/>).</summary>
    public KlRewardPenalty(KlController controller, string estimator = "k1")
    {
        Controller = controller ?? throw new ArgumentNullException(nameof(controller));
        Estimator = estimator;
        BaseEstimator = KlPenalty.Parse(estimator).Base;
    }

    /// <summary>β, fixed or adaptive.</summary>
    public KlController Controller { get; }
    /// <summary>The KL estimator's name as given.</summary>
    public string Estimator { get; }
    internal string BaseEstimator { get; }

    /// <summary>Checks that a rollout has aligned, finite logprobs and ref_logprobs; an error id and message, or null.</summary>
    internal static (string ErrorId, string Message)? Check(Rollout r, int len)
    {
        if (r.Logprobs is null || r.RefLogprobs is null)
            return ("MissingInput", "KL in the reward needs per-token 'logprobs' and 'ref_logprobs'; score the rollouts with Measure-RlLogProb (-Reference) first.");
        if (r.Logprobs.Length != len || r.RefLogprobs.Length != len)
            return ("InputLengthMismatch", $"'logprobs' ({r.Logprobs.Length}) and 'ref_logprobs' ({r.RefLogprobs.Length}) must have one value per completion token ({len}).");
        for (int j = 0; j < len; j++)
            if (!float.IsFinite(r.Logprobs[j]) || !float.IsFinite(r.RefLogprobs[j]))
                return ("NonFiniteInput", $"'logprobs'/'ref_logprobs' at token {j} is not finite; per-token inputs must be finite.");
        return null;
    }

    /// <summary>m_t·KL_t for each token of a rollout whose inputs passed <see cref="Check"/>.</summary>
    internal double[] TokenKl(Rollout r, float[]? mask)
    {
        var lp = r.Logprobs!; var rf = r.RefLogprobs!;
        var kl = new double[lp.Length];
        for (int j = 0; j < kl.Length; j++) kl[j] = AdvantageMath.Weight(mask, j) * KlPenalty.Value(BaseEstimator, (double)lp[j] - rf[j]);
        return kl;
    }
}
