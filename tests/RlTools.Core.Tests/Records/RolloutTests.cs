using RlTools.Core.Records;

namespace RlTools.Core.Tests.Records;

public class RolloutTests
{
    [Fact]
    public void Clone_is_deep_for_arrays_and_maps()
    {
        var r = new Rollout
        {
            PromptId = "p1",
            Logprobs = new[] { -0.5f, -1.25f },
            Rewards = new() { ["math"] = 1.0, ["format"] = null },
            Metadata = { ["source"] = "gsm8k" },
        };
        Rollout c = r.Clone();
        c.Logprobs![0] = 0f;
        c.Rewards!["math"] = 0.0;
        c.Metadata["source"] = "math";
        Assert.Equal(-0.5f, r.Logprobs[0]);
        Assert.Equal(1.0, r.Rewards["math"]);
        Assert.Null(r.Rewards["format"]);
        Assert.Equal("gsm8k", r.Metadata["source"]);
    }

    [Fact]
    public void Clone_copies_the_loss_mask()
    {
        var r = new Rollout { LossMask = new[] { 1f, 0f } };
        var c = r.Clone();
        c.LossMask![1] = 1f;
        Assert.Equal(new[] { 1f, 0f }, r.LossMask);
        Assert.Null(new Rollout().Clone().LossMask);
    }

    [Fact]
    public void Clone_copies_the_open_stage_arrays()
    {
        var r = new Rollout { Temperatures = [1f, 0.9f], CutPositions = [3], NodeId = "p/0", IsProbe = true };
        var c = r.Clone();
        c.Temperatures![0] = 2f;
        c.CutPositions![0] = 7;
        Assert.Equal([1f, 0.9f], r.Temperatures);
        Assert.Equal([3], r.CutPositions);
        Assert.Equal("p/0", c.NodeId);
        Assert.True(c.IsProbe);
    }

    [Fact]
    public void Completion_length_counts_completion_tokens()
    {
        Assert.Equal(0, new Rollout().CompletionLength);
        Assert.Equal(3, new Rollout { CompletionTokens = new[] { 5, 6, 7 } }.CompletionLength);
    }
}
