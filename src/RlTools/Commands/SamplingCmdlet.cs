using System.Management.Automation;

namespace RlTools.Commands;

/// <summary>
/// The sampling parameters, declared once with one set of defaults and validation for every cmdlet that generates
/// (Invoke-RlRollout, Measure-RlPolicy): -MaxTokens, -Temperature, -TopP, -TopK, -MinP, -Stop, -StopTokenId. They map
/// one-to-one onto the engine's SamplingOptions (whose Validate is the engine-side check).
/// </summary>
public abstract class SamplingCmdlet : RlCmdlet
{
    /// <summary>Most new tokens per completion.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxTokens { get; set; } = 256;

    /// <summary>Sampling temperature; 0 is greedy.</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>Nucleus sampling mass, in (0, 1].</summary>
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

    /// <summary>The checks the attributes cannot express; call from BeginProcessing.</summary>
    protected void CheckSampling()
    {
        if (TopP <= 0) ThrowRlError("InvalidTopP", ErrorCategory.InvalidArgument, TopP, "-TopP must be greater than 0 and at most 1.");
    }
}
