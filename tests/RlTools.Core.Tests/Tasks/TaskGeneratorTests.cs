using RlTools.Core;
using System.Globalization;
using System.Text.RegularExpressions;
using RlTools.Core.Tasks;

namespace RlTools.Core.Tests.Tasks;

public class TaskGeneratorTests
{
    private static readonly IVerifiableTask Arithmetic = TaskRegistry.Find("arithmetic")!;
    private static readonly IVerifiableTask Countdown = TaskRegistry.Find("Countdown")!;

    [Fact]
    public void SplitMix64_matches_the_reference_sequence()
    {
        // Reference outputs of splitmix64.c (Vigna) for seed 0.
        var r = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, r.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, r.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, r.NextUInt64());
    }

    [Fact]
    public void Fnv1a64_matches_the_published_test_vectors()
    {
        Assert.Equal(0xCBF29CE484222325UL, TaskGenerator.Fnv1a64(""));
        Assert.Equal(0xAF63DC4C8601EC8CUL, TaskGenerator.Fnv1a64("a"));
        Assert.Equal(0x85944171F73967E8UL, TaskGenerator.Fnv1a64("foobar"));
    }

    [Fact]
    public void SplitMix64_range_is_uniform_enough_and_in_bounds()
    {
        var r = new SplitMix64(7);
        var counts = new int[10];
        for (int i = 0; i < 100_000; i++) counts[r.Next(10)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Next(5, 5));
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void Arithmetic_answers_are_right_and_follow_the_level(int difficulty)
    {
        int[] digits = { 1, 2, 2, 3, 2, 3, 4, 5 };
        string[] ops = { "+", "+", "+-", "+-", "+-*", "+-*", "+-*", "+-*" };
        int d = digits[difficulty - 1];
        var seenOps = new HashSet<char>();
        foreach (var p in TaskGenerator.Generate(Arithmetic, difficulty == 1 ? 60 : 300, seed: 11, difficulty))
        {
            Match m = Regex.Match(p.Prompt, @"^(\d+)([-+*])(\d+)=$");
            Assert.True(m.Success, p.Prompt);
            long a = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), b = long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            char op = m.Groups[2].Value[0];
            seenOps.Add(op);
            long expected = op == '+' ? a + b : op == '-' ? a - b : a * b;
            Assert.Equal(expected.ToString(CultureInfo.InvariantCulture), p.Answer);
            Assert.Equal(p.Answer, p.Solution);
            Assert.True(expected >= 0);
            Assert.InRange(a, 0, (long)Math.Pow(10, d) - 1);
            Assert.InRange(b, 0, (long)Math.Pow(10, op == '*' ? (d + 1) / 2 : d) - 1);
            Assert.Equal(p.Prompt[..^1], p.Key);
            Assert.Equal(difficulty, p.Difficulty);
        }
        Assert.Equal(ops[difficulty - 1].ToHashSet(), seenOps);
    }

    [Fact]
    public void Same_seed_same_problems_other_seed_other_problems()
    {
        var a = TaskGenerator.Generate(Arithmetic, 50, seed: 3);
        var b = TaskGenerator.Generate(Arithmetic, 50, seed: 3);
        var c = TaskGenerator.Generate(Arithmetic, 50, seed: 4);
        Assert.Equal(a.Select(p => p.Prompt), b.Select(p => p.Prompt));
        Assert.NotEqual(a.Select(p => p.Prompt), c.Select(p => p.Prompt));
        Assert.Equal(50, a.Select(p => p.Key).Distinct().Count());
    }

    [Theory]
    [InlineData("Arithmetic", 1, 20)]
    [InlineData("Arithmetic", 2, 500)]
    [InlineData("Countdown", 1, 30)]
    [InlineData("Countdown", 3, 300)]
    public void Train_and_held_out_sets_are_disjoint_across_seeds(string taskName, int difficulty, int count)
    {
        IVerifiableTask task = TaskRegistry.Find(taskName)!;
        var train = new HashSet<string>();
        var test = new HashSet<string>();
        for (int seed = 1; seed <= 5; seed++)
        {
            foreach (var p in TaskGenerator.Generate(task, count, seed, difficulty, TaskSplit.Train)) { train.Add(p.Key); Assert.Equal(TaskSplit.Train, TaskGenerator.SplitOf(p)); }
            foreach (var p in TaskGenerator.Generate(task, count / 4, seed, difficulty, TaskSplit.Test)) { test.Add(p.Key); Assert.Equal(TaskSplit.Test, TaskGenerator.SplitOf(p)); }
        }
        Assert.NotEmpty(train);
        Assert.NotEmpty(test);
        Assert.Empty(train.Intersect(test));
    }

    [Fact]
    public void The_partition_is_exact_on_a_small_problem_space()
    {
        // Level 1 is every a+b with a, b in 0..9: 100 problems. Count each side by enumerating the space.
        var all = Enumerable.Range(0, 10).SelectMany(a => Enumerable.Range(0, 10).Select(b => $"{a}+{b}")).ToArray();
        int heldOut = all.Count(k => TaskGenerator.IsHeldOut("Arithmetic", k));
        Assert.InRange(heldOut, 8, 35); // about 20% of 100
        var test = TaskGenerator.Generate(Arithmetic, heldOut, seed: 1, difficulty: 1, split: TaskSplit.Test);
        Assert.Equal(all.Where(k => TaskGenerator.IsHeldOut("Arithmetic", k)).OrderBy(k => k), test.Select(p => p.Key).OrderBy(k => k));
        var train = TaskGenerator.Generate(Arithmetic, 100 - heldOut, seed: 2, difficulty: 1, split: TaskSplit.Train);
        Assert.Equal(100, train.Select(p => p.Key).Concat(test.Select(p => p.Key)).Distinct().Count());
        var e = Assert.Throws<InvalidOperationException>(() => TaskGenerator.Generate(Arithmetic, 100 - heldOut + 1, seed: 2, difficulty: 1));
        Assert.Contains("-Count", e.Message);
    }

    [Fact]
    public void Countdown_solutions_check_and_use_every_number()
    {
        for (int level = 1; level <= 6; level++)
        {
            foreach (var p in TaskGenerator.Generate(Countdown, level == 1 ? 40 : 100, seed: 5, difficulty: level))
            {
                var numbers = (long[])p.Extra["numbers"]!;
                long target = (long)p.Extra["target"]!;
                Assert.Equal(target.ToString(CultureInfo.InvariantCulture), p.Answer);
                Assert.InRange(target, 1, 999);
                Assert.Equal(new[] { 2, 3, 3, 3, 4, 4 }[level - 1], numbers.Length);
                Assert.Equal(string.Join(' ', numbers) + " -> " + p.Answer + ":", p.Prompt);
                Assert.Null(CountdownTask.Check(numbers, target, p.Solution));
                Assert.EndsWith("=" + p.Answer, p.Solution);
                if (level == 6) Assert.Contains(numbers, n => n is 25 or 50 or 75 or 100);
            }
        }
    }

    [Theory]
    [InlineData("(3+7)*25", null)]
    [InlineData("25*(7+3)=250", null)]
    [InlineData(" (3 + 7) × 25 \nextra", null)]
    [InlineData("250", "uses")]
    [InlineData("(3+7)*25+0", "uses")]
    [InlineData("(3+7)*25*25", "uses")]
    [InlineData("3+7+25", "equals 35")]
    [InlineData("(3+7*25", "not closed")]
    [InlineData("3+7)*25", "unexpected")]
    [InlineData("", "empty")]
    [InlineData("abc", "expected a number")]
    public void Countdown_checker(string completion, string? reason)
    {
        string? r = CountdownTask.Check(new long[] { 3, 7, 25 }, 250, completion);
        if (reason is null) Assert.Null(r);
        else Assert.Contains(reason, r);
    }

    [Fact]
    public void Countdown_checker_uses_exact_fractions_and_rejects_division_by_zero()
    {
        Assert.Null(CountdownTask.Check(new long[] { 7, 2, 2 }, 7, "7/2*2"));
        Assert.Contains("7/2", CountdownTask.Check(new long[] { 7, 2 }, 3, "7/2"));
        Assert.Equal("division by zero", CountdownTask.Check(new long[] { 3, 3, 5 }, 1, "5/(3-3)"));
    }

    [Fact]
    public void Demonstrations_are_training_problems_with_correct_completions()
    {
        var demos = TaskGenerator.Demonstrations(Arithmetic, 40, seed: 9, difficulty: 3);
        Assert.Equal(40, demos.Count);
        foreach (var d in demos)
        {
            Match m = Regex.Match(d.Prompt, @"^(\d+)([-+])(\d+)=$");
            long a = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), b = long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            Assert.Equal((m.Groups[2].Value == "+" ? a + b : a - b).ToString(CultureInfo.InvariantCulture), d.Completion);
            Assert.False(TaskGenerator.IsHeldOut("Arithmetic", d.Prompt[..^1]));
        }
    }

    [Fact]
    public void Prompt_records_carry_id_answer_and_metadata()
    {
        var p = TaskGenerator.Generate(Countdown, 1, seed: 1).Single();
        var rec = TaskGenerator.ToPromptRecord(p, withSolution: true);
        Assert.Equal("Countdown:" + p.Key, rec.Id);
        Assert.Equal(p.Prompt, rec.Prompt);
        Assert.Equal(p.Answer, rec.Answer);
        Assert.Equal(p.Solution, rec.Metadata["solution"]);
        Assert.Equal("Train", rec.Metadata["split"]);
        Assert.Equal(3, rec.Metadata["difficulty"]);
        Assert.False(TaskGenerator.ToPromptRecord(p, withSolution: false).Metadata.ContainsKey("solution"));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskGenerator.Generate(Arithmetic, 1, 1, difficulty: 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskGenerator.Generate(Countdown, 1, 1, difficulty: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskGenerator.Generate(Arithmetic, -1, 1));
        Assert.Empty(TaskGenerator.Generate(Arithmetic, 0, 1));
        Assert.Null(TaskRegistry.Find("Nope"));
    }
}
