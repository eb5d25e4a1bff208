using RlTools.Torch.Models;
using RlTools.Torch.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Generation;

/// <summary>
/// Batched, KV-cached sampling. Prompts of different lengths are left-padded into one batch; padding is masked out of
/// attention and rotary positions count real tokens only, so a row gives the same numbers batched as alone (up to
/// floating-point summation order). Everything runs inside dispose scopes; only plain arrays leave.
/// </summary>
public static class TextGenerator
{
    /// <summary>
    /// Samples one completion per prompt in <paramref name="prompts"/> (token ids, each non-empty), all in one batch.
    /// Sampling draws from one <see cref="torch.Generator"/> seeded with <see cref="SamplingOptions.Seed"/>.
    /// </summary>
    public static Completion[] Generate(DecoderLM model, ITokenizer tokenizer, IReadOnlyList<int[]> prompts, SamplingOptions options)
        => Generate(model, tokenizer, prompts.Select(p => new DecodeRow { Prompt = p }).ToList(), options, null);

    /// <summary>
    /// Decodes every row in one batch: the row's <see cref="DecodeRow.Forced"/> tokens (a completion prefix: a
    /// continued completion, a probe's prefix, a hint, a tree node's path) are teacher-forced, then up to
    /// <see cref="DecodeRow.MaxNewTokens"/> tokens are sampled. The completion holds forced + sampled tokens, with the
    /// log-prob and entropy of every one under the sampler's distribution (the forced ones computed from the same
    /// forward pass that fills the cache), so a continuation equals sampling the whole completion in one go.
    /// <paramref name="extras"/>: per-token adaptive temperature (HAPO) and hidden-state effective rank (VERL).
    /// </summary>
    public static Completion[] Generate(DecoderLM model, ITokenizer tokenizer, IReadOnlyList<DecodeRow> rows, SamplingOptions options, DecodeExtras? extras)
    {
        if (options.Validate() is string bad) throw new ArgumentException(bad, nameof(options));
        if (rows.Count == 0) return Array.Empty<Completion>();
        AdaptiveTemperature? adaptive = extras?.Temperature;
        if (adaptive is not null && options.Temperature == 0) throw new ArgumentException("Adaptive temperature needs a base temperature above 0 (0 is greedy).", nameof(extras));
        EffectiveRankOptions? rank = extras?.Rank;
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Prompt.Length == 0) throw new ArgumentException($"Prompt {i} has no tokens.", nameof(rows));
            if (rows[i].MaxNewTokens is int m && m < 0) throw new ArgumentException($"Row {i} asks for {m} new tokens.", nameof(rows));
            foreach (int id in rows[i].Prompt.Concat(rows[i].Forced))
                if (id < 0 || id >= model.VocabSize) throw new ArgumentException($"Token id {id} is outside the model's vocabulary (0..{model.VocabSize - 1}).", nameof(rows));
        }

        int b = rows.Count;
        var maxNew = new int[b];
        for (int r = 0; r < b; r++) maxNew[r] = rows[r].MaxNewTokens ?? options.MaxNewTokens;
        int ctxLen = rows.Max(x => x.Prompt.Length + x.Forced.Length);
        int maxForced = rows.Max(x => x.Forced.Length);
        int capacity = ctxLen + Math.Max(1, maxNew.Max());
        long pad = tokenizer.PadTokenId ?? tokenizer.EosTokenId ?? 0;
        var stopIds = new HashSet<int>(options.StopTokenIds);
        if (!options.IgnoreEos && tokenizer.EosTokenId is int eos) stopIds.Add(eos);
        Device dev = model.Device;

        var ids = new long[b * ctxLen];
        var mask = new long[b * ctxLen];
        for (int r = 0; r < b; r++)
        {
            int[] ctx = [.. rows[r].Prompt, .. rows[r].Forced];
            int off = ctxLen - ctx.Length;
            for (int j = 0; j < off; j++) ids[r * ctxLen + j] = pad;
            for (int j = 0; j < ctx.Length; j++) { ids[r * ctxLen + off + j] = ctx[j]; mask[r * ctxLen + off + j] = 1; }
        }

        var tokens = new List<int>[b];
        var logps = new List<float>[b];
        var ents = new List<float>[b];
        var temps = adaptive is null ? null : new List<float>[b];
        var hidden = rank is null ? null : new List<float[]>[b];
        var reason = new string?[b];
        var forcedText = new int[b];
        for (int r = 0; r < b; r++)
        {
            tokens[r] = new(rows[r].Forced); logps[r] = new(); ents[r] = new();
            if (temps is not null) temps[r] = new();
            if (hidden is not null) hidden[r] = new();
            if (options.StopStrings.Count > 0 && rows[r].Forced.Length > 0) forcedText[r] = DecodeKnown(tokenizer, tokens[r]).Length;
            if (maxNew[r] == 0) reason[r] = "length";
        }
        int open = reason.Count(x => x is null);

        using var threads = ThreadScope.For(model);
        using var scope = NewDisposeScope();
        using var noGrad = inference_mode();
        using KvCache cache = model.NewCache(b, capacity);
        using var gen = new torch.Generator((ulong)options.Seed, dev);
        Tensor idT = tensor(ids, new long[] { b, ctxLen }, device: dev);
        Tensor maskT = tensor(mask, new long[] { b, ctxLen }, device: dev);
        Tensor positions = (maskT.cumsum(1) - 1).clamp_min(0);
        Tensor nextPos = maskT.sum(1, keepdim: true); // [B, 1]: real tokens so far = position of the next token
        // The last maxForced + 1 positions: row r's forced tokens are predicted at the maxForced - F_r .. maxForced - 1
        // of them, its first new token at the last one.
        Tensor h = model.Hidden(idT, maskT, positions, cache, allReal: false).narrow(1, ctxLen - maxForced - 1, maxForced + 1);
        if (maxForced > 0) Teacher(model, h.narrow(1, 0, maxForced), rows, options.Temperature, adaptive, logps, ents, temps, hidden, rank);
        Tensor last = h.narrow(1, maxForced, 1); // [B, 1, D]
        Tensor logits = model.Logits(last).squeeze(1).MoveToOuterDisposeScope();
        float[]? lastHidden = hidden is null ? null : last.squeeze(1).to(ScalarType.Float32).cpu().data<float>().ToArray();
        Tensor oneMask = ones(b, 1, ScalarType.Int64, dev);
        // Decode steps: the kernel splits the weights over the cores, libtorch's small ops run on one thread.
        using var decodeThreads = DecodeGemm.DecodeThreads(model);

        int d = (int)model.Config.HiddenSize;
        while (open > 0)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            Tensor? t = adaptive?.Temperatures(logits, options.Temperature);
            var (tok, lp, ent) = Sample(logits, options, gen, t);
            long[] tk = tok.cpu().data<long>().ToArray();
            float[] l = lp.cpu().data<float>().ToArray();
            float[] e = ent.cpu().data<float>().ToArray();
            float[]? tt = t?.cpu().data<float>().ToArray();
            for (int r = 0; r < b; r++)
            {
                if (reason[r] is not null) continue;
                int id = (int)tk[r];
                tokens[r].Add(id); logps[r].Add(l[r]); ents[r].Add(e[r]);
                temps?[r].Add(tt![r]);
                if (hidden is not null && hidden[r].Count < rank!.Window) hidden[r].Add(lastHidden.AsSpan(r * d, d).ToArray());
                if (stopIds.Contains(id) || HitsStopString(tokenizer, tokens[r], options.StopStrings, forcedText[r])) reason[r] = "stop";
                else if (tokens[r].Count - rows[r].Forced.Length >= maxNew[r]) reason[r] = "length";
                if (reason[r] is not null) open--;
            }
            if (open == 0) break;
            Tensor hNext = model.Hidden(tok.view(b, 1), oneMask, nextPos, cache, allReal: true);
            if (hidden is not null) lastHidden = hNext.squeeze(1).to(ScalarType.Float32).cpu().data<float>().ToArray();
            Tensor next = model.Logits(hNext).squeeze(1).MoveToOuterDisposeScope();
            nextPos.add_(1);
            logits.Dispose();
            logits = next;
        }

        var result = new Completion[b];
        for (int r = 0; r < b; r++)
        {
            (double, double, double)? er = hidden is null ? null : EffectiveRank.Measure(hidden[r], d, rank!.Stride);
            result[r] = new Completion
            {
                Tokens = tokens[r].ToArray(), Logprobs = logps[r].ToArray(), Entropies = ents[r].ToArray(),
                Temperatures = temps?[r].ToArray(), ForcedCount = rows[r].Forced.Length,
                FinishReason = reason[r] ?? "length", Text = DecodeKnown(tokenizer, tokens[r]),
                EffectiveRank = er?.Item1, EffectiveRankVelocity = er?.Item2, EffectiveRankAcceleration = er?.Item3,
            };
        }
        return result;
    }

    /// <summary>
    /// Log-prob and entropy (and adaptive temperature, and hidden state) of every forced token, from the prefill's
    /// final hidden states <paramref name="h"/> <c>[B, Fmax, D]</c> (right-aligned), a few positions at a time so the
    /// logits never hold more than ~16M numbers.
    /// </summary>
    private static void Teacher(DecoderLM model, Tensor h, IReadOnlyList<DecodeRow> rows, double temperature, AdaptiveTemperature? adaptive,
        List<float>[] logps, List<float>[] ents, List<float>[]? temps, List<float[]>[]? hidden, EffectiveRankOptions? rank)
    {
        int b = rows.Count, fmax = (int)h.shape[1], d = (int)h.shape[2];
        var target = new long[b * fmax];
        for (int r = 0; r < b; r++)
        {
            int[] f = rows[r].Forced;
            for (int j = 0; j < f.Length; j++) target[r * fmax + fmax - f.Length + j] = f[j];
        }
        Tensor targetT = tensor(target, new long[] { b, fmax }, device: h.device);
        int chunk = (int)Math.Max(1, 16_000_000 / Math.Max(1, (long)b * model.VocabSize));
        var lp = new float[b * fmax];
        var en = new float[b * fmax];
        var tp = new float[b * fmax];
        for (int c0 = 0; c0 < fmax; c0 += chunk)
        {
            using var chunkScope = NewDisposeScope();
            int n = Math.Min(chunk, fmax - c0);
            Tensor logits = model.Logits(h.narrow(1, c0, n)); // [B, n, V]
            Tensor? t = adaptive?.Temperatures(logits, temperature);
            double temp = temperature == 0 ? 1 : temperature;
            Tensor scaled = t is not null ? logits / t.unsqueeze(-1) : temp == 1 ? logits : logits / temp;
            Tensor logp = scaled.log_softmax(-1);
            Tensor ent = -(logp.exp() * logp).sum(-1);
            Tensor tokLp = logp.gather(-1, targetT.narrow(1, c0, n).unsqueeze(-1)).squeeze(-1);
            Copy(tokLp, lp, b, fmax, c0, n);
            Copy(ent, en, b, fmax, c0, n);
            if (t is not null) Copy(t, tp, b, fmax, c0, n);
        }
        float[]? hs = hidden is null ? null : h.to(ScalarType.Float32).cpu().data<float>().ToArray();
        for (int r = 0; r < b; r++)
        {
            int f = rows[r].Forced.Length;
            for (int j = fmax - f; j < fmax; j++)
            {
                logps[r].Add(lp[r * fmax + j]); ents[r].Add(en[r * fmax + j]);
                temps?[r].Add(tp[r * fmax + j]);
                if (hidden is not null && hidden[r].Count < rank!.Window) hidden[r].Add(hs.AsSpan((r * fmax + j) * d, d).ToArray());
            }
        }
    }

    private static void Copy(Tensor src, float[] dst, int b, int fmax, int c0, int n)
    {
        float[] host = src.to(ScalarType.Float32).cpu().data<float>().ToArray();
        for (int r = 0; r < b; r++) Array.Copy(host, r * n, dst, r * fmax + c0, n);
    }

    /// <summary>
    /// The text of <paramref name="tokens"/>, leaving out ids the tokenizer does not have: a model's embedding is often
    /// padded past the tokenizer (Qwen2.5: 151,936 rows, 151,665 tokens), and such ids have no text.
    /// </summary>
    private static string DecodeKnown(ITokenizer tokenizer, List<int> tokens)
    {
        int v = tokenizer.VocabSize;
        return tokenizer.Decode(tokens.TrueForAll(t => t < v) ? tokens : tokens.FindAll(t => t < v), skipSpecialTokens: true);
    }

    /// <summary>True when a stop string occurs in the completion text and ends past the first <paramref name="forcedChars"/> characters (forced text never stops a row by itself).</summary>
    private static bool HitsStopString(ITokenizer tokenizer, List<int> tokens, IReadOnlyList<string> stops, int forcedChars)
    {
        if (stops.Count == 0) return false;
        string text = DecodeKnown(tokenizer, tokens);
        foreach (string s in stops)
            if (text.IndexOf(s, Math.Max(0, Math.Min(text.Length, forcedChars - s.Length + 1)), StringComparison.Ordinal) >= 0) return true;
        return false;
    }

    /// <summary>
    /// One sampling step on float32 <paramref name="logits"/> <c>[B, V]</c>: the token (argmax when temperature is 0),
    /// its log-prob and the entropy under softmax(logits / T) before truncation (see <see cref="SamplingOptions"/>);
    /// <paramref name="temperatures"/> <c>[B]</c>, when given, replaces T per row (HAPO's adaptive temperature).
    /// Truncation: top-k, then top-p on what is left, then min-p (relative to the top probability).
    /// </summary>
    internal static (Tensor Token, Tensor Logprob, Tensor Entropy) Sample(Tensor logits, SamplingOptions o, torch.Generator gen, Tensor? temperatures = null)
    {
        bool greedy = o.Temperature == 0;
        Tensor scaled = temperatures is not null && !greedy ? logits / temperatures.unsqueeze(-1)
            : greedy || o.Temperature == 1 ? logits : logits / o.Temperature;
        Tensor logp = scaled.log_softmax(-1);
        Tensor p = logp.exp();
        Tensor entropy = -(p * logp).sum(-1);
        Tensor token;
        if (greedy) token = logits.argmax(-1);
        else
        {
            Tensor filtered = scaled;
            long v = logits.shape[^1];
            if (o.TopK > 0 && o.TopK < v)
            {
                Tensor kth = scaled.topk(o.TopK, -1).values.narrow(-1, o.TopK - 1, 1);
                filtered = filtered.masked_fill(scaled.lt(kth), double.NegativeInfinity);
            }
            if (o.TopP < 1)
            {
                var (sorted, order) = filtered.sort(-1, descending: true);
                Tensor probs = sorted.softmax(-1);
                // Drop a token when the mass strictly before it already reaches p (the top token always stays).
                Tensor drop = (probs.cumsum(-1) - probs).ge(o.TopP);
                Tensor dropMask = zeros_like(drop).scatter(-1, order, drop);
                filtered = filtered.masked_fill(dropMask, double.NegativeInfinity);
            }
            if (o.MinP > 0)
            {
                Tensor threshold = logp.max(-1, keepdim: true).values + Math.Log(o.MinP);
                filtered = filtered.masked_fill(logp.lt(threshold), double.NegativeInfinity);
            }
            Tensor drawFrom = ReferenceEquals(filtered, scaled) ? p : filtered.softmax(-1);
            token = Draw(drawFrom, gen);
        }
        Tensor lp = logp.gather(-1, token.unsqueeze(-1)).squeeze(-1);
        return (token, lp, entropy);
    }

    /// <summary>
    /// One categorical draw per row of <paramref name="probs"/> <c>[B, V]</c> by inverse CDF: u ~ U(0, 1] from
    /// <paramref name="gen"/>, token = the first index whose cumulative probability reaches u·Σp. A token of zero
    /// probability is never drawn (its cumulative sum equals its predecessor's, which is already below u·Σp).
    /// libtorch's multinomial spends ~30 ms on a batch of 8 rows of 151,936 (Qwen2.5) on this machine; this takes ~1 ms.
    /// </summary>
    internal static Tensor Draw(Tensor probs, torch.Generator gen)
    {
        long b = probs.shape[0], v = probs.shape[1];
        Tensor cdf = probs.to(ScalarType.Float64).cumsum(-1);
        Tensor u = (1.0 - rand(new long[] { b, 1 }, ScalarType.Float64, probs.device, generator: gen)) * cdf.narrow(1, v - 1, 1);
        return cdf.lt(u).sum(-1).clamp_max(v - 1);
    }

    /// <summary>
    /// Recomputes, with one full forward pass per batch (no cache), the log-prob and entropy of every completion token
    /// under softmax(logits / T) (T = 1 when <paramref name="temperature"/> is 0), the same convention as sampling.
    /// </summary>
    public static (float[][] Logprobs, float[][] Entropies) LogProbs(ICausalLM model, IReadOnlyList<(int[] Prompt, int[] Completion)> sequences,
        double temperature = 1.0, int batchSize = 8)
    {
        if (!(temperature >= 0)) throw new ArgumentException($"Temperature must be >= 0, not {temperature}.", nameof(temperature));
        if (batchSize < 1) throw new ArgumentException("Batch size must be at least 1.", nameof(batchSize));
        double temp = temperature == 0 ? 1 : temperature;
        var lps = new float[sequences.Count][];
        var ents = new float[sequences.Count][];
        Device dev = model.Module.parameters().First().device;
        using var threads = ThreadScope.For(model);
        for (int start = 0; start < sequences.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, sequences.Count - start);
            int len = 0;
            for (int i = 0; i < n; i++)
            {
                var (p, c) = sequences[start + i];
                if (p.Length == 0) throw new ArgumentException($"Sequence {start + i} has no prompt tokens; the first completion token needs a context.", nameof(sequences));
                len = Math.Max(len, p.Length + c.Length);
            }
            var ids = new long[n * len];
            var mask = new long[n * len];
            for (int i = 0; i < n; i++)
            {
                var (p, c) = sequences[start + i];
                int off = len - p.Length - c.Length;
                for (int j = 0; j < p.Length; j++) { ids[i * len + off + j] = p[j]; mask[i * len + off + j] = 1; }
                for (int j = 0; j < c.Length; j++) { ids[i * len + off + p.Length + j] = c[j]; mask[i * len + off + p.Length + j] = 1; }
            }
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Tensor logits = model.Forward(tensor(ids, new long[] { n, len }, device: dev), tensor(mask, new long[] { n, len }, device: dev));
            if (temp != 1) logits = logits / temp;
            Tensor logp = logits.log_softmax(-1);
            Tensor ent = -(logp.exp() * logp).sum(-1); // [n, len]
            Tensor idT = tensor(ids, new long[] { n, len }, device: dev);
            // Token at index j is predicted at index j - 1.
            Tensor tokLp = logp.narrow(1, 0, len - 1).gather(-1, idT.narrow(1, 1, len - 1).unsqueeze(-1)).squeeze(-1);
            float[] lpHost = tokLp.cpu().data<float>().ToArray();
            float[] entHost = ent.cpu().data<float>().ToArray();
            for (int i = 0; i < n; i++)
            {
                var (p, c) = sequences[start + i];
                int off = len - p.Length - c.Length;
                var l = new float[c.Length];
                var e = new float[c.Length];
                for (int j = 0; j < c.Length; j++)
                {
                    int predictedAt = off + p.Length + j - 1;
                    l[j] = lpHost[i * (len - 1) + predictedAt];
                    e[j] = entHost[i * len + predictedAt];
                }
                lps[start + i] = l;
                ents[start + i] = e;
            }
        }
        return (lps, ents);
    }
}
