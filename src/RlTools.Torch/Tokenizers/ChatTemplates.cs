using System.Text;
using RlTools.Core.Records;

namespace RlTools.Torch.Tokenizers;

/// <summary>
/// Renders a chat (a list of role/content messages) as the prompt text a model was trained on. The
/// rendered text contains special-token strings (e.g. <c>&lt;|im_start|&gt;</c>, <c>&lt;|begin_of_text|&gt;</c>);
/// encode it with <c>addSpecialTokens: false</c> so the tokenizer maps them to their ids and adds no second BOS.
/// </summary>
public interface IChatTemplate
{
    /// <summary>Registry name (e.g. <c>ChatML</c>).</summary>
    string Name { get; }

    /// <summary>One line for listings and tab completion.</summary>
    string Description { get; }

    /// <summary>The prompt text of <paramref name="messages"/>; with <paramref name="addGenerationPrompt"/>, ends with the header of an assistant turn.</summary>
    string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt);
}

/// <summary>
/// ChatML, the format of Qwen2/Qwen2.5/Qwen3 instruct models:
/// <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c> per message, then <c>&lt;|im_start|&gt;assistant\n</c>
/// as the generation prompt. Content is used verbatim. No default system prompt is inserted (Qwen2.5's
/// template inserts one when the chat has none: pass it with <c>-SystemPrompt</c>), and Qwen3's optional
/// <c>&lt;think&gt;</c> block is not added.
/// </summary>
public sealed class ChatMLTemplate : IChatTemplate
{
    public string Name => "ChatML";
    public string Description => "Qwen2/Qwen2.5/Qwen3: <|im_start|>role\\ncontent<|im_end|>\\n ... <|im_start|>assistant\\n";

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (ChatMessage m in messages)
            sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        if (addGenerationPrompt) sb.Append("<|im_start|>assistant\n");
        return sb.ToString();
    }
}

/// <summary>
/// The Llama-3 instruct format: <c>&lt;|begin_of_text|&gt;</c>, then per message
/// <c>&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{trimmed content}&lt;|eot_id|&gt;</c>, then
/// <c>&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n</c> as the generation prompt. Content is
/// trimmed of leading and trailing white space, as the Jinja template's <c>| trim</c> does. (Llama-3.1's
/// template also writes a knowledge-cutoff date into the system turn; pass that text as the system prompt if wanted.)
/// </summary>
public sealed class Llama3Template : IChatTemplate
{
    public string Name => "Llama3";
    public string Description => "Llama-3 instruct: <|begin_of_text|><|start_header_id|>role<|end_header_id|>\\n\\ncontent<|eot_id|> ...";

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder("<|begin_of_text|>");
        foreach (ChatMessage m in messages)
            sb.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(m.Content.Trim()).Append("<|eot_id|>");
        if (addGenerationPrompt) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return sb.ToString();
    }
}

/// <summary>The chat templates known by name (tab completion, <c>-Template</c>, <c>-ChatTemplate</c>).</summary>
public static class ChatTemplates
{
    /// <summary>Every registered template.</summary>
    public static IReadOnlyList<IChatTemplate> All { get; } = [new ChatMLTemplate(), new Llama3Template()];

    /// <summary>The template named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static IChatTemplate? Find(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The registered template a checkpoint's Jinja <c>chat_template</c> (tokenizer_config.json) corresponds to,
    /// recognised by its markers: <c>&lt;|im_start|&gt;</c> gives ChatML, <c>&lt;|start_header_id|&gt;</c> gives Llama3;
    /// null when neither (or no template). The Jinja text itself is not evaluated.
    /// </summary>
    public static IChatTemplate? Detect(string? jinja)
    {
        if (string.IsNullOrEmpty(jinja)) return null;
        if (jinja.Contains("<|im_start|>", StringComparison.Ordinal)) return Find("ChatML");
        if (jinja.Contains("<|start_header_id|>", StringComparison.Ordinal)) return Find("Llama3");
        return null;
    }

    /// <summary>
    /// The messages with <paramref name="systemPrompt"/> as a leading system message, unless it is null/empty
    /// or the chat already starts with a system message (the chat's own wins).
    /// </summary>
    public static IReadOnlyList<ChatMessage> WithSystemPrompt(IReadOnlyList<ChatMessage> messages, string? systemPrompt)
    {
        if (string.IsNullOrEmpty(systemPrompt) || (messages.Count > 0 && messages[0].Role == "system")) return messages;
        return [new ChatMessage("system", systemPrompt), .. messages];
    }

    /// <summary>Renders with the named template; <see cref="ArgumentException"/> listing the names when it is unknown.</summary>
    public static string Render(string name, IReadOnlyList<ChatMessage> messages, string? systemPrompt = null, bool addGenerationPrompt = true)
    {
        IChatTemplate template = Find(name) ?? throw new ArgumentException(
            $"Unknown chat template '{name}'. Known templates: {string.Join(", ", All.Select(t => t.Name))}.", nameof(name));
        return template.Render(WithSystemPrompt(messages, systemPrompt), addGenerationPrompt);
    }
}
