using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using RlTools.Core.Records;
using RlTools.Torch;

namespace RlTools.Commands;

/// <summary>Invoke-RlRollout: samples GroupSize completions per prompt from a policy and emits rollout records.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "RlRollout")]
[OutputType(typeof(Rollout))]
public sealed class InvokeRlRolloutCommand : RlCmdlet
{
    /// <summary>Prompts: PromptRecord objects, or any objects with a Prompt (and optionally Id, Answer, Messages) property.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject? InputObject { get; set; }

    /// <summary>The policy to sample from.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public Policy? Policy { get; set; }

    /// <summary>Completions per prompt.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int GroupSize { get; set; } = 1;

    /// <summary>Most tokens per completion.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxTokens { get; set; } = 256;

    /// <summary>Completions decoded together.</summary>
    [Parameter]
    [ValidateRange(1, 65536)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Sampling temperature; 0 is greedy.</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>Nucleus sampling mass.</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double TopP { get; set; } = 1.0;

    /// <summary>Keep only the K most likely tokens (0: off).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int TopK { get; set; }

    /// <summary>Drop tokens below MinP times the top probability (0: off).</summary>
    [Parameter]
    [ValidateRange(0.0, 0.999999)]
    public double MinP { get; set; }

    /// <summary>Stop strings.</summary>
    [Parameter]
    public string[] Stop { get; set; } = Array.Empty<string>();

    /// <summary>Stop token ids (besides the tokenizer's EOS).</summary>
    [Parameter]
    public int[] StopTokenId { get; set; } = Array.Empty<int>();

    /// <summary>Seed for reproducible sampling.</summary>
    [Parameter]
    public long Seed { get; set; }

    /// <summary>A system message for prompts that carry none.</summary>
    [Parameter]
    public string? SystemPrompt { get; set; }

    /// <summary>
    /// Formats chat messages into prompt text. Null: message contents joined by a blank line (a plain prompt is used as is).
    /// Set by the chat-template registry when it is wired in.
    /// </summary>
    internal static Func<object?, Func<IReadOnlyList<ChatMessage>, string>?>? TemplateResolver { get; set; }

    private readonly List<PromptRecord> prompts = new();

    protected override void BeginProcessing()
    {
        if (TopP <= 0) ThrowRlError("InvalidTopP", ErrorCategory.InvalidArgument, TopP, "-TopP must be greater than 0 and at most 1.");
    }

    protected override void ProcessRecord()
    {
        if (ToPrompt(InputObject!, prompts.Count) is PromptRecord p) prompts.Add(p);
    }

    private PromptRecord? ToPrompt(PSObject input, int index)
    {
        if (input.BaseObject is PromptRecord record) return record;
        if (input.BaseObject is string s) return new PromptRecord { Id = $"prompt-{index}", Prompt = s };
        string? text = Property(input, "Prompt")?.ToString();
        if (text is null)
        {
            WriteRlError("PromptMissing", ErrorCategory.InvalidData, input.BaseObject,
                "The input has no Prompt property. Pipe PromptRecord objects (Import-RlDataset), strings, or objects with a Prompt property (and optionally Id and Answer).");
            return null;
        }
        var rec = new PromptRecord
        {
            Id = (Property(input, "Id") ?? Property(input, "PromptId"))?.ToString() ?? $"prompt-{index}",
            Prompt = text,
            Answer = Property(input, "Answer")?.ToString(),
        };
        if (Property(input, "Messages") is IEnumerable msgs and not string)
        {
            var list = new List<ChatMessage>();
            foreach (object? m in msgs)
            {
                if (m is null) continue;
                var pm = PSObject.AsPSObject(m);
                if (pm.BaseObject is ChatMessage cm) { list.Add(cm); continue; }
                string? role = (Property(pm, "Role") ?? (pm.BaseObject is IDictionary d ? d["role"] : null))?.ToString();
                string? content = (Property(pm, "Content") ?? (pm.BaseObject is IDictionary d2 ? d2["content"] : null))?.ToString();
                if (role is not null && content is not null) list.Add(new ChatMessage(role, content));
            }
            if (list.Count > 0) rec.Messages = list;
        }
        return rec;
    }

    private static object? Property(PSObject o, string name)
    {
        if (o.BaseObject is IDictionary d) { foreach (DictionaryEntry e in d) if (string.Equals(e.Key?.ToString(), name, StringComparison.OrdinalIgnoreCase)) return e.Value is PSObject p ? p.BaseObject : e.Value; return null; }
        object? v = o.Properties[name]?.Value;
        return v is PSObject ps ? ps.BaseObject : v;
    }

    protected override void EndProcessing()
    {
        if (prompts.Count == 0) return;
        string activity = "Invoke-RlRollout";
        var progress = new ProgressRecord(1, activity, $"{prompts.Count} prompts × {GroupSize}");
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var (rollouts, batch, batches, done, total) in PolicyEngine.Rollout(Policy!, prompts, GroupSize, BatchSize, MaxTokens,
                         Temperature, TopP, TopK, MinP, Stop, StopTokenId, MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : null,
                         SystemPrompt, TemplateResolver?.Invoke(null)))
            {
                foreach (Rollout r in rollouts) WriteObject(r);
                long tokens = rollouts.Sum(r => (long)r.CompletionLength);
                progress = new ProgressRecord(1, activity, $"batch {batch + 1}/{batches}: {done}/{total} completions, {total - done} to go");
                progress.PercentComplete = (int)(100L * done / total);
                progress.CurrentOperation = $"{tokens} tokens in the last batch; {clock.Elapsed.TotalSeconds:F1} s so far";
                WriteProgress(progress);
                if (Stopping) break;
            }
        }
        catch (RlEngineException e)
        {
            ThrowRlError(e.ErrorId, e.Category, e.Target, e.Message, e);
        }
        finally
        {
            WriteProgress(new ProgressRecord(1, activity, "done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
