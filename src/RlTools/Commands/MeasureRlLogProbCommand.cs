using System.Management.Automation;
using RlTools.Core.Records;
using RlTools.Torch;

namespace RlTools.Commands;

/// <summary>Measure-RlLogProb: recomputes per-token log-probs and entropies of rollouts with a full forward pass.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "RlLogProb")]
[OutputType(typeof(Rollout))]
public sealed class MeasureRlLogProbCommand : RlCmdlet
{
    /// <summary>Rollouts with prompt and completion tokens.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Rollout? InputObject { get; set; }

    /// <summary>The policy that scores the tokens.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public Policy? Policy { get; set; }

    /// <summary>Temperature of the scored distribution (as in sampling; 0 means 1).</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>Rollouts per forward pass.</summary>
    [Parameter]
    [ValidateRange(1, 65536)]
    public int BatchSize { get; set; } = 8;

    /// <summary>Write RefLogprobs (reference policy) instead of Logprobs and Entropies.</summary>
    [Parameter]
    public SwitchParameter AsReference { get; set; }

    private readonly List<Rollout> pending = new();
    private long vocab;

    protected override void BeginProcessing() => vocab = PolicyEngine.VocabSize(Policy!);

    protected override void ProcessRecord()
    {
        Rollout r = InputObject!;
        if (r.PromptTokens is not { Length: > 0 } || r.CompletionTokens is null)
        {
            WriteRlError("RolloutMissingTokens", ErrorCategory.InvalidData, r,
                $"Rollout '{r.PromptId}' #{r.SampleIndex} has no prompt_tokens or completion_tokens; log-probs need the token ids. Keep them when exporting rollouts.");
            return;
        }
        int bad = r.PromptTokens.Concat(r.CompletionTokens).FirstOrDefault(id => id < 0 || id >= vocab, -1);
        if (bad != -1 || r.PromptTokens.Concat(r.CompletionTokens).Any(id => id < 0))
        {
            WriteRlError("TokenOutOfVocabulary", ErrorCategory.InvalidData, r,
                $"Rollout '{r.PromptId}' #{r.SampleIndex} has a token id outside this policy's vocabulary (0..{vocab - 1}). Score rollouts with the policy (and tokenizer) that produced them.");
            return;
        }
        pending.Add(r);
        if (pending.Count >= BatchSize) Flush();
    }

    protected override void EndProcessing() => Flush();

    private void Flush()
    {
        if (pending.Count == 0) return;
        try
        {
            var (lp, ent) = PolicyEngine.LogProbs(Policy!, pending, Temperature, BatchSize);
            for (int i = 0; i < pending.Count; i++)
            {
                if (AsReference) pending[i].RefLogprobs = lp[i];
                else { pending[i].Logprobs = lp[i]; pending[i].Entropies = ent[i]; }
                WriteObject(pending[i]);
            }
        }
        catch (RlEngineException e)
        {
            foreach (Rollout r in pending) WriteRlError(e.ErrorId, e.Category, r, e.Message, e);
        }
        finally
        {
            pending.Clear();
        }
    }
}
