using RlTools.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Models;

/// <summary>
/// The decoder's maths written out directly, in double precision, one token and one head at a time — no tensors, no
/// batching, no cache — from the Qwen2/Qwen3/Llama definitions. Independent of the engine's code paths.
/// </summary>
internal sealed class ReferenceDecoder
{
    private readonly ModelConfig c;
    private readonly Dictionary<string, (double[] Data, long[] Shape)> w = new();

    public ReferenceDecoder(DecoderLM model)
    {
        c = model.Config;
        foreach (var (name, p) in model.named_parameters())
        {
            using var f = p.detach().to(ScalarType.Float64).cpu();
            w[name] = (f.data<double>().ToArray(), p.shape);
        }
    }

    private double[] W(string name) => w[name].Data;
    private bool Has(string name) => w.ContainsKey(name);

    /// <summary>Logits [T][V] for one unpadded sequence (positions 0..T-1).</summary>
    public double[][] Logits(int[] ids)
    {
        int t = ids.Length, hs = c.HiddenSize, d = c.HeadDim, nh = c.NumAttentionHeads, nkv = c.NumKeyValueHeads;
        var h = new double[t][];
        double[] emb = W("model.embed_tokens.weight");
        for (int i = 0; i < t; i++) h[i] = emb.AsSpan(ids[i] * hs, hs).ToArray();
        double[] inv = InvFreq();
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            var x = h.Select(v => RmsNorm(v, W(p + "input_layernorm.weight"))).ToArray();
            var q = x.Select(v => Linear(v, p + "self_attn.q_proj", nh * d)).ToArray();
            var k = x.Select(v => Linear(v, p + "self_attn.k_proj", nkv * d)).ToArray();
            var val = x.Select(v => Linear(v, p + "self_attn.v_proj", nkv * d)).ToArray();
            for (int i = 0; i < t; i++)
            {
                for (int head = 0; head < nh; head++) HeadNormRope(q[i], head, d, i, inv, Has(p + "self_attn.q_norm.weight") ? W(p + "self_attn.q_norm.weight") : null);
                for (int head = 0; head < nkv; head++) HeadNormRope(k[i], head, d, i, inv, Has(p + "self_attn.k_norm.weight") ? W(p + "self_attn.k_norm.weight") : null);
            }
            for (int i = 0; i < t; i++)
            {
                var o = new double[nh * d];
                for (int head = 0; head < nh; head++)
                {
                    int kvh = head / (nh / nkv);
                    var s = new double[i + 1];
                    for (int j = 0; j <= i; j++)
                    {
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += q[i][head * d + e] * k[j][kvh * d + e];
                        s[j] = dot / Math.Sqrt(d);
                    }
                    double max = s.Max(), z = 0;
                    for (int j = 0; j <= i; j++) { s[j] = Math.Exp(s[j] - max); z += s[j]; }
                    for (int j = 0; j <= i; j++)
                        for (int e = 0; e < d; e++) o[head * d + e] += s[j] / z * val[j][kvh * d + e];
                }
                double[] proj = Linear(o, p + "self_attn.o_proj", hs);
                for (int e = 0; e < hs; e++) h[i][e] += proj[e];
            }
            for (int i = 0; i < t; i++)
            {
                double[] n = RmsNorm(h[i], W(p + "post_attention_layernorm.weight"));
                double[] g = Linear(n, p + "mlp.gate_proj", c.IntermediateSize), u = Linear(n, p + "mlp.up_proj", c.IntermediateSize);
                for (int e = 0; e < g.Length; e++) g[e] = g[e] / (1 + Math.Exp(-g[e])) * u[e];
                double[] m = Linear(g, p + "mlp.down_proj", hs);
                for (int e = 0; e < hs; e++) h[i][e] += m[e];
            }
        }
        string head0 = c.TieWordEmbeddings ? "model.embed_tokens" : "lm_head";
        return h.Select(v => Linear(RmsNorm(v, W("model.norm.weight")), head0, c.VocabSize)).ToArray();
    }

    private double[] Linear(double[] x, string name, int outSize)
    {
        double[] wt = W(name + ".weight");
        double[]? b = Has(name + ".bias") ? W(name + ".bias") : null;
        var y = new double[outSize];
        for (int o = 0; o < outSize; o++)
        {
            double s = b?[o] ?? 0;
            for (int i = 0; i < x.Length; i++) s += wt[o * x.Length + i] * x[i];
            y[o] = s;
        }
        return y;
    }

    private double[] RmsNorm(double[] x, double[] weight)
    {
        double ms = x.Sum(v => v * v) / x.Length;
        double r = 1 / Math.Sqrt(ms + c.RmsNormEps);
        return x.Select((v, i) => v * r * weight[i]).ToArray();
    }

    private void HeadNormRope(double[] x, int head, int d, int pos, double[] inv, double[]? norm)
    {
        int o = head * d;
        if (norm is not null)
        {
            double ms = 0;
            for (int e = 0; e < d; e++) ms += x[o + e] * x[o + e];
            double r = 1 / Math.Sqrt(ms / d + c.RmsNormEps);
            for (int e = 0; e < d; e++) x[o + e] = x[o + e] * r * norm[e];
        }
        for (int i = 0; i < d / 2; i++)
        {
            double a = x[o + i], b = x[o + i + d / 2], ang = pos * inv[i];
            x[o + i] = a * Math.Cos(ang) - b * Math.Sin(ang);
            x[o + i + d / 2] = b * Math.Cos(ang) + a * Math.Sin(ang);
        }
    }

    /// <summary>θ^(-2i/d), and for rope_scaling llama3: divide low frequencies by the factor, blend the band between.</summary>
    private double[] InvFreq()
    {
        int d = c.HeadDim;
        var f = new double[d / 2];
        for (int i = 0; i < d / 2; i++)
        {
            f[i] = Math.Pow(c.RopeTheta, -2.0 * i / d);
            if (c.RopeScaling is { } r)
            {
                double wl = 2 * Math.PI / f[i];
                double lo = r.OriginalMaxPositionEmbeddings / r.LowFreqFactor, hi = r.OriginalMaxPositionEmbeddings / r.HighFreqFactor;
                if (wl > lo) f[i] /= r.Factor;
                else if (wl >= hi)
                {
                    double sm = (r.OriginalMaxPositionEmbeddings / wl - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor);
                    f[i] = (1 - sm) * f[i] / r.Factor + sm * f[i];
                }
            }
            f[i] = (float)f[i]; // the engine stores the frequencies as float32
        }
        return f;
    }
}
