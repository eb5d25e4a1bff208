using System.Collections;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using RlTools.Core.Records;
using RlTools.Torch.Training;

namespace RlTools.Commands;

/// <summary>
/// Compare-RlAdvantageEstimator: runs the same RL loop from the same checkpoint with the same prompts,
/// seeds and budget once per estimator, and emits one row per step per estimator.
/// </summary>
[Cmdlet(VerbsData.Compare, "RlAdvantageEstimator", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ComparisonRow))]
public sealed class CompareRlAdvantageEstimatorCommand : RlCmdlet
{
    /// <summary>Checkpoint folder every run starts from (also the frozen KL reference).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Checkpoint folder, taken as typed (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>Estimators to compare (tab completion lists the registry).</summary>
    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(AdvantageEstimatorCompleter))]
    public string[] Estimator { get; set; } = Array.Empty<string>();

    /// <summary>Training prompts with gold answers.</summary>
    [Parameter(Mandatory = true)]
    public PromptRecord[] TrainSet { get; set; } = Array.Empty<PromptRecord>();

    /// <summary>Held-out prompts with gold answers (greedy accuracy).</summary>
    [Parameter(Mandatory = true)]
    public PromptRecord[] TestSet { get; set; } = Array.Empty<PromptRecord>();

    /// <summary>RL steps per estimator.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Steps { get; set; } = 100;

    /// <summary>Prompts drawn per step (the same draws for every estimator).</summary>
    [Parameter]
    [ValidateRange(1, 100_000)]
    public int PromptsPerStep { get; set; } = 16;

    /// <summary>Completions sampled per prompt.</summary>
    [Parameter]
    [ValidateRange(1, 10_000)]
    public int GroupSize { get; set; } = 8;

    /// <summary>Maximum new tokens per completion.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxTokens { get; set; } = 16;

    /// <summary>Measure held-out accuracy every this many steps.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int EvalEvery { get; set; } = 10;

    /// <summary>Policy loss (Get-RlPolicyLoss).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(PolicyLossCompleter))]
    public string Loss { get; set; } = "PPO";

    /// <summary>Learning rate of every run.</summary>
    [Parameter]
    public double LearningRate { get; set; } = 3e-4;

    /// <summary>KL penalty to the starting checkpoint (0 turns it off).</summary>
    [Parameter]
    public double KLCoefficient { get; set; } = 0.001;

    /// <summary>Verifier that gives the reward and judges held-out answers.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(VerifierNameCompleter))]
    public string Verifier { get; set; } = "Math";

    /// <summary>Parameters of the verifier.</summary>
    [Parameter]
    public Hashtable? VerifierParameters { get; set; }

    /// <summary>Seed for prompt draws and sampling (the same for every estimator).</summary>
    [Parameter]
    public long Seed { get; set; } = 1;

    protected override void EndProcessing()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        if (literal) Path = LiteralPath;
        string path = ResolveExistingPath(ResolveSinglePath(Path, literal, "checkpoint folder"), "checkpoint folder");
        var settings = new ComparisonSettingsData(path, TrainSet, TestSet, Estimator, Steps, PromptsPerStep, GroupSize, MaxTokens, EvalEvery,
            Seed, Loss, LearningRate, KLCoefficient, Verifier, PowerShellValues.Plain(VerifierParameters));
        var progress = new ProgressRecord(3, "Compare-RlAdvantageEstimator", "starting");
        int runs = Estimator.Length, done = 0;
        try
        {
            foreach (ComparisonRow row in Run(settings))
            {
                WriteObject(row);
                if (row.Step == Steps) done++;
                progress.StatusDescription = $"{row.Estimator}: step {row.Step}/{Steps}, held-out {row.HeldoutAccuracy:F3}";
                progress.PercentComplete = (int)(100.0 * (done * Steps + (row.Step == Steps ? 0 : row.Step)) / (runs * (double)Steps));
                WriteProgress(progress);
                if (Stopping) return;
            }
        }
        catch (ArgumentException e)
        {
            ThrowRlError("InvalidComparison", ErrorCategory.InvalidArgument, Estimator, e.Message, e);
        }
        catch (Exception e) when (e is not PipelineStoppedException and not OutOfMemoryException and not ArgumentException)
        {
            ThrowRlError("ComparisonFailed", ErrorCategory.InvalidOperation, Path, $"The comparison stopped: {e.Message}", e);
        }
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
    }

    private sealed record ComparisonSettingsData(string Path, PromptRecord[] Train, PromptRecord[] Test, string[] Estimators, int Steps, int Prompts,
        int Group, int MaxTokens, int EvalEvery, long Seed, string Loss, double Lr, double Kl, string Verifier, Hashtable? VerifierParameters);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IEnumerable<ComparisonRow> Run(ComparisonSettingsData d) => EstimatorComparison.Run(new ComparisonSettings
    {
        CheckpointPath = d.Path, Train = d.Train, Test = d.Test, Estimators = d.Estimators, Steps = d.Steps, PromptsPerStep = d.Prompts,
        GroupSize = d.Group, MaxTokens = d.MaxTokens, EvalEvery = d.EvalEvery, Seed = d.Seed, Loss = d.Loss, LearningRate = d.Lr,
        KLCoefficient = d.Kl, Verifier = d.Verifier, VerifierParameters = d.VerifierParameters,
    });
}
