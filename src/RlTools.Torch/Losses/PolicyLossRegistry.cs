using TorchSharp;
namespace RlTools.Torch.Losses;

/// <summary>The typed list of policy losses: Get-RlPolicyLoss, tab completion and Update-RlPolicy read it.</summary>
public static class PolicyLossRegistry
{
    /// <summary>Every loss, in listing order.</summary>
    public static IReadOnlyList<IPolicyLoss> All { get; } = new IPolicyLoss[]
    {
        new PpoClipLoss(), new DapoClipHigherLoss(), new GspoLoss(), new CispoLoss(), new SapoLoss(), new GmpoLoss(),
        new GpgLoss(), new ClipCovLoss(), new KlCovLoss(), new DroLoss(), new NgrpoClipLoss(), new HapoClipLoss(), new GraoLoss(),
    };

    /// <summary>Finds a loss by name or alias (case-insensitive); null when unknown.</summary>
    public static IPolicyLoss? Find(string name) =>
        All.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase)
            || l.Aliases.Any(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// Resolves a loss's parameters: the loss's defaults, overridden by <paramref name="overrides"/> (names
    /// case-insensitive). Throws <see cref="ArgumentException"/> naming the problem for unknown names, a missing
    /// required value (NaN default) or a non-finite value.
    /// </summary>
    public static Dictionary<string, double> ResolveParameters(IPolicyLoss loss, IReadOnlyDictionary<string, double>? overrides)
    {
        var result = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in loss.Parameters) result[p.Name] = p.Default is double d ? d : double.NaN;
        if (overrides != null)
        {
            foreach (var (name, value) in overrides)
            {
                var p = loss.Parameters.FirstOrDefault(x => string.Equals(x.Name, name, StringComparison.OrdinalIgnoreCase));
                if (p is null)
                    throw new ArgumentException($"The loss '{loss.Name}' has no parameter '{name}'. Its parameters: {string.Join(", ", loss.Parameters.Select(x => x.Name).DefaultIfEmpty("(none)"))}.");
                if (!double.IsFinite(value))
                    throw new ArgumentException($"The loss parameter '{p.Name}' must be a finite number, not {value}.");
                result[p.Name] = value;
            }
        }
        foreach (var (name, value) in result)
            if (double.IsNaN(value))
                throw new ArgumentException($"The loss '{loss.Name}' needs a value for '{name}' (no default). Pass it with -LossParameter @{{ {name} = ... }}.");
        if (result.TryGetValue("DroBeta", out double b) && !(b > 0))
            throw new ArgumentException("DroBeta must be greater than 0.");
        return result;
    }
}
