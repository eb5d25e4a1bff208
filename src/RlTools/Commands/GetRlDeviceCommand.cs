using System.Management.Automation;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>Get-RlDevice: reports the Torch backend (libtorch version, threads, CUDA).</summary>
[Cmdlet(VerbsCommon.Get, "RlDevice")]
[OutputType(typeof(DeviceInfo))]
public sealed class GetRlDeviceCommand : PSCmdlet
{
    /// <summary>Sets libtorch's intra-op thread count before reporting.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int Threads { get; set; }

    /// <summary>Also runs a matmul and a backward pass and reports whether they were right.</summary>
    [Parameter]
    public SwitchParameter Check { get; set; }

    protected override void EndProcessing()
    {
        try
        {
            WriteObject(Engine.Describe(MyInvocation.BoundParameters.ContainsKey(nameof(Threads)) ? Threads : null, Check.IsPresent));
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or BadImageFormatException)
        {
            ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException(
                    "The Torch backend could not be loaded: " + (e.InnerException?.Message ?? e.Message) +
                    " Rebuild the module with 'dotnet pwsh ./build.ps1 -Task Build' (it prepares the native libraries), " +
                    "and check that the TorchSharp backend package matches this machine.", e),
                "TorchBackendUnavailable", ErrorCategory.NotInstalled, null));
        }
    }
}
