using RlTools.Core.Chat.Jinja;

namespace RlTools.Core.Tests.Chat;

/// <summary>Our Jinja rendering equals Python Jinja2 in transformers' environment, byte for byte, and fails where it fails.</summary>
public sealed class JinjaReferenceTests
{
    public static TheoryData<string> CaseIds()
    {
        var data = new TheoryData<string>();
        foreach (JinjaCase c in JinjaReference.Cases) data.Add(c.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void RendersAsTransformersDoes(string id)
    {
        JinjaCase c = JinjaReference.Cases.Single(x => x.Id == id);
        Assert.True(JinjaReference.Results.TryGetValue(id, out var expected), $"{id}: no stored reference rendering; regenerate expected.json (RLTOOLS_JINJA_REFERENCE=write, needs python3-jinja2).");
        Assert.True(expected!["input_sha256"]!.GetValue<string>() == c.InputHash, $"{id}: the stored reference rendering is stale (its input changed); regenerate expected.json (RLTOOLS_JINJA_REFERENCE=write, needs python3-jinja2).");
        if (expected["ok"]!.GetValue<bool>())
        {
            string ours = c.RenderOurs();
            Assert.Equal(expected["text"]!.GetValue<string>(), ours);
            return;
        }
        var e = Assert.Throws<JinjaException>(() => c.RenderOurs());
        Assert.Equal(expected["kind"]!.GetValue<string>(), e.Kind);
        if (e.Kind == "TemplateError") Assert.Equal(expected["message"]!.GetValue<string>(), e.Message);
    }

    [Fact]
    public void TheRealTemplatesAreAllPresent()
    {
        var names = JinjaReference.Templates().Select(t => t.Name).ToHashSet();
        // CI installs Qwen3 and Llama-3 from npm; Gemma 3, DeepSeek-V3 and Llama-3.1 are stored fixtures.
        Assert.Contains("npm-qwen3", names);
        Assert.Contains("npm-llama3", names);
        Assert.Contains(names, n => n.EndsWith("gemma3", StringComparison.Ordinal));
        Assert.Contains(names, n => n.EndsWith("deepseek_v3", StringComparison.Ordinal));
        Assert.True(JinjaReference.Cases.Count >= 140 + names.Count * 40, $"only {JinjaReference.Cases.Count} cases");
    }

    [Fact]
    public void EveryStoredRenderingBelongsToACase()
    {
        // A stored rendering without a case means a template or conversation was dropped or renamed: regenerate.
        var ids = JinjaReference.Cases.Select(c => c.Id).ToHashSet();
        string[] orphans = JinjaReference.Results.Keys.Where(k => !ids.Contains(k)).ToArray();
        Assert.True(orphans.Length == 0, "stored renderings without a case: " + string.Join(", ", orphans));
    }
}
