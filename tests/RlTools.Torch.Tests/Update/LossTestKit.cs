using RlTools.Core;
using RlTools.Torch.Losses;
using RlTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Update;

/// <summary>Builds loss contexts from plain arrays; reference maths is done in doubles in the tests.</summary>
internal static class LossTestKit
{
    // Two rows of three completion tokens; the second row's last token is masked out.
    public static readonly double[,] LogP = { { -1.0, -0.5, -2.0 }, { -0.3, -1.2, -0.7 } };
    public static readonly double[,] Old = { { -1.2, -0.4, -1.0 }, { -1.8, -1.5, -0.2 } };
    public static readonly double[,] Adv = { { 1.0, -0.5, 2.0 }, { -1.0, 0.5, -2.0 } };
    public static readonly double[,] Mask = { { 1, 1, 1 }, { 1, 1, 0 } };

    public static Tensor T(double[,] a, bool grad = false) =>
        torch.tensor(Flat(a), new long[] { a.GetLength(0), a.GetLength(1) }, dtype: ScalarType.Float64, requires_grad: grad);

    public static double[] Flat(double[,] a) => a.Cast<double>().ToArray();

    public static LossContext Context(IPolicyLoss loss, Tensor logp, LossAggregation agg = LossAggregation.TokenMean,
        Dictionary<string, double>? overrides = null, double[,]? mask = null, double[,]? adv = null, double[,]? old = null,
        Tensor? entropy = null, Tensor? expert = null, ulong seed = 1)
    {
        var m = T(mask ?? Mask);
        return new LossContext
        {
            LogProbs = logp, OldLogProbs = T(old ?? Old), Advantages = T(adv ?? Adv), Mask = m, Entropy = entropy, Expert = expert,
            Aggregation = agg, Normalizer = LossNormalizer.From(m),
            Parameters = PolicyLossRegistry.ResolveParameters(loss, overrides), Random = new SplitMix64(seed),
        };
    }

    /// <summary>Reference aggregation in doubles.</summary>
    public static double Aggregate(double[,] l, double[,] m, LossAggregation mode, double? scale = null)
    {
        int b = l.GetLength(0), t = l.GetLength(1);
        double tok = 0, seqs = 0, total = 0, seqSum = 0, seqMean = 0;
        for (int i = 0; i < b; i++)
        {
            double s = 0, n = 0;
            for (int j = 0; j < t; j++) { s += l[i, j] * m[i, j]; n += m[i, j]; }
            tok += n; total += s; seqSum += s; seqMean += s / (n + 1e-8);
            if (n > 0) seqs++;
        }
        tok = Math.Max(tok, 1); seqs = Math.Max(seqs, 1);
        return mode switch
        {
            LossAggregation.TokenMean => total / tok,
            LossAggregation.TokenSum => total,
            LossAggregation.SeqMeanTokenSum => seqSum / seqs,
            LossAggregation.SeqMeanTokenSumNorm => seqSum / seqs / (scale ?? t),
            _ => seqMean / seqs,
        };
    }

    public static double[,] Map(Func<int, int, double> f, int b = 2, int t = 3)
    {
        var r = new double[b, t];
        for (int i = 0; i < b; i++) for (int j = 0; j < t; j++) r[i, j] = f(i, j);
        return r;
    }

    public static double[] Values(Tensor t) => t.detach().to(ScalarType.Float64).data<double>().ToArray();
}
