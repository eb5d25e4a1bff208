using RlTools.Core.Records;
using static RlTools.Core.Tests.Advantages.AdvantageFixture;

namespace RlTools.Core.Tests.Advantages;

public class NgrpoTests
{
    private static List<Rollout> Group(int correct, int wrong, string pid = "q")
        => Enumerable.Range(0, correct + wrong).Select(i => R(pid, i < correct ? 1 : 0, i)).ToList();

    [Fact]
    public void Worked_examples_of_the_notes()
    {
        var b = Group(1, 7); Run("NGRPO", b);
        Assert.Equal(1.76, Math.Round(b[0].Advantage!.Value, 2)); Assert.Equal(-0.50, Math.Round(b[1].Advantage!.Value, 2));
        b = Group(4, 4); Run("NGRPO", b);
        Assert.Equal(0.84, Math.Round(b[0].Advantage!.Value, 2)); Assert.Equal(-1.05, Math.Round(b[7].Advantage!.Value, 2));
        b = Group(0, 8); Run("NGRPO", b);   // μ' = 1/9, σ' = 1/3
        Close(Enumerable.Repeat(-(1.0 / 9) / (1.0 / 3 + 1e-6), 8).ToArray(), b);
        b = Group(8, 0); Run("NGRPO", b);
        Close(new double[8], b);
    }

    [Fact]
    public void Exact_one_of_eight_and_group_of_one()
    {
        var b = Group(1, 7); b.Add(R("one", 1));
        Run("NGRPO", b);
        double sd = Math.Sqrt((2 * (7.0 / 9) * (7.0 / 9) + 7 * (2.0 / 9) * (2.0 / 9)) / 8);
        Close((7.0 / 9) / (sd + 1e-6), b[0].Advantage);
        Close(1 / 1.000001, b[8].Advantage);
    }

    [Fact]
    public void Mixed_sizes_and_virtual_count_match_reference()
    {
        var b = Make(new[] { 2, 5, 8 }, 12);
        Run("NGRPO", b, ("VirtualCount", 2), ("MaxReward", 1.0));
        Close(Reference.PerGroup(b, (g, i) => { var aug = g.Concat(new[] { 1.0, 1.0 }).ToList(); var (m, s) = Stats(aug); return (g[i] - m) / (s + 1e-6); }), b);
    }
}

public class DgpoTests
{
    [Fact]
    public void Mad_normalisation_and_question_weighting_by_hand()
    {
        var b = new List<Rollout> { R("a", 1), R("a", 0), R("a", 0), R("a", 0), R("b", 1), R("b", 1), R("b", 1), R("b", 0), R("w", 0), R("w", 0), R("r", 1), R("r", 1) };
        Run("DGPO", b);
        double za = Math.Exp(-0.25 / 2), zb = Math.Exp(-0.75 / 2), la = 2 * za / (za + zb), lb = 2 * zb / (za + zb);
        Close(new[] { 3 / 1.5001 * la, -1 / 1.5001 * la, -1 / 1.5001 * la, -1 / 1.5001 * la, 1 / 1.5001 * lb, 1 / 1.5001 * lb, 1 / 1.5001 * lb, -3 / 1.5001 * lb, 0, 0, 0, 0 }, b);
        Assert.Equal(Math.Exp(0.25), la / lb, 9);   // hardest vs easiest valid question
        Run("DGPO", b, ("QuestionWeighting", false));
        Close(3 / 1.5001, b[0].Advantage);
        Assert.Equal(4.0, b.Take(4).Sum(r => Math.Abs(r.Advantage!.Value)), 3);   // Σ|Â| = G
    }

    [Fact]
    public void All_wrong_by_accuracy_gets_lowest_priority_and_group_of_one()
    {
        Rollout A(string p, double r, double acc) { var x = R(p, r); x.Rewards = new() { ["acc"] = acc }; return x; }
        var b = new List<Rollout> { A("e", 0.1, 0), A("e", 0, 0), A("a", 1, 1), A("a", 0, 0) };
        Run("DGPO", b, ("AccuracyComponent", "acc"));
        double ze = Math.Exp(-1.0 / 2), zA = Math.Exp(-0.5 / 2);   // all-wrong acc 0 → 1
        Close(2 * 0.05 / (0.1 + 1e-4) * 2 * ze / (ze + zA), b[0].Advantage);
        var one = new List<Rollout> { R("one", 1) };
        Run("DGPO", one);
        Close(1 / (1 + 1e-4), one[0].Advantage);
        var missing = new List<Rollout> { R("q", 1) };
        Assert.Equal("MissingInput", Assert.Single(Run("DGPO", missing, ("AccuracyComponent", "acc")).Issues).ErrorId);
    }
}

public class AgraeTests
{
    [Fact]
    public void Difficulty_mix_and_positive_damping_by_hand()
    {
        var b = new List<Rollout> { R("a", 1), R("a", 0), R("a", 0), R("a", 0), R("b", 1), R("b", 1), R("b", 1), R("b", 0) };
        Run("AGRAE", b);
        const double e = 1e-6, muB = 0.5;
        double Mix(double x, double p) { double sp = Math.Sqrt(p); double v = (1 - muB) * 0.5 * x / (1 - sp + e) + muB * 0.5 * x / (sp + e); return v > 0 ? v * Math.Min(1, muB / 1.0) : v; }
        double ga = 0.75 / (0.5 + e), gb = 0.25 / (0.5 + e);
        Close(new[] { Mix(ga, 0.25), Mix(-ga / 3, 0.25), Mix(-ga / 3, 0.25), Mix(-ga / 3, 0.25), Mix(gb, 0.75), Mix(gb, 0.75), Mix(gb, 0.75), Mix(-3 * gb, 0.75) }, b);
        Run("AGRAE", b, ("Alpha", 0.5));
        Close(0.5 * (0.5 * ga / (1 - 0.5 + e)) + 0.5 * (0.5 * ga / (0.5 + e)), b[0].Advantage);   // no damping: min(1, 0.5/0.5)
    }

    [Fact]
    public void Released_code_is_plain_grpo_and_edge_groups()
    {
        var b = new List<Rollout> { R("a", 1), R("a", 0), R("a", 0), R("one", 1), R("w", 0), R("w", 0), R("r", 1), R("r", 1) };
        Run("AGRAE", b, ("ReleasedCode", true));
        var grpo = b.Select(r => r.Clone()).ToList(); Run("GRPO", grpo);
        Close(Adv(grpo), b);
        Run("AGRAE", b);
        double muB = (1.0 / 3 + 1 + 0 + 1) / 4;
        Close(1 / 1.000001 * Math.Min(1, muB), b[3].Advantage);   // group of one: GRPO value, damped
        Close(new[] { 0.0, 0, 0, 0 }, b.Skip(4).ToList());         // all-wrong and all-right stay 0
    }
}

public class ArmTests
{
    [Fact]
    public void Confidence_shift_by_hand()
    {
        var s0 = R("q", 1, 0, 5); s0.Logprobs = new[] { -0.1f, -2f, -0.5f, -0.3f, -0.2f }; s0.PromptLogprobs = new[] { -1f, -1f };
        var s1 = R("q", 0, 1, 2); s1.Logprobs = new[] { -1f, -1f }; s1.PromptLogprobs = new[] { -1f, -1f };
        var b = new List<Rollout> { s0, s1 };
        Run("ARM", b);
        double a = 0.5 / (Math.Sqrt(0.5) + 1e-6);
        Close(a + 0.1 * (Math.Exp(-1) - Math.Exp(-2)), s0.Advantage, 1e-7);
        Close(-a, s1.Advantage, 1e-7);
        Run("ARM", b, ("LowProbFraction", 0.6), ("Alpha", 1.0));   // ⌈0.6·5⌉ = 3 lowest: −2, −0.5, −0.3
        Close(a + (Math.Exp(-1) - Math.Exp((-2 - 0.5 - 0.3) / 3.0)), s0.Advantage, 1e-6);
    }

    [Fact]
    public void All_wrong_unchanged_all_right_shifted_and_inputs_checked()
    {
        Rollout M(string p, double r) { var x = R(p, r, 0, 2); x.Logprobs = new[] { -0.5f, -1f }; x.Metadata["prompt_logprobs"] = new object[] { -2.0, -2.0 }; return x; }
        var b = new List<Rollout> { M("w", 0), M("w", 0), M("r", 1), M("r", 1) };
        Run("ARM", b);
        Close(new[] { 0.0, 0, 0.1 * (Math.Exp(-2) - Math.Exp(-1)), 0.1 * (Math.Exp(-2) - Math.Exp(-1)) }, b, 1e-7);
        b[0].Metadata.Clear();
        Assert.Equal("MissingInput", Assert.Single(Run("ARM", b).Issues).ErrorId);
    }
}

public class NsrTests
{
    [Fact]
    public void Absolute_and_relative_forms()
    {
        var b = new List<Rollout> { R("q", 1), R("q", 0), R("q", 0.3), R("one", 0), R("r", 1), R("r", 1) };
        Run("NSR", b);
        Close(new[] { 0, -1, -0.7, -1, 0, 0 }, b);
        Run("NSR", b, ("Relative", true));
        var (m, s) = Stats(new[] { 1, 0, 0.3 });
        Close(new[] { 0, (0 - m) / (s + 1e-6), (0.3 - m) / (s + 1e-6), 0, 0, 0 }, b);
    }

    [Fact]
    public void WReinforce_weights_positives()
    {
        var b = new List<Rollout> { R("q", 1), R("q", 0), R("q", 0.8), R("w", 0), R("w", 0) };
        Run("WReinforce", b);
        Close(new[] { 0.1, -1, 0.08, -1, -1 }, b);
        Run("WReinforce", b, ("PositiveWeight", 1.0));
        Close(1.0, b[0].Advantage);
    }
}

public class QHawkeyeTests
{
    private static Rollout P(string pid, double r, string completion) { var x = R(pid, r); x.Completion = completion; return x; }

    [Fact]
    public void Uncertainty_weight_by_hand()
    {
        var b = new List<Rollout> { P("q", 1, "<answer>1</answer>"), P("q", 0, "<answer> 5.0 </answer>"), P("q", 0.5, "no answer") };
        Run("QHawkeye", b);
        double w = Math.Exp(-0.2 * (4 / (4 + 1e-8)));   // predictions {1, 5}: population variance 4
        var (m, s) = Stats(new[] { 1, 0, 0.5 });
        Close(new[] { w * (1 - m) / (s + 1e-6), w * (0 - m) / (s + 1e-6), w * (0.5 - m) / (s + 1e-6) }, b);
    }

    [Fact]
    public void Clamping_metadata_and_fewer_than_two_predictions()
    {
        var b = new List<Rollout> { P("q", 1, "<answer>9</answer>"), P("q", 0, "x") };
        b[1].Metadata["predicted_score"] = "3";
        Run("QHawkeye", b, ("Epsilon", 1e-4));   // predictions {5 (clamped), 3}: variance 1
        double w = Math.Exp(-0.2 * (1 / (4 + 1e-8)));
        Close(w * 0.5 / (Math.Sqrt(0.5) + 1e-4), b[0].Advantage);
        b[1].Metadata.Clear();
        Run("QHawkeye", b);   // one prediction: no damping
        Close(0.5 / (Math.Sqrt(0.5) + 1e-6), b[0].Advantage);
        var eq = new List<Rollout> { P("e", 1, "<answer>2</answer>"), P("e", 1, "<answer>4</answer>") };
        Run("QHawkeye", eq);
        Close(new[] { 0.0, 0.0 }, eq);
    }
}
