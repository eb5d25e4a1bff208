using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using RlTools.Core.Metrics;
using RlTools.Core.Records;
using RlTools.Core.Verifiers;
using RlTools.Torch;

namespace RlTools.Commands;

/// <summary>
/// Measure-RlPolicy: evaluates a policy on prompts with gold answers — pass@1 (greedy or sampled),
/// unbiased pass@k (Chen et al. 2021, arXiv 2107.03374), mean reward, mean length.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "RlPolicy")]
[OutputType(typeof(EvaluationResult))]
public sealed class MeasureRlPolicyCommand : SamplingCmdlet
{
    private readonly List<PromptRecord> _prompts = new();

    /// <summary>The policy to evaluate.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public Policy? Policy { get; set; }

    /// <summary>Prompts with gold answers (New-RlDataset, Import-RlDataset).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PromptRecord? InputObject { get; set; }

    /// <summary>The verifier that judges correctness (default Math).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(VerifierNameCompleter))]
    public string Verifier { get; set; } = "Math";

    /// <summary>Parameters of the verifier (name = value).</summary>
    [Parameter]
    public Hashtable? VerifierParameters { get; set; }

    /// <summary>Samples per prompt (n).</summary>
    [Parameter]
    [ValidateRange(1, 10000)]
    public int Samples { get; set; } = 1;

    /// <summary>The k values for pass@k (each at most -Samples). Default: 1 and -Samples.</summary>
    [Parameter]
    public int[]? K { get; set; }

    /// <summary>Rows decoded together.</summary>
    [Parameter]
    [ValidateRange(1, 100_000)]
    public int BatchSize { get; set; } = 64;

    /// <summary>Seed for reproducible sampling.</summary>
    [Parameter]
    public long Seed { get; set; }

    /// <summary>A system message for prompts that carry none.</summary>
    [Parameter]
    public string? SystemPrompt { get; set; }

    protected override void BeginProcessing() => CheckSampling();

    protected override void ProcessRecord() => _prompts.Add(InputObject!);

    protected override void EndProcessing()
    {
        if (_prompts.Count == 0)
            ThrowRlError("NoPrompts", ErrorCategory.InvalidData, null, "No prompts reached Measure-RlPolicy. Pipe prompt records into it, e.g. New-RlDataset -Task Arithmetic -Count 200 -Split Test | Measure-RlPolicy -Policy $policy.");
        VerifierInfo? info = VerifierRegistry.Find(Verifier);
        if (info is null || info.HostProvided)
            ThrowRlError("UnknownVerifier", ErrorCategory.InvalidArgument, Verifier, $"'{Verifier}' is not a verifier Measure-RlPolicy can use. Valid: {string.Join(", ", VerifierRegistry.All.Where(v => !v.HostProvided).Select(v => v.Name))}.");
        IVerifier verifier = null!;
        try { verifier = info!.Create(PowerShellValues.Plain(VerifierParameters)); }
        catch (ArgumentException e) { ThrowRlError("InvalidVerifierParameter", ErrorCategory.InvalidArgument, VerifierParameters, e.Message, e); }
        int[] ks = K ?? (Samples == 1 ? new[] { 1 } : new[] { 1, Samples });
        if (ks.Any(k => k < 1 || k > Samples))
            ThrowRlError("InvalidK", ErrorCategory.InvalidArgument, ks, $"Every -K must be between 1 and -Samples ({Samples}); pass@k is unbiased only for k <= n.");
        // Evaluation's own default: greedy with one sample (-Temperature not given), the shared default 1 with several.
        double temperature = MyInvocation.BoundParameters.ContainsKey(nameof(Temperature)) ? Temperature : Samples == 1 ? 0.0 : 1.0;

        var clock = Stopwatch.StartNew();
        var progress = new ProgressRecord(2, "Measure-RlPolicy", $"{_prompts.Count} prompts × {Samples}");
        var samples = new List<Rollout>(_prompts.Count * Samples);
        try
        {
            foreach (var (rollouts, batch, batches, done, total) in PolicyEngine.Rollout(Policy!, _prompts, Samples, BatchSize, MaxTokens,
                         temperature, TopP, TopK, MinP, Stop, StopTokenId, MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : null, SystemPrompt, null))
            {
                samples.AddRange(rollouts);
                progress.PercentComplete = (int)(100L * done / total);
                progress.StatusDescription = $"batch {batch + 1}/{batches}";
                WriteProgress(progress);
                if (Stopping) return;
            }
        }
        catch (RlEngineException e)
        {
            ThrowRlError(e.ErrorId, e.Category, e.Target, e.Message, e);
        }
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);

        VerificationResult[][] results = RewardScorer.Verify(samples, new[] { verifier }, 0);
        var correct = results.Select(r => r[0].Correct).ToArray();
        var scores = results.Select(r => r[0].Score).ToArray();
        EvaluationResult summary = PolicyEvaluation.Summarize(samples, correct, scores, ks, info!.Name, temperature == 0);
        summary.Seconds = clock.Elapsed.TotalSeconds;
        WriteObject(summary);
    }
}
