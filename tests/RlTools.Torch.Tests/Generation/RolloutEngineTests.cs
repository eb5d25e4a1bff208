using RlTools.Core.Records;
using RlTools.Torch.Generation;
using RlTools.Torch.Models;
using RlTools.Torch.Tests.Models;
using RlTools.Torch.Tokenizers;

namespace RlTools.Torch.Tests.Generation;

public class RolloutEngineTests
{
    private static Policy NewPolicy() => new(TestModels.Random(ModelConfig.Preset("Tiny"), 4, std: 0.15), new ByteTokenizer());

    private static List<PromptRecord> Prompts() => new()
    {
        new PromptRecord { Id = "a", Prompt = "1+1=", Answer = "2", Metadata = { ["level"] = 1 } },
        new PromptRecord { Id = "b", Prompt = "Name a colour:" },
        new PromptRecord { Id = "c", Prompt = "x", Messages = new() { new("system", "Be brief."), new("user", "x") } },
    };

    [Fact]
    public void Emits_group_size_records_per_prompt_with_every_field()
    {
        using Policy policy = NewPolicy();
        var req = new RolloutRequest { GroupSize = 4, BatchSize = 5, Seed = 1, Sampling = new SamplingOptions { MaxNewTokens = 8 } };
        var batches = RolloutEngine.Run(policy, Prompts(), req).ToList();
        Assert.Equal(3, batches.Count); // 12 rows in batches of 5
        Assert.Equal(12, batches[^1].RowsDone);
        var rollouts = batches.SelectMany(b => b.Rollouts).ToList();
        Assert.Equal(12, rollouts.Count);
        foreach (var g in rollouts.GroupBy(r => r.PromptId))
            Assert.Equal(new[] { 0, 1, 2, 3 }, g.Select(r => r.SampleIndex).OrderBy(x => x));
        foreach (Rollout r in rollouts)
        {
            Assert.NotNull(r.PromptTokens);
            Assert.NotEmpty(r.CompletionTokens!);
            Assert.Equal(r.CompletionTokens!.Length, r.Logprobs!.Length);
            Assert.Equal(r.CompletionTokens.Length, r.Entropies!.Length);
            Assert.Contains(r.FinishReason, new[] { "stop", "length" });
            Assert.Equal(new ByteTokenizer().Decode(r.CompletionTokens, true), r.Completion);
            Assert.Equal(0, r.Step);
        }
        Rollout a = rollouts.First(r => r.PromptId == "a");
        Assert.Equal("2", a.Answer);
        Assert.Equal(1, a.Metadata["level"]);
        Assert.Equal("1+1=", a.Prompt);
        Assert.Equal(new ByteTokenizer().Encode("1+1=", true), a.PromptTokens);
        Assert.Equal("Be brief.\n\nx", rollouts.First(r => r.PromptId == "c").Prompt);
    }

    [Fact]
    public void The_same_seed_gives_the_same_rollouts_and_the_template_is_pluggable()
    {
        using Policy policy = NewPolicy();
        var req = new RolloutRequest
        {
            GroupSize = 2, BatchSize = 4, Seed = 11, SystemPrompt = "S", Sampling = new SamplingOptions { MaxNewTokens = 6 },
            ChatTemplate = m => string.Concat(m.Select(x => $"<{x.Role}>{x.Content}")),
        };
        var a = RolloutEngine.Run(policy, Prompts(), req).SelectMany(b => b.Rollouts).ToList();
        var b = RolloutEngine.Run(policy, Prompts(), req).SelectMany(b => b.Rollouts).ToList();
        Assert.Equal(a.Select(r => r.Completion), b.Select(r => r.Completion));
        Assert.Equal("<system>S<user>1+1=", a[0].Prompt);
        Assert.Equal("<system>Be brief.<user>x", a.First(r => r.PromptId == "c").Prompt); // an existing system message wins
    }

    [Fact]
    public void Samples_per_prompt_and_first_sample_index_shape_the_rows()
    {
        using Policy policy = NewPolicy();
        var req = new RolloutRequest
        {
            BatchSize = 3, Seed = 2, Sampling = new SamplingOptions { MaxNewTokens = 4 },
            SamplesPerPrompt = new[] { 2, 0, 3 }, FirstSampleIndex = new[] { 4, 0, 8 },
        };
        var batches = RolloutEngine.Run(policy, Prompts(), req).ToList();
        Assert.Equal(2, batches.Count); // 5 rows in batches of 3
        var rows = batches.SelectMany(b => b.Rollouts).Select(r => (r.PromptId, r.SampleIndex)).ToList();
        Assert.Equal(new[] { ("a", 4), ("a", 5), ("c", 8), ("c", 9), ("c", 10) }, rows);
        Assert.Empty(RolloutEngine.Run(policy, Prompts(), new RolloutRequest { SamplesPerPrompt = new[] { 0, 0, 0 } }));
        Assert.Throws<ArgumentException>(() => RolloutEngine.Run(policy, Prompts(), new RolloutRequest { SamplesPerPrompt = new[] { 1 } }).ToList());
        Assert.Throws<ArgumentException>(() => RolloutEngine.Run(policy, Prompts(), new RolloutRequest { FirstSampleIndex = new[] { 0, -1, 0 } }).ToList());
    }

    [Fact]
    public void Rendered_prompts_are_used_as_is_and_get_no_second_bos()
    {
        using Policy policy = NewPolicy();
        var prompts = new List<PromptRecord>
        {
            new() { Id = "with", Prompt = "<bos>hi", Messages = new() { new("user", "ignored") } },
            new() { Id = "without", Prompt = "hi" },
        };
        var req = new RolloutRequest { PromptsAreRendered = true, SystemPrompt = "ignored", Seed = 1, Sampling = new SamplingOptions { MaxNewTokens = 2 } };
        var r = RolloutEngine.Run(policy, prompts, req).SelectMany(b => b.Rollouts).ToList();
        var tok = new ByteTokenizer();
        Assert.Equal("<bos>hi", r[0].Prompt);
        Assert.Equal(tok.Encode("<bos>hi", addSpecialTokens: false), r[0].PromptTokens);
        Assert.Equal("hi", r[1].Prompt);
        Assert.Equal(tok.Encode("hi", addSpecialTokens: true), r[1].PromptTokens);
        // Without the flag the same text gets BOS added and the system prompt applied, as before.
        var plain = RolloutEngine.Run(policy, prompts.Take(1).ToList(), new RolloutRequest { Seed = 1, Sampling = new SamplingOptions { MaxNewTokens = 2 } })
            .SelectMany(b => b.Rollouts).Single();
        Assert.Equal(ByteTokenizer.Bos, plain.PromptTokens![0]);
        Assert.Equal("ignored", plain.Prompt);
    }

    [Fact]
    public void Batch_seeds_differ_and_are_stable()
    {
        Assert.Equal(RolloutEngine.MixSeed(5, 0), RolloutEngine.MixSeed(5, 0));
        Assert.NotEqual(RolloutEngine.MixSeed(5, 0), RolloutEngine.MixSeed(5, 1));
        Assert.NotEqual(RolloutEngine.MixSeed(5, 0), RolloutEngine.MixSeed(6, 0));
        Assert.True(RolloutEngine.MixSeed(-3, 2) >= 0);
    }

    [Fact]
    public void A_prompt_without_tokens_is_reported_by_id()
    {
        using var policy = new Policy(new DecoderLM(ModelConfig.Preset("Tiny"), seed: 1), new EmptyTokenizer());
        var e = Assert.Throws<PromptException>(() => RolloutEngine.Run(policy, new[] { new PromptRecord { Id = "p1", Prompt = "" } }, new RolloutRequest()).ToList());
        Assert.Equal("p1", e.PromptId);
    }

    private sealed class EmptyTokenizer : ITokenizer
    {
        public int[] Encode(string text, bool addSpecialTokens = false) => Array.Empty<int>();
        public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false) => "";
        public int VocabSize => 10;
        public int? EosTokenId => null;
        public int? PadTokenId => null;
        public int? BosTokenId => null;
    }
}
