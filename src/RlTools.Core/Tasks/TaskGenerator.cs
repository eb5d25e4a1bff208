using RlTools.Core;
using System.Text;
using RlTools.Core.Records;

namespace RlTools.Core.Tasks;

/// <summary>The generated task families (<c>New-RlDataset -Task</c> and its tab completion read this list).</summary>
public static class TaskRegistry
{
    /// <summary>Every registered task family.</summary>
    public static IReadOnlyList<IVerifiableTask> All { get; } = new IVerifiableTask[] { new ArithmeticTask(), new ArithmeticTask(fixedWidth: true), new CountdownTask() };

    /// <summary>The task with this name (case-insensitive), or null.</summary>
    public static IVerifiableTask? Find(string? name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// Deterministic generation of a task family's problems: the same (task, seed, difficulty, split) always
/// gives the same problems in the same order, on every platform. The split is a fixed partition of the
/// problem space: a problem is held out when the FNV-1a 64-bit hash of "task|key" falls in the first
/// <see cref="HeldOutPermille"/> of 1000 buckets. It depends only on the problem, never on the seed, so
/// no training set, whatever its seed, ever contains a held-out problem. Problems within one set are
/// distinct.
/// </summary>
public static class TaskGenerator
{
    /// <summary>Share of the problem space held out for Test, in permille (200 = 20%).</summary>
    public const int HeldOutPermille = 200;

    /// <summary>Whether a problem (by task name and key) belongs to the held-out split.</summary>
    public static bool IsHeldOut(string task, string key) => Fnv1a64(task + "|" + key) % 1000 < HeldOutPermille;

    /// <summary>The split a problem belongs to.</summary>
    public static TaskSplit SplitOf(TaskProblem problem) => IsHeldOut(problem.Task, problem.Key) ? TaskSplit.Test : TaskSplit.Train;

    /// <summary>
    /// <paramref name="count"/> distinct problems of <paramref name="split"/>. Throws
    /// <see cref="InvalidOperationException"/> when the difficulty's problem space is too small to give that many.
    /// </summary>
    public static IReadOnlyList<TaskProblem> Generate(IVerifiableTask task, int count, int seed, int? difficulty = null, TaskSplit split = TaskSplit.Train)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), "The count must be 0 or more.");
        int level = difficulty ?? task.DefaultDifficulty;
        if (level < task.MinDifficulty || level > task.MaxDifficulty)
            throw new ArgumentOutOfRangeException(nameof(difficulty), $"{task.Name} difficulty must be {task.MinDifficulty} to {task.MaxDifficulty}; got {level}.");
        // The stream depends on the seed and the task, so Arithmetic and Countdown with one seed are unrelated.
        var random = new SplitMix64(unchecked((ulong)(uint)seed ^ Fnv1a64(task.Name) ^ ((ulong)level << 40)));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<TaskProblem>(count);
        long attempts = 0, limit = 1000L + 200L * count;
        while (result.Count < count)
        {
            if (++attempts > limit)
                throw new InvalidOperationException($"{task.Name} at difficulty {level} ({task.DescribeDifficulty(level)}) gave only {result.Count} distinct {split} problems " +
                                                    $"in {limit} draws; ask for fewer (-Count) or raise -Difficulty.");
            TaskProblem p = task.Sample(random, level);
            if (IsHeldOut(p.Task, p.Key) != (split == TaskSplit.Test)) continue;
            if (seen.Add(p.Key)) result.Add(p);
        }
        return result;
    }

    /// <summary>Prompt + correct completion pairs from the training split, for SFT warm-up.</summary>
    public static IReadOnlyList<Demonstration> Demonstrations(IVerifiableTask task, int count, int seed, int? difficulty = null)
        => Generate(task, count, seed, difficulty, TaskSplit.Train).Select(p => new Demonstration(p.Prompt, p.Solution, p.Answer)).ToArray();

    /// <summary>
    /// The prompt record for a problem: <c>id</c> "Task:key" (stable and unique per problem), <c>prompt</c>,
    /// <c>answer</c>, and metadata task, difficulty, split (plus the task's extras, and <c>solution</c>
    /// when <paramref name="withSolution"/>).
    /// </summary>
    public static PromptRecord ToPromptRecord(TaskProblem problem, bool withSolution)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var record = new PromptRecord
        {
            Id = problem.Task + ":" + problem.Key,
            Prompt = problem.Prompt,
            Answer = problem.Answer,
        };
        record.Metadata["task"] = problem.Task;
        record.Metadata["difficulty"] = problem.Difficulty;
        record.Metadata["split"] = SplitOf(problem).ToString();
        foreach (var kv in problem.Extra) record.Metadata[kv.Key] = kv.Value;
        if (withSolution) record.Metadata["solution"] = problem.Solution;
        return record;
    }

    /// <summary>FNV-1a 64-bit over UTF-8 (Fowler–Noll–Vo; offset 14695981039346656037, prime 1099511628211).</summary>
    public static ulong Fnv1a64(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return h;
    }
}
