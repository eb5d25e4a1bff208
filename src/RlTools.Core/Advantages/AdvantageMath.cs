using System.Numerics;
using System.Runtime.InteropServices;
using RlTools.Core.Records;

namespace RlTools.Core.Advantages;

/// <summary>
/// Shared numerics: group mean/std with verl's conventions, token whitening, quantiles.
/// All loops are plain array loops (no LINQ) so the estimators stay fast on large batches.
/// </summary>
public static class AdvantageMath
{
    /// <summary>Completion length: <c>completion_tokens</c>, else <c>logprobs</c>, else <c>entropies</c>, else <c>values</c>; -1 when none is recorded.</summary>
    public static int TokenCount(Rollout r)
        => r.CompletionTokens?.Length ?? r.Logprobs?.Length ?? r.Entropies?.Length ?? r.Values?.Length ?? -1;

    /// <summary>Mean of x[s..e).</summary>
    public static double Mean(double[] x, int s, int e) => Sum(x, s, e) / (e - s);

    /// <summary>Σ x[s..e), SIMD over <see cref="Vector{T}"/> lanes.</summary>
    public static double Sum(double[] x, int s, int e)
    {
        var span = x.AsSpan(s, e - s);
        var vec = MemoryMarshal.Cast<double, Vector<double>>(span);
        var acc = Vector<double>.Zero;
        for (int k = 0; k < vec.Length; k++) acc += vec[k];
        double sum = Vector.Sum(acc);
        for (int i = vec.Length * Vector<double>.Count; i < span.Length; i++) sum += span[i];
        return sum;
    }

    /// <summary>Σ (x − m)² over x[s..e), SIMD.</summary>
    public static double SumSquaredDeviations(double[] x, int s, int e, double m)
    {
        var span = x.AsSpan(s, e - s);
        var vec = MemoryMarshal.Cast<double, Vector<double>>(span);
        var mv = new Vector<double>(m);
        var acc = Vector<double>.Zero;
        for (int k = 0; k < vec.Length; k++) { var d = vec[k] - mv; acc += d * d; }
        double sum = Vector.Sum(acc);
        for (int i = vec.Length * Vector<double>.Count; i < span.Length; i++) { double d = span[i] - m; sum += d * d; }
        return sum;
    }

    /// <summary>Σ |x − m| over x[s..e), SIMD.</summary>
    public static double SumAbsoluteDeviations(double[] x, int s, int e, double m)
    {
        var span = x.AsSpan(s, e - s);
        var vec = MemoryMarshal.Cast<double, Vector<double>>(span);
        var mv = new Vector<double>(m);
        var acc = Vector<double>.Zero;
        for (int k = 0; k < vec.Length; k++) acc += Vector.Abs(vec[k] - mv);
        double sum = Vector.Sum(acc);
        for (int i = vec.Length * Vector<double>.Count; i < span.Length; i++) sum += Math.Abs(span[i] - m);
        return sum;
    }

    /// <summary>y[i] = (x[i] − m)·scale over [s..e), SIMD.</summary>
    public static void CenterScale(double[] x, double[] y, int s, int e, double m, double scale)
    {
        var src = x.AsSpan(s, e - s);
        var dst = y.AsSpan(s, e - s);
        var vs = MemoryMarshal.Cast<double, Vector<double>>(src);
        var vd = MemoryMarshal.Cast<double, Vector<double>>(dst);
        var mv = new Vector<double>(m);
        var sv = new Vector<double>(scale);
        for (int k = 0; k < vs.Length; k++) vd[k] = (vs[k] - mv) * sv;
        for (int i = vs.Length * Vector<double>.Count; i < src.Length; i++) dst[i] = (src[i] - m) * scale;
    }

    /// <summary>Standard deviation of x[s..e) around <paramref name="mean"/>: divide by n−1 (unbiased) or n (population). n−1 = 0 gives NaN, as torch.std does.</summary>
    public static double Std(double[] x, int s, int e, double mean, bool unbiased)
    {
        int n = e - s;
        return Math.Sqrt(SumSquaredDeviations(x, s, e, mean) / (unbiased ? n - 1 : n));
    }

    /// <summary>
    /// Group mean and std with verl's convention: a group of one has mean 0 and std 1 (so its
    /// GRPO advantage is r / (1 + ε)); larger groups use the sample mean and the unbiased or
    /// population std.
    /// </summary>
    public static void GroupMeanStd(double[] x, int s, int e, bool unbiased, out double mean, out double std)
    {
        if (e - s == 1) { mean = 0; std = 1; return; }
        mean = Mean(x, s, e);
        std = Std(x, s, e, mean, unbiased);
    }

    /// <summary>Group mean with verl's convention (a group of one has mean 0).</summary>
    public static double GroupMean(double[] x, int s, int e) => e - s == 1 ? 0 : Mean(x, s, e);

    /// <summary>Weight of token <paramref name="j"/> under a loss mask (1 without a mask).</summary>
    public static double Weight(float[]? mask, int j) => mask is null ? 1.0 : mask[j];

    /// <summary>Σ mask over a completion of <paramref name="length"/> tokens (= length without a mask): verl's <c>response_mask.sum(-1)</c>.</summary>
    public static double MaskedCount(int length, float[]? mask)
    {
        if (mask is null) return Math.Max(length, 0);
        double s = 0;
        for (int j = 0; j < mask.Length; j++) s += mask[j];
        return s;
    }

    /// <summary>Index of the last trained token (mask ≠ 0) of a completion of <paramref name="length"/> tokens; length − 1 without a mask, −1 when none is trained.</summary>
    public static int LastTrained(int length, float[]? mask)
    {
        if (mask is null) return length - 1;
        for (int j = length - 1; j >= 0; j--) if (mask[j] != 0) return j;
        return -1;
    }

    /// <summary>The values at trained positions (mask ≠ 0), in order; the array itself when there is no mask.</summary>
    public static float[] Trained(float[] values, float[]? mask)
    {
        if (mask is null) return values;
        int k = 0;
        for (int j = 0; j < values.Length; j++) if (mask[j] != 0) k++;
        var res = new float[k];
        k = 0;
        for (int j = 0; j < values.Length; j++) if (mask[j] != 0) res[k++] = values[j];
        return res;
    }

    /// <summary>
    /// Masked whitening over every trained token of the batch (verl <c>masked_whiten</c>):
    /// (x − mean) / √(var + ε), mean and var weighted by the loss mask (mask-0 tokens left out, as
    /// verl leaves out <c>response_mask</c> zeros), var Bessel-corrected (<paramref name="unbiased"/>,
    /// factor Σm/(Σm − 1)) or population (OpenRLHF). Applied in place; mask-0 tokens become 0. With a
    /// total weight of at most one the variance is taken as 0.
    /// </summary>
    public static void WhitenTokens(float[][] tokens, float[]?[] masks, double epsilon, bool unbiased)
    {
        double n = 0, sum = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            var t = tokens[i]; var m = masks[i];
            for (int j = 0; j < t.Length; j++) { double w = Weight(m, j); sum += w * t[j]; n += w; }
        }
        if (n == 0) { for (int i = 0; i < tokens.Length; i++) Array.Clear(tokens[i]); return; }
        double mean = sum / n, ss = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            var t = tokens[i]; var m = masks[i];
            for (int j = 0; j < t.Length; j++) { double d = t[j] - mean; ss += Weight(m, j) * d * d; }
        }
        double var = unbiased ? (n > 1 ? ss / (n - 1) : 0) : ss / n;
        double inv = 1.0 / Math.Sqrt(var + epsilon);
        for (int i = 0; i < tokens.Length; i++)
        {
            var t = tokens[i]; var m = masks[i];
            for (int j = 0; j < t.Length; j++) t[j] = m is not null && m[j] == 0 ? 0f : (float)((t[j] - mean) * inv);
        }
    }

    /// <summary>
    /// Token whitening of per-sequence constants: every trained token of sequence i holds x[i], so the
    /// statistics weight x[i] by <paramref name="weights"/>[i] (its Σ loss_mask). Returns the whitened
    /// per-sequence values (in place). Same variance conventions as <see cref="WhitenTokens"/>.
    /// </summary>
    public static void WhitenSequenceConstants(double[] x, double[] weights, double epsilon, bool unbiased)
    {
        double n = 0, sum = 0;
        for (int i = 0; i < x.Length; i++) { sum += x[i] * weights[i]; n += weights[i]; }
        if (n == 0) return;
        double mean = sum / n, ss = 0;
        for (int i = 0; i < x.Length; i++) { double d = x[i] - mean; ss += d * d * weights[i]; }
        double var = unbiased ? (n > 1 ? ss / (n - 1) : 0) : ss / n;
        double inv = 1.0 / Math.Sqrt(var + epsilon);
        for (int i = 0; i < x.Length; i++) x[i] = (x[i] - mean) * inv;
    }

    /// <summary>Fills a token array of length <paramref name="length"/> with <paramref name="value"/> (0 at mask-0 positions).</summary>
    public static float[] Broadcast(double value, int length, float[]? mask = null)
    {
        var a = new float[length];
        Array.Fill(a, (float)value);
        if (mask is not null) for (int j = 0; j < length; j++) if (mask[j] == 0) a[j] = 0f;
        return a;
    }

    /// <summary>Mean of a token array over its trained positions (mask ≠ 0; 0 when there are none).</summary>
    public static double MeanOf(float[] t, float[]? mask = null)
    {
        double s = 0; int n = 0;
        for (int j = 0; j < t.Length; j++) if (mask is null || mask[j] != 0) { s += t[j]; n++; }
        return n == 0 ? 0 : s / n;
    }

    /// <summary>
    /// Quantile with "nearest" interpolation, as torch.quantile(interpolation="nearest"): the
    /// sorted element at index round(q·(n−1)), rounding half to even.
    /// </summary>
    public static double QuantileNearest(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        int k = (int)Math.Round(q * (sorted.Length - 1), MidpointRounding.ToEven);
        return sorted[Math.Clamp(k, 0, sorted.Length - 1)];
    }

    /// <summary>Reads a number from a metadata value (double, int, string, JsonElement...).</summary>
    public static bool TryGetNumber(object? value, out double number)
    {
        number = double.NaN;
        switch (value)
        {
            case null: return false;
            case double d: number = d; return true;
            case float f: number = f; return true;
            case int i: number = i; return true;
            case long l: number = l; return true;
            case decimal m: number = (double)m; return true;
            case string s: return double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out number);
            case System.Text.Json.JsonElement je:
                if (je.ValueKind == System.Text.Json.JsonValueKind.Number) { number = je.GetDouble(); return true; }
                if (je.ValueKind == System.Text.Json.JsonValueKind.String) return TryGetNumber(je.GetString(), out number);
                return false;
            case IConvertible c:
                try { number = c.ToDouble(System.Globalization.CultureInfo.InvariantCulture); return true; } catch (FormatException) { return false; } catch (InvalidCastException) { return false; }
            default: return false;
        }
    }

    /// <summary>Reads a number array from a metadata value (float[], double[], a list of numbers, a JSON array).</summary>
    public static float[]? TryGetNumbers(object? value)
    {
        switch (value)
        {
            case null: return null;
            case float[] f: return f;
            case double[] d: return Array.ConvertAll(d, x => (float)x);
            case System.Text.Json.JsonElement je when je.ValueKind == System.Text.Json.JsonValueKind.Array:
            {
                var list = new List<float>();
                foreach (var x in je.EnumerateArray()) { if (!TryGetNumber(x, out double v)) return null; list.Add((float)v); }
                return list.ToArray();
            }
            case System.Collections.IEnumerable e and not string:
            {
                var list = new List<float>();
                foreach (var x in e) { if (!TryGetNumber(x, out double v)) return null; list.Add((float)v); }
                return list.ToArray();
            }
            default: return null;
        }
    }
}
