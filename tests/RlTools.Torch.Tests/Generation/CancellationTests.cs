using RlTools.Torch.Generation;
using RlTools.Torch.Models;
using RlTools.Torch.Tests.Models;
using RlTools.Torch.Tokenizers;

namespace RlTools.Torch.Tests.Generation;

/// <summary>Issue #18 item 10: Ctrl+C is honoured between decode steps, not only between batches.</summary>
public class CancellationTests
{
    /// <summary>The byte tokenizer, cancelling a token source at its N-th Decode (the generator decodes once per step when stop strings are set).</summary>
    private sealed class CancelAtDecode(int n, CancellationTokenSource cts) : ITokenizer
    {
        private readonly ByteTokenizer _inner = new();
        public int Decodes { get; private set; }
        public int[] Encode(string text, bool addSpecialTokens = false) => _inner.Encode(text, addSpecialTokens);
        public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
        {
            if (++Decodes == n) cts.Cancel();
            return _inner.Decode(ids, skipSpecialTokens);
        }
        public int VocabSize => _inner.VocabSize;
        public int? EosTokenId => _inner.EosTokenId;
        public int? PadTokenId => _inner.PadTokenId;
        public int? BosTokenId => _inner.BosTokenId;
    }

    [Fact]
    public void Generation_stops_at_the_first_decode_step_after_cancellation()
    {
        using var model = TestModels.Random(ModelConfig.Preset("Tiny"), 3, std: 0.15);
        using var cts = new CancellationTokenSource();
        var tokenizer = new CancelAtDecode(3, cts);
        var o = new SamplingOptions { MaxNewTokens = 200, Temperature = 0, IgnoreEos = true, StopStrings = ["\u0001never\u0002"], Cancellation = cts.Token };
        Assert.ThrowsAny<OperationCanceledException>(() => TextGenerator.Generate(model, tokenizer, [tokenizer.Encode("Hi", true)], o));
        // Step 3 (the one that cancelled) finished; step 4 never ran: 3 of the 200 steps.
        Assert.Equal(3, tokenizer.Decodes);
    }

    [Fact]
    public void An_uncancelled_token_changes_nothing()
    {
        using var model = TestModels.Random(ModelConfig.Preset("Tiny"), 3, std: 0.15);
        var bytes = new ByteTokenizer();
        var plain = new SamplingOptions { MaxNewTokens = 12, Temperature = 0, IgnoreEos = true };
        using var cts = new CancellationTokenSource();
        var withToken = new SamplingOptions { MaxNewTokens = 12, Temperature = 0, IgnoreEos = true, Cancellation = cts.Token };
        int[] prompt = bytes.Encode("Hi", true);
        Assert.Equal(TextGenerator.Generate(model, bytes, [prompt], plain)[0].Tokens, TextGenerator.Generate(model, bytes, [prompt], withToken)[0].Tokens);
    }

    [Fact]
    public void The_rollout_engine_passes_the_token_to_every_batch()
    {
        using var model = TestModels.Random(ModelConfig.Preset("Tiny"), 3, std: 0.15);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        using var policy = new Policy(model, new ByteTokenizer());
        var request = new RolloutRequest { GroupSize = 1, BatchSize = 1, Sampling = new SamplingOptions { MaxNewTokens = 50, Cancellation = cts.Token } };
        var prompts = new[] { new RlTools.Core.Records.PromptRecord { Id = "a", Prompt = "Hi" } };
        Assert.ThrowsAny<OperationCanceledException>(() => RolloutEngine.Run(policy, prompts, request).ToList());
    }
}
