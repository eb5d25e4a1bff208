using RlTools.Torch.Losses;
using TorchSharp;
using static RlTools.Torch.Tests.Update.LossTestKit;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Update;

public class PolicyLossTests
{
    private static double Delta(int i, int j) => LogP[i, j] - Old[i, j];

    private static double Ppo(double d, double a, double lo, double hi, double c)
    {
        double r = Math.Exp(d), l1 = -a * r, l2 = -a * Math.Clamp(r, 1 - lo, 1 + hi), lc = Math.Max(l1, l2);
        return a < 0 && c > 1 ? Math.Min(lc, -a * c) : lc;
    }

    private static double Run(IPolicyLoss loss, LossAggregation agg = LossAggregation.TokenMean, Dictionary<string, double>? p = null)
    {
        using var scope = NewDisposeScope();
        return loss.Compute(Context(loss, T(LogP), agg, p)).Loss.ToDouble();
    }

    [Fact]
    public void Ppo_token_mean_by_hand()
    {
        // Tokens (δ, A): (0.2, 1) → clipped −1.2; (−0.1, −0.5) → 0.5e^−0.1 = 0.4524187;
        // (−1, 2) → −2e^−1 = −0.7357589; (1.5, −1) → max(e^1.5, 1.2) = 4.48 capped by dual clip at 3;
        // (0.3, 0.5) → clipped −0.6; the sixth token is masked. Mean over 5 tokens.
        double expected = (-1.2 + 0.5 * Math.Exp(-0.1) - 2 * Math.Exp(-1) + 3 - 0.6) / 5;
        Assert.Equal(expected, Run(new PpoClipLoss()), 9);
        Assert.Equal(0.1833321, expected, 6);
    }

    [Fact]
    public void Ppo_clip_fractions_by_hand()
    {
        using var scope = NewDisposeScope();
        var loss = new PpoClipLoss();
        var terms = loss.Compute(Context(loss, T(LogP)));
        var m = T(Mask);
        Assert.Equal(2.0 / 5, LossAggregator.MaskedMean(terms.Clipped!, m), 9);      // tokens (0,0) and (1,1)
        Assert.Equal(1.0 / 5, LossAggregator.MaskedMean(terms.ClippedLower!, m), 9); // token (1,0): dual clip
    }

    [Theory]
    [InlineData(LossAggregation.TokenMean)]
    [InlineData(LossAggregation.TokenSum)]
    [InlineData(LossAggregation.SeqMeanTokenSum)]
    [InlineData(LossAggregation.SeqMeanTokenSumNorm)]
    [InlineData(LossAggregation.SeqMeanTokenMean)]
    public void Ppo_every_aggregation(LossAggregation agg)
    {
        var l = Map((i, j) => Ppo(Delta(i, j), Adv[i, j], 0.2, 0.2, 3));
        Assert.Equal(Aggregate(l, Mask, agg), Run(new PpoClipLoss(), agg), 9);
    }

    [Fact]
    public void Ppo_without_dual_clip_keeps_the_large_negative_term()
    {
        var l = Map((i, j) => Ppo(Delta(i, j), Adv[i, j], 0.2, 0.2, 0));
        Assert.Equal(Aggregate(l, Mask, LossAggregation.TokenMean), Run(new PpoClipLoss(), p: new() { ["DualClip"] = 0 }), 9);
    }

    [Fact]
    public void Dapo_and_Ngrpo_use_their_papers_bounds()
    {
        var dapo = Map((i, j) => Ppo(Delta(i, j), Adv[i, j], 0.2, 0.28, 10));
        Assert.Equal(Aggregate(dapo, Mask, LossAggregation.TokenMean), Run(new DapoClipHigherLoss()), 9);
        var ngrpo = Map((i, j) => Ppo(Delta(i, j), Adv[i, j], 0.16, 0.24, 3));
        Assert.Equal(Aggregate(ngrpo, Mask, LossAggregation.TokenMean), Run(new NgrpoClipLoss()), 9);
        Assert.NotEqual(Run(new PpoClipLoss()), Run(new NgrpoClipLoss()));
    }

    [Fact]
    public void Gspo_value_and_gradient()
    {
        using var scope = NewDisposeScope();
        var loss = new GspoLoss();
        var p = new Dictionary<string, double> { ["ClipLow"] = 0.9, ["ClipHigh"] = 10 }; // wide: nothing clipped
        var logp = T(LogP, grad: true);
        var ctx = Context(loss, logp, LossAggregation.TokenSum, p); // forced SeqMeanTokenMean anyway
        var v = loss.Compute(ctx).Loss;
        // s_i = exp(mean_t δ) over valid tokens; loss = mean_i mean_t (−A s_i).
        double s0 = Math.Exp((Delta(0, 0) + Delta(0, 1) + Delta(0, 2)) / 3), s1 = Math.Exp((Delta(1, 0) + Delta(1, 1)) / 2);
        double expected = (-(Adv[0, 0] + Adv[0, 1] + Adv[0, 2]) * s0 / 3 + -(Adv[1, 0] + Adv[1, 1]) * s1 / 2) / 2;
        Assert.Equal(expected, v.ToDouble(), 7); // |o| + 1e-8 in the aggregation
        v.backward();
        // ∂/∂ℓ_{i,t} = −A_{i,t}·s_i/(|o_i|·N_seq): each token's own gradient, scaled by the sequence ratio.
        var g = Values(logp.grad!);
        Assert.Equal(-Adv[0, 1] * s0 / 3 / 2, g[1], 7);
        Assert.Equal(-Adv[1, 0] * s1 / 2 / 2, g[3], 7);
        Assert.Equal(0.0, g[5], 12);
    }

    [Fact]
    public void Gspo_default_bounds_clip_the_sequence_ratio()
    {
        double s0 = Math.Exp((Delta(0, 0) + Delta(0, 1) + Delta(0, 2)) / 3), s1 = Math.Exp((Delta(1, 0) + Delta(1, 1)) / 2);
        double Tok(double a, double s) => Math.Max(-a * s, -a * Math.Clamp(s, 1 - 3e-4, 1 + 4e-4));
        double expected = ((Tok(Adv[0, 0], s0) + Tok(Adv[0, 1], s0) + Tok(Adv[0, 2], s0)) / 3 + (Tok(Adv[1, 0], s1) + Tok(Adv[1, 1], s1)) / 2) / 2;
        Assert.Equal(expected, Run(new GspoLoss()), 7);
    }

    [Fact]
    public void Cispo_value_and_gradient()
    {
        using var scope = NewDisposeScope();
        var loss = new CispoLoss();
        var logp = T(LogP, grad: true);
        var v = loss.Compute(Context(loss, logp)).Loss;
        var w = Map((i, j) => Math.Clamp(Math.Exp(Delta(i, j)), 0.8, 1.2));
        var l = Map((i, j) => -w[i, j] * Adv[i, j] * LogP[i, j]);
        Assert.Equal(Aggregate(l, Mask, LossAggregation.TokenMean), v.ToDouble(), 9);
        v.backward();
        var g = Values(logp.grad!);
        Assert.Equal(-w[1, 0] * Adv[1, 0] / 5, g[3], 9); // the weight is detached: ∂/∂ℓ = −w·A / N_tok
    }

    [Fact]
    public void Sapo_by_formula()
    {
        double F(double d, double a) { double r = Math.Exp(d), tau = a > 0 ? 1.0 : 1.05; return -(1 / (1 + Math.Exp(-tau * (r - 1)))) * 4 / tau * a; }
        var l = Map((i, j) => F(Delta(i, j), Adv[i, j]));
        Assert.Equal(Aggregate(l, Mask, LossAggregation.SeqMeanTokenMean), Run(new SapoLoss()), 9);
    }

    [Fact]
    public void Sapo_gradient_on_policy_equals_the_policy_gradient()
    {
        // At ρ = 1, ∂f/∂ρ = σ'(0)·4 = 1, so ∂L/∂ℓ = −A (scaled by the aggregation).
        using var scope = NewDisposeScope();
        var loss = new SapoLoss();
        var logp = T(Old, grad: true);
        loss.Compute(Context(loss, logp)).Loss.backward();
        Assert.Equal(-Adv[0, 2] / 3 / 2, Values(logp.grad!)[2], 7);
    }

    [Fact]
    public void Gmpo_by_formula()
    {
        double lo = 0.4, hi = 0.4, total = 0;
        for (int i = 0; i < 2; i++)
        {
            double n = 0, sd = 0, sa = 0;
            for (int j = 0; j < 3; j++)
            {
                if (Mask[i, j] == 0) continue;
                double a = Adv[i, j], d = Delta(i, j), sg = Math.Sign(a);
                sd += sg * Math.Min(sg * d, sg * Math.Clamp(d, -lo, hi));
                sa += a;
                n++;
            }
            total += -(sa / n) * Math.Exp(sd / n);
        }
        Assert.Equal(total / 2, Run(new GmpoLoss()), 9);
    }

    [Fact]
    public void Gpg_value_and_gradient()
    {
        using var scope = NewDisposeScope();
        var loss = new GpgLoss();
        var logp = T(LogP, grad: true);
        var v = loss.Compute(Context(loss, logp, LossAggregation.TokenSum)).Loss;
        Assert.Equal(Aggregate(Map((i, j) => -Adv[i, j] * LogP[i, j]), Mask, LossAggregation.TokenSum), v.ToDouble(), 9);
        v.backward();
        Assert.Equal(Map((i, j) => -Adv[i, j] * Mask[i, j]).Cast<double>().ToArray(), Values(logp.grad!), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Dro_by_formula_and_requires_beta()
    {
        var l = Map((i, j) => -(Adv[i, j] * LogP[i, j] - 0.5 * 0.3 * Delta(i, j) * Delta(i, j)));
        Assert.Equal(Aggregate(l, Mask, LossAggregation.TokenMean), Run(new DroLoss(), p: new() { ["DroBeta"] = 0.3 }), 9);
        var e = Assert.Throws<ArgumentException>(() => PolicyLossRegistry.ResolveParameters(new DroLoss(), null));
        Assert.Contains("DroBeta", e.Message);
        Assert.Throws<ArgumentException>(() => PolicyLossRegistry.ResolveParameters(new DroLoss(), new Dictionary<string, double> { ["DroBeta"] = -1 }));
    }

    [Fact]
    public void ClipCov_detaches_the_one_candidate_in_the_band()
    {
        // Covariances c = (A − mean A)(ℓ − mean ℓ) over the 5 valid tokens; choose a band holding only the largest.
        double ma = 0, ml = 0;
        var valid = new List<(int, int)>();
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) if (Mask[i, j] > 0) { valid.Add((i, j)); ma += Adv[i, j]; ml += LogP[i, j]; }
        ma /= 5; ml /= 5;
        var cov = Map((i, j) => (Adv[i, j] - ma) * (LogP[i, j] - ml));
        // PPO clips (0,0) and (1,1); among the rest, pick the top covariance as the only candidate.
        var rest = valid.Where(v => v != (0, 0) && v != (1, 1)).OrderByDescending(v => cov[v.Item1, v.Item2]).ToList();
        var top = rest[0];
        double lb = cov[rest[1].Item1, rest[1].Item2] + 1e-9, ub = cov[top.Item1, top.Item2] + 1;
        using var scope = NewDisposeScope();
        var loss = new ClipCovLoss();
        var terms = loss.Compute(Context(loss, T(LogP), overrides: new() { ["ClipCovLower"] = lb, ["ClipCovUpper"] = ub }));
        var keep = Map((i, j) => (i, j) == top ? 0 : 1);
        var l = Map((i, j) =>
        {
            double r = Math.Exp(Delta(i, j));
            return Math.Max(-Adv[i, j] * r, -Adv[i, j] * Math.Clamp(r, 0.8, 1.2)) * keep[i, j];
        });
        Assert.Equal(Aggregate(l, Mask, LossAggregation.TokenMean), terms.Loss.ToDouble(), 9);
        Assert.Equal(1.0 / 5, LossAggregator.MaskedMean(terms.Clipped!, T(Mask)), 9);
    }

    [Fact]
    public void ClipCov_with_no_candidate_is_plain_ppo_without_dual_clip()
    {
        var loss = new ClipCovLoss();
        var l = Map((i, j) => Ppo(Delta(i, j), Adv[i, j], 0.2, 0.2, 0));
        Assert.Equal(Aggregate(l, Mask, LossAggregation.TokenMean), Run(loss, p: new() { ["ClipCovLower"] = 100, ["ClipCovUpper"] = 200 }), 9);
    }

    [Fact]
    public void KlCov_penalises_the_top_covariance_token()
    {
        double ma = 0, ml = 0;
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) if (Mask[i, j] > 0) { ma += Adv[i, j]; ml += LogP[i, j]; }
        ma /= 5; ml /= 5;
        (int, int) top = (0, 0);
        double best = double.NegativeInfinity;
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++)
            if (Mask[i, j] > 0 && (Adv[i, j] - ma) * (LogP[i, j] - ml) > best) { best = (Adv[i, j] - ma) * (LogP[i, j] - ml); top = (i, j); }
        var l = Map((i, j) => -Adv[i, j] * Math.Exp(Delta(i, j)) + ((i, j) == top ? 0.1 * Math.Abs(Delta(i, j)) : 0));
        Assert.Equal(Aggregate(l, Mask, LossAggregation.TokenMean), Run(new KlCovLoss()), 9);
    }

    [Fact]
    public void Hapo_by_formula()
    {
        double[,] h = { { 0.1, 2.0, 0.5 }, { 1.0, 0.05, 3.0 } };
        // ĥ from the valid tokens' log-entropies.
        var valid = new List<(int i, int j)>();
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) if (Mask[i, j] > 0) valid.Add((i, j));
        var e = valid.Select(v => Math.Log(h[v.i, v.j])).ToArray();
        var sorted = e.OrderBy(x => x).ToArray();
        double pivot = sorted[(int)Math.Round(0.8 * (sorted.Length - 1), MidpointRounding.ToEven)];
        double s = Math.Sqrt(e.Select(x => (x - pivot) * (x - pivot)).Average());
        var hh = e.Select(x => (x - pivot) / s).ToArray();
        double pmax = Math.Max(hh.Max(), 1e-8), nmin = Math.Min(hh.Min(), -1e-8);
        var hat = new double[2, 3];
        for (int k = 0; k < valid.Count; k++) hat[valid[k].i, valid[k].j] = hh[k] > 0 ? hh[k] / pmax : hh[k] / Math.Abs(nmin);
        var l = Map((i, j) =>
        {
            double x = hat[i, j], lo = x > 0 ? 0.2 : 0.2 * (1 - x), hi = x > 0 ? 0.2 * (1 + x) : 0.2;
            double r = Math.Exp(Delta(i, j)), a = Adv[i, j], aEnt = a * (1 + x);
            bool band = r > 1 - lo / 2 && r < 1 + hi / 2;
            double aa = x > 0 ? (band ? a : aEnt) : (band ? aEnt : a);
            double l1 = -aa * r, l2 = -aa * Math.Clamp(r, 1 - lo, 1 + hi), lc = Math.Max(l1, l2);
            return aa < 0 ? Math.Min(lc, -aa * 10) : lc;
        });
        using var scope = NewDisposeScope();
        var loss = new HapoClipLoss();
        var v = loss.Compute(Context(loss, T(LogP), entropy: T(h))).Loss.ToDouble();
        Assert.Equal(Aggregate(l, Mask, LossAggregation.TokenMean), v, 9);
        // Normalised entropy reaches +1 and −1 (paper intent: low-entropy tokens negative).
        var nh = Values(HapoClipLoss.NormalisedEntropy(T(h), T(Mask), 0.8));
        Assert.Equal(1.0, nh.Max(), 9);
        Assert.Equal(-1.0, nh.Min(), 9);
    }

    [Fact]
    public void Grao_imitates_expert_rows_and_clips_own_samples()
    {
        using var scope = NewDisposeScope();
        var loss = new GraoLoss();
        var expert = torch.tensor(new double[] { 0, 1 }, new long[] { 2, 1 }, dtype: ScalarType.Float64);
        var v = loss.Compute(Context(loss, T(LogP), expert: expert)).Loss.ToDouble();
        var l = Map((i, j) => i == 1 ? -Adv[i, j] * LogP[i, j] : Ppo(Delta(i, j), Adv[i, j], 0.2, 0.2, 3));
        Assert.Equal(Aggregate(l, Mask, LossAggregation.TokenMean), v, 9);
    }

    [Fact]
    public void Every_loss_is_finite_on_policy_and_cites_a_paper()
    {
        var classes = typeof(IPolicyLoss).Assembly.GetTypes().Where(t => !t.IsAbstract && !t.IsInterface && typeof(IPolicyLoss).IsAssignableFrom(t)).Select(t => t.FullName).OrderBy(x => x);
        Assert.Equal(classes, PolicyLossRegistry.All.Select(l => l.GetType().FullName).OrderBy(x => x)); // every loss class is registered once
        foreach (var loss in PolicyLossRegistry.All)
        {
            Assert.Matches(@"arXiv:\d{4}\.\d{4,5}", loss.Paper);
            Assert.False(string.IsNullOrWhiteSpace(loss.Summary));
            using var scope = NewDisposeScope();
            var p = loss.Name == "DRO" ? new Dictionary<string, double> { ["DroBeta"] = 0.1 } : null;
            var logp = T(Old, grad: true);
            var terms = loss.Compute(Context(loss, logp, overrides: p, entropy: T(Map((i, j) => 0.5 + i + j))));
            Assert.True(double.IsFinite(terms.Loss.ToDouble()), loss.Name);
            terms.Loss.backward();
            Assert.True(Values(logp.grad!).All(double.IsFinite), loss.Name);
            Assert.Equal(0.0, Values(logp.grad!)[5]); // the masked token never gets a gradient
        }
    }

    [Fact]
    public void Registry_finds_aliases_and_rejects_unknown_parameters()
    {
        Assert.IsType<PpoClipLoss>(PolicyLossRegistry.Find("vanilla"));
        Assert.IsType<GpgLoss>(PolicyLossRegistry.Find("reinforce"));
        Assert.IsType<GmpoLoss>(PolicyLossRegistry.Find("geo_mean"));
        Assert.Null(PolicyLossRegistry.Find("nope"));
        var e = Assert.Throws<ArgumentException>(() => PolicyLossRegistry.ResolveParameters(new PpoClipLoss(), new Dictionary<string, double> { ["Tau"] = 1 }));
        Assert.Contains("ClipLow", e.Message);
        // Every registered loss is found by its name and each alias, and no name or alias is taken twice.
        var names = PolicyLossRegistry.All.SelectMany(l => l.Aliases.Prepend(l.Name)).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var l in PolicyLossRegistry.All)
            foreach (var n in l.Aliases.Prepend(l.Name)) Assert.Same(l, PolicyLossRegistry.Find(n.ToLowerInvariant()));
    }

    [Fact]
    public void Every_loss_and_objective_class_is_registered()
    {
        static List<string?> Classes<T>() => typeof(T).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && !t.IsInterface && typeof(T).IsAssignableFrom(t)).Select(t => t.FullName).OrderBy(x => x).ToList();
        Assert.Equal(Classes<IPolicyLoss>(), PolicyLossRegistry.All.Select(l => l.GetType().FullName).OrderBy(x => x).ToList());
        Assert.Equal(Classes<RlTools.Torch.Training.Objectives.IUpdateObjective>(),
            RlTools.Torch.Training.Objectives.ObjectiveRegistry.All.Select(o => o.GetType().FullName).OrderBy(x => x).ToList());
    }
}
