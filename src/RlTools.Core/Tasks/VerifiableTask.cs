using RlTools.Core;
namespace RlTools.Core.Tasks;

/// <summary>Which part of a task family: training problems or the held-out evaluation problems.</summary>
public enum TaskSplit
{
    /// <summary>Training problems (about 80% of the problem space).</summary>
    Train,
    /// <summary>Held-out problems (about 20%), never generated for Train.</summary>
    Test,
}

/// <summary>
/// One generated problem: the prompt the policy sees, the gold answer (a plain number, for the Math
/// verifier), a correct completion for SFT warm-up, and a canonical key that identifies the problem
/// (two problems with the same key are the same problem; the train/held-out split is decided by it).
/// </summary>
public sealed record TaskProblem(string Task, string Key, string Prompt, string Answer, string Solution, int Difficulty)
{
    /// <summary>Task-specific facts carried into the prompt record's metadata (e.g. Countdown's numbers).</summary>
    public IReadOnlyDictionary<string, object?> Extra { get; init; } = new Dictionary<string, object?>();
}

/// <summary>A prompt and a correct completion, for supervised warm-up.</summary>
public sealed record Demonstration(string Prompt, string Completion, string Answer);

/// <summary>
/// A generated, verifiable task family. Implementations draw one problem at a difficulty level from a
/// random stream; <see cref="TaskGenerator"/> handles seeds, de-duplication and the split.
/// </summary>
public interface IVerifiableTask
{
    /// <summary>Registry name (what -Task takes).</summary>
    string Name { get; }
    /// <summary>One line.</summary>
    string Description { get; }
    /// <summary>Lowest difficulty level.</summary>
    int MinDifficulty { get; }
    /// <summary>Highest difficulty level.</summary>
    int MaxDifficulty { get; }
    /// <summary>Level used when none is given.</summary>
    int DefaultDifficulty { get; }
    /// <summary>What a level means (e.g. "2 digits, + -").</summary>
    string DescribeDifficulty(int difficulty);
    /// <summary>Draws one problem.</summary>
    TaskProblem Sample(SplitMix64 random, int difficulty);
}
