using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;
using RlTools.Core.Records;
using RlTools.Core.Rewards;
using RlTools.Core.Verifiers;

namespace RlTools.Commands;

/// <summary>
/// Measure-RlReward: scores rollouts with one or more verifiers and writes <c>Rewards</c> (one component per
/// verifier; null = did not apply) and <c>Reward</c> (weighted sum of the non-null components). Input is buffered
/// into batches, verified in parallel across cores, and emitted in input order.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "RlReward")]
[OutputType(typeof(Rollout))]
public sealed class MeasureRlRewardCommand : RlCmdlet
{
    /// <summary>Rollouts to score (from Invoke-RlRollout or Import-RlRollout); typed loosely so that piped prompts get one clear error.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>Verifier names from the registry (Get-RlVerifier); Math when omitted.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(VerifierNameCompleter))]
    public string[]? Verifier { get; set; }

    /// <summary>One weight per component (the verifiers, then the script block); 1 each when omitted.</summary>
    [Parameter(Position = 1)]
    public double[]? Weight { get; set; }

    /// <summary>Per-verifier parameters: @{ Math = @{ Fallback = $false }; Length = @{ MaxLength = 512; Buffer = 128 } }.</summary>
    [Parameter]
    public Hashtable? Parameters { get; set; }

    /// <summary>A script-block verifier: receives the rollout as $_ and returns a number or $null.</summary>
    [Parameter]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary>Seconds one -ScriptBlock call may run before it is stopped (ScriptBlockVerifierTimeout, component null); 0 = no limit.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public double ScriptBlockTimeout { get; set; } = 30;

    /// <summary>A stateful weight controller: asked for the weights of each batch, told the scored batch afterwards.</summary>
    [Parameter]
    public IRewardWeighting? WeightController { get; set; }

    /// <summary>Verifier threads (default: the number of processors).</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    /// <summary>Rollouts per batch; 0 (default) scores all input as one batch at the end.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int BatchSize { get; set; }

    private readonly List<string> _names = new();
    private readonly List<IVerifier> _verifiers = new();
    private readonly List<Rollout> _buffer = new();
    private readonly List<int> _verifierIndex = new();
    private int _scriptIndex = -1;

    protected override void BeginProcessing()
    {
        var requested = Verifier is { Length: > 0 } ? Verifier : (ScriptBlock is null ? new[] { "Math" } : Array.Empty<string>());
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var parameters = ReadParameters();
        foreach (string raw in requested)
        {
            var info = VerifierRegistry.Find(raw ?? "");
            if (info is null)
                ThrowRlError("UnknownVerifier", ErrorCategory.InvalidArgument, raw, $"Unknown verifier '{raw}'. Valid names: {VerifierRegistry.NameList}.");
            if (!seen.Add(info!.Name))
                ThrowRlError("DuplicateVerifier", ErrorCategory.InvalidArgument, raw, $"The verifier '{info.Name}' is listed twice in -Verifier; list each verifier once.");
            if (info.HostProvided)
            {
                if (ScriptBlock is null)
                    ThrowRlError("ScriptBlockMissing", ErrorCategory.InvalidArgument, raw, "The ScriptBlock verifier needs -ScriptBlock { ... } returning a number or $null.");
                _scriptIndex = _names.Count; // the script block's component sits where it is listed
                _names.Add(VerifierRegistry.ScriptBlockName);
                continue;
            }
            try
            {
                parameters.TryGetValue(info.Name, out var p);
                _verifiers.Add(info.Create(p));
                _verifierIndex.Add(_names.Count);
                _names.Add(info.Name);
            }
            catch (ArgumentException e)
            {
                ThrowRlError("InvalidVerifierParameter", ErrorCategory.InvalidArgument, Parameters, e.Message, e);
            }
        }
        foreach (var key in parameters.Keys)
            if (!seen.Contains(key))
                ThrowRlError("ParametersForUnusedVerifier", ErrorCategory.InvalidArgument, key,
                    $"-Parameters has settings for '{key}', which is not in -Verifier ({string.Join(", ", _names)}). Add it to -Verifier or remove its entry.");
        if (ScriptBlock is not null && _scriptIndex < 0)
        {
            _scriptIndex = _names.Count;
            _names.Add(VerifierRegistry.ScriptBlockName);
        }
        if (Weight is not null)
        {
            if (Weight.Length != _names.Count)
                ThrowRlError("WeightCountMismatch", ErrorCategory.InvalidArgument, Weight,
                    $"-Weight has {Weight.Length} value(s) but there are {_names.Count} components ({string.Join(", ", _names)}). Give one weight per component, in that order.");
            if (Weight.Any(w => !double.IsFinite(w)))
                ThrowRlError("NonFiniteWeight", ErrorCategory.InvalidArgument, Weight, "-Weight values must be finite numbers.");
        }
        if (WeightController is not null && Weight is not null)
            ThrowRlError("WeightAndController", ErrorCategory.InvalidArgument, WeightController, "Give either -Weight or -WeightController, not both.");
    }

    private Dictionary<string, IDictionary> ReadParameters()
    {
        var result = new Dictionary<string, IDictionary>(StringComparer.OrdinalIgnoreCase);
        if (Parameters is null) return result;
        foreach (DictionaryEntry e in Parameters)
        {
            string key = e.Key?.ToString() ?? "";
            var info = VerifierRegistry.Find(key);
            if (info is null)
                ThrowRlError("UnknownVerifier", ErrorCategory.InvalidArgument, key, $"-Parameters names an unknown verifier '{key}'. Valid names: {VerifierRegistry.NameList}.");
            object? value = e.Value is PSObject pso ? pso.BaseObject : e.Value;
            if (value is not IDictionary d)
            {
                ThrowRlError("InvalidVerifierParameter", ErrorCategory.InvalidArgument, key,
                    $"-Parameters['{key}'] must be a hashtable of that verifier's parameters, e.g. @{{ {key} = @{{ ... }} }}.");
                return result;
            }
            result[info!.Name] = PowerShellValues.Plain(d)!;
        }
        return result;
    }

    protected override void ProcessRecord()
    {
        if (ReadRollout(InputObject) is not { } rollout) return;
        _buffer.Add(rollout);
        if (BatchSize > 0 && _buffer.Count >= BatchSize) Flush();
    }

    protected override void EndProcessing()
    {
        if (_buffer.Count > 0) Flush();
    }

    /// <summary>Rollouts verified between two progress updates (and Ctrl+C checks).</summary>
    private const int ProgressChunk = 256;

    private void Flush()
    {
        var batch = _buffer.ToArray();
        _buffer.Clear();
        double[] weights = ResolveWeights();
        var fallback = new FallbackCount[_verifiers.Count];
        var progress = new ProgressReporter(this, 34, "Measure-RlReward");
        try
        {
            for (int start = 0; start < batch.Length; start += ProgressChunk)
            {
                int length = Math.Min(ProgressChunk, batch.Length - start);
                var results = RewardScorer.Verify(new ArraySegment<Rollout>(batch, start, length), _verifiers, ThrottleLimit);
                for (int j = 0; j < length; j++)
                {
                    var rollout = batch[start + j];
                    var components = new double?[_names.Count];
                    for (int k = 0; k < _verifiers.Count; k++)
                    {
                        components[_verifierIndex[k]] = results[j][k].Score;
                        fallback[k] = fallback[k].Add(results[j][k]);
                    }
                    ReportMissingGold(rollout, results[j]);
                    if (_scriptIndex >= 0) components[_scriptIndex] = RunScript(rollout);
                    RewardScorer.Apply(rollout, _names, components, weights);
                    progress.Tick((double)(start + j + 1) / batch.Length, start + j + 1, "rollouts scored");
                }
            }
        }
        finally { progress.Complete(); }
        ReportFallback(batch.Length, fallback);
        WeightController?.Observe(batch);
        foreach (var r in batch) WriteObject(r);
    }

    /// <summary>How many of a verifier's answers came from its fallback rule, and how many of those were rewarded.</summary>
    private readonly record struct FallbackCount(int Answers, int Rewarded)
    {
        public FallbackCount Add(VerificationResult r) => r.FromFallback ? new(Answers + 1, Rewarded + (r.IsCorrect == true ? 1 : 0)) : this;
    }

    /// <summary>
    /// For each verifier with a fallback rule (a Fallback parameter), an information record with the batch's count:
    /// a share that grows during training means the policy is earning rewards without marking its answers.
    /// </summary>
    private void ReportFallback(int rollouts, FallbackCount[] counts)
    {
        for (int k = 0; k < _verifiers.Count; k++)
        {
            if (VerifierRegistry.Find(_verifiers[k].Name)?.Parameters.Any(p => p.Name == "Fallback") != true) continue;
            var summary = new RewardFallbackSummary(_verifiers[k].Name, rollouts, counts[k].Answers, counts[k].Rewarded);
            WriteInformation(summary, ["RlTools", "RewardFallback"]);
        }
    }

    /// <summary>One error per rollout whose gold answer the verifiers that compare with one could not use (their components stay null).</summary>
    private void ReportMissingGold(Rollout rollout, VerificationResult[] results)
    {
        var needy = Enumerable.Range(0, results.Length).Where(k => results[k].MissingGoldAnswer).ToList();
        if (needy.Count == 0) return;
        string names = string.Join(", ", needy.Select(k => _verifiers[k].Name));
        string which = $"Rollout prompt_id '{rollout.PromptId}' sample_index {rollout.SampleIndex}";
        string message = string.IsNullOrWhiteSpace(rollout.Answer)
            ? $"{which} has no gold answer, so {names} cannot score it and its reward component stays null. " +
              "Import the dataset with -AnswerField <column> (Import-RlDataset warns when no row has an answer), or use verifiers that need none (Format, Length, -ScriptBlock)."
            : $"{which}: {names} cannot use its gold answer '{rollout.Answer}' ({string.Join("; ", needy.Select(k => results[k].Reason))}), so the component stays null. " +
              "Check the dataset's answer column and -AnswerExtract, or choose a verifier that fits the answers.";
        WriteRlError("NoGoldAnswer", ErrorCategory.InvalidData, rollout, message);
    }

    private double[] ResolveWeights()
    {
        if (WeightController is not null)
        {
            IReadOnlyList<double> w;
            try { w = WeightController.GetWeights(_names); }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                ThrowRlError("WeightControllerFailed", ErrorCategory.InvalidOperation, WeightController, $"The weight controller '{SafeName()}' failed in GetWeights: {e.Message}", e);
                return [];
            }
            if (w is null || w.Count != _names.Count)
                ThrowRlError("WeightCountMismatch", ErrorCategory.InvalidResult, WeightController,
                    $"The weight controller '{SafeName()}' returned {w?.Count ?? 0} weight(s) for {_names.Count} components ({string.Join(", ", _names)}); it must return one per component.");
            if (w!.Any(x => !double.IsFinite(x)))
                ThrowRlError("NonFiniteWeight", ErrorCategory.InvalidResult, WeightController, $"The weight controller '{SafeName()}' returned a weight that is not a finite number.");
            return w!.ToArray();
        }
        return Weight ?? Enumerable.Repeat(1.0, _names.Count).ToArray();
    }

    private string SafeName()
    {
        try { return WeightController?.Name ?? ""; } catch { return WeightController?.GetType().Name ?? ""; }
    }

    /// <summary>
    /// Runs the script block on the pipeline thread, in a nested pipeline of this runspace (so it sees the caller's
    /// variables, as before) that a timer stops after <see cref="ScriptBlockTimeout"/> seconds. A <c>break</c> or
    /// <c>continue</c> outside a loop inside the script block ends that call only (its component is null); it never
    /// reaches the caller's loops.
    /// </summary>
    private double? RunScript(Rollout rollout)
    {
        try
        {
            var vars = new List<PSVariable> { new("_", rollout), new("PSItem", rollout) };
            Collection<PSObject> output;
            using (var nested = PowerShell.Create(RunspaceMode.CurrentRunspace))
            {
                nested.AddScript("param($__rlScript, $__rlVars, $__rlItem) $__rlScript.InvokeWithContext($null, $__rlVars, $__rlItem)", useLocalScope: false)
                    .AddArgument(ScriptBlock).AddArgument(vars).AddArgument(rollout);
                bool timedOut = false;
                using var timer = ScriptBlockTimeout > 0
                    ? new Timer(_ =>
                    {
                        timedOut = true;
                        try { nested.BeginStop(null, null); }
                        catch (Exception) { } // the call ended (and was disposed) as the timer fired: nothing to stop
                    }, null, TimeSpan.FromSeconds(ScriptBlockTimeout), Timeout.InfiniteTimeSpan)
                    : null;
                try { output = nested.Invoke(); }
                catch (PipelineStoppedException) when (timedOut)
                {
                    WriteRlError("ScriptBlockVerifierTimeout", ErrorCategory.OperationTimeout, rollout,
                        $"The script-block verifier ran past -ScriptBlockTimeout ({ScriptBlockTimeout} s) on prompt '{rollout.PromptId}' sample {rollout.SampleIndex} and was stopped. The component is left out (null); raise -ScriptBlockTimeout if the script is just slow.");
                    return null;
                }
                if (timedOut)
                {
                    WriteRlError("ScriptBlockVerifierTimeout", ErrorCategory.OperationTimeout, rollout,
                        $"The script-block verifier ran past -ScriptBlockTimeout ({ScriptBlockTimeout} s) on prompt '{rollout.PromptId}' sample {rollout.SampleIndex} and was stopped. The component is left out (null); raise -ScriptBlockTimeout if the script is just slow.");
                    return null;
                }
                // A throw inside the script block ends its statement with an error and no output: that is a failed call.
                if (output.Count == 0 && nested.Streams.Error.Count > 0)
                    throw new RuntimeException(nested.Streams.Error[0].Exception.InnerException?.Message ?? nested.Streams.Error[0].Exception.Message, nested.Streams.Error[0].Exception);
                foreach (ErrorRecord e in nested.Streams.Error) WriteError(e);
            }
            object? last = output.LastOrDefault(o => o is not null)?.BaseObject;
            if (last is null) return null;
            double v = LanguagePrimitives.ConvertTo<double>(last);
            if (!double.IsFinite(v))
            {
                WriteRlError("NonFiniteReward", ErrorCategory.InvalidResult, rollout,
                    $"The script-block verifier returned {v} for prompt '{rollout.PromptId}' sample {rollout.SampleIndex}; return a finite number or $null. The component is left out.");
                return null;
            }
            return v;
        }
        catch (Exception e) when (e is RuntimeException or PSInvalidCastException or InvalidCastException)
        {
            WriteRlError("ScriptBlockVerifierFailed", ErrorCategory.InvalidResult, rollout,
                $"The script-block verifier failed on prompt '{rollout.PromptId}' sample {rollout.SampleIndex}: {e.Message} The component is left out (null).", e);
            return null;
        }
    }
}

/// <summary>
/// Measure-RlReward's count of answers a verifier took by its fallback rule (the last number of a completion without
/// an answer marker), written to the information stream once per batch: -InformationAction Continue shows it,
/// -InformationVariable keeps it (MessageData is this record).
/// </summary>
public sealed record RewardFallbackSummary(string Verifier, int Rollouts, int FallbackAnswers, int FallbackRewarded)
{
    /// <summary>Share of the batch's rollouts rewarded through the fallback (0 for an empty batch).</summary>
    public double RewardedShare => Rollouts > 0 ? (double)FallbackRewarded / Rollouts : 0;

    public override string ToString() =>
        $"{Verifier}: {FallbackAnswers} of {Rollouts} answers came from the fallback (the last number, math span or relation of a completion without an answer marker); {FallbackRewarded} of them rewarded." +
        (FallbackRewarded > 0 ? $" If the prompts ask for a marked answer, turn it off: -Parameters @{{ {Verifier} = @{{ Fallback = $false }} }}." : "");
}
