namespace RlTools.Torch.Training.Objectives;

/// <summary>The typed list of update objectives: Update-RlPolicy -Objective, its tab completion and help read it.</summary>
public static class ObjectiveRegistry
{
    /// <summary>Every objective, in listing order (the first is the default).</summary>
    public static IReadOnlyList<IUpdateObjective> All { get; } = new IUpdateObjective[]
    {
        new RlObjective(), new SftObjective(), new HybridObjective(), new CalibRlObjective(),
    };

    /// <summary>Finds an objective by name (case-insensitive); null when unknown.</summary>
    public static IUpdateObjective? Find(string? name) =>
        All.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The objective called <paramref name="name"/>; an <see cref="UpdateException"/> (UnknownObjective) listing the names otherwise.</summary>
    public static IUpdateObjective Get(string? name) => Find(name)
        ?? throw new UpdateException("UnknownObjective", $"Unknown objective '{name}'. Objectives: {string.Join(", ", All.Select(o => o.Name))}.");
}
