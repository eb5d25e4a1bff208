using System.Collections;
using System.Management.Automation;
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
        throw new ArgumentException($"A chat template is a name ({string.Join(", ", TokenizerEngine.ChatTemplateNames().Select(x => x.Name))}) or a script block; got {t?.GetType().FullName ?? "null"}.");
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
