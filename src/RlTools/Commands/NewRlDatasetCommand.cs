using System.Management.Automation;
using RlTools.Core.Records;
using RlTools.Core.Tasks;

namespace RlTools.Commands;

/// <summary>Completes -Task of New-RlDataset from the task registry.</summary>
public sealed class TaskNameCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names() => TaskRegistry.All.Select(t => (t.Name, t.Description));
}

/// <summary>
/// New-RlDataset: generates prompts of an embedded verifiable task family (Arithmetic, Countdown) with
/// gold answers, deterministically from a seed, from the training or the held-out split.
/// </summary>
[Cmdlet(VerbsCommon.New, "RlDataset")]
[OutputType(typeof(PromptRecord))]
public sealed class NewRlDatasetCommand : RlCmdlet
{
    /// <summary>Task family name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(TaskNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Task { get; set; } = "";

    /// <summary>Number of distinct problems.</summary>
    [Parameter(Position = 1)]
    [ValidateRange(0, 10_000_000)]
    public int Count { get; set; } = 100;

    /// <summary>Seed of the generator.</summary>
    [Parameter]
    public int Seed { get; set; } = 1;

    /// <summary>Difficulty level (task-specific range).</summary>
    [Parameter]
    public int Difficulty { get; set; }

    /// <summary>Train or Test (held out).</summary>
    [Parameter]
    public TaskSplit Split { get; set; } = TaskSplit.Train;

    /// <summary>Adds a correct completion as metadata["solution"].</summary>
    [Parameter]
    public SwitchParameter WithSolution { get; set; }

    protected override void EndProcessing()
    {
        IVerifiableTask? task = TaskRegistry.Find(Task);
        if (task is null)
        {
            ThrowRlError("UnknownTask", ErrorCategory.InvalidArgument, Task,
                $"'{Task}' is not a generated task. Choose one of: {string.Join(", ", TaskRegistry.All.Select(t => t.Name))}.");
            return;
        }
        int level = MyInvocation.BoundParameters.ContainsKey(nameof(Difficulty)) ? Difficulty : task.DefaultDifficulty;
        if (level < task.MinDifficulty || level > task.MaxDifficulty)
        {
            string levels = string.Join("; ", Enumerable.Range(task.MinDifficulty, task.MaxDifficulty - task.MinDifficulty + 1).Select(l => $"{l}: {task.DescribeDifficulty(l)}"));
            ThrowRlError("DifficultyOutOfRange", ErrorCategory.InvalidArgument, Difficulty,
                $"{task.Name} difficulty must be {task.MinDifficulty} to {task.MaxDifficulty}; got {level}. Levels: {levels}.");
            return;
        }
        IReadOnlyList<TaskProblem> problems;
        try
        {
            problems = TaskGenerator.Generate(task, Count, Seed, level, Split);
        }
        catch (InvalidOperationException e)
        {
            ThrowRlError("TaskSpaceExhausted", ErrorCategory.LimitsExceeded, Count, e.Message, e);
            return;
        }
        foreach (TaskProblem p in problems) WriteObject(TaskGenerator.ToPromptRecord(p, WithSolution.IsPresent));
    }
}
