namespace RlTools.Core.Metrics;

/// <summary>
/// The unbiased pass@k estimator of Chen et al. 2021, "Evaluating Large Language Models Trained on
/// Code" (arXiv 2107.03374, §2.1): with n samples of a problem of which c are correct,
/// <code>
/// pass@k = 1 - C(n-c, k) / C(n, k)
///        = 1 - Π_{i = n-c+1}^{n} (1 - k / i)        (the numerically stable product form)
/// </code>
/// and 1 exactly when n - c &lt; k (every k-subset then holds a correct sample). The product form never
/// forms the binomial coefficients, so it does not overflow for large n. A dataset's pass@k is the
/// mean over problems.
/// </summary>
public static class PassAtK
{
    /// <summary>pass@k of one problem from <paramref name="n"/> samples with <paramref name="c"/> correct.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1, c outside 0..n, or k outside 1..n.</exception>
    public static double Estimate(int n, int c, int k)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "pass@k needs at least one sample (n >= 1).");
        if (c < 0 || c > n) throw new ArgumentOutOfRangeException(nameof(c), c, $"The number of correct samples must be between 0 and n = {n}.");
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 1 and n = {n}: pass@k is unbiased only for k <= n; draw more samples.");
        if (n - c < k) return 1.0;
        double product = 1.0;
        for (int i = n - c + 1; i <= n; i++) product *= 1.0 - (double)k / i;
        return 1.0 - product;
    }

    /// <summary>Mean pass@k over problems, each given as (samples, correct).</summary>
    /// <exception cref="ArgumentException">No problems.</exception>
    public static double Mean(IEnumerable<(int N, int C)> problems, int k)
    {
        double sum = 0;
        int count = 0;
        foreach (var (n, c) in problems)
        {
            sum += Estimate(n, c, k);
            count++;
        }
        if (count == 0) throw new ArgumentException("pass@k over no problems is undefined; give at least one.", nameof(problems));
        return sum / count;
    }
}
