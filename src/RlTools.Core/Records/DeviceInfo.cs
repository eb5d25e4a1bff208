namespace RlTools.Core.Records;

/// <summary>What <c>Get-RlDevice</c> reports about the Torch backend in this process.</summary>
public sealed class DeviceInfo
{
    /// <summary>The libtorch version TorchSharp runs on (e.g. 2.10.0).</summary>
    public string LibTorchVersion { get; set; } = "";
    /// <summary>The TorchSharp assembly version.</summary>
    public string TorchSharpVersion { get; set; } = "";
    /// <summary>The backend the module was built with (cpu, cuda-linux, cuda-windows).</summary>
    public string Backend { get; set; } = "";
    /// <summary>Intra-op CPU threads libtorch uses.</summary>
    public int Threads { get; set; }
    /// <summary>Whether CUDA is available to this process.</summary>
    public bool CudaAvailable { get; set; }
    /// <summary>Number of CUDA devices (0 without CUDA).</summary>
    public int CudaDeviceCount { get; set; }
    /// <summary>The device new tensors go to by default: cpu or cuda.</summary>
    public string DefaultDevice { get; set; } = "cpu";
    /// <summary>Folder the native libraries were loaded from.</summary>
    public string NativePath { get; set; } = "";
    /// <summary>With -Check: "passed" when a matmul and a backward pass gave the closed-form result, else what failed; null without -Check.</summary>
    public string? Check { get; set; }
    /// <summary>The assembly load context the engine runs in.</summary>
    public string LoadContext { get; set; } = "";
}
