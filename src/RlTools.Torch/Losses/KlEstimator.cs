using TorchSharp;
using static TorchSharp.torch;
using RlTools.Core.Advantages;

namespace RlTools.Torch.Losses;

/// <summary>
/// Per-token KL estimators between the policy and a reference as tensors, with x = ℓ − ℓ_ref (Schulman, "Approximating
/// KL divergence", 2020; verl <c>kl_penalty</c>, anchors §2.5); names and scalar values live in <see cref="KlPenalty"/>:
/// <list type="bullet">
/// <item><c>k1</c> (alias <c>kl</c>): x.</item>
/// <item><c>abs</c>: |x|.</item>
/// <item><c>k2</c> (alias <c>mse</c>): ½x².</item>
/// <item><c>k3</c> (alias <c>low_var_kl</c>): with u = clamp(−x, −20, 20), clamp(eᵘ − u − 1, −10, 10).</item>
/// <item>any of them with a <c>+</c> suffix (<c>k1+</c>, <c>abs+</c>, <c>k2+</c>, <c>k3+</c>, <c>low_var_kl+</c>): the base
/// estimator's value with the gradient of k2 (straight-through: k2 + sg(base − k2)), whose gradient x·∇ℓ is an
/// unbiased KL gradient on samples from π.</item>
/// </list>
/// </summary>
public static class KlEstimator
{
    /// <summary>The accepted names (the canonical ones first): <see cref="KlPenalty.Names"/>.</summary>
    public static IReadOnlyList<string> Names => KlPenalty.Names;

    /// <summary>Canonical base name (k1, abs, k2, k3) and whether the straight-through suffix was given (<see cref="KlPenalty.Parse"/>).</summary>
    public static (string Base, bool StraightThrough) Parse(string name) => KlPenalty.Parse(name);

    /// <summary>Per-token KL value <c>[B,T]</c> (gradient flows through <paramref name="logp"/>).</summary>
    public static Tensor Compute(string name, Tensor logp, Tensor refLogp)
    {
        var (b, st) = Parse(name);
        var x = logp - refLogp;
        Tensor value = Base(b, x);
        if (!st) return value;
        var k2 = 0.5 * x * x;
        return k2 + (value - k2).detach();
    }

    private static Tensor Base(string b, Tensor x) => b switch
    {
        "k1" => x,
        "abs" => x.abs(),
        "k2" => 0.5 * x * x,
        "k3" => K3(x),
        _ => throw new ArgumentOutOfRangeException(nameof(b)),
    };

    private static Tensor K3(Tensor x)
    {
        var u = (-x).clamp(-20.0, 20.0);
        return (u.exp() - u - 1).clamp(-10.0, 10.0);
    }
}
