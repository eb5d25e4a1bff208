using System.Management.Automation;
using System.Runtime.CompilerServices;
using RlTools.Core.Records;
using RlTools.Torch;
using RlTools.Torch.Generation;

namespace RlTools.Commands;

/// <summary>ConvertTo-RlRollout: demonstrations (prompt + known completion) to tokenized expert rollouts for SFT or hybrid updates.</summary>
[Cmdlet(VerbsData.ConvertTo, "RlRollout")]
[OutputType(typeof(Rollout))]
public sealed class ConvertToRlRolloutCommand : RlCmdlet
{
    private readonly List<(PromptRecord, string)> _pairs = new();

    /// <summary>The policy whose tokenizer (and prompt formatting) the rollouts must match.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public Policy? Policy { get; set; }

    /// <summary>A prompt record carrying its demonstration (New-RlDataset -WithSolution, Import-RlDataset).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PromptRecord? InputObject { get; set; }

    /// <summary>The metadata key holding the demonstration text (default: solution).</summary>
    [Parameter]
    public string CompletionField { get; set; } = "solution";

    /// <summary>Use the gold answer itself as the demonstration.</summary>
    [Parameter]
    public SwitchParameter UseAnswer { get; set; }

    /// <summary>A system message for prompts that carry none (must match the one used for rollouts).</summary>
    [Parameter]
    public string? SystemPrompt { get; set; }

    /// <summary>Do not append the tokenizer's end-of-sequence token to the completion.</summary>
    [Parameter]
    public SwitchParameter NoEos { get; set; }

    protected override void ProcessRecord()
    {
        PromptRecord p = InputObject!;
        string? completion = UseAnswer ? p.Answer : p.Metadata.TryGetValue(CompletionField, out object? v) ? v?.ToString() : null;
        if (string.IsNullOrEmpty(completion))
        {
            WriteRlError("DemonstrationMissing", ErrorCategory.InvalidData, p.Id,
                UseAnswer ? $"Prompt '{p.Id}' has no answer to use as the demonstration."
                          : $"Prompt '{p.Id}' has no '{CompletionField}' metadata. Use New-RlDataset -WithSolution, name the field with -CompletionField, or use -UseAnswer.");
            return;
        }
        _pairs.Add((p, completion));
    }

    protected override void EndProcessing()
    {
        if (_pairs.Count == 0) return;
        try
        {
            foreach (Rollout r in Tokenize(Policy!, _pairs, SystemPrompt, !NoEos)) WriteObject(r);
        }
        catch (PromptException e)
        {
            ThrowRlError("PromptHasNoTokens", ErrorCategory.InvalidData, e.PromptId, e.Message, e);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<Rollout> Tokenize(Policy policy, List<(PromptRecord, string)> pairs, string? system, bool eos)
        => Demonstrations.Tokenize(policy, pairs, system, null, eos);
}
