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
        var expected = JinjaReference.Results[id];
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
}
