using RlTools.Torch.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Update;

public class OptimizerTests
{
    private static readonly double[] W0 = { 0.5, -1.0, 2.0, 0.3, 0.8, -0.4 }; // 2×3
    private static readonly double[][] Grads =
    {
        new[] { 0.1, -0.2, 0.3, 0.05, 0.0, -0.1 },
        new[] { -0.3, 0.1, 0.2, 0.2, -0.5, 0.4 },
        new[] { 0.0, 0.05, -0.1, 0.3, 0.1, 0.1 },
    };

    private static (string, Tensor)[] Param(double[] w, long[] shape) =>
        new[] { ("w", torch.tensor(w, shape, dtype: ScalarType.Float64).requires_grad_(true)) };

    [Fact]
    public void AdamW_matches_torch_optim_AdamW()
    {
        using var scope = NewDisposeScope();
        var ours = Param(W0, new long[] { 2, 3 });
        var theirs = torch.nn.Parameter(torch.tensor(W0, new long[] { 2, 3 }, dtype: ScalarType.Float64));
        using var opt = ParameterOptimizer.Create(ours, new OptimizerSettings { Kind = OptimizerKind.AdamW, WeightDecay = 0.01 });
        var reference = torch.optim.AdamW(new[] { theirs }, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01);
        foreach (var g in Grads)
        {
            ours[0].Item2.grad = torch.tensor(g, new long[] { 2, 3 }, dtype: ScalarType.Float64);
            theirs.grad = torch.tensor(g, new long[] { 2, 3 }, dtype: ScalarType.Float64);
            opt.Step(0.01);
            reference.step();
        }
        Assert.Equal(Values(theirs), Values(ours[0].Item2), new ToleranceComparer(1e-12));
        Assert.Equal(3, opt.StepCount);
    }

    private static double[] Values(Tensor t) => t.detach().data<double>().ToArray();

    /// <summary>AdamP by hand in doubles (channel view, then layer view), following the paper's algorithm.</summary>
    private static double[] AdamPReference(double[] w0, double[][] grads, int rows, double lr, double wd, double delta, double wdRatio,
        double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
    {
        int n = w0.Length, cols = n / rows;
        var w = (double[])w0.Clone();
        var m = new double[n];
        var v = new double[n];
        for (int t = 1; t <= grads.Length; t++)
        {
            var g = grads[t - 1];
            for (int k = 0; k < n; k++) { m[k] = b1 * m[k] + (1 - b1) * g[k]; v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k]; }
            double bc1 = 1 - Math.Pow(b1, t), bc2 = 1 - Math.Pow(b2, t);
            var d = new double[n];
            for (int k = 0; k < n; k++) d[k] = m[k] / (Math.Sqrt(v[k]) / Math.Sqrt(bc2) + eps);
            double ratio = 1;
            foreach (int r in new[] { rows, 1 })
            {
                int len = n / r;
                double maxCos = 0;
                for (int i = 0; i < r; i++)
                {
                    double dot = 0, nw = 0, ng = 0;
                    for (int j = 0; j < len; j++) { int k = i * len + j; dot += w[k] * g[k]; nw += w[k] * w[k]; ng += g[k] * g[k]; }
                    maxCos = Math.Max(maxCos, Math.Abs(dot) / (Math.Max(Math.Sqrt(nw), eps) * Math.Max(Math.Sqrt(ng), eps)));
                }
                if (maxCos < delta / Math.Sqrt(len))
                {
                    for (int i = 0; i < r; i++)
                    {
                        double nw = 0;
                        for (int j = 0; j < len; j++) nw += w[i * len + j] * w[i * len + j];
                        double norm = Math.Sqrt(nw) + eps, proj = 0;
                        for (int j = 0; j < len; j++) proj += w[i * len + j] / norm * d[i * len + j];
                        for (int j = 0; j < len; j++) d[i * len + j] -= w[i * len + j] / norm * proj;
                    }
                    ratio = wdRatio;
                    break;
                }
            }
            for (int k = 0; k < n; k++) w[k] *= 1 - lr * wd * ratio;
            for (int k = 0; k < n; k++) w[k] -= lr / bc1 * d[k];
        }
        return w;
    }

    [Fact]
    public void AdamP_projects_when_the_gradient_is_orthogonal_to_the_weight()
    {
        // Gradients orthogonal to each row of W (row·g_row = 0), so the channel view passes and the radial
        // component of the step is removed.
        double[] w = { 1, 0, 0, 0, 1, 0 };
        double[][] grads = { new[] { 0, 0.2, -0.1, 0.3, 0, 0.2 }, new[] { 0, -0.1, 0.4, 0.1, 0, -0.3 } };
        using var scope = NewDisposeScope();
        var ps = Param(w, new long[] { 2, 3 });
        using var opt = ParameterOptimizer.Create(ps, new OptimizerSettings { Kind = OptimizerKind.AdamP, WeightDecay = 0.1 });
        foreach (var g in grads) { ps[0].Item2.grad = torch.tensor(g, new long[] { 2, 3 }, dtype: ScalarType.Float64); opt.Step(0.1); }
        var expected = AdamPReference(w, grads, 2, 0.1, 0.1, 0.1, 0.1);
        Assert.Equal(expected, Values(ps[0].Item2), new ToleranceComparer(1e-12));
        // And it differs from the unprojected update (the test can fail).
        var plain = AdamPReference(w, grads, 2, 0.1, 0.1, delta: 0, wdRatio: 0.1);
        Assert.Contains(expected.Zip(plain), x => Math.Abs(x.First - x.Second) > 1e-3);
    }

    [Fact]
    public void AdamP_is_plain_Adam_when_gradient_and_weight_align()
    {
        using var scope = NewDisposeScope();
        var ps = Param(W0, new long[] { 2, 3 });
        using var opt = ParameterOptimizer.Create(ps, new OptimizerSettings { Kind = OptimizerKind.AdamP, WeightDecay = 0.01 });
        foreach (var g in Grads) { ps[0].Item2.grad = torch.tensor(g, new long[] { 2, 3 }, dtype: ScalarType.Float64); opt.Step(0.01); }
        Assert.Equal(AdamPReference(W0, Grads, 2, 0.01, 0.01, 0.1, 0.1), Values(ps[0].Item2), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void AdamP_never_projects_one_dimensional_parameters()
    {
        using var scope = NewDisposeScope();
        var ps = new[] { ("b", torch.tensor(new[] { 1.0, 0.0 }, dtype: ScalarType.Float64).requires_grad_(true)) };
        using var opt = ParameterOptimizer.Create(ps, new OptimizerSettings { Kind = OptimizerKind.AdamP, WeightDecay = 0 });
        ps[0].Item2.grad = torch.tensor(new[] { 0.0, 0.5 }, dtype: ScalarType.Float64);
        opt.Step(0.1);
        // Adam's first step moves each entry by lr·sign(g) (m̂/√v̂ = ±1): [1, −0.1].
        Assert.Equal(new[] { 1.0, -0.1 }, Values(ps[0].Item2), new ToleranceComparer(1e-6));
    }

    [Fact]
    public void Sgd_with_momentum_by_hand()
    {
        using var scope = NewDisposeScope();
        var ps = new[] { ("w", torch.tensor(new[] { 1.0 }, dtype: ScalarType.Float64).requires_grad_(true)) };
        using var opt = ParameterOptimizer.Create(ps, new OptimizerSettings { Kind = OptimizerKind.SGD, Momentum = 0.9, WeightDecay = 0 });
        ps[0].Item2.grad = torch.tensor(new[] { 1.0 }, dtype: ScalarType.Float64);
        opt.Step(0.1); // b = 1, w = 0.9
        ps[0].Item2.grad = torch.tensor(new[] { 1.0 }, dtype: ScalarType.Float64);
        opt.Step(0.1); // b = 0.9 + 1 = 1.9, w = 0.9 − 0.19 = 0.71
        Assert.Equal(0.71, Values(ps[0].Item2)[0], 12);
    }

    [Theory]
    [InlineData(ScheduleKind.Constant, 0, 0.25)]  // warm-up: base·1/4
    [InlineData(ScheduleKind.Constant, 3, 1.0)]
    [InlineData(ScheduleKind.Constant, 50, 1.0)]
    [InlineData(ScheduleKind.Linear, 4, 1.0)]      // p = 0
    [InlineData(ScheduleKind.Linear, 9, 0.55)]     // p = 5/10 → 0.1 + 0.9·0.5
    [InlineData(ScheduleKind.Linear, 20, 0.1)]
    [InlineData(ScheduleKind.Cosine, 9, 0.55)]     // cos(π/2) = 0
    [InlineData(ScheduleKind.Cosine, 14, 0.1)]
    [InlineData(ScheduleKind.Cosine, 6, 0.1 + 0.45 * 1.8090169943749475)] // p = 0.2: 0.1 + 0.9·½(1 + cos 36°), cos 36° = 0.80901699…
    public void Schedules_by_hand(ScheduleKind kind, long step, double expected)
    {
        var s = new LearningRateSchedule(kind, 1.0, WarmupSteps: 4, TotalSteps: 14, MinLearningRate: 0.1);
        Assert.Equal(expected, s.At(step), 12);
    }

    [Fact]
    public void Lift_mask_keeps_the_largest_entries_of_the_low_rank_approximation()
    {
        using var scope = NewDisposeScope();
        // Rank-1 W = u vᵀ: its rank-1 approximation is W itself; budget R = 1 → k = (3 + 4)·1 = 7 of 12 entries.
        var u = torch.tensor(new[] { 3.0, 1.0, 2.0 });
        var v = torch.tensor(new[] { 1.0, -4.0, 0.5, 2.0 });
        var w = torch.outer(u, v).to(ScalarType.Float32);
        var mask = LiftSparseMask.Compute(w, new LiftSettings(FilterRank: 1, BudgetRank: 1, Interval: 10));
        var expected = w.abs().flatten().data<float>().ToArray().Select((x, i) => (x, i)).OrderByDescending(p => p.x).Take(7).Select(p => p.i).ToHashSet();
        var got = mask.flatten().data<float>().ToArray();
        Assert.Equal(7, got.Count(x => x == 1));
        for (int i = 0; i < 12; i++) Assert.Equal(expected.Contains(i) ? 1f : 0f, got[i]);
        // Largest, not smallest: the biggest |W| entry (3·−4 = −12) is in the mask.
        Assert.Equal(1f, got[1]);
    }

    [Fact]
    public void Lift_updates_only_masked_entries_and_freezes_the_rest()
    {
        using var scope = NewDisposeScope();
        var w = torch.tensor(new float[] { 5, 0.1f, 0.2f, 4, 0.1f, 0.3f, 0.2f, 0.1f, 3 }, new long[] { 3, 3 }).requires_grad_(true);
        var b = torch.tensor(new float[] { 1, 2, 3 }).requires_grad_(true);
        using var opt = ParameterOptimizer.Create(new[] { ("w", w), ("b", b) }, new OptimizerSettings { Kind = OptimizerKind.AdamW });
        LiftSparseMask.Attach(opt, vocabSize: 100, new LiftSettings(FilterRank: 3, BudgetRank: 1, Interval: 10)); // k = min(6, 9) = 6
        var before = w.detach().clone();
        var maskVals = opt.Masks["w"].flatten().data<float>().ToArray();
        w.grad = torch.ones(3, 3);
        b.grad = torch.ones(3);
        opt.Step(0.1);
        var after = w.detach().flatten().data<float>().ToArray();
        var prev = before.flatten().data<float>().ToArray();
        for (int i = 0; i < 9; i++)
            if (maskVals[i] == 0) Assert.Equal(prev[i], after[i]); else Assert.NotEqual(prev[i], after[i]);
        Assert.Equal(new float[] { 1, 2, 3 }, b.detach().data<float>().ToArray());
        Assert.Contains("b", opt.Frozen);
    }
}
