using System.Text.Json;
using RlTools.Core.Chat.Jinja;

namespace RlTools.Core.Chat;

/// <summary>
/// A model's own chat template, rendered as transformers' <c>apply_chat_template</c> renders it: the Jinja
/// <c>chat_template</c> of <c>tokenizer_config.json</c> (a string, or a list of named templates where
/// <c>tool_use</c> is chosen when tools are given and <c>default</c> otherwise) or a <c>chat_template.jinja</c>
/// file beside it, with the variables <c>messages</c>, <c>tools</c>, <c>documents</c>, <c>add_generation_prompt</c>,
/// every special token of the tokenizer (<c>bos_token</c>, <c>eos_token</c>, …) and the caller's extra variables
/// (which win), per transformers' <c>template_kwargs = {**special_tokens_map, **kwargs}</c>.
/// The rendered text holds special-token strings: encode it without adding special tokens, as transformers does.
/// </summary>
public sealed class HfChatTemplate
{
    private static readonly string[] SpecialTokenKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token", "additional_special_tokens"];

    private readonly Dictionary<string, string> _named;
    private readonly Dictionary<string, JinjaTemplate> _parsed = new(StringComparer.Ordinal);

    private HfChatTemplate(Dictionary<string, string> named, IReadOnlyDictionary<string, object?> specialTokens, string origin)
    {
        _named = named;
        SpecialTokens = specialTokens;
        Origin = origin;
    }

    /// <summary>The special-token variables (<c>bos_token</c>, <c>eos_token</c>, …) the template sees.</summary>
    public IReadOnlyDictionary<string, object?> SpecialTokens { get; }

    /// <summary>Where the template came from (a file path or "text").</summary>
    public string Origin { get; }

    /// <summary>The template names (<c>default</c>, <c>tool_use</c>, …); a single template is named <c>default</c>.</summary>
    public IReadOnlyCollection<string> Names => _named.Keys;

    /// <summary>The source of the template used with or without tools.</summary>
    public string SourceFor(bool withTools) => _named[Pick(withTools)];

    /// <summary>A template from Jinja text, with the given special-token variables.</summary>
    public static HfChatTemplate FromText(string jinja, IReadOnlyDictionary<string, object?>? specialTokens = null) =>
        new(new Dictionary<string, string> { ["default"] = jinja }, specialTokens ?? new Dictionary<string, object?>(), "text");

    /// <summary>
    /// Loads from a model folder (its <c>chat_template.jinja</c>, else <c>tokenizer_config.json</c>), a
    /// <c>tokenizer_config.json</c>, or a <c>.jinja</c> file (special tokens then come from a
    /// <c>tokenizer_config.json</c> beside it, when there is one). <see cref="FileNotFoundException"/> when the path is
    /// missing, <see cref="InvalidDataException"/> when no chat template is found.
    /// </summary>
    public static HfChatTemplate Load(string path)
    {
        string? folder = Directory.Exists(path) ? path : File.Exists(path) ? Path.GetDirectoryName(Path.GetFullPath(path)) : throw new FileNotFoundException($"No model folder or file at '{path}'.", path);
        string? config = Directory.Exists(path) ? Path.Combine(path, "tokenizer_config.json") : path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? path : Path.Combine(folder!, "tokenizer_config.json");
        string? jinjaFile = Directory.Exists(path) ? Path.Combine(path, "chat_template.jinja") : path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? null : path;
        Dictionary<string, object?> specials = new();
        Dictionary<string, string>? named = null;
        if (File.Exists(config))
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(config), new JsonDocumentOptions { AllowTrailingCommas = true });
            specials = SpecialTokensOf(doc.RootElement);
            named = TemplatesOf(doc.RootElement);
        }
        if (jinjaFile is not null && File.Exists(jinjaFile)) return new(new() { ["default"] = File.ReadAllText(jinjaFile) }, specials, jinjaFile);
        if (named is null || named.Count == 0)
            throw new InvalidDataException(File.Exists(config)
                ? $"'{config}' has no chat_template (and there is no chat_template.jinja beside it)."
                : $"No tokenizer_config.json or chat_template.jinja in '{folder}'.");
        return new(named, specials, config!);
    }

    /// <summary>The <c>special_tokens_map</c> of a tokenizer_config.json: each token as its string (an AddedToken object's <c>content</c>).</summary>
    public static Dictionary<string, object?> SpecialTokensOf(JsonElement config)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (config.ValueKind != JsonValueKind.Object) return map;
        foreach (string key in SpecialTokenKeys)
        {
            if (!config.TryGetProperty(key, out JsonElement v)) continue;
            if (key == "additional_special_tokens")
            {
                if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0)
                    map[key] = v.EnumerateArray().Select(TokenString).Where(s => s is not null).Cast<object?>().ToList();
                continue;
            }
            string? s = TokenString(v);
            if (s is not null) map[key] = s;
        }
        return map;
    }

    private static string? TokenString(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Object when v.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => null,
    };

    private static Dictionary<string, string>? TemplatesOf(JsonElement config)
    {
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty("chat_template", out JsonElement t)) return null;
        if (t.ValueKind == JsonValueKind.String) return new() { ["default"] = t.GetString()! };
        if (t.ValueKind != JsonValueKind.Array) return null;
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonElement e in t.EnumerateArray())
            if (e.TryGetProperty("name", out JsonElement n) && e.TryGetProperty("template", out JsonElement s) && n.ValueKind == JsonValueKind.String && s.ValueKind == JsonValueKind.String)
                named[n.GetString()!] = s.GetString()!;
        return named;
    }

    private string Pick(bool withTools)
    {
        if (withTools && _named.ContainsKey("tool_use")) return "tool_use";
        if (_named.ContainsKey("default")) return "default";
        if (_named.Count == 1) return _named.Keys.First();
        throw new InvalidDataException($"The chat templates of '{Origin}' are named {string.Join(", ", _named.Keys)}; none is 'default'.");
    }

    /// <summary>
    /// Renders <paramref name="messages"/> (a list of role/content dicts, JSON or .NET values) as transformers does.
    /// <paramref name="tools"/> and <paramref name="documents"/> are passed as given (null → None);
    /// <paramref name="variables"/> override the special tokens and may add any name (e.g. <c>enable_thinking</c>).
    /// A template error (including <c>raise_exception</c>) throws <see cref="JinjaException"/>.
    /// </summary>
    public string Render(object? messages, bool addGenerationPrompt, object? tools = null, object? documents = null,
        IReadOnlyDictionary<string, object?>? variables = null, Func<DateTime>? now = null)
    {
        string name = Pick(tools is not null);
        if (!_parsed.TryGetValue(name, out JinjaTemplate? template)) _parsed[name] = template = JinjaTemplate.Parse(_named[name]);
        var vars = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages,
            ["tools"] = tools,
            ["documents"] = documents,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        foreach (var kv in SpecialTokens) vars[kv.Key] = kv.Value;
        if (variables is not null) foreach (var kv in variables) vars[kv.Key] = kv.Value;
        return template.Render(vars, now);
    }
}
