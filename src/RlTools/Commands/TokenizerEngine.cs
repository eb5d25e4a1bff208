using System.Collections;
using System.Management.Automation;
using System.Text.Json;
using RlTools.Core.Chat;
using RlTools.Core.Chat.Jinja;
using System.Runtime.CompilerServices;
using RlTools.Core.IO;
using RlTools.Core.Records;
using RlTools.Torch;
using RlTools.Torch.Tokenizers;

namespace RlTools.Commands;

/// <summary>
/// The cmdlets' bridge to the tokenizers and chat templates of RlTools.Torch. Methods are not inlined and
/// tokenizers travel as <see cref="object"/>, so the engine assembly is resolved (through the module's load
/// context) only when a tokenizer command runs. No TorchSharp type is touched here.
/// </summary>
internal static class TokenizerEngine
{
    /// <summary>What <c>-Tokenizer</c> failed on: an ErrorRecord's id, category and message.</summary>
    internal sealed class TokenizerArgumentException(string errorId, ErrorCategory category, string message, Exception? inner = null)
        : Exception(message, inner)
    {
        public string ErrorId { get; } = errorId;
        public ErrorCategory Category { get; } = category;
    }

    /// <summary>
    /// A tokenizer from a <c>-Tokenizer</c> argument: an RlTools.Torch.Policy (its tokenizer), an ITokenizer,
    /// the string 'Byte', or a file-system path (folder or tokenizer.json, already resolved by the caller).
    /// Loaded tokenizers are cached per process.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static object Resolve(object value, Func<string, string> resolvePath)
    {
        switch (value)
        {
            case Policy policy: return policy.Tokenizer;
            case ITokenizer tokenizer: return tokenizer;
            case FileSystemInfo info: return Load(info.FullName);
            case string s when s.Equals("Byte", StringComparison.OrdinalIgnoreCase): return ByteTokenizerInstance;
            case string s when s.Length > 0: return Load(resolvePath(s));
            default:
                throw new TokenizerArgumentException("TokenizerTypeInvalid", ErrorCategory.InvalidArgument,
                    $"-Tokenizer takes a policy (Import-RlPolicy / New-RlPolicy), 'Byte', or the path of a Hugging Face tokenizer folder or tokenizer.json; got {(value is null ? "null" : value.GetType().FullName)}.");
        }
    }

    private static readonly ByteTokenizer ByteTokenizerInstance = new();

    /// <summary>" Did you mean 'Byte'?" when a tokenizer name that is not a path looks like it ('Bytes', 'byte-level').</summary>
    public static string ByteHint(string nameOrPath) =>
        Path.GetFileName(nameOrPath.TrimEnd('/', '\\')).StartsWith("byt", StringComparison.OrdinalIgnoreCase) ? " Did you mean 'Byte' (the byte-level tokenizer)?" : "";

    private static object Load(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new TokenizerArgumentException("TokenizerNotFound", ErrorCategory.ObjectNotFound,
                $"The tokenizer path '{path}' does not exist.{ByteHint(path)} Give a Hugging Face checkpoint folder (with tokenizer.json), a tokenizer.json file, or 'Byte'.");
        try
        {
            return TokenizerFiles.LoadShared(path);
        }
        catch (FileNotFoundException e)
        {
            throw new TokenizerArgumentException("TokenizerFileMissing", ErrorCategory.ObjectNotFound, e.Message, e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new TokenizerArgumentException("TokenizerNotFound", ErrorCategory.ObjectNotFound, e.Message, e);
        }
        catch (UnsafeFileException e)
        {
            throw new TokenizerArgumentException(e.ErrorId, ErrorCategory.InvalidArgument, e.Message, e);
        }
        catch (InvalidDataException e)
        {
            throw new TokenizerArgumentException("TokenizerInvalid", ErrorCategory.InvalidData, e.Message, e);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or KeyNotFoundException or OverflowException or System.Text.Json.JsonException)
        {
            throw new TokenizerArgumentException("TokenizerInvalid", ErrorCategory.InvalidData,
                $"The tokenizer files at '{path}' are malformed ({e.Message.Split('\n')[0]}). Use the tokenizer files of the base model.", e);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int[] Encode(object tokenizer, string text, bool addSpecialTokens)
    {
        try { return ((ITokenizer)tokenizer).Encode(text, addSpecialTokens); }
        catch (TokenizerRegexTimeoutException e)
        {
            throw new TokenizerArgumentException(TokenizerRegexTimeoutException.ErrorId, ErrorCategory.OperationTimeout, e.Message, e);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Decode(object tokenizer, int[] ids, bool skipSpecialTokens) => ((ITokenizer)tokenizer).Decode(ids, skipSpecialTokens);

    /// <summary>(name, description) of the registered C# chat templates.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IReadOnlyList<(string Name, string Description)> ChatTemplateNames() => [.. ChatTemplates.All.Select(t => (t.Name, t.Description))];

    /// <summary>The canonical name of a registered template, or null.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string? FindChatTemplate(string name) => ChatTemplates.Find(name)?.Name;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string RenderChat(string name, IReadOnlyList<ChatMessage> messages, string? systemPrompt, bool addGenerationPrompt)
        => ChatTemplates.Render(name, messages, systemPrompt, addGenerationPrompt);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IReadOnlyList<ChatMessage> WithSystemPrompt(IReadOnlyList<ChatMessage> messages, string? systemPrompt)
        => ChatTemplates.WithSystemPrompt(messages, systemPrompt);
}

/// <summary>
/// Chat rendering for cmdlets (ConvertTo-RlChatPrompt, and -ChatTemplate of rollout commands): a template is a
/// registered name (ChatML, Llama3) or a script block <c>{ param($Messages, $AddGenerationPrompt) ... }</c>
/// whose output strings are joined.
/// </summary>
public static class ChatPromptRenderer
{
    /// <summary>Renders <paramref name="messages"/> with <paramref name="template"/> (name or ScriptBlock).</summary>
    /// <exception cref="ArgumentException">The name is unknown or the template is neither a name nor a script block.</exception>
    public static string Render(object template, IReadOnlyList<ChatMessage> messages, string? systemPrompt, bool addGenerationPrompt)
    {
        object t = template is PSObject pso ? pso.BaseObject : template;
        if (t is ScriptBlock block)
        {
            var chat = TokenizerEngine.WithSystemPrompt(messages, systemPrompt).ToArray();
            var parts = block.Invoke(chat, addGenerationPrompt);
            return string.Concat(parts.Where(p => p is not null).Select(p => p.BaseObject?.ToString()));
        }
        if (t is string name) return TokenizerEngine.RenderChat(name, messages, systemPrompt, addGenerationPrompt);
        if (t is HfChatTemplate model) return RenderModel(model, messages, systemPrompt, addGenerationPrompt, null, null);
        throw new ArgumentException($"A chat template is a name ({string.Join(", ", TokenizerEngine.ChatTemplateNames().Select(x => x.Name))}), a model folder or tokenizer_config.json, or a script block; got {t?.GetType().FullName ?? "null"}.");
    }

    /// <summary>
    /// Renders a chat with a model's own Jinja template as transformers' apply_chat_template does. <paramref name="input"/>
    /// is what <see cref="ToTemplateMessages"/> takes; every message field (tool_calls, reasoning_content, …) reaches the template.
    /// </summary>
    /// <exception cref="ArgumentException">A message is malformed.</exception>
    /// <exception cref="JinjaException">The template raised an error (raise_exception, an undefined value, a type error).</exception>
    public static string RenderModel(HfChatTemplate template, object? input, string? systemPrompt, bool addGenerationPrompt, object? tools, IDictionary? variables)
    {
        List<object?> messages = ToTemplateMessages(input);
        if (!string.IsNullOrEmpty(systemPrompt) && !(messages.Count > 0 && messages[0] is PyDict first && first.TryGetValue("role", out object? r) && r is "system"))
            messages.Insert(0, new PyDict { ["role"] = "system", ["content"] = systemPrompt });
        Dictionary<string, object?>? vars = null;
        if (variables is not null)
        {
            vars = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (DictionaryEntry e in variables) vars[e.Key.ToString()!] = ToTemplateValue(e.Value);
        }
        return template.Render(messages, addGenerationPrompt, tools is null ? null : ToTemplateValue(tools), null, vars);
    }

    /// <summary>
    /// The messages of one chat as template values: a PromptRecord (its messages, else its prompt as a user turn), a
    /// string (one user turn), a ChatMessage, a hashtable or object with at least a role, or a list of those.
    /// </summary>
    /// <exception cref="ArgumentException">An item has no role.</exception>
    public static List<object?> ToTemplateMessages(object? input)
    {
        object? value = input is PSObject pso ? pso.BaseObject : input;
        switch (value)
        {
            case null: throw new ArgumentException("A chat message is null.");
            case PromptRecord p: return p.Messages is { Count: > 0 } m ? [.. m.Select(ToTemplateValue)] : [UserTurn(p.Prompt)];
            case string s: return [UserTurn(s)];
            case IEnumerable list when value is not IDictionary:
                return [.. list.Cast<object?>().SelectMany(x => x is string or PSObject { BaseObject: string }
                    ? throw new ArgumentException("A chat list holds messages with role and content, not bare strings: use @{ role = 'user'; content = '...' }.")
                    : ToTemplateMessages(x))];
            default:
                if (ToTemplateValue(input) is not PyDict d || !d.ContainsKey("role"))
                    throw new ArgumentException("A chat message needs a 'role' (and usually 'content'), e.g. @{ role = 'user'; content = 'Hi' }.");
                return [d];
        }
    }

    private static PyDict UserTurn(string text) => new() { ["role"] = "user", ["content"] = text };

    /// <summary>
    /// A PowerShell value as a template value: hashtables and objects become dicts (property names as keys, in order;
    /// ChatMessage gives role/content), lists become lists, numbers, strings, booleans and null stay.
    /// </summary>
    public static object? ToTemplateValue(object? value)
    {
        object? v = value is PSObject pso ? pso.BaseObject : value;
        switch (v)
        {
            case null: return null;
            case ChatMessage cm: return new PyDict { ["role"] = cm.Role, ["content"] = cm.Content };
            case string or bool or char or int or long or short or byte or sbyte or uint or ushort or ulong or float or double or decimal or System.Numerics.BigInteger:
                return PyJson.FromObject(v);
            case IDictionary dict:
                {
                    var d = new PyDict();
                    foreach (DictionaryEntry e in dict) d[e.Key is PSObject kp ? kp.BaseObject.ToString()! : e.Key.ToString()!] = ToTemplateValue(e.Value);
                    return d;
                }
            case IEnumerable list: return list.Cast<object?>().Select(ToTemplateValue).ToList();
            case PSCustomObject:
                {
                    var d = new PyDict();
                    foreach (PSPropertyInfo p in ((PSObject)value!).Properties) d[p.Name] = ToTemplateValue(p.Value);
                    return d;
                }
            default:
                {
                    var d = new PyDict();
                    foreach (PSPropertyInfo p in PSObject.AsPSObject(v).Properties.Where(p => p.IsGettable)) d[p.Name] = ToTemplateValue(p.Value);
                    return d;
                }
        }
    }

    /// <summary>
    /// A -Template/-ChatTemplate argument: a registered name gives its canonical name; an existing model folder,
    /// tokenizer_config.json or .jinja file gives its <see cref="HfChatTemplate"/>; a script block stays.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither a registered name nor an existing path.</exception>
    /// <exception cref="InvalidDataException">The file holds no chat template or is not valid JSON.</exception>
    public static object Resolve(object template, Func<string, string> resolvePath)
    {
        object t = template is PSObject pso ? pso.BaseObject : template;
        if (t is ScriptBlock or HfChatTemplate) return t;
        if (t is not string name) throw new ArgumentException($"A chat template is a name, a model folder or tokenizer_config.json, or a script block; got {t.GetType().FullName}.");
        if (TokenizerEngine.FindChatTemplate(name) is string canonical) return canonical;
        string path = resolvePath(name);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"'{name}' is neither a chat template name ({string.Join(", ", TokenizerEngine.ChatTemplateNames().Select(x => x.Name))}) nor a model folder, tokenizer_config.json or .jinja file.", name);
        try { return HfChatTemplate.Load(path); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e); }
        catch (JinjaException e) { throw new InvalidDataException($"The chat template of '{path}' does not parse: {e.Message}", e); }
    }

    /// <summary>
    /// One chat from pipeline or parameter input: a PromptRecord (its messages, else its prompt as a user turn),
    /// a string (one user turn), a ChatMessage, a hashtable or object with role and content, or a list of those.
    /// </summary>
    /// <exception cref="ArgumentException">An item has no role or content.</exception>
    public static List<ChatMessage> ToMessages(object? input)
    {
        object? value = input is PSObject pso ? pso.BaseObject : input;
        switch (value)
        {
            case null: throw new ArgumentException("A chat message is null.");
            case PromptRecord p: return p.Messages is { Count: > 0 } m ? [.. m] : [new ChatMessage("user", p.Prompt)];
            case string s: return [new ChatMessage("user", s)];
            case ChatMessage c: return [c];
            case IDictionary d: return [FromPairs(k => d.Contains(k) ? d[k] : FindKey(d, k))];
            case IEnumerable list: return [.. list.Cast<object?>().SelectMany(x => x is string ? throw new ArgumentException("A chat list holds messages with role and content, not bare strings: use @{ role = 'user'; content = '...' }.") : ToMessages(x))];
            default:
                var ps = PSObject.AsPSObject(input!);
                return [FromPairs(k => ps.Properties[k]?.Value)];
        }
    }

    private static object? FindKey(IDictionary d, string key)
    {
        foreach (DictionaryEntry e in d)
            if (e.Key is string k && k.Equals(key, StringComparison.OrdinalIgnoreCase)) return e.Value;
        return null;
    }

    private static ChatMessage FromPairs(Func<string, object?> get)
    {
        object? role = get("role") ?? get("Role");
        object? content = get("content") ?? get("Content");
        if (role is null || content is null)
            throw new ArgumentException("A chat message needs 'role' and 'content' (e.g. @{ role = 'user'; content = 'Hi' }).");
        return new ChatMessage(LanguagePrimitives.ConvertTo<string>(role), LanguagePrimitives.ConvertTo<string>(content));
    }
}

/// <summary>Tab completion for chat template names.</summary>
public sealed class ChatTemplateCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names() => TokenizerEngine.ChatTemplateNames();
}

/// <summary>Tab completion for -ChatTemplate of rollout commands: Auto and the registered names.</summary>
public sealed class RolloutChatTemplateCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names() =>
        [("Auto", "The policy's own Jinja chat template (tokenizer_config.json), rendered as transformers does"), .. TokenizerEngine.ChatTemplateNames()];
}
