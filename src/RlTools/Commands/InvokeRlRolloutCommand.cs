using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using RlTools.Core.Chat;
using RlTools.Core.Chat.Jinja;
using RlTools.Core.Records;
using RlTools.Core.Schedules;
using RlTools.Core.Verifiers;
using RlTools.Torch;

namespace RlTools.Commands;

/// <summary>Invoke-RlRollout: samples GroupSize completions per prompt from a policy and emits rollout records.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "RlRollout")]
[OutputType(typeof(Rollout))]
public sealed class InvokeRlRolloutCommand : RlCmdlet
{
    /// <summary>Prompts: PromptRecord objects, or any objects with a Prompt (and optionally Id, Answer, Messages) property.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject? InputObject { get; set; }

    /// <summary>The policy to sample from.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public Policy? Policy { get; set; }

    /// <summary>Completions per prompt.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int GroupSize { get; set; } = 1;

    /// <summary>Most tokens per completion.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxTokens { get; set; } = 256;

    /// <summary>Completions decoded together.</summary>
    [Parameter]
    [ValidateRange(1, 65536)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Sampling temperature; 0 is greedy.</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>Nucleus sampling mass.</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double TopP { get; set; } = 1.0;

    /// <summary>Keep only the K most likely tokens (0: off).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int TopK { get; set; }

    /// <summary>Drop tokens below MinP times the top probability (0: off).</summary>
    [Parameter]
    [ValidateRange(0.0, 0.999999)]
    public double MinP { get; set; }

    /// <summary>Stop strings.</summary>
    [Parameter]
    public string[] Stop { get; set; } = Array.Empty<string>();

    /// <summary>Stop token ids (besides the tokenizer's EOS).</summary>
    [Parameter]
    public int[] StopTokenId { get; set; } = Array.Empty<int>();

    /// <summary>Seed for reproducible sampling.</summary>
    [Parameter]
    public long Seed { get; set; }

    /// <summary>A system message for prompts that carry none.</summary>
    [Parameter]
    public string? SystemPrompt { get; set; }

    /// <summary>
    /// A chat template for the prompts: Auto (the policy's own Jinja template, as transformers renders it), a model folder
    /// or tokenizer_config.json, a registered name (ChatML, Llama3), or a script block { param($Messages, $AddGenerationPrompt) ... }.
    /// </summary>
    [Parameter]
    [ArgumentCompleter(typeof(RolloutChatTemplateCompleter))]
    public object? ChatTemplate { get; set; }

    /// <summary>A difficulty-adaptive rollout schedule (DARS, DARS-ET, DARS-B): extra rollouts for prompts with a low first-pass pass rate.</summary>
    [Parameter]
    [ValidateSet("DARS", "DARS-ET", "DARS-B")]
    public string? Schedule { get; set; }

    /// <summary>The verifier that scores the first pass for -Schedule (default Math).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(VerifierNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Verifier { get; set; } = "Math";

    /// <summary>Continue each input rollout record from its completion_tokens by up to -MaxTokens new tokens.</summary>
    [Parameter]
    public SwitchParameter Continue { get; set; }

    /// <summary>Continue / probe: decode identical prefixes separately instead of once (SPO dedup is the default).</summary>
    [Parameter]
    public SwitchParameter NoDedup { get; set; }

    /// <summary>Probe each input rollout record with Monte-Carlo continuations at its cut points.</summary>
    [Parameter]
    public SwitchParameter Probe { get; set; }

    /// <summary>Where -Probe cuts: LowProbability (SPO), Step (SPAE) or Positions (-CutPosition).</summary>
    [Parameter]
    [ValidateSet("LowProbability", "Step", "Positions")]
    public string CutAt { get; set; } = "LowProbability";

    /// <summary>LowProbability cuts: before each token whose probability is below this (SPO's 0.9).</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double ProbeThreshold { get; set; } = 0.9;

    /// <summary>Keep every k-th cut candidate, starting with the first (SPO's cutpoint interval).</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int ProbeInterval { get; set; } = 1;

    /// <summary>Step cuts: after each token where the completion so far ends with this text (SPAE's ".\n\n").</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string StepDelimiter { get; set; } = ".\n\n";

    /// <summary>Positions cuts: the cut positions (prefix lengths in completion tokens).</summary>
    [Parameter]
    public int[] CutPosition { get; set; } = [];

    /// <summary>Continuations per cut.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int ProbeSamples { get; set; } = 4;

    /// <summary>Text forced after each probe prefix before sampling (SPAE: "**Final Answer**\n\boxed{").</summary>
    [Parameter]
    public string? ProbeSuffix { get; set; }

    /// <summary>Add one teacher-forced answer probe per cut (prefix + suffix + the record's answer; SPAE's correctness).</summary>
    [Parameter]
    public SwitchParameter ProbeAnswer { get; set; }

    /// <summary>Roll out a segment tree per prompt with these branching factors per depth (SPO-tree: 6,6,6).</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int[] Branching { get; set; } = [];

    /// <summary>Tree segments below the last depth hold at most this many tokens.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int SegmentTokens { get; set; } = 100;

    /// <summary>Hint: the fraction of each prompt's reference solution forced as the start of hinted completions (ADHint).</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double HintRatio { get; set; }

    /// <summary>The prompt field that holds the reference solution (metadata key or input property).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string HintField { get; set; } = "solution";

    /// <summary>How many of each prompt's samples are hinted (the first ones; default all).</summary>
    [Parameter]
    [ValidateRange(0, 4096)]
    public int HintSamples { get; set; }

    /// <summary>Difficulty: an unhinted first pass scored with -Verifier, then hinted extra rollouts at ratio HintRatio·(1 − pass rate).</summary>
    [Parameter]
    [ValidateSet("Difficulty")]
    public string? HintSchedule { get; set; }

    /// <summary>HAPO: per-token temperature T·(1 + τ·ĥ) from the normalised entropy (statistics of -EntropyBaseline).</summary>
    [Parameter]
    public SwitchParameter AdaptiveTemperature { get; set; }

    /// <summary>HAPO's τ (recipe 0.05).</summary>
    [Parameter]
    [ValidateRange(0.0, 10.0)]
    public double TemperatureTau { get; set; } = 0.05;

    /// <summary>HAPO's entropy pivot quantile (recipe 0.8).</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double EntropyPivot { get; set; } = 0.8;

    /// <summary>The previous step's rollouts, whose entropies give the adaptive temperature's statistics.</summary>
    [Parameter]
    public Rollout[]? EntropyBaseline { get; set; }

    /// <summary>VERL: reduce the final hidden states of each completion to effective_rank and its velocity and acceleration.</summary>
    [Parameter]
    public SwitchParameter EffectiveRank { get; set; }

    /// <summary>Stride between measured prefix lengths (VERL train.sh 40).</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int RankStride { get; set; } = 40;

    /// <summary>Completion tokens whose hidden states are kept (the first N; VERL 512).</summary>
    [Parameter]
    [ValidateRange(2, 1_000_000)]
    public int RankWindow { get; set; } = 512;

    private RolloutMode _mode;
    private readonly List<Rollout> _records = new();

    private object? _template;
    private IVerifier? _verifier;
    private string _verifierName = "";
    private DarsOptions? _schedule;

    private readonly List<PromptRecord> prompts = new();

    private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

    /// <summary>The producer the parameters ask for, after checking that they fit together.</summary>
    private void ChooseMode()
    {
        var modes = new List<string>();
        if (Continue) modes.Add("-Continue");
        if (Probe) modes.Add("-Probe");
        if (Branching.Length > 0) modes.Add("-Branching");
        if (modes.Count > 1)
            ThrowRlError("RolloutModesConflict", ErrorCategory.InvalidArgument, string.Join(", ", modes),
                $"{string.Join(" and ", modes)} are different producers; use one per call (pipe one's output into the next).");
        _mode = Continue ? RolloutMode.Continue : Probe ? RolloutMode.Probe : Branching.Length > 0 ? RolloutMode.Tree : RolloutMode.Sample;
        void Requires(bool on, string what, params string[] names)
        {
            foreach (string n in names)
                if (!on && Bound(n))
                    ThrowRlError("ParameterNeeds" + what.TrimStart('-'), ErrorCategory.InvalidArgument, n, $"-{n} only applies with {what}; add {what} or leave -{n} out.");
        }
        Requires(Probe, "-Probe", nameof(CutAt), nameof(ProbeThreshold), nameof(ProbeInterval), nameof(StepDelimiter), nameof(CutPosition), nameof(ProbeSamples), nameof(ProbeSuffix), nameof(ProbeAnswer));
        Requires(Continue || Probe, "-Continue", nameof(NoDedup));
        Requires(Branching.Length > 0, "-Branching", nameof(SegmentTokens));
        Requires(Bound(nameof(HintRatio)), "-HintRatio", nameof(HintField), nameof(HintSamples), nameof(HintSchedule));
        Requires(AdaptiveTemperature, "-AdaptiveTemperature", nameof(TemperatureTau), nameof(EntropyPivot), nameof(EntropyBaseline));
        Requires(EffectiveRank, "-EffectiveRank", nameof(RankStride), nameof(RankWindow));
        if (_mode != RolloutMode.Sample)
            foreach (string n in new[] { nameof(Schedule), nameof(HintRatio), nameof(GroupSize) })
                if (Bound(n))
                    ThrowRlError("ParameterNotForMode", ErrorCategory.InvalidArgument, n,
                        $"-{n} applies to sampling from prompts, not to {modes[0]}." + (n == nameof(GroupSize) && _mode == RolloutMode.Tree ? " A tree's first depth has Branching[0] nodes per prompt." : ""));
        if (Schedule is not null && HintSchedule is not null)
            ThrowRlError("SchedulesConflict", ErrorCategory.InvalidArgument, Schedule, "-Schedule and -HintSchedule both add a second pass; use one of them.");
        if (AdaptiveTemperature && Temperature == 0)
            ThrowRlError("AdaptiveTemperatureNeedsTemperature", ErrorCategory.InvalidArgument, Temperature, "-AdaptiveTemperature scales a temperature above 0; greedy decoding (-Temperature 0) has none.");
        if (Probe && CutAt == "Positions" != Bound(nameof(CutPosition)))
            ThrowRlError("CutPositionsNeeded", ErrorCategory.InvalidArgument, CutAt, "-CutAt Positions and -CutPosition go together: give the positions with -CutPosition and -CutAt Positions.");
    }

    private RolloutPowers Powers(IReadOnlyList<string?>? hintTexts = null, IReadOnlyList<double>? hintRatios = null, bool hintAll = false) => new()
    {
        Mode = _mode, Dedup = !NoDedup,
        CutAt = CutAt, ProbeThreshold = ProbeThreshold, ProbeInterval = ProbeInterval, StepDelimiter = StepDelimiter,
        CutPositions = CutPosition, ProbeSamples = ProbeSamples, ProbeSuffix = ProbeSuffix, ProbeAnswer = ProbeAnswer,
        Branching = Branching, SegmentTokens = SegmentTokens,
        HintTexts = hintTexts, HintRatios = hintRatios, HintRatio = HintRatio,
        HintSamples = hintAll || !Bound(nameof(HintSamples)) ? null : HintSamples,
        AdaptiveTemperature = AdaptiveTemperature, TemperatureTau = TemperatureTau, EntropyPivot = EntropyPivot, EntropyBaseline = EntropyBaseline,
        EffectiveRank = EffectiveRank, RankStride = RankStride, RankWindow = RankWindow,
    };

    protected override void BeginProcessing()
    {
        ChooseMode();
        if (TopP <= 0) ThrowRlError("InvalidTopP", ErrorCategory.InvalidArgument, TopP, "-TopP must be greater than 0 and at most 1.");
        if (ChatTemplate is not null) _template = ResolveTemplate(ChatTemplate);
        if (Schedule is not null || HintSchedule is not null)
        {
            if (Schedule is not null) _schedule = DarsSchedule.ForName(Schedule, GroupSize)!;
            VerifierInfo? info = VerifierRegistry.Find(Verifier);
            if (info is null || info.HostProvided)
                ThrowRlError("UnknownVerifier", ErrorCategory.InvalidArgument, Verifier,
                    $"-Verifier '{Verifier}' is not a built-in verifier. Use one of {string.Join(", ", VerifierRegistry.All.Where(v => !v.HostProvided).Select(v => v.Name))}.");
            _verifierName = info!.Name;
            _verifier = info.Create();
        }
        else if (MyInvocation.BoundParameters.ContainsKey(nameof(Verifier)))
            ThrowRlError("VerifierWithoutSchedule", ErrorCategory.InvalidArgument, Verifier,
                "-Verifier only scores the first pass of -Schedule or -HintSchedule; add one, or score rollouts with Measure-RlReward -Verifier.");
    }

    private object? ResolveTemplate(object template)
    {
        if ((template is PSObject pso ? pso.BaseObject : template) is string s && s.Equals("Auto", StringComparison.OrdinalIgnoreCase))
        {
            // The policy's own Jinja template (tokenizer_config.json / chat_template.jinja), rendered as transformers does.
            try
            {
                if (Policy!.TokenizerPath is string dir) return HfChatTemplate.Load(dir);
            }
            catch (FileNotFoundException) { }
            catch (InvalidDataException) { }
            catch (System.Text.Json.JsonException e)
            {
                ThrowRlError("ChatTemplateInvalid", ErrorCategory.InvalidData, Policy!.TokenizerPath, $"-ChatTemplate Auto: the policy's tokenizer_config.json is not valid JSON: {e.Message}", e);
            }
            WriteWarning("-ChatTemplate Auto: the policy's tokenizer has no chat template (chat_template in tokenizer_config.json or chat_template.jinja); the prompts go in as plain text. Name a template (ChatML, Llama3) to use one.");
            return null;
        }
        return ConvertToRlChatPromptCommand.ResolveChatTemplate(this, template, nameof(ChatTemplate));
    }

    /// <summary>Renders every prompt with -ChatTemplate here, on the pipeline thread (script blocks need it); bad prompts are reported and dropped.</summary>
    private List<PromptRecord> Render(List<PromptRecord> input)
    {
        var rendered = new List<PromptRecord>(input.Count);
        foreach (PromptRecord p in input)
        {
            string text;
            try
            {
                text = ChatPromptRenderer.Render(_template!, ChatPromptRenderer.ToMessages(p), SystemPrompt, addGenerationPrompt: true);
            }
            catch (ArgumentException e)
            {
                WriteRlError("ChatMessageInvalid", ErrorCategory.InvalidData, p.Id, e.Message, e);
                continue;
            }
            catch (JinjaException e)
            {
                WriteRlError("ChatTemplateFailed", ErrorCategory.InvalidData, p.Id,
                    $"The policy's chat template raised {e.Kind} on prompt '{p.Id}': {e.Message}");
                continue;
            }
            catch (RuntimeException e)
            {
                WriteRlError("ChatTemplateScriptFailed", ErrorCategory.InvalidOperation, p.Id,
                    $"The chat template script block failed on prompt '{p.Id}': {e.Message} Fix the script block; it receives the messages (ChatMessage[]) and a bool.", e);
                continue;
            }
            rendered.Add(new PromptRecord { Id = p.Id, Prompt = text, Answer = p.Answer, Metadata = p.Metadata });
        }
        return rendered;
    }

    protected override void ProcessRecord()
    {
        if (_mode is RolloutMode.Continue or RolloutMode.Probe)
        {
            if (InputObject!.BaseObject is Rollout r) _records.Add(r);
            else
                WriteRlError("RolloutExpected", ErrorCategory.InvalidType, InputObject.BaseObject,
                    $"{(Continue ? "-Continue" : "-Probe")} takes rollout records (from Invoke-RlRollout or Import-RlRollout), not {InputObject.BaseObject?.GetType().Name ?? "null"}.");
            return;
        }
        if (ToPrompt(InputObject!, prompts.Count) is PromptRecord p) prompts.Add(p);
    }

    private PromptRecord? ToPrompt(PSObject input, int index)
    {
        if (input.BaseObject is PromptRecord record) return record;
        if (input.BaseObject is string s) return new PromptRecord { Id = $"prompt-{index}", Prompt = s };
        string? text = Property(input, "Prompt")?.ToString();
        if (text is null)
        {
            WriteRlError("PromptMissing", ErrorCategory.InvalidData, input.BaseObject,
                "The input has no Prompt property. Pipe PromptRecord objects (Import-RlDataset), strings, or objects with a Prompt property (and optionally Id and Answer).");
            return null;
        }
        var rec = new PromptRecord
        {
            Id = (Property(input, "Id") ?? Property(input, "PromptId"))?.ToString() ?? $"prompt-{index}",
            Prompt = text,
            Answer = Property(input, "Answer")?.ToString(),
        };
        if (Bound(nameof(HintRatio)) && Property(input, HintField) is { } solution) rec.Metadata[HintField] = solution.ToString();
        if (Property(input, "Messages") is IEnumerable msgs and not string)
        {
            var list = new List<ChatMessage>();
            foreach (object? m in msgs)
            {
                if (m is null) continue;
                var pm = PSObject.AsPSObject(m);
                if (pm.BaseObject is ChatMessage cm) { list.Add(cm); continue; }
                string? role = (Property(pm, "Role") ?? (pm.BaseObject is IDictionary d ? d["role"] : null))?.ToString();
                string? content = (Property(pm, "Content") ?? (pm.BaseObject is IDictionary d2 ? d2["content"] : null))?.ToString();
                if (role is not null && content is not null) list.Add(new ChatMessage(role, content));
            }
            if (list.Count > 0) rec.Messages = list;
        }
        return rec;
    }

    private static object? Property(PSObject o, string name)
    {
        if (o.BaseObject is IDictionary d) { foreach (DictionaryEntry e in d) if (string.Equals(e.Key?.ToString(), name, StringComparison.OrdinalIgnoreCase)) return e.Value is PSObject p ? p.BaseObject : e.Value; return null; }
        object? v = o.Properties[name]?.Value;
        return v is PSObject ps ? ps.BaseObject : v;
    }

    protected override void EndProcessing()
    {
        if (_mode is RolloutMode.Continue or RolloutMode.Probe)
        {
            if (_records.Count > 0)
                RunPass([], MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : null, null, false, null, null,
                    Continue ? "Invoke-RlRollout -Continue" : "Invoke-RlRollout -Probe", null, Powers(), _records);
            return;
        }
        if (prompts.Count == 0) return;
        List<PromptRecord> work = _template is null ? prompts : Render(prompts);
        if (work.Count == 0) return;
        long? seed = MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : null;
        // With a template the prompt text is final: no system prompt or template again in the engine.
        string? system = _template is null ? SystemPrompt : null;
        bool rendered = _template is not null;

        bool hinting = Bound(nameof(HintRatio));
        IReadOnlyList<string?>? hintTexts = hinting ? HintTexts(work) : null;
        var firstPass = _schedule is null && HintSchedule is null ? null : new List<Rollout>();
        RolloutPowers first = HintSchedule is null ? Powers(hintTexts) : Powers();
        if (!RunPass(work, seed, system, rendered, null, null, _mode == RolloutMode.Tree ? "Invoke-RlRollout -Branching" : "Invoke-RlRollout", firstPass, first)) return;
        if (HintSchedule is not null) { HintPass(work, firstPass!, hintTexts!, seed, system, rendered); return; }
        if (_schedule is null) return;

        IReadOnlyList<DarsAllocation> plan;
        try { plan = DarsSchedule.Plan(firstPass!, _schedule); }
        catch (ArgumentException e)
        {
            ThrowRlError("ScheduleRewardMissing", ErrorCategory.InvalidData, Verifier,
                $"{e.Message} The verifier '{_verifierName}' gave no reward there: pass prompts with an Answer it can check, or pick another -Verifier.", e);
            return;
        }
        var extra = new int[work.Count];
        var firstIndex = new int[work.Count];
        var byId = new Dictionary<string, DarsAllocation>(StringComparer.Ordinal);
        foreach (DarsAllocation a in plan) byId.TryAdd(a.PromptId, a);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < work.Count; i++)
        {
            // A prompt id that appears twice gets its extra rollouts once, after the first pass's GroupSize samples.
            if (!seen.Add(work[i].Id) || !byId.TryGetValue(work[i].Id, out DarsAllocation? a)) continue;
            extra[i] = a.ExtraRollouts;
            firstIndex[i] = a.FirstPassRollouts;
        }
        if (extra.Sum() == 0) return;
        long? secondSeed = seed is long s0 ? RolloutSeed(s0) : null;
        RunPass(work, secondSeed, system, rendered, extra, firstIndex, $"Invoke-RlRollout ({Schedule} extra rollouts)", null, Powers());
    }

    /// <summary>Each prompt's reference solution for hints (metadata[-HintField]); a prompt without one is warned about and not hinted.</summary>
    private List<string?> HintTexts(List<PromptRecord> work)
    {
        var texts = new List<string?>(work.Count);
        foreach (PromptRecord p in work)
        {
            string? text = p.Metadata.TryGetValue(HintField, out object? v) ? v?.ToString() : null;
            if (string.IsNullOrEmpty(text)) WriteWarning($"Prompt '{p.Id}' has no '{HintField}' to hint from; its rollouts are not hinted. Name the field with -HintField.");
            texts.Add(string.IsNullOrEmpty(text) ? null : text);
        }
        return texts;
    }

    /// <summary>
    /// -HintSchedule Difficulty's second pass: each prompt whose first-pass pass rate p (reward ≥ 1 under -Verifier) is
    /// below 1 gets -HintSamples (default -GroupSize) hinted rollouts at ratio HintRatio·(1 − p), sample_index from -GroupSize on.
    /// </summary>
    private void HintPass(List<PromptRecord> work, List<Rollout> firstPass, IReadOnlyList<string?> hintTexts, long? seed, string? system, bool rendered)
    {
        var rate = firstPass.GroupBy(r => r.PromptId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(r => r.Reward >= 1) / (double)g.Count(), StringComparer.Ordinal);
        int extraCount = Bound(nameof(HintSamples)) ? HintSamples : GroupSize;
        var samples = new int[work.Count];
        var firstIndex = new int[work.Count];
        var ratios = new double[work.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < work.Count; i++)
        {
            double p = rate.TryGetValue(work[i].Id, out double x) ? x : 0;
            ratios[i] = HintRatio * (1 - p);
            if (!seen.Add(work[i].Id) || hintTexts[i] is null || p >= 1) continue;
            samples[i] = extraCount;
            firstIndex[i] = GroupSize;
        }
        if (samples.Sum() == 0) return;
        long? secondSeed = seed is long s0 ? RolloutSeed(s0) : null;
        RunPass(work, secondSeed, system, rendered, samples, firstIndex, "Invoke-RlRollout (hinted rollouts)", null, Powers(hintTexts, ratios, hintAll: true));
    }

    /// <summary>The second pass's seed: distinct from the first pass's, still fixed by -Seed.</summary>
    private static long RolloutSeed(long seed) => unchecked(seed * 6364136223846793005L + 1442695040888963407L) & long.MaxValue;

    /// <summary>One engine pass; scores and collects the rollouts into <paramref name="scored"/> when given. False when stopped.</summary>
    private bool RunPass(List<PromptRecord> work, long? seed, string? system, bool rendered, int[]? samples, int[]? firstIndex,
        string activity, List<Rollout>? scored, RolloutPowers powers, IReadOnlyList<Rollout>? records = null)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var (rollouts, batch, batches, done, total) in PolicyEngine.Rollout(Policy!, work, GroupSize, BatchSize, MaxTokens,
                         Temperature, TopP, TopK, MinP, Stop, StopTokenId, seed, system, null, rendered, samples, firstIndex, powers, records, _stop.Token))
            {
                if (scored is not null) Score(rollouts, scored);
                foreach (Rollout r in rollouts)
                {
                    // The run constant of SeqMeanTokenSumNorm (Update-RlPolicy), as a long (metadata's integer type, so it
                    // round-trips exactly). Continued and probed records keep the one of the run that sampled them (and a
                    // finished record passes through untouched).
                    if (_mode is RolloutMode.Sample or RolloutMode.Tree) r.Metadata["max_tokens"] = (long)MaxTokens;
                    WriteObject(r);
                }
                long tokens = rollouts.Sum(r => (long)r.CompletionLength);
                var progress = new ProgressRecord(1, activity, $"batch {batch + 1}/{batches}: {done}/{total} completions, {total - done} to go");
                progress.PercentComplete = total > 0 ? (int)(100L * done / total) : 100;
                progress.CurrentOperation = $"{tokens} tokens in the last batch; {clock.Elapsed.TotalSeconds:F1} s so far";
                WriteProgress(progress);
                if (Stopping) return false;
            }
        }
        catch (RlEngineException e)
        {
            ThrowRlError(e.ErrorId, e.Category, e.Target, e.Message, e);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return false; // Ctrl+C: the engine stopped between two decode steps
        }
        finally
        {
            if (!_stop.IsCancellationRequested) WriteProgress(new ProgressRecord(1, activity, "done") { RecordType = ProgressRecordType.Completed });
        }
        return true;
    }

    /// <summary>Ctrl+C: the engine checks this token before every decode step, so a long batch stops within one step.</summary>
    private readonly CancellationTokenSource _stop = new();

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Scores first-pass rollouts with -Verifier (reward and rewards[verifier]) so the schedule has pass rates.</summary>
    private void Score(IReadOnlyList<Rollout> batch, List<Rollout> into)
    {
        var results = RewardScorer.Verify(batch, [_verifier!], 0);
        for (int i = 0; i < batch.Count; i++)
        {
            RewardScorer.Apply(batch[i], [_verifierName], [results[i][0].Score], [1.0]);
            into.Add(batch[i]);
        }
    }
}
