namespace RlTools.Core.Records;

/// <summary>One chat message (<c>role</c>, <c>content</c>).</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// A prompt from a dataset: what <c>Import-RlDataset</c> emits and <c>Invoke-RlRollout</c> takes.
/// </summary>
public sealed class PromptRecord
{
    /// <summary><c>id</c>: stable identifier (from the id field, else derived from file and row).</summary>
    public string Id { get; set; } = "";

    /// <summary><c>prompt</c>: the prompt text (for chat rows, the last user message).</summary>
    public string Prompt { get; set; } = "";

    /// <summary><c>messages</c>: the chat form, when the dataset gives one.</summary>
    public List<ChatMessage>? Messages { get; set; }

    /// <summary><c>answer</c>: the gold answer, if any.</summary>
    public string? Answer { get; set; }

    /// <summary><c>metadata</c>: every other column of the row, carried through.</summary>
    public Dictionary<string, object?> Metadata { get; set; } = new(StringComparer.Ordinal);
}
