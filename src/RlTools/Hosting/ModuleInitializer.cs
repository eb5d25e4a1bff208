using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace RlTools.Hosting;

/// <summary>
/// Runs when PowerShell imports the module: hooks <see cref="AssemblyLoadContext.Default"/>'s
/// Resolving event so that the engine assembly (RlTools.Torch) is loaded into
/// <see cref="EngineLoadContext"/> and the module root's own assemblies (RlTools.Core and its
/// dependencies) into the default context. It answers for nothing else.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string EngineAssemblyName = "RlTools.Torch";

    private static readonly string RootDir =
        Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? AppContext.BaseDirectory;

    private static readonly Lazy<EngineLoadContext> Engine =
        new(() => new EngineLoadContext(RootDir, Path.Combine(RootDir, "Dependencies")));

    /// <summary>The engine's load context (created on first use).</summary>
    internal static EngineLoadContext EngineContext => Engine.Value;

    public void OnImport()
    {
        OpenMpEnvironment.Apply(); // before anything loads libtorch
        AssemblyLoadContext.Default.Resolving += ResolveFromModule;
    }

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= ResolveFromModule;

    private static Assembly? ResolveFromModule(AssemblyLoadContext context, AssemblyName name)
    {
        if (name.Name == EngineAssemblyName)
            return Engine.Value.LoadFromAssemblyName(name);
        // RlTools.Core and its dependencies sit beside the module assembly.
        string local = Path.Combine(RootDir, name.Name + ".dll");
        return File.Exists(local) ? context.LoadFromAssemblyPath(local) : null;
    }
}
