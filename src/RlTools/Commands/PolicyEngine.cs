using System.Collections;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using RlTools.Core.IO;
using RlTools.Core.Records;
using RlTools.Torch;
using RlTools.Torch.Checkpoints;
using RlTools.Torch.Generation;
using RlTools.Torch.Models;
using RlTools.Torch.Tokenizers;

namespace RlTools.Commands;

/// <summary>An engine failure translated for the cmdlets: a stable id, a category, a target and what to fix.</summary>
internal sealed class RlEngineException(string errorId, ErrorCategory category, object? target, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string ErrorId { get; } = errorId;
    public ErrorCategory Category { get; } = category;
    public object? Target { get; } = target;
}

/// <summary>
/// The policy cmdlets' only doors into RlTools.Torch. Every method is NoInlining so that the engine (and libtorch) is
/// resolved only when a policy command runs; engine exceptions become <see cref="RlEngineException"/>.
/// </summary>
internal static class PolicyEngine
{
    private static RlEngineException Translate(Exception e) => e switch
    {
        CheckpointException c => new RlEngineException(c.ErrorId,
            c.ErrorId.EndsWith("NotFound", StringComparison.Ordinal) ? ErrorCategory.ObjectNotFound
                : c.ErrorId == "CudaUnavailable" ? ErrorCategory.NotInstalled : ErrorCategory.InvalidData,
            c.TensorName is null ? c.File : $"{c.File}:{c.TensorName}", c.Message, c),
        ModelConfigException m => new RlEngineException(m.ErrorId,
            m.ErrorId == "ConfigNotFound" ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidData, m.File, m.Message, m),
        TokenizerRegexTimeoutException t => new RlEngineException(TokenizerRegexTimeoutException.ErrorId, ErrorCategory.OperationTimeout, null, t.Message, t),
        UnsafeFileException u => new RlEngineException(u.ErrorId, ErrorCategory.InvalidData, u.Path, u.Message, u),
        PromptException p => new RlEngineException(p.ErrorId, ErrorCategory.InvalidData, p.PromptId, p.Message, p),
        ArgumentException a => new RlEngineException("InvalidArgument", ErrorCategory.InvalidArgument, null, a.Message, a),
        NotSupportedException n => new RlEngineException("NotSupported", ErrorCategory.NotImplemented, null, n.Message, n),
        System.Runtime.InteropServices.ExternalException x when IsAllocationFailure(x.Message) => new RlEngineException("OutOfMemory", ErrorCategory.ResourceUnavailable, null,
            $"libtorch could not allocate memory ({FirstLine(x.Message)}). Lower -BatchSize, -MaxTokens or the model size, or free memory.", x),
        System.Runtime.InteropServices.ExternalException x => new RlEngineException("TorchFailure", ErrorCategory.NotSpecified, null,
            $"libtorch failed: {FirstLine(x.Message)}", x),
        _ => new RlEngineException("EngineFailure", ErrorCategory.NotSpecified, null, FirstLine(e.Message), e),
    };

    /// <summary>The first line of a message: libtorch appends C++ stack frames that mean nothing to a user.</summary>
    internal static string FirstLine(string message)
    {
        int nl = message.IndexOf('\n');
        string line = (nl < 0 ? message : message[..nl]).Trim();
        const string prefix = "Exception raised from";
        int at = line.IndexOf(prefix, StringComparison.Ordinal);
        return at > 0 ? line[..at].Trim() : line;
    }

    internal static bool IsAllocationFailure(string message)
        => message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase) || message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
           || message.Contains("DefaultCPUAllocator", StringComparison.Ordinal);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Policy Import(string path, string device, string dtype, bool frozen, bool allowNonFinite = false)
    {
        try { return PolicyFiles.Load(path, device, dtype, frozen, allowNonFinite); }
        catch (Exception e) when (e is not RlEngineException and not OutOfMemoryException) { throw Translate(e); }
    }

    /// <summary>Config: an IDictionary of config.json keys, a config.json path (file or folder), or a preset name.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Policy New(object config, string? configPath, string tokenizer, string? tokenizerPath, long? seed, string device, string dtype)
    {
        try
        {
            ITokenizer tok = tokenizerPath is null ? new ByteTokenizer() : PolicyFiles.LoadTokenizer(tokenizerPath);
            ModelConfig cfg;
            if (config is IDictionary map)
            {
                var copy = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry e in map) copy[e.Key] = e.Value is PSObject pso ? pso.BaseObject : e.Value;
                if (!copy.ContainsKey("vocab_size")) copy["vocab_size"] = tok.VocabSize;
                cfg = ModelConfig.FromMap(copy);
            }
            else if (configPath is not null) cfg = ModelConfig.Load(Directory.Exists(configPath) ? Path.Combine(configPath, "config.json") : configPath);
            else
            {
                cfg = ModelConfig.Preset(config.ToString() ?? "");
                cfg.VocabSize = tok.VocabSize; // a preset takes the tokenizer's vocabulary
            }
            return PolicyFiles.New(cfg, tok, tokenizerPath, seed, device, dtype);
        }
        catch (Exception e) when (e is not RlEngineException and not OutOfMemoryException) { throw Translate(e); }
    }

    /// <summary>
    /// Writes the checkpoint; with <paramref name="includeTrainerState"/> and a policy that has trainer state, the
    /// state (optimizer moments, step, schedule, RNG) goes into the same temporary folder after the weights, so the
    /// whole folder appears with one rename. Returns true when trainer state was written.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool Export(Policy policy, string path, bool includeTrainerState = false)
    {
        var state = includeTrainerState ? policy.TrainerState as RlTools.Torch.Training.TrainerState : null;
        try
        {
            PolicyFiles.Save(policy, path, writeExtra: state is null ? null : state.WriteTo);
            return state != null;
        }
        catch (Exception e) when (e is not RlEngineException and not OutOfMemoryException and not IOException and not UnauthorizedAccessException) { throw Translate(e); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IEnumerable<(IReadOnlyList<Rollout> Rollouts, int Batch, int Batches, int Done, int Total)> Rollout(
        Policy policy, IReadOnlyList<PromptRecord> prompts, int groupSize, int batchSize, int maxTokens, double temperature,
        double topP, int topK, double minP, string[] stop, int[] stopTokenIds, long? seed, string? systemPrompt,
        Func<IReadOnlyList<ChatMessage>, string>? chatTemplate, bool promptsAreRendered = false,
        IReadOnlyList<int>? samplesPerPrompt = null, IReadOnlyList<int>? firstSampleIndex = null,
        RolloutPowers? powers = null, IReadOnlyList<Rollout>? records = null, CancellationToken cancellation = default)
    {
        var request = new RolloutRequest
        {
            GroupSize = groupSize, BatchSize = batchSize, Seed = seed, SystemPrompt = systemPrompt, ChatTemplate = chatTemplate,
            PromptsAreRendered = promptsAreRendered, SamplesPerPrompt = samplesPerPrompt, FirstSampleIndex = firstSampleIndex,
            Sampling = new SamplingOptions
            {
                MaxNewTokens = maxTokens, Temperature = temperature, TopP = topP, TopK = topK, MinP = minP,
                StopStrings = stop, StopTokenIds = stopTokenIds, Cancellation = cancellation,
            },
        };
        IEnumerator<RolloutBatch> it;
        try { it = Produce(policy, prompts, request, powers ?? new RolloutPowers(), records).GetEnumerator(); }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException) { throw Translate(e); }
        using (it)
        {
            while (true)
            {
                RolloutBatch b;
                try
                {
                    if (!it.MoveNext()) yield break;
                    b = it.Current;
                }
                catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException) { throw Translate(e); }
                yield return (b.Rollouts, b.BatchIndex, b.BatchCount, b.RowsDone, b.RowsTotal);
            }
        }
    }

    /// <summary>The engine producer for <paramref name="powers"/>, with its extras (adaptive temperature, effective rank, hints) set.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IEnumerable<RolloutBatch> Produce(Policy policy, IReadOnlyList<PromptRecord> prompts, RolloutRequest request, RolloutPowers powers,
        IReadOnlyList<Rollout>? records)
    {
        if (powers.AdaptiveTemperature || powers.EffectiveRank)
            request.Extras = new DecodeExtras
            {
                Temperature = powers.AdaptiveTemperature
                    ? AdaptiveTemperature.FromEntropies((powers.EntropyBaseline ?? []).Where(r => r.Entropies is not null).Select(r => r.Entropies!), powers.TemperatureTau, powers.EntropyPivot)
                    : null,
                Rank = powers.EffectiveRank ? new EffectiveRankOptions { Stride = powers.RankStride, Window = powers.RankWindow } : null,
            };
        request.Dedup = powers.Dedup;
        if (powers.HintTexts is { } hints)
        {
            request.HintTokens = hints.Select(h => string.IsNullOrEmpty(h) ? null : policy.Tokenizer.Encode(h, addSpecialTokens: false)).ToList();
            request.HintRatios = powers.HintRatios;
            request.HintRatio = powers.HintRatio;
            request.HintSamples = powers.HintSamples;
        }
        return powers.Mode switch
        {
            RolloutMode.Continue => RolloutEngine.Continue(policy, records!, request),
            RolloutMode.Probe => RolloutEngine.Probe(policy, records!, request, new ProbeRequest
            {
                Mode = Enum.Parse<CutMode>(powers.CutAt, ignoreCase: true), Threshold = powers.ProbeThreshold, Interval = powers.ProbeInterval,
                Delimiter = powers.StepDelimiter, Positions = powers.CutPositions, Samples = powers.ProbeSamples, Suffix = powers.ProbeSuffix, Answer = powers.ProbeAnswer,
            }),
            RolloutMode.Tree => RolloutEngine.Tree(policy, prompts, request, new TreeRequest { Branching = powers.Branching, SegmentTokens = powers.SegmentTokens }),
            _ => RolloutEngine.Run(policy, prompts, request),
        };
    }

    /// <summary>Recomputes log-probs and entropies of each rollout's completion under <paramref name="policy"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static (float[][] Logprobs, float[][] Entropies) LogProbs(Policy policy, IReadOnlyList<Rollout> rollouts, double temperature, int batchSize)
    {
        try
        {
            long vocab = policy.Model.VocabSize;
            foreach (Rollout r in rollouts)
                foreach (int id in r.PromptTokens!.Concat(r.CompletionTokens!))
                    if (id < 0 || id >= vocab)
                        throw new RlEngineException("TokenOutOfVocabulary", ErrorCategory.InvalidData, r.PromptId,
                            $"Rollout '{r.PromptId}' #{r.SampleIndex} has token id {id}, outside this policy's vocabulary (0..{vocab - 1}). Use the policy (and tokenizer) that produced the rollouts.");
            return TextGenerator.LogProbs(policy.Model, rollouts.Select(r => (r.PromptTokens!, r.CompletionTokens!)).ToList(), temperature, batchSize);
        }
        catch (Exception e) when (e is not RlEngineException and not OutOfMemoryException) { throw Translate(e); }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long VocabSize(Policy policy) => policy.Model.VocabSize;
}
