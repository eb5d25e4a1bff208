using RlTools.Core.Records;
using RlTools.Torch.Generation;
using RlTools.Torch.Models;
using RlTools.Torch.Tests.Models;
using RlTools.Torch.Tokenizers;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Generation;

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
        long before = Tensor.TotalCount;
        for (int i = 0; i < 3; i++) Once();
        Assert.Equal(before, Tensor.TotalCount);
    }
}
