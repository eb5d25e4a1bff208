using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace RlTools.Hosting;

/// <summary>
/// The isolated load context for the engine (RlTools.Torch), TorchSharp and TorchSharp's own
/// dependencies (Google.Protobuf, SharpZipLib, SkiaSharp, ...), all of which live in
/// <c>Dependencies/</c> beside the module assembly. Assemblies that also exist in the module
/// root (RlTools.Core and its dependencies) are left to the default context, so the records
/// that flow through the pipeline have one type identity on both sides.
/// </summary>
/// <remarks>
/// Pattern: "Resolving handler + custom ALC", PowerShell docs, resolving-dependency-conflicts.
/// Native libraries are not isolated by an ALC: libtorch is loaded once per process.
/// </remarks>
internal sealed class EngineLoadContext : AssemblyLoadContext
{
    private readonly string _dependencyDir;
    private readonly string _rootDir;

    public EngineLoadContext(string rootDir, string dependencyDir) : base("RlTools.Engine", isCollectible: false)
    {
        _rootDir = rootDir;
        _dependencyDir = dependencyDir;
    }

    public string DependencyDirectory => _dependencyDir;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string file = assemblyName.Name + ".dll";
        // Shared with the default context (the records' assembly and its dependencies).
        if (File.Exists(Path.Combine(_rootDir, file))) return null;
        string path = Path.Combine(_dependencyDir, file);
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        foreach (string candidate in NativeCandidates(unmanagedDllName))
        {
            string path = Path.Combine(_dependencyDir, candidate);
            if (File.Exists(path)) return LoadUnmanagedDllFromPath(path);
        }
        return IntPtr.Zero;
    }

    private static IEnumerable<string> NativeCandidates(string name)
    {
        yield return name;
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            yield return name + ".dll";
        }
        else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
        {
            yield return "lib" + name + ".dylib";
            yield return name + ".dylib";
        }
        else
        {
            yield return "lib" + name + ".so";
            yield return name + ".so";
        }
    }
}
