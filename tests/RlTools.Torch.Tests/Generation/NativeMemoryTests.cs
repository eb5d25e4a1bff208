using RlTools.Core.Records;
using RlTools.Torch.Generation;
using RlTools.Torch.Models;
using RlTools.Torch.Tests.Models;
using RlTools.Torch.Tokenizers;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Generation;

/// <summary>Tensor.TotalCount is process-wide, so this runs alone (after the parallel tests).</summary>
[CollectionDefinition(nameof(NativeMemoryTests), DisableParallelization = true)]
public sealed class NativeMemoryCollection;

[Collection(nameof(NativeMemoryTests))]
public class NativeMemoryTests
{
    [Fact]
    public void Rollouts_and_log_probs_leave_no_live_tensor_behind()
    {
        using var policy = new Policy(TestModels.Random(ModelConfig.Preset("Tiny"), 1, std: 0.1), new ByteTokenizer());
        var prompts = new[] { new PromptRecord { Id = "a", Prompt = "abc" }, new PromptRecord { Id = "b", Prompt = "a longer one" } };
        var req = new RolloutRequest { GroupSize = 3, BatchSize = 4, Seed = 1, Sampling = new SamplingOptions { MaxNewTokens = 12, TopP = 0.9, TopK = 20, MinP = 0.01 } };
        void Once()
        {
            var rollouts = RolloutEngine.Run(policy, prompts, req).SelectMany(b => b.Rollouts).ToList();
            TextGenerator.LogProbs(policy.Model, rollouts.Select(r => (r.PromptTokens!, r.CompletionTokens!)).ToList(), 1.0, 4);
        }
        Once();
        // No garbage collection while counting: a finalizer would hide an undisposed tensor (and other tests' finalizers would move the count).
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        Assert.True(GC.TryStartNoGCRegion(32L << 20), "could not suspend the GC");
        long before, after;
        try
        {
            before = Tensor.TotalCount;
            for (int i = 0; i < 3; i++) Once();
            after = Tensor.TotalCount;
        }
        finally
        {
            if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        Assert.Equal(before, after);
    }
}
