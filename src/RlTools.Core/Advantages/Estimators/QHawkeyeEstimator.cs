using System.Text.RegularExpressions;
using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// Q-Hawkeye UA-GRPO, uncertainty-aware advantages (Xie et al., "Q-Hawkeye: Reliable Visual Policy
/// Optimization for IQA", arXiv 2601.22920; code AMAP-ML/Q-Hawkeye <c>grpo_trainer.py</c>).
/// <para>Per prompt: parse each rollout's predicted score (<c>metadata.predicted_score</c>, else the
/// number in <c>&lt;answer&gt;x&lt;/answer&gt;</c> of the completion; unparsable = missing), clamp to
/// [s_min, s_max]; v = population variance of the parsed predictions (0 when fewer than two);
/// u = clamp(v / v_max, 0, 1), v_max = (s_max − s_min)²/4 + 1e-8; w = exp(−α·u);
/// A_i = w·(r_i − μ)/(σ + ε), unbiased σ. α = 0.2, scores in [1, 5].</para>
/// <para>ε defaults to 1e-6 (module convention); the released code (TRL-based) uses 1e-4.
/// The implicit perception loss (paired degraded inputs) is a loss term, not part of this estimator.</para>
/// </summary>
public sealed partial class QHawkeyeEstimator : AdvantageEstimatorBase
{
    public override string Name => "QHawkeye";
    public override string Summary => "GRPO × exp(−α·u), u = normalised variance of the group's predicted scores";
    public override string Source => "Xie et al. 2026, Q-Hawkeye (UA-GRPO)";
    public override string ArxivId => "2601.22920";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Reward | AdvantageInputs.PredictedScore;

    [AdvantageParameter("α of the uncertainty weight exp(−α·u) (ua_alpha, 0.2).")]
    public double Alpha { get; set; } = 0.2;

    [AdvantageParameter("Lowest valid predicted score s_min (ua_score_min, 1.0).")]
    public double ScoreMin { get; set; } = 1.0;

    [AdvantageParameter("Highest valid predicted score s_max (ua_score_max, 5.0).")]
    public double ScoreMax { get; set; } = 5.0;

    [AdvantageParameter("ε added to the group std (module default 1e-6; the released code uses 1e-4).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("Bessel-corrected (n−1) group std (code); false = population.")]
    public bool UnbiasedStd { get; set; } = true;

    [AdvantageParameter("Metadata key holding a parsed prediction; when absent the completion's <answer>x</answer> is parsed.")]
    public string ScoreField { get; set; } = "predicted_score";

    protected override void Validate()
    {
        if (ScoreMax <= ScoreMin) throw new ArgumentException("QHawkeye needs ScoreMax > ScoreMin.");
    }

    [GeneratedRegex(@"<answer>\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*</answer>", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerNumber();

    /// <summary>The rollout's predicted score, or NaN when it cannot be read.</summary>
    public double PredictedScore(Rollout r)
    {
        if (ScoreField.Length > 0 && r.Metadata.TryGetValue(ScoreField, out var v) && AdvantageMath.TryGetNumber(v, out double d) && double.IsFinite(d)) return d;
        var m = AnswerNumber().Match(r.Completion ?? "");
        return m.Success && double.TryParse(m.Groups[1].Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double p) ? p : double.NaN;
    }

    /// <summary>w = exp(−α·clamp(v/v_max, 0, 1)) for a group's predictions (NaN = unparsable).</summary>
    public double UncertaintyWeight(double[] predictions, int count)
    {
        int n = 0; double sum = 0;
        for (int i = 0; i < count; i++)
            if (!double.IsNaN(predictions[i])) { predictions[i] = Math.Clamp(predictions[i], ScoreMin, ScoreMax); n++; sum += predictions[i]; }
        double v = 0;
        if (n >= 2)
        {
            double mean = sum / n;
            for (int i = 0; i < count; i++) if (!double.IsNaN(predictions[i])) v += (predictions[i] - mean) * (predictions[i] - mean);
            v /= n;
        }
        double vmax = (ScoreMax - ScoreMin) * (ScoreMax - ScoreMin) / 4 + 1e-8;
        return Math.Exp(-Alpha * Math.Clamp(v / vmax, 0, 1));
    }

    protected override void Compute(AdvantageBatch b)
    {
        var r = b.Rewards; var a = b.Advantages; var gs = b.GroupStart;
        var pred = new double[16];
        for (int g = 0; g < gs.Length - 1; g++)
        {
            int s = gs[g], e = gs[g + 1], n = e - s;
            if (pred.Length < n) pred = new double[n];
            for (int k = 0; k < n; k++) pred[k] = PredictedScore(b.Rollouts[s + k]);
            double w = UncertaintyWeight(pred, n);
            AdvantageMath.GroupMeanStd(r, s, e, UnbiasedStd, out double mean, out double std);
            double scale = w / (std + Epsilon);
            for (int i = s; i < e; i++) a[i] = (r[i] - mean) * scale;
        }
    }
}
