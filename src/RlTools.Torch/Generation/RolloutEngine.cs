using RlTools.Core.Records;
using RlTools.Torch.Models;

namespace RlTools.Torch.Generation;

/// <summary>What <see cref="RolloutEngine.Run"/> needs besides the policy and the prompts.</summary>
public sealed class RolloutRequest
{
    /// <summary>Completions per prompt (G).</summary>
    public int GroupSize { get; set; } = 1;

    /// <summary>Rows (prompt × sample) decoded together.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Sampling settings; <see cref="SamplingOptions.Seed"/> is replaced per batch from <see cref="Seed"/>.</summary>
    public SamplingOptions Sampling { get; set; } = new();

    /// <summary>Base seed; batch i samples with a seed derived from (seed, i). Null: a random seed.</summary>
    public long? Seed { get; set; }

    /// <summary>A system message put before prompts that do not carry one.</summary>
    public string? SystemPrompt { get; set; }

    /// <summary>Turns the chat messages into the prompt text; null: <see cref="RolloutEngine.PlainTemplate"/>.</summary>
    public Func<IReadOnlyList<ChatMessage>, string>? ChatTemplate { get; set; }

    /// <summary>
    /// The prompts' <see cref="PromptRecord.Prompt"/> is final text already rendered by a chat template: messages,
    /// <see cref="SystemPrompt"/> and <see cref="ChatTemplate"/> are not applied, and special tokens (BOS) are added
    /// only when the text does not already contain the BOS token's text (so a template's BOS is not doubled).
    /// </summary>
    public bool PromptsAreRendered { get; set; }

    /// <summary>Completions per prompt, one entry per prompt (0 allowed); null: <see cref="GroupSize"/> for every prompt.</summary>
    public IReadOnlyList<int>? SamplesPerPrompt { get; set; }

    /// <summary>The sample_index of each prompt's first completion (one entry per prompt); null: 0 for every prompt.</summary>
    public IReadOnlyList<int>? FirstSampleIndex { get; set; }

    /// <summary>Per-token adaptive temperature and hidden-state effective rank (<see cref="DecodeExtras"/>); null: neither.</summary>
    public DecodeExtras? Extras { get; set; }

    /// <summary>Hints (ADHint): per prompt, the reference solution's tokens, or null for no hint.</summary>
    public IReadOnlyList<int[]?>? HintTokens { get; set; }

    /// <summary>Per prompt, the fraction of <see cref="HintTokens"/> forced as the hint (0..1); null: <see cref="HintRatio"/>.</summary>
    public IReadOnlyList<double>? HintRatios { get; set; }

    /// <summary>The hint ratio of every prompt when <see cref="HintRatios"/> is null.</summary>
    public double HintRatio { get; set; }

    /// <summary>How many of each prompt's samples (the first ones) are hinted; null: all.</summary>
    public int? HintSamples { get; set; }

    /// <summary>Continue / probe: decode identical prefixes once and fan the result out to every record asking for it (SPO).</summary>
    public bool Dedup { get; set; } = true;
}

/// <summary>One decoded batch: its rollouts and where the run stands.</summary>
public sealed record RolloutBatch(IReadOnlyList<Rollout> Rollouts, int BatchIndex, int BatchCount, int RowsDone, int RowsTotal);

/// <summary>Prompts in, rollout records out: formats and tokenizes each prompt, expands it to G rows, decodes batches.</summary>
public static partial class RolloutEngine
{
    /// <summary>The default template: message contents joined by a blank line (a lone user message is its text unchanged).</summary>
    public static string PlainTemplate(IReadOnlyList<ChatMessage> messages) => string.Join("\n\n", messages.Select(m => m.Content));

    /// <summary>The chat messages of <paramref name="prompt"/>: its own, or one user message, with the system prompt first when missing.</summary>
    public static List<ChatMessage> Messages(PromptRecord prompt, string? systemPrompt)
    {
        var messages = prompt.Messages is { Count: > 0 } m ? new List<ChatMessage>(m) : new List<ChatMessage> { new("user", prompt.Prompt) };
        if (!string.IsNullOrEmpty(systemPrompt) && !messages.Any(x => x.Role == "system")) messages.Insert(0, new ChatMessage("system", systemPrompt));
        return messages;
    }

    /// <summary>Decodes every prompt <see cref="RolloutRequest.GroupSize"/> times, batch by batch (a lazy sequence).</summary>
    public static IEnumerable<RolloutBatch> Run(Policy policy, IReadOnlyList<PromptRecord> prompts, RolloutRequest request)
    {
        DecoderLM model = Check(policy, request);
        if (request.GroupSize < 1) throw new ArgumentException("GroupSize must be at least 1.", nameof(request));
        if (request.HintTokens is { } ht && ht.Count != prompts.Count) throw new ArgumentException("HintTokens needs one entry (or null) per prompt.", nameof(request));
        if (request.HintRatios is { } hr && hr.Count != prompts.Count) throw new ArgumentException("HintRatios needs one ratio per prompt.", nameof(request));
        foreach (double ratio in request.HintRatios ?? [request.HintRatio]) HintLength(0, ratio);
        long baseSeed = request.Seed ?? Random.Shared.NextInt64();
        var (texts, ids) = Encode(policy, prompts, request);
        return Sample(policy, model, prompts, request, baseSeed, texts, ids);
    }

    /// <summary>The policy's decoder, after checking the request's shared settings.</summary>
    private static DecoderLM Check(Policy policy, RolloutRequest request)
    {
        if (policy.Model is not DecoderLM model)
            throw new NotSupportedException($"Rollouts need a decoder model with a KV cache; this policy holds {policy.Model.GetType().Name}.");
        if (request.BatchSize < 1) throw new ArgumentException("BatchSize must be at least 1.", nameof(request));
        if (request.Sampling.Validate() is string bad) throw new ArgumentException(bad, nameof(request));
        if (request.Extras?.Temperature is not null && request.Sampling.Temperature == 0)
            throw new ArgumentException("Adaptive temperature needs a base temperature above 0 (0 is greedy).", nameof(request));
        if (request.Extras?.Rank is { } rank && (rank.Stride < 1 || rank.Window < 2))
            throw new ArgumentException("The effective rank needs a stride of at least 1 and a window of at least 2 tokens.", nameof(request));
        return model;
    }

    /// <summary>Each prompt's text (templated unless rendered) and token ids.</summary>
    private static (string[] Texts, int[][] Ids) Encode(Policy policy, IReadOnlyList<PromptRecord> prompts, RolloutRequest request)
    {
        var template = request.ChatTemplate ?? PlainTemplate;

        if (request.SamplesPerPrompt is { } spp && (spp.Count != prompts.Count || spp.Any(x => x < 0)))
            throw new ArgumentException("SamplesPerPrompt needs one count of 0 or more per prompt.", nameof(request));
        if (request.FirstSampleIndex is { } fsi && (fsi.Count != prompts.Count || fsi.Any(x => x < 0)))
            throw new ArgumentException("FirstSampleIndex needs one index of 0 or more per prompt.", nameof(request));
        string? bosText = request.PromptsAreRendered && policy.Tokenizer.BosTokenId is int bos
            ? policy.Tokenizer.Decode(new[] { bos }, skipSpecialTokens: false) : null;

        var texts = new string[prompts.Count];
        var ids = new int[prompts.Count][];
        for (int i = 0; i < prompts.Count; i++)
        {
            texts[i] = request.PromptsAreRendered ? prompts[i].Prompt : template(Messages(prompts[i], request.SystemPrompt));
            bool addSpecial = !request.PromptsAreRendered || string.IsNullOrEmpty(bosText) || !texts[i].Contains(bosText, StringComparison.Ordinal);
            ids[i] = policy.Tokenizer.Encode(texts[i], addSpecialTokens: addSpecial);
            if (ids[i].Length == 0) throw new PromptException(prompts[i].Id, $"Prompt '{prompts[i].Id}' encodes to no tokens; give it some text.");
        }
        return (texts, ids);
    }

    private static IEnumerable<RolloutBatch> Sample(Policy policy, DecoderLM model, IReadOnlyList<PromptRecord> prompts, RolloutRequest request,
        long baseSeed, string[] texts, int[][] ids)
    {

        // Rows in prompt-major order: (prompt index, sample_index).
        var rowMap = new List<(int Prompt, int Sample)>();
        for (int i = 0; i < prompts.Count; i++)
        {
            int count = request.SamplesPerPrompt?[i] ?? request.GroupSize, start = request.FirstSampleIndex?[i] ?? 0;
            for (int s = 0; s < count; s++) rowMap.Add((i, start + s));
        }
        int rows = rowMap.Count;
        int batches = (rows + request.BatchSize - 1) / request.BatchSize;
        for (int bi = 0; bi < batches; bi++)
        {
            int first = bi * request.BatchSize, n = Math.Min(request.BatchSize, rows - first);
            var batchRows = new DecodeRow[n];
            var hintRatio = new double?[n];
            for (int r = 0; r < n; r++)
            {
                var (pi, sample) = rowMap[first + r];
                int[] forced = [];
                if (request.HintTokens?[pi] is int[] solution && (request.HintSamples is not int k || sample - (request.FirstSampleIndex?[pi] ?? 0) < k))
                {
                    double ratio = request.HintRatios?[pi] ?? request.HintRatio;
                    forced = solution[..HintLength(solution.Length, ratio)];
                    if (forced.Length > 0) hintRatio[r] = ratio;
                }
                batchRows[r] = new DecodeRow { Prompt = ids[pi], Forced = forced };
            }
            Completion[] done = Decode(policy, model, batchRows, request, MixSeed(baseSeed, bi));
            var outRows = new Rollout[n];
            for (int r = 0; r < n; r++)
            {
                int pi = rowMap[first + r].Prompt;
                PromptRecord p = prompts[pi];
                var ro = new Rollout
                {
                    PromptId = p.Id,
                    SampleIndex = rowMap[first + r].Sample,
                    Prompt = texts[pi],
                    Answer = p.Answer,
                    PromptTokens = (int[])ids[pi].Clone(),
                    Step = policy.Step,
                    Metadata = new Dictionary<string, object?>(p.Metadata, StringComparer.Ordinal),
                };
                Fill(ro, done[r]);
                if (hintRatio[r] is double hr)
                {
                    ro.IsHint = true;
                    ro.HintRatio = hr;
                    ro.LossMask = Mask(done[r].Tokens.Length, done[r].ForcedCount);
                }
                outRows[r] = ro;
            }
            yield return new RolloutBatch(outRows, bi, batches, first + n, rows);
        }
    }

    /// <summary>Hint tokens for a solution of <paramref name="length"/> tokens at <paramref name="ratio"/>: ⌈ratio·length⌉ (0 for ratio 0).</summary>
    public static int HintLength(int length, double ratio)
    {
        if (!(ratio >= 0 && ratio <= 1)) throw new ArgumentException($"A hint ratio is a fraction in [0, 1], not {ratio}.", nameof(ratio));
        return Math.Min(length, (int)Math.Ceiling(ratio * length - 1e-9));
    }

    /// <summary>A loss mask of <paramref name="length"/> with the first <paramref name="zeros"/> entries 0 and the rest 1.</summary>
    internal static float[] Mask(int length, int zeros)
    {
        var m = new float[length];
        for (int j = zeros; j < length; j++) m[j] = 1f;
        return m;
    }

    /// <summary>Decodes one batch of rows with the request's sampling, the policy's stop tokens and <paramref name="seed"/>.</summary>
    internal static Completion[] Decode(Policy policy, DecoderLM model, IReadOnlyList<DecodeRow> rows, RolloutRequest request, long seed)
    {
        var sampling = Copy(request.Sampling);
        sampling.Seed = seed;
        if (policy.StopTokenIds.Length > 0) sampling.StopTokenIds = sampling.StopTokenIds.Concat(policy.StopTokenIds).Distinct().ToArray();
        return TextGenerator.Generate(model, policy.Tokenizer, rows, sampling, request.Extras);
    }

    /// <summary>Sets the completion fields of <paramref name="r"/> from <paramref name="c"/> (text, tokens, per-token numbers, effective rank).</summary>
    internal static void Fill(Rollout r, Completion c)
    {
        r.Completion = c.Text;
        r.FinishReason = c.FinishReason;
        r.CompletionTokens = c.Tokens;
        r.Logprobs = c.Logprobs;
        r.Entropies = c.Entropies;
        r.Temperatures = c.Temperatures;
        r.EffectiveRank = c.EffectiveRank;
        r.EffectiveRankVelocity = c.EffectiveRankVelocity;
        r.EffectiveRankAcceleration = c.EffectiveRankAcceleration;
    }

    /// <summary>A seed for batch <paramref name="batch"/> of a run seeded with <paramref name="seed"/> (SplitMix64 finaliser).</summary>
    public static long MixSeed(long seed, int batch)
    {
        ulong z = unchecked((ulong)seed + 0x9E3779B97F4A7C15UL * (ulong)(batch + 1));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (long)((z ^ (z >> 31)) & 0x7FFFFFFFFFFFFFFFUL);
    }

    private static SamplingOptions Copy(SamplingOptions o) => new()
    {
        MaxNewTokens = o.MaxNewTokens, Temperature = o.Temperature, TopK = o.TopK, TopP = o.TopP, MinP = o.MinP,
        StopStrings = o.StopStrings, StopTokenIds = o.StopTokenIds, IgnoreEos = o.IgnoreEos, Seed = o.Seed, Cancellation = o.Cancellation,
    };
}

/// <summary>A prompt (or rollout record) that cannot be rolled out (e.g. it encodes to no tokens).</summary>
public sealed class PromptException(string promptId, string message, string errorId = "PromptHasNoTokens") : Exception(message)
{
    public string PromptId { get; } = promptId;

    /// <summary>The error id the cmdlets report (PromptHasNoTokens, RolloutTokensMissing).</summary>
    public string ErrorId { get; } = errorId;
}
