using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Optim;

/// <summary>Which optimizer <see cref="ParameterOptimizer.Create"/> builds.</summary>
public enum OptimizerKind { AdamW, AdamP, SGD }

/// <summary>Optimizer hyper-parameters (the learning rate comes from the schedule at each step).</summary>
public sealed record OptimizerSettings
{
    public OptimizerKind Kind { get; init; } = OptimizerKind.AdamW;
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;
    /// <summary>SGD momentum μ (0 = none).</summary>
    public double Momentum { get; init; }
    /// <summary>Nesterov momentum (SGD) / Nesterov step (AdamP).</summary>
    public bool Nesterov { get; init; }
    /// <summary>AdamP δ: the scale-invariance threshold is δ/√(row length).</summary>
    public double Delta { get; init; } = 0.1;
    /// <summary>AdamP: weight decay is multiplied by this when a projection happened.</summary>
    public double WdRatio { get; init; } = 0.1;
}

/// <summary>
/// Base of RlTools' optimizers. The state is a set of named tensors (moments per parameter) plus a step
/// count, so it can be saved and restored bit for bit. Parameters whose <see cref="Masks"/> entry is set are
/// updated only where the mask is 1 (LIFT); parameters in <see cref="Frozen"/> are not updated at all.
/// </summary>
public abstract class ParameterOptimizer : IDisposable
{
    protected ParameterOptimizer(IReadOnlyList<(string Name, Tensor Param)> parameters, OptimizerSettings settings)
    {
        Parameters = parameters;
        Settings = settings;
    }

    public IReadOnlyList<(string Name, Tensor Param)> Parameters { get; }
    public OptimizerSettings Settings { get; set; }

    /// <summary>Steps taken (Adam's bias-correction t after the next step is StepCount + 1).</summary>
    public long StepCount { get; set; }

    /// <summary>Named state tensors ("exp_avg/&lt;param&gt;", …), owned by the optimizer.</summary>
    public Dictionary<string, Tensor> State { get; } = new(StringComparer.Ordinal);

    /// <summary>Sparse update masks by parameter name (1 = trainable entry), or empty.</summary>
    public Dictionary<string, Tensor> Masks { get; } = new(StringComparer.Ordinal);

    /// <summary>Parameter names that are never updated.</summary>
    public HashSet<string> Frozen { get; } = new(StringComparer.Ordinal);

    public static ParameterOptimizer Create(IReadOnlyList<(string Name, Tensor Param)> parameters, OptimizerSettings settings) => settings.Kind switch
    {
        OptimizerKind.AdamW => new AdamWOptimizer(parameters, settings),
        OptimizerKind.AdamP => new AdamPOptimizer(parameters, settings),
        OptimizerKind.SGD => new SgdOptimizer(parameters, settings),
        _ => throw new ArgumentOutOfRangeException(nameof(settings)),
    };

    protected Tensor NewState(string key, Tensor like)
    {
        var t = torch.zeros_like(like).DetachFromDisposeScope();
        State[key] = t;
        return t;
    }

    /// <summary>Applies one step with learning rate <paramref name="lr"/> to every parameter with a gradient.</summary>
    public void Step(double lr)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in Parameters)
        {
            if (Frozen.Contains(name)) continue;
            var g = p.grad;
            if (g is null) continue;
            Apply(name, p, g, lr);
        }
        StepCount++;
    }

    /// <summary>
    /// Applies the step only when it leaves every weight and every state tensor finite; otherwise changes
    /// nothing (weights, moments, step count) and returns the name of the first tensor that would have gone
    /// NaN or infinite. The check runs the same update on copies, one parameter at a time, so it costs one
    /// parameter's worth of extra memory and about one more optimizer step of time.
    /// </summary>
    public string? TryStep(double lr)
    {
        using (var noGrad = torch.no_grad())
        {
            foreach (var (name, p) in Parameters)
            {
                if (Frozen.Contains(name) || p.grad is not { } g) continue;
                if (FirstNonFinite(name, p, g, lr) is string bad) return bad;
            }
        }
        Step(lr);
        return null;
    }

    private void Apply(string name, Tensor p, Tensor g, double lr)
    {
        if (Masks.TryGetValue(name, out var mask))
        {
            var before = p.clone();
            UpdateParameter(name, p, g * mask, lr, StepCount + 1);
            p.copy_(torch.where(mask > 0, p, before));
        }
        else UpdateParameter(name, p, g, lr, StepCount + 1);
    }

    /// <summary>Runs the update of one parameter on copies of it and its state; the first tensor that ends non-finite, or null.</summary>
    private string? FirstNonFinite(string name, Tensor p, Tensor g, double lr)
    {
        using var scope = torch.NewDisposeScope();
        var keys = State.Keys.Where(k => k.AsSpan(k.IndexOf('/') + 1).SequenceEqual(name)).ToList();
        var originals = keys.Select(k => State[k]).ToList();
        try
        {
            foreach (var k in keys) State[k] = State[k].clone();
            var trial = p.detach().clone();
            // libtorch refuses a step size that does not fit the tensor's dtype (e.g. lr 1e300 on float32) with a raw C++ error.
            try { Apply(name, trial, g, lr); }
            catch (System.Runtime.InteropServices.ExternalException e) when (e.Message.Contains("overflow", StringComparison.OrdinalIgnoreCase)) { return name; }
            if (!torch.isfinite(trial).all().ToBoolean()) return name;
            foreach (var k in keys) if (!torch.isfinite(State[k]).all().ToBoolean()) return k;
            return null;
        }
        finally
        {
            for (int i = 0; i < keys.Count; i++) State[keys[i]] = originals[i];
        }
    }

    /// <summary>Updates one parameter in place (no_grad is active). <paramref name="t"/> is the 1-based step.</summary>
    protected abstract void UpdateParameter(string name, Tensor p, Tensor g, double lr, long t);

    public void Dispose()
    {
        foreach (var t in State.Values) t.Dispose();
        foreach (var t in Masks.Values) t.Dispose();
        State.Clear();
        Masks.Clear();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// AdamW (Loshchilov and Hutter, arXiv:1711.05101) with torch.optim.AdamW's exact update order:
/// p ← p(1 − lr·λ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (lr/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε).
/// (An xunit test checks it against TorchSharp's torch.optim.AdamW.)
/// </summary>
public sealed class AdamWOptimizer : ParameterOptimizer
{
    public AdamWOptimizer(IReadOnlyList<(string Name, Tensor Param)> parameters, OptimizerSettings settings) : base(parameters, settings)
    {
        foreach (var (name, p) in parameters) { NewState("exp_avg/" + name, p); NewState("exp_avg_sq/" + name, p); }
    }

    protected override void UpdateParameter(string name, Tensor p, Tensor g, double lr, long t)
    {
        var s = Settings;
        var m = State["exp_avg/" + name];
        var v = State["exp_avg_sq/" + name];
        if (s.WeightDecay != 0) p.mul_(1 - lr * s.WeightDecay);
        m.mul_(s.Beta1).add_(g, alpha: 1 - s.Beta1);
        v.mul_(s.Beta2).addcmul_(g, g, value: 1 - s.Beta2);
        double bc1 = 1 - Math.Pow(s.Beta1, t), bc2 = 1 - Math.Pow(s.Beta2, t);
        var denom = (v.sqrt() / Math.Sqrt(bc2)).add_(s.Eps);
        p.addcdiv_(m, denom, value: -lr / bc1);
    }
}

/// <summary>
/// AdamP (Heo et al., arXiv:2006.08217; clovaai/AdamP). Adam direction d = m̂-style m/denom (Nesterov:
/// (β₁m + (1−β₁)g)/denom), denom = √v/√(1−β₂ᵗ) + ε. For a parameter with ≥ 2 dimensions, two views are tried
/// in order — channel (rows = first dimension) and layer (one row) — and for the first where
/// max_row |cos(g_row, W_row)| &lt; δ/√(row length), the radial part is removed: Ŵ = W_row/(‖W_row‖ + ε),
/// d_row ← d_row − Ŵ(Ŵ·d_row), and weight decay is scaled by wd_ratio. Then p ← p(1 − lr·λ·ratio);
/// p ← p − (lr/(1−β₁ᵗ))·d. cos(x, y) = x·y/(max(‖x‖, ε)·max(‖y‖, ε)), on the raw gradient g.
/// </summary>
public sealed class AdamPOptimizer : ParameterOptimizer
{
    public AdamPOptimizer(IReadOnlyList<(string Name, Tensor Param)> parameters, OptimizerSettings settings) : base(parameters, settings)
    {
        foreach (var (name, p) in parameters) { NewState("exp_avg/" + name, p); NewState("exp_avg_sq/" + name, p); }
    }

    protected override void UpdateParameter(string name, Tensor p, Tensor g, double lr, long t)
    {
        var s = Settings;
        var m = State["exp_avg/" + name];
        var v = State["exp_avg_sq/" + name];
        m.mul_(s.Beta1).add_(g, alpha: 1 - s.Beta1);
        v.mul_(s.Beta2).addcmul_(g, g, value: 1 - s.Beta2);
        double bc1 = 1 - Math.Pow(s.Beta1, t), bc2 = 1 - Math.Pow(s.Beta2, t);
        var denom = (v.sqrt() / Math.Sqrt(bc2)).add_(s.Eps);
        var d = s.Nesterov ? (s.Beta1 * m + (1 - s.Beta1) * g) / denom : m / denom;
        double wdRatio = 1;
        if (p.dim() > 1) (d, wdRatio) = Project(p, g, d, s.Delta, s.WdRatio, s.Eps);
        if (s.WeightDecay > 0) p.mul_(1 - lr * s.WeightDecay * wdRatio);
        p.add_(d, alpha: -lr / bc1);
    }

    /// <summary>The projection step (see the class comment); returns the direction and the weight-decay ratio.</summary>
    public static (Tensor Direction, double WdRatio) Project(Tensor p, Tensor g, Tensor d, double delta, double wdRatio, double eps)
    {
        foreach (bool channel in new[] { true, false })
        {
            long rows = channel ? p.shape[0] : 1;
            var w = p.reshape(rows, -1);
            var gr = g.reshape(rows, -1);
            var dot = (w * gr).sum(1);
            var cos = (dot / (w.norm(1).clamp_min(eps) * gr.norm(1).clamp_min(eps))).abs();
            double limit = delta / Math.Sqrt(w.shape[1]);
            if (cos.max().ToDouble() < limit)
            {
                var wn = w / (w.norm(1, keepdim: true) + eps);
                var dr = d.reshape(rows, -1);
                var projected = dr - wn * (wn * dr).sum(1, keepdim: true);
                return (projected.reshape(p.shape), wdRatio);
            }
        }
        return (d, 1.0);
    }
}

/// <summary>
/// SGD with torch.optim.SGD's semantics (Robbins and Monro 1951; momentum: Polyak 1964; Nesterov: Sutskever et al.
/// 2013): g ← g + λp; with momentum μ, b ← g on the first step else b ← μb + g; g ← g + μb (Nesterov) or b;
/// p ← p − lr·g.
/// </summary>
public sealed class SgdOptimizer : ParameterOptimizer
{
    public SgdOptimizer(IReadOnlyList<(string Name, Tensor Param)> parameters, OptimizerSettings settings) : base(parameters, settings)
    {
        if (settings.Momentum != 0) foreach (var (name, p) in parameters) NewState("momentum_buffer/" + name, p);
    }

    protected override void UpdateParameter(string name, Tensor p, Tensor g, double lr, long t)
    {
        var s = Settings;
        if (s.WeightDecay != 0) g = g + s.WeightDecay * p;
        if (s.Momentum != 0)
        {
            var b = State["momentum_buffer/" + name];
            if (t == 1) b.copy_(g); else b.mul_(s.Momentum).add_(g);
            g = s.Nesterov ? g + s.Momentum * b : b.clone();
        }
        p.add_(g, alpha: -lr);
    }
}
