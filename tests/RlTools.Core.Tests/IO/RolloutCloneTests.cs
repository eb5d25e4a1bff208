using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.IO;

public class RolloutCloneTests
{
    [Fact]
    public void Clone_copies_extra_fields_and_nested_maps_deeply()
    {
        Rollout r = RolloutSamples.Full();
        Rollout c = r.Clone();
        Assert.Null(RolloutEquality.Difference(r, c));
        ((Dictionary<string, object?>)((Dictionary<string, object?>)c.Metadata["map"]!)["nested"]!)["deep"] = false;
        ((List<object?>)c.Metadata["list"]!).Add("more");
        c.Extra["judge"] = "human";
        Assert.Equal(true, ((Dictionary<string, object?>)((Dictionary<string, object?>)r.Metadata["map"]!)["nested"]!)["deep"]);
        Assert.Equal(5, ((List<object?>)r.Metadata["list"]!).Count);
        Assert.Equal("gpt", r.Extra["judge"]);
        Assert.NotNull(RolloutEquality.Difference(r, c));
    }
}
