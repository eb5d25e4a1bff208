using RlTools.Torch.Generation;
using RlTools.Torch.Models;
using RlTools.Torch.Tests.Models;
using RlTools.Torch.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Generation;

public class TextGeneratorTests
{
    /// <summary>A Tiny-shaped model (byte vocabulary) with weights large enough to give peaked, varied distributions.</summary>
    private static DecoderLM Model(long seed = 3) => TestModels.Random(ModelConfig.Preset("Tiny"), seed, std: 0.15);

    private static readonly ByteTokenizer Bytes = new();

    private static int[][] Prompts() => new[] { Bytes.Encode("What is 2+2?", true), Bytes.Encode("Hi", true), Bytes.Encode("A longer prompt, with more bytes in it.", true) };

    [Fact]
    public void Cached_sampling_logprobs_equal_the_full_forward_recomputation()
    {
        using var model = Model();
        var o = new SamplingOptions { MaxNewTokens = 24, Temperature = 0.8, TopK = 50, TopP = 0.95, Seed = 42, IgnoreEos = true };
        Completion[] done = TextGenerator.Generate(model, Bytes, Prompts(), o);
        var (lp, ent) = TextGenerator.LogProbs(model, Prompts().Zip(done, (p, c) => (p, c.Tokens)).ToList(), temperature: 0.8, batchSize: 2);
        for (int r = 0; r < done.Length; r++)
        {
            Assert.Equal(24, done[r].Tokens.Length);
            Assert.Equal("length", done[r].FinishReason);
            for (int j = 0; j < done[r].Tokens.Length; j++)
            {
                Assert.True(Math.Abs(done[r].Logprobs[j] - lp[r][j]) <= 1e-4, $"row {r} token {j}: cached {done[r].Logprobs[j]}, full {lp[r][j]}");
                Assert.True(Math.Abs(done[r].Entropies[j] - ent[r][j]) <= 1e-4, $"row {r} token {j}: entropy cached {done[r].Entropies[j]}, full {ent[r][j]}");
                Assert.True(done[r].Logprobs[j] <= 0);
                Assert.True(done[r].Entropies[j] >= 0 && done[r].Entropies[j] <= Math.Log(259) + 1e-4);
            }
        }
    }

    [Fact]
    public void Left_padded_batched_rows_equal_the_same_rows_generated_alone()
    {
        using var model = Model(5);
        var o = new SamplingOptions { MaxNewTokens = 16, Temperature = 0, IgnoreEos = true };
        int[][] prompts = Prompts();
        Completion[] batched = TextGenerator.Generate(model, Bytes, prompts, o);
        for (int r = 0; r < prompts.Length; r++)
        {
            Completion alone = TextGenerator.Generate(model, Bytes, new[] { prompts[r] }, o)[0];
            Assert.Equal(alone.Tokens, batched[r].Tokens);
            for (int j = 0; j < alone.Tokens.Length; j++)
            {
                Assert.Equal(alone.Logprobs[j], batched[r].Logprobs[j], 1e-4f);
                Assert.Equal(alone.Entropies[j], batched[r].Entropies[j], 1e-4f);
            }
        }
        Assert.NotEqual(batched[0].Tokens, batched[1].Tokens); // the rows really differ
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_the_seed_matters()
    {
        using var model = Model();
        var o = new SamplingOptions { MaxNewTokens = 20, Temperature = 1.0, Seed = 7, IgnoreEos = true };
        Completion[] a = TextGenerator.Generate(model, Bytes, Prompts(), o);
        Completion[] b = TextGenerator.Generate(model, Bytes, Prompts(), o);
        for (int r = 0; r < a.Length; r++) { Assert.Equal(a[r].Tokens, b[r].Tokens); Assert.Equal(a[r].Logprobs, b[r].Logprobs); }
        o.Seed = 8;
        Completion[] c = TextGenerator.Generate(model, Bytes, Prompts(), o);
        Assert.Contains(Enumerable.Range(0, a.Length), r => !a[r].Tokens.SequenceEqual(c[r].Tokens));
    }

    [Fact]
    public void Stop_strings_stop_at_their_first_occurrence()
    {
        using var model = Model();
        var o = new SamplingOptions { MaxNewTokens = 30, Temperature = 1.0, Seed = 3, IgnoreEos = true };
        int[][] prompt = { Bytes.Encode("Say:", true) };
        Completion free = TextGenerator.Generate(model, Bytes, prompt, o)[0];
        // Pick a printable ASCII byte sampled at step 5 or later as the stop string; the run must end at its first occurrence.
        int at = Enumerable.Range(5, free.Tokens.Length - 5).First(j => free.Tokens[j] is >= 33 and <= 126);
        int target = free.Tokens[at];
        int first = Array.IndexOf(free.Tokens, target);
        string stop = ((char)target).ToString();
        o.StopStrings = new[] { stop };
        Completion stopped = TextGenerator.Generate(model, Bytes, prompt, o)[0];
        Assert.Equal("stop", stopped.FinishReason);
        Assert.Equal(free.Tokens.Take(first + 1), stopped.Tokens);
        Assert.EndsWith(stop, stopped.Text);
    }

    [Fact]
    public void Stop_tokens_end_with_finish_reason_stop_and_keep_the_token()
    {
        using var model = Model();
        var o = new SamplingOptions { MaxNewTokens = 30, Temperature = 1.0, Seed = 9, IgnoreEos = true };
        int[][] prompt = { Bytes.Encode("x", true) };
        Completion free = TextGenerator.Generate(model, Bytes, prompt, o)[0];
        int stopId = free.Tokens[5];
        int first = Array.IndexOf(free.Tokens, stopId);
        o.StopTokenIds = new[] { stopId };
        Completion stopped = TextGenerator.Generate(model, Bytes, prompt, o)[0];
        Assert.Equal("stop", stopped.FinishReason);
        Assert.Equal(first + 1, stopped.Tokens.Length);
        Assert.Equal(stopId, stopped.Tokens[^1]);
        Assert.Equal(stopped.Tokens.Length, stopped.Logprobs.Length);
        Assert.Equal(stopped.Tokens.Length, stopped.Entropies.Length);
    }

    [Fact]
    public void Eos_stops_unless_ignored_and_is_left_out_of_the_text()
    {
        using var model = Model();
        // Make EOS overwhelmingly likely: raise its output embedding (tied) far above the rest.
        using (no_grad())
        {
            var emb = model.named_parameters().First(p => p.name == "model.embed_tokens.weight").parameter;
            emb[ByteTokenizer.Eos].fill_(3.0);
        }
        var o = new SamplingOptions { MaxNewTokens = 10, Temperature = 0 };
        Completion c = TextGenerator.Generate(model, Bytes, new[] { Bytes.Encode("a", true) }, o)[0];
        Assert.Equal("stop", c.FinishReason);
        Assert.Equal(ByteTokenizer.Eos, c.Tokens[^1]);
        Assert.DoesNotContain("<eos>", c.Text);
        o.IgnoreEos = true;
        Completion ignored = TextGenerator.Generate(model, Bytes, new[] { Bytes.Encode("a", true) }, o)[0];
        Assert.Equal("length", ignored.FinishReason);
        Assert.Equal(10, ignored.Tokens.Length);
    }

    // ---- the sampling step on hand-made logits ----

    private static float[] Probabilities(float[] logits, double temp)
    {
        double max = logits.Max(), z = logits.Sum(l => Math.Exp((l - max) / temp));
        return logits.Select(l => (float)(Math.Exp((l - max) / temp) / z)).ToArray();
    }

    [Fact]
    public void Logprob_and_entropy_follow_the_tempered_distribution_before_truncation()
    {
        float[] logits = { 2.0f, 1.0f, 0.5f, -1.0f, -3.0f };
        double temp = 0.7;
        float[] p = Probabilities(logits, temp);
        double h = -p.Sum(x => x * Math.Log(x));
        var o = new SamplingOptions { Temperature = temp, TopK = 2, TopP = 0.9, MinP = 0.05 };
        using var scope = NewDisposeScope();
        using var gen = new torch.Generator(1, CPU);
        for (int trial = 0; trial < 50; trial++)
        {
            var (tok, lp, ent) = TextGenerator.Sample(tensor(logits).unsqueeze(0), o, gen);
            long t = tok.item<long>();
            Assert.InRange(t, 0, 1); // top-k 2
            Assert.Equal(Math.Log(p[t]), lp.item<float>(), 5);
            Assert.Equal(h, ent.item<float>(), 5);
        }
    }

    [Fact]
    public void Truncation_keeps_only_the_allowed_tokens()
    {
        // p ∝ exp(logits): [0.5, 0.25, 0.125, 0.0625, 0.0625] (logits ln of those).
        float[] logits = new[] { 0.5, 0.25, 0.125, 0.0625, 0.0625 }.Select(x => (float)Math.Log(x)).ToArray();
        using var scope = NewDisposeScope();
        using var gen = new torch.Generator(2, CPU);
        HashSet<long> Seen(SamplingOptions o)
        {
            var seen = new HashSet<long>();
            Tensor batch = tensor(logits).unsqueeze(0).expand(400, 5).contiguous();
            var (tok, _, _) = TextGenerator.Sample(batch, o, gen);
            foreach (long t in tok.data<long>().ToArray()) seen.Add(t);
            return seen;
        }
        Assert.Equal(new HashSet<long> { 0, 1, 2, 3, 4 }, Seen(new SamplingOptions()));
        Assert.Equal(new HashSet<long> { 0 }, Seen(new SamplingOptions { TopK = 1 }));
        Assert.Equal(new HashSet<long> { 0, 1, 2 }, Seen(new SamplingOptions { TopK = 3 }));
        // top-p 0.75: mass before token 1 is 0.5 < 0.75 (keep), before token 2 is 0.75 (drop).
        Assert.Equal(new HashSet<long> { 0, 1 }, Seen(new SamplingOptions { TopP = 0.75 }));
        Assert.Equal(new HashSet<long> { 0, 1, 2 }, Seen(new SamplingOptions { TopP = 0.76 }));
        // min-p 0.2: threshold 0.1 keeps 0.5, 0.25, 0.125.
        Assert.Equal(new HashSet<long> { 0, 1, 2 }, Seen(new SamplingOptions { MinP = 0.2 }));
        Assert.Equal(new HashSet<long> { 0 }, Seen(new SamplingOptions { Temperature = 0 }));
    }

    [Fact]
    public void Draws_follow_the_probabilities_and_never_pick_a_zero_probability_token()
    {
        // Unnormalised weights (the draw scales u by the row total); index 2 and the last have probability 0.
        double[] w = { 0.1, 0.3, 0, 0.2, 0.4, 0 };
        const int n = 40000;
        using var scope = NewDisposeScope();
        using var gen = new torch.Generator(5, CPU);
        Tensor probs = tensor(w.Select(x => (float)(2 * x)).ToArray()).unsqueeze(0).expand(n, w.Length).contiguous();
        long[] draws = TextGenerator.Draw(probs, gen).data<long>().ToArray();
        var counts = new int[w.Length];
        foreach (long d in draws) counts[d]++;
        Assert.Equal(0, counts[2]);
        Assert.Equal(0, counts[5]);
        // Pearson χ² over the four possible tokens, 3 degrees of freedom: 16.27 is the 0.999 quantile.
        double chi2 = 0;
        foreach (int i in new[] { 0, 1, 3, 4 }) chi2 += Math.Pow(counts[i] - n * w[i], 2) / (n * w[i]);
        Assert.True(chi2 < 16.27, $"χ² = {chi2:F2}; counts {string.Join(", ", counts)}");
    }

    [Fact]
    public void Greedy_records_the_temperature_one_distribution()
    {
        float[] logits = { 0.3f, 1.7f, -0.2f };
        float[] p = Probabilities(logits, 1.0);
        using var scope = NewDisposeScope();
        using var gen = new torch.Generator(1, CPU);
        var (tok, lp, _) = TextGenerator.Sample(tensor(logits).unsqueeze(0), new SamplingOptions { Temperature = 0 }, gen);
        Assert.Equal(1, tok.item<long>());
        Assert.Equal(Math.Log(p[1]), lp.item<float>(), 5);
    }

    [Theory]
    [InlineData(0, 1.0, 0, 1.0, 0.0)]
    [InlineData(5, -1.0, 0, 1.0, 0.0)]
    [InlineData(5, 1.0, -1, 1.0, 0.0)]
    [InlineData(5, 1.0, 0, 0.0, 0.0)]
    [InlineData(5, 1.0, 0, 1.0, 1.0)]
    public void Invalid_options_are_rejected(int maxNew, double temp, int topK, double topP, double minP)
    {
        var o = new SamplingOptions { MaxNewTokens = maxNew, Temperature = temp, TopK = topK, TopP = topP, MinP = minP };
        Assert.NotNull(o.Validate());
        using var model = Model();
        Assert.Throws<ArgumentException>(() => TextGenerator.Generate(model, Bytes, Prompts(), o));
    }

    [Fact]
    public void Empty_prompts_and_out_of_vocabulary_ids_are_rejected()
    {
        using var model = Model();
        var o = new SamplingOptions { MaxNewTokens = 2 };
        Assert.Empty(TextGenerator.Generate(model, Bytes, Array.Empty<int[]>(), o));
        Assert.Throws<ArgumentException>(() => TextGenerator.Generate(model, Bytes, new[] { Array.Empty<int>() }, o));
        Assert.Throws<ArgumentException>(() => TextGenerator.Generate(model, Bytes, new[] { new[] { 400 } }, o));
    }
}

public class PaddedVocabularyTests
{
    [Fact]
    public void Ids_past_the_tokenizer_are_recorded_but_have_no_text()
    {
        var config = ModelConfig.Preset("Tiny");
        config.VocabSize = 400; // embedding padded past the byte tokenizer's 259 ids
        using var model = TestModels.Random(config, 1, std: 0.1);
        using (no_grad())
            model.named_parameters().First(p => p.name == "model.embed_tokens.weight").parameter[300].fill_(3.0); // make id 300 likely
        var c = TextGenerator.Generate(model, new ByteTokenizer(), new[] { new ByteTokenizer().Encode("a", true) },
            new SamplingOptions { MaxNewTokens = 6, Temperature = 0, IgnoreEos = true })[0];
        Assert.Contains(300, c.Tokens);
        Assert.Equal(new ByteTokenizer().Decode(c.Tokens.Where(t => t < 259).ToArray(), true), c.Text);
    }
}
