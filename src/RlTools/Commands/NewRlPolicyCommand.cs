using System.Collections;
using System.Management.Automation;
using RlTools.Torch;

namespace RlTools.Commands;

/// <summary>New-RlPolicy: a freshly initialised policy from a config (hashtable, config.json or preset) and a tokenizer.</summary>
[Cmdlet(VerbsCommon.New, "RlPolicy")]
[OutputType(typeof(Policy))]
public sealed class NewRlPolicyCommand : RlCmdlet
{
    /// <summary>A hashtable of config.json keys, a config.json path (or its folder), or a preset name (Tiny, Small, Qwen2.5-0.5B).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(ModelPresetCompleter))]
    [ValidateNotNull]
    public object Config { get; set; } = "Tiny";

    /// <summary>'Byte' for the byte tokenizer, or a folder holding tokenizer.json.</summary>
    [Parameter(Position = 1)]
    [ArgumentCompleter(typeof(TokenizerNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Tokenizer { get; set; } = "Byte";

    /// <summary>Seed for the weight initialisation.</summary>
    [Parameter]
    public long Seed { get; set; }

    /// <summary>cpu, cuda or cuda:N.</summary>
    [Parameter]
    [ValidatePattern(@"^(cpu|cuda(:\d+)?)$")]
    public string Device { get; set; } = "cpu";

    /// <summary>Weight dtype.</summary>
    [Parameter]
    [ValidateSet("float32", "bfloat16")]
    public string DType { get; set; } = "float32";

    protected override void EndProcessing()
    {
        object config = Config is PSObject p ? p.BaseObject : Config;
        string? configPath = null;
        if (config is string s && (s.Contains('/') || s.Contains('\\') || s.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(ResolveFileSystemPath(s)) || Directory.Exists(ResolveFileSystemPath(s))))
            configPath = ResolveExistingPath(s, "model config");
        else if (config is not (string or IDictionary))
            ThrowRlError("InvalidModelConfig", ErrorCategory.InvalidArgument, Config,
                "-Config takes a hashtable of config.json keys, a config.json path or a preset name (Tiny, Small, Qwen2.5-0.5B).");

        string? tokenizerPath = null;
        if (!Tokenizer.Equals("Byte", StringComparison.OrdinalIgnoreCase))
        {
            string full = ResolveFileSystemPath(Tokenizer);
            if (!File.Exists(full) && !Directory.Exists(full))
                ThrowRlError("PathNotFound", ErrorCategory.ObjectNotFound, Tokenizer,
                    $"There is no tokenizer '{Tokenizer}' (no such folder: '{full}').{TokenizerEngine.ByteHint(Tokenizer)} -Tokenizer takes 'Byte' or a folder holding tokenizer.json.");
            tokenizerPath = full;
            if (File.Exists(tokenizerPath)) tokenizerPath = System.IO.Path.GetDirectoryName(tokenizerPath)!;
        }
        try
        {
            WriteObject(PolicyEngine.New(config, configPath, Tokenizer, tokenizerPath,
                MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : null, Device, DType));
        }
        catch (RlEngineException e)
        {
            ThrowRlError(e.ErrorId, e.Category, e.Target ?? Config, e.Message, e);
        }
    }
}

/// <summary>Completes model preset names.</summary>
public sealed class ModelPresetCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names() => new[]
    {
        ("Tiny", "2 layers, width 64, byte vocabulary: tests and CPU demos"),
        ("Small", "4 layers, width 128"),
        ("Qwen2.5-0.5B", "the Qwen2.5-0.5B shape (random weights)"),
    };
}

/// <summary>Completes -Tokenizer's one name, Byte; any other word falls back to PowerShell's path completion.</summary>
public sealed class TokenizerNameCompleter : NameCompleter
{
    protected override IEnumerable<(string Name, string Description)> Names() => [("Byte", "the byte-level tokenizer (259 ids), or give a folder holding tokenizer.json")];
}
