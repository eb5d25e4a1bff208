using System.Collections;
using RlTools.Core.Records;
using RlTools.Core.Verifiers;

namespace RlTools.Core.Tests.Verifiers;

public sealed class VerifierTests
{
    private static Rollout R(string completion, string? answer = null, int[]? tokens = null) => new() { Completion = completion, Answer = answer, CompletionTokens = tokens };

    private static IVerifier Make(string name, IDictionary? p = null) => VerifierRegistry.Find(name)!.Create(p);

    // ---- Length: DAPO soft overlong penalty, computed by hand --------------------------------

    [Theory]
    // MaxLength 20, Buffer 8 => expected length E = 12; penalty = min(-(L - 12) / 8 * factor, 0)
    [InlineData(0, 1.0, 0.0)]
    [InlineData(12, 1.0, 0.0)]      // exactly E: no penalty
    [InlineData(13, 1.0, -0.125)]   // -(1/8)
    [InlineData(16, 1.0, -0.5)]     // -(4/8)
    [InlineData(20, 1.0, -1.0)]     // at L_max: -factor
    [InlineData(24, 1.0, -1.5)]     // past L_max verl keeps going: -(12/8)
    [InlineData(16, 0.5, -0.25)]    // factor scales
    [InlineData(16, 0.0, 0.0)]      // factor 0 turns it off
    public void LengthPenaltyMatchesTheDapoFormula(int length, double factor, double expected)
    {
        var v = Make("Length", new Hashtable { ["MaxLength"] = 20, ["Buffer"] = 8, ["Factor"] = factor });
        var r = v.Verify(R("", tokens: new int[length]));
        Assert.Equal(expected, r.Score!.Value, 12);
        Assert.Equal(expected, ((LengthVerifier)v).Penalty(length), 12);
    }

    [Fact]
    public void LengthCountsCharactersWithoutTokensAndIsNullWhenTokensAreRequired()
    {
        var auto = Make("Length", new Hashtable { ["MaxLength"] = 10, ["Buffer"] = 5 });
        Assert.Equal(-0.4, auto.Verify(R("abcdefg")).Score!.Value, 12);       // 7 chars, E = 5: -(2/5)
        Assert.Equal(0.0, auto.Verify(R("abcdefg", tokens: new int[3])).Score); // tokens win in Auto
        var tok = Make("Length", new Hashtable { ["MaxLength"] = 10, ["Buffer"] = 5, ["Unit"] = "tokens" });
        Assert.Null(tok.Verify(R("abcdefg")).Score);
        var chars = Make("Length", new Hashtable { ["MaxLength"] = 10, ["Buffer"] = 5, ["Unit"] = "Characters" });
        Assert.Equal(-0.4, chars.Verify(R("abcdefg", tokens: new int[3])).Score!.Value, 12);
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, -1)]
    [InlineData(4, 8)]
    public void LengthRejectsBadBuffers(int max, int buffer)
    {
        var e = Assert.Throws<ArgumentException>(() => Make("Length", new Hashtable { ["MaxLength"] = max, ["Buffer"] = buffer }));
        Assert.Contains("Buffer", e.Message);
    }

    [Fact]
    public void LengthDefaultsAreTheDapoRecipe()
    {
        var p = LengthVerifier.Info.Parameters.ToDictionary(x => x.Name, x => x.Default);
        Assert.Equal(20480, p["MaxLength"]);
        Assert.Equal(4096, p["Buffer"]);
        Assert.Equal(1.0, p["Factor"]);
    }

    // ---- ExactMatch --------------------------------------------------------------------------

    [Theory]
    [InlineData("The answer is The Eiffel Tower.", "Eiffel tower", true)]
    [InlineData("<answer>  paris </answer>", "Paris", true)]
    [InlineData("<answer>Lyon</answer>", "Paris|Lyon", true)]
    [InlineData("<answer>Marseille</answer>", "Paris|Lyon", false)]
    [InlineData("\\boxed{\\text{blue}}", "blue", true)]
    [InlineData("\\boxed{red}", "blue", false)]
    public void ExactMatchNormalisesLikeSquad(string completion, string gold, bool expected)
    {
        var r = Make("ExactMatch").Verify(R(completion, gold));
        Assert.Equal(expected ? 1.0 : 0.0, r.Score);
    }

    [Fact]
    public void ExactMatchIsNullWithoutGoldAndHonoursCase()
    {
        Assert.Null(Make("ExactMatch").Verify(R("x", null)).Score);
        Assert.Null(Make("ExactMatch").Verify(R("x", "  ")).Score);
        Assert.Equal(0.0, Make("ExactMatch", new Hashtable { ["CaseSensitive"] = true }).Verify(R("<answer>paris</answer>", "Paris")).Score);
        Assert.Equal("eiffel tower", ExactMatchVerifier.Normalize("The  Eiffel-Tower!"));
    }

    // ---- Numeric -----------------------------------------------------------------------------

    [Theory]
    [InlineData("#### 3.1416", "3.14159", 1e-4, 0.0, true)]   // |diff| = 9e-6 <= 1e-4 * 3.14
    [InlineData("#### 3.15", "3.14159", 1e-4, 0.0, false)]
    [InlineData("#### 1,000", "1000", 0.0, 0.0, true)]
    [InlineData("The answer is 2.5e-3", "0.0025", 0.0, 1e-12, true)]
    [InlineData("\\boxed{\\frac{1}{3}}", "0.333333", 1e-5, 0.0, true)]
    [InlineData("\\boxed{0.1}", "0", 0.0, 0.05, false)]         // relative tolerance of 0 is 0
    [InlineData("\\boxed{0.04}", "0", 0.0, 0.05, true)]
    public void NumericUsesAbsolutePlusRelativeTolerance(string completion, string gold, double rel, double abs, bool expected)
    {
        var v = Make("Numeric", new Hashtable { ["RelativeTolerance"] = rel, ["AbsoluteTolerance"] = abs });
        Assert.Equal(expected ? 1.0 : 0.0, v.Verify(R(completion, gold)).Score);
    }

    [Fact]
    public void NumericIsNullWhenTheGoldIsNotANumber()
    {
        Assert.Null(Make("Numeric").Verify(R("#### 3", "x + 1")).Score);
        Assert.Null(Make("Numeric").Verify(R("#### 3", "Monday")).Score);
        Assert.Equal(0.0, Make("Numeric").Verify(R("no number here", "3")).Score);
    }

    // ---- Choice ------------------------------------------------------------------------------

    [Theory]
    [InlineData("The answer is (B).", "B", true)]
    [InlineData("Answer: C", "(C)", true)]
    [InlineData("\\boxed{D}", "D", true)]
    [InlineData("\\boxed{\\text{(A)}}", "A", true)]
    [InlineData("I considered (A) and (C); I pick (C)", "C", true)]
    [InlineData("Reasoning...\nB", "B", true)]
    [InlineData("The answer is (B).", "C", false)]
    [InlineData("The answer is (F).", "F", false)]      // F is not an option letter by default, so null (checked below)
    public void ChoiceReadsTheChosenLetter(string completion, string gold, bool expected)
    {
        var r = Make("Choice").Verify(R(completion, gold));
        if (gold == "F") { Assert.Null(r.Score); return; }
        Assert.Equal(expected ? 1.0 : 0.0, r.Score);
    }

    [Fact]
    public void ChoiceAcceptsGoldWithOptionText()
    {
        Assert.Equal(1.0, Make("Choice").Verify(R("The answer is (B)", "B) 12 apples")).Score);
        Assert.Equal(1.0, Make("Choice", new Hashtable { ["Letters"] = "ABCDEFGH" }).Verify(R("(F)", "F")).Score);
    }

    // ---- Regex -------------------------------------------------------------------------------

    [Fact]
    public void RegexMatchesAndSubstitutesTheAnswer()
    {
        var v = Make("Regex", new Hashtable { ["Pattern"] = "answer is {answer}\\b" });
        Assert.Equal(1.0, v.Verify(R("so the answer is 1.5 today", "1.5")).Score);
        Assert.Equal(0.0, v.Verify(R("so the answer is 105 today", "1.5")).Score); // the '.' is escaped
        Assert.Null(v.Verify(R("so the answer is 1.5", null)).Score);
        var fixedPattern = Make("Regex", new Hashtable { ["Pattern"] = "^<think>", ["IgnoreCase"] = true });
        Assert.Equal(1.0, fixedPattern.Verify(R("<THINK>x")).Score);
        Assert.Equal(0.0, fixedPattern.Verify(R(" <think>x")).Score);
    }

    [Fact]
    public void RegexNeedsAValidPatternAndTimesOutInsteadOfHanging()
    {
        Assert.Throws<ArgumentException>(() => Make("Regex"));
        Assert.Throws<ArgumentException>(() => Make("Regex", new Hashtable { ["Pattern"] = "(unclosed" }));
        var evil = Make("Regex", new Hashtable { ["Pattern"] = "^(a+)+$", ["TimeoutMs"] = 5.0 });
        var r = evil.Verify(R(new string('a', 40_000) + "!"));
        Assert.Equal(0.0, r.Score);
    }

    // ---- Format ------------------------------------------------------------------------------

    [Theory]
    [InlineData("<think>reason</think><answer>4</answer>", true)]
    [InlineData("  <think>reason</think>\n\n<answer>4</answer>\n", true)]
    [InlineData("<think>reason</think>", false)]
    [InlineData("<answer>4</answer><think>reason</think>", false)]
    [InlineData("<think></think><answer>4</answer>", false)]
    [InlineData("<think>a</think><answer>4</answer><answer>5</answer>", false)]
    [InlineData("Sure! <think>a</think><answer>4</answer>", false)]
    [InlineData("<think>a<think>b</think><answer>4</answer>", false)]
    public void FormatIsStrictByDefault(string completion, bool expected)
    {
        Assert.Equal(expected ? 1.0 : 0.0, Make("Format").Verify(R(completion)).Score);
    }

    [Fact]
    public void FormatHasConfigurableTagsAndLooseMode()
    {
        var loose = Make("Format", new Hashtable { ["Strict"] = false });
        Assert.Equal(1.0, loose.Verify(R("Sure! <think>a</think> so <answer>4</answer> done")).Score);
        var custom = Make("Format", new Hashtable { ["Tags"] = new[] { "reasoning", "solution" } });
        Assert.Equal(1.0, custom.Verify(R("<reasoning>r</reasoning><solution>s</solution>")).Score);
        Assert.Equal(0.0, custom.Verify(R("<think>r</think><answer>s</answer>")).Score);
        var opened = Make("Format", new Hashtable { ["OpenedInPrompt"] = true });
        Assert.Equal(1.0, opened.Verify(R("reason</think><answer>4</answer>")).Score);
        Assert.Throws<ArgumentException>(() => Make("Format", new Hashtable { ["Tags"] = new[] { "<think>" } }));
    }

    // ---- Math (beyond the golden set) ------------------------------------------------------

    [Fact]
    public void MathIsNullWithoutGoldAndExplainsItself()
    {
        var v = new MathVerifier();
        Assert.Null(v.Check("\\boxed{1}", null).Score);
        Assert.Null(v.Check("\\boxed{1}", "   ").Score);
        var r = v.Check("So $x=\\boxed{\\dfrac{3}{4}}$.", "0.75");
        Assert.True(r.IsCorrect);
        Assert.Equal("\\dfrac{3}{4}", r.Extracted);
        Assert.Equal("(3)/(4)", r.NormalizedCompletion);
        Assert.Equal("0.75", r.NormalizedAnswer);
        Assert.Contains("boxed", r.Reason);
    }

    [Fact]
    public void MathScoresAreConfigurableAndLenientRoundingIsOptIn()
    {
        var v = Make("Math", new Hashtable { ["CorrectScore"] = 1.0, ["IncorrectScore"] = -1.0 });
        // the graders' convention: both sides rounded to 6 places, so 0.3333 is not 1/3 ...
        Assert.Equal(-1.0, v.Verify(R("\\boxed{\\frac13}", "0.3333")).Score);
        Assert.Equal(1.0, v.Verify(R("\\boxed{\\frac13}", "0.333333")).Score);
        Assert.Equal(1.0, v.Verify(R("\\boxed{\\frac13}", "\\frac{2}{6}")).Score);
        Assert.Equal(-1.0, v.Verify(R("nothing", "3")).Score);
        // ... unless the lenient rules are asked for
        var lenient = Make("Math", new Hashtable { ["AcceptRounding"] = true });
        Assert.Equal(1.0, lenient.Verify(R("\\boxed{\\frac13}", "0.3333")).Score);
        // FloatRounding moves the rounding place; out of range is refused
        Assert.Equal(1.0, Make("Math", new Hashtable { ["FloatRounding"] = 2 }).Verify(R("\\boxed{3.141}", "3.14")).Score);
        Assert.Equal(0.0, Make("Math").Verify(R("\\boxed{3.141}", "3.14")).Score);
        Assert.Throws<ArgumentException>(() => Make("Math", new Hashtable { ["FloatRounding"] = 16 }));
    }

    [Fact]
    public void MathComparesLongAnswersWholeOrRefusesThem()
    {
        // issue #18: 1,500 sevens against 1,499 sevens and a 6 was judged correct (only 1,000 characters were compared)
        string gold = new('7', 1500), near = new string('7', 1499) + "6";
        var v = Make("Math");
        Assert.Equal(0.0, v.Verify(R("\\boxed{" + near + "}", gold)).Score);
        Assert.Equal(1.0, v.Verify(R("\\boxed{" + gold + "}", gold)).Score);
        Assert.Equal(0.0, v.Verify(R("The result is " + near, gold)).Score);      // last number, not its last 300 digits
        Assert.Equal(1.0, v.Verify(R("The result is " + gold, gold)).Score);
        // longer than the longest answer compared: refused with a reason, never compared in part
        string huge = new('7', 6000);
        var r = v.Verify(R("\\boxed{" + huge + "}", huge));
        Assert.Equal(0.0, r.Score);
        Assert.Contains("longer than", r.Reason);
    }

    [Fact]
    public void MathBudgetClockCountsTheThreadsOwnWork()
    {
        // The budget's clock is the thread's CPU time where the OS has one (probed), else the wall clock: a sleeping
        // thread spends no CPU, so 200 ms of sleep moves a CPU clock by (almost) nothing and a wall clock by 200 ms or more.
        double start = RlTools.Core.Verifiers.Math.ThreadClock.NowSeconds();
        Thread.Sleep(200);
        double moved = RlTools.Core.Verifiers.Math.ThreadClock.NowSeconds() - start;
        if (RlTools.Core.Verifiers.Math.ThreadClock.IsCpuTime) Assert.True(moved < 0.1, $"the CPU clock moved {moved:0.000} s during a sleep");
        else Assert.True(moved >= 0.19, $"the wall clock moved only {moved:0.000} s during a 200 ms sleep");
        Assert.Equal(OperatingSystem.IsLinux() || OperatingSystem.IsWindows(), RlTools.Core.Verifiers.Math.ThreadClock.IsCpuTime);
    }

    [Fact]
    public void MathReasonNamesTheRuleThatDecided()
    {
        var v = Make("Math");
        Assert.Contains("rounding to 6 decimal places", v.Verify(R("\\boxed{0.14285713}", "0.1428571")).Reason);
        Assert.Contains("definition", v.Verify(R("\\boxed{k = 4}", "4")).Reason);
        Assert.Contains("never equals a value", v.Verify(R("\\boxed{b + 2c = 0}", "0")).Reason);
        Assert.Contains("intervals", v.Verify(R("\\boxed{-2t \\le 6}", "t \\ge -3")).Reason);
        Assert.Contains("sets", v.Verify(R("\\boxed{\\{2, 1, 2\\}}", "\\{1, 2\\}")).Reason);
        Assert.Contains("last math region", v.Verify(R("Hence $t \\geq -3$ is required.", "t \\ge -3")).Reason);
    }

    [Fact]
    public void MathFallbackCanBeTurnedOff()
    {
        const string c = "After a long computation with many steps we finally conclude that she has 18 eggs";
        Assert.Equal(1.0, Make("Math").Verify(R(c, "18")).Score);
        Assert.Equal(0.0, Make("Math", new Hashtable { ["Fallback"] = false }).Verify(R(c, "18")).Score);
    }

    [Fact]
    public void MathReportsWhichAnswersCameFromTheFallback()
    {
        var v = Make("Math");
        // unmarked answers read from prose: the last number, the last math region, a relation in plain prose
        Assert.True(v.Verify(R("After a long computation with many steps we finally conclude that she has 18 eggs", "18")).FromFallback);
        Assert.True(v.Verify(R("Working through every case carefully, the final region we need is $(-1, 4)$ here.", "(-1,4)")).FromFallback);
        var prose = v.Verify(R("Solving the inequality step by step, hence t ≥ -3 is required for the condition to hold", "t \\ge -3"));
        Assert.True(prose.FromFallback, prose.Reason);
        Assert.Equal(1.0, prose.Score);
        // marked answers and a short answer line are not the fallback
        Assert.False(v.Verify(R("The answer is \\boxed{18}", "18")).FromFallback);
        var line = v.Verify(R("so $-2t \\le 6$", "t \\ge -3"));
        Assert.False(line.FromFallback, line.Reason);
        Assert.Equal(1.0, line.Score);
        // with Fallback off the prose relation is not read at all
        var off = Make("Math", new Hashtable { ["Fallback"] = false });
        Assert.Equal(0.0, off.Verify(R("Solving the inequality step by step, hence t ≥ -3 is required for the condition to hold", "t \\ge -3")).Score);
    }

    // ---- registry and binding ---------------------------------------------------------------

    [Fact]
    public void RegistryListsEveryVerifierOnceWithCitedSources()
    {
        var names = VerifierRegistry.All.Select(v => v.Name).ToList();
        Assert.Equal(new[] { "Math", "ExactMatch", "Numeric", "Choice", "Regex", "Format", "Length", "Code", "ScriptBlock" }, names);
        Assert.All(VerifierRegistry.All, v => Assert.False(string.IsNullOrWhiteSpace(v.Source)));
        Assert.All(VerifierRegistry.All, v => Assert.False(string.IsNullOrWhiteSpace(v.Description)));
        Assert.Same(MathVerifier.Info, VerifierRegistry.Find("math"));
        Assert.Null(VerifierRegistry.Find("maths"));
        Assert.True(VerifierRegistry.Find("ScriptBlock")!.HostProvided);
        Assert.Throws<InvalidOperationException>(() => VerifierRegistry.Find("ScriptBlock")!.Create());
    }

    [Fact]
    public void BindingRejectsUnknownNamesAndBadTypes()
    {
        var e = Assert.Throws<ArgumentException>(() => Make("Math", new Hashtable { ["Fallbak"] = true }));
        Assert.Contains("Fallback", e.Message);
        e = Assert.Throws<ArgumentException>(() => Make("Length", new Hashtable { ["MaxLength"] = "lots" }));
        Assert.Contains("MaxLength", e.Message);
        // names are case-insensitive and strings convert
        var v = Make("Length", new Hashtable { ["maxlength"] = "10", ["BUFFER"] = 5 });
        Assert.Equal(-0.2, v.Verify(R("abcdef")).Score!.Value, 12);
    }

    // ---- RewardScorer ------------------------------------------------------------------------

    [Fact]
    public void CombineSkipsNullComponents()
    {
        Assert.Equal(2.5, RewardScorer.Combine(new double?[] { 1.0, null, 0.5 }, new[] { 2.0, 100.0, 1.0 }));
        Assert.Null(RewardScorer.Combine(new double?[] { null, null }, new[] { 1.0, 1.0 }));
        Assert.Null(RewardScorer.Combine(Array.Empty<double?>(), Array.Empty<double>()));
        Assert.Equal(0.0, RewardScorer.Combine(new double?[] { 0.0 }, new[] { 3.0 }));
        Assert.Throws<ArgumentException>(() => RewardScorer.Combine(new double?[] { 1.0 }, new[] { 1.0, 2.0 }));
    }

    [Fact]
    public void ParallelVerificationKeepsInputOrder()
    {
        var batch = Enumerable.Range(0, 500).Select(i => R($"#### {i}", (i % 2 == 0 ? i : i + 1).ToString())).ToList();
        var verifiers = new IVerifier[] { new MathVerifier(), Make("Length", new Hashtable { ["MaxLength"] = 6, ["Buffer"] = 2 }) };
        var results = RewardScorer.Verify(batch, verifiers, maxParallelism: 4);
        for (int i = 0; i < batch.Count; i++)
        {
            Assert.Equal(i % 2 == 0 ? 1.0 : 0.0, results[i][0].Score);
            int len = $"#### {i}".Length;
            Assert.Equal(System.Math.Min(-(len - 4) / 2.0, 0.0), results[i][1].Score!.Value, 12);
        }
        var single = RewardScorer.Verify(batch, verifiers, maxParallelism: 1);
        for (int i = 0; i < batch.Count; i++) Assert.Equal(single[i][0].Score, results[i][0].Score);
    }

    [Fact]
    public void ApplyWritesRewardsAndKeepsOtherComponents()
    {
        var r = R("x");
        r.Rewards = new Dictionary<string, double?> { ["Old"] = 7.0 };
        RewardScorer.Apply(r, new[] { "Math", "Format" }, new double?[] { null, 1.0 }, new[] { 1.0, 0.5 });
        Assert.Equal(0.5, r.Reward);
        Assert.Equal(7.0, r.Rewards["Old"]);
        Assert.True(r.Rewards.ContainsKey("Math"));
        Assert.Null(r.Rewards["Math"]);
    }
}
