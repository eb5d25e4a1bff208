using System.Globalization;
using RlTools.Core.Tasks;

namespace RlTools.Core.Tests.Tasks;

public class FixedWidthArithmeticTests
{
    private static readonly IVerifiableTask Fixed = TaskRegistry.Find("ArithmeticFixed")!;
    private static readonly IVerifiableTask Plain = TaskRegistry.Find("Arithmetic")!;

    [Fact]
    public void Pads_operands_and_demonstration_but_keeps_the_plain_answer()
    {
        foreach (TaskProblem p in TaskGenerator.Generate(Fixed, 300, seed: 3, difficulty: 2))
        {
            // Key is the unpadded expression a+b; recompute everything from it independently.
            string[] parts = p.Key.Split('+');
            long a = long.Parse(parts[0], CultureInfo.InvariantCulture), b = long.Parse(parts[1], CultureInfo.InvariantCulture);
            Assert.Equal($"{a:D2}+{b:D2}=", p.Prompt);
            Assert.Equal((a + b).ToString(CultureInfo.InvariantCulture), p.Answer);
            Assert.Equal($"{a + b:D3}", p.Solution);
            Assert.Equal(6, p.Prompt.Length);
        }
    }

    [Fact]
    public void Pads_products_to_the_widest_result()
    {
        foreach (TaskProblem p in TaskGenerator.Generate(Fixed, 200, seed: 5, difficulty: 5).Where(p => p.Key.Contains('*')))
        {
            string[] parts = p.Key.Split('*');
            long a = long.Parse(parts[0], CultureInfo.InvariantCulture), b = long.Parse(parts[1], CultureInfo.InvariantCulture);
            Assert.Equal($"{a:D2}*{b:D1}=", p.Prompt);
            Assert.Equal($"{a * b:D3}", p.Solution);
        }
    }

    [Fact]
    public void Shares_the_held_out_split_with_the_plain_task()
    {
        // Every fixed-width problem is held out exactly when the same plain problem is.
        foreach (TaskSplit split in new[] { TaskSplit.Train, TaskSplit.Test })
            foreach (TaskProblem p in TaskGenerator.Generate(Fixed, 300, seed: 8, split: split))
                Assert.Equal(split == TaskSplit.Test, TaskGenerator.IsHeldOut(Plain.Name, p.Key));
        var fixedTrain = TaskGenerator.Generate(Fixed, 500, seed: 1).Select(p => p.Key).ToHashSet();
        var plainTest = TaskGenerator.Generate(Plain, 500, seed: 2, split: TaskSplit.Test).Select(p => p.Key);
        Assert.DoesNotContain(plainTest, fixedTrain.Contains);
    }
}
