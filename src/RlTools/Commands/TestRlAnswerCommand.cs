using System.Collections;
using System.Management.Automation;
using RlTools.Core.Records;
using RlTools.Core.Verifiers;

namespace RlTools.Commands;

/// <summary>Test-RlAnswer: checks one completion against one gold answer with one verifier and explains the decision.</summary>
[Cmdlet(VerbsDiagnostic.Test, "RlAnswer")]
[OutputType(typeof(AnswerCheck))]
public sealed class TestRlAnswerCommand : RlCmdlet
{
    /// <summary>The model's completion (or just its final answer).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string Completion { get; set; } = "";

    /// <summary>The gold answer (or a full gold solution).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string Answer { get; set; } = "";

    /// <summary>Verifier name (default Math).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(VerifierNameCompleter))]
    public string Verifier { get; set; } = "Math";

    /// <summary>The verifier's parameters, e.g. @{ Fallback = $false }.</summary>
    [Parameter]
    public Hashtable? Parameters { get; set; }

    private IVerifier? _verifier;

    protected override void BeginProcessing()
    {
        var info = VerifierRegistry.Find(Verifier);
        if (info is null)
            ThrowRlError("UnknownVerifier", ErrorCategory.InvalidArgument, Verifier, $"Unknown verifier '{Verifier}'. Valid names: {VerifierRegistry.NameList}.");
        if (info!.HostProvided)
            ThrowRlError("VerifierNeedsPipeline", ErrorCategory.InvalidArgument, Verifier, $"The {info.Name} verifier runs only in Measure-RlReward (-ScriptBlock). Pick another verifier for Test-RlAnswer.");
        try { _verifier = info.Create(PowerShellValues.Plain(Parameters)); }
        catch (ArgumentException e) { ThrowRlError("InvalidVerifierParameter", ErrorCategory.InvalidArgument, Parameters, e.Message, e); }
    }

    protected override void ProcessRecord()
    {
        var rollout = new Rollout { Completion = Completion ?? "", Answer = Answer };
        WriteObject(AnswerCheck.From(_verifier!.Name, _verifier.Verify(rollout)));
    }
}
