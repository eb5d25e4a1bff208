using System.Collections;
using System.Text.Json.Nodes;

namespace RlTools.Core.Rewards;

/// <summary>A registered reward-weight controller: name, source, parameters and factory.</summary>
public sealed class RewardWeightingInfo
{
    internal RewardWeightingInfo(string name, string source, string description, IReadOnlyList<ParameterSpec> parameters,
        Func<IReadOnlyList<string>, IDictionary?, RewardWeightingController> create, Func<string[], JsonObject, RewardWeightingController> restore)
    {
        Name = name; Source = source; Description = description; Parameters = parameters; _create = create; _restore = restore;
    }

    private readonly Func<IReadOnlyList<string>, IDictionary?, RewardWeightingController> _create;
    private readonly Func<string[], JsonObject, RewardWeightingController> _restore;

    /// <summary>Registry name (what -Name takes).</summary>
    public string Name { get; }
    /// <summary>Paper and arXiv id.</summary>
    public string Source { get; }
    /// <summary>One line.</summary>
    public string Description { get; }
    /// <summary>Parameters with defaults.</summary>
    public IReadOnlyList<ParameterSpec> Parameters { get; }

    /// <summary>Creates a controller from a parameter map (unknown names are errors).</summary>
    public RewardWeightingController Create(IReadOnlyList<string> components, IDictionary? parameters) => _create(components, parameters);

    internal RewardWeightingController Restore(string[] components, JsonObject state) => _restore(components, state);
}

/// <summary>The reward-weight controllers <c>New-RlRewardWeighting</c> can create (tab completion reads this list).</summary>
public static class RewardWeightingRegistry
{
    /// <summary>Every registered controller.</summary>
    public static IReadOnlyList<RewardWeightingInfo> All { get; } = new[]
    {
        new RewardWeightingInfo(HypervolumeWeighting.RegistryName,
            "Lu et al., Dynamic Reward Weighting (hypervolume-guided), arXiv 2509.11452",
            "Fixed weights × meta-reward m = 0.5 + 1.5·tanh(Δ), Δ = the step's hypervolume contribution to the Pareto front",
            new[]
            {
                new ParameterSpec("Weights", typeof(object), "uniform", "Fixed scalarisation weights, one per component, summing to 1 (array or hashtable by component)."),
                new ParameterSpec("Minimize", typeof(object), "none", "Names of components where smaller is better (e.g. length); they are negated for the hypervolume."),
                new ParameterSpec("Reference", typeof(object), "first observed vector", "Reference point (raw objective values, one per component), e.g. the pre-training evaluation."),
                new ParameterSpec("MetaBase", typeof(object), "0.5", "m = MetaBase + MetaScale·tanh(Δ)."),
                new ParameterSpec("MetaScale", typeof(object), "1.5", "m = MetaBase + MetaScale·tanh(Δ)."),
            },
            HypervolumeWeighting.Create, HypervolumeWeighting.Restore),
        new RewardWeightingInfo(GradientWeighting.RegistryName,
            "Lu et al., Dynamic Reward Weighting (gradient-based mirror descent), arXiv 2509.11452",
            "w ← softmax(log w + η·s/R), s_k = Σ_j g_k·g_j (per-objective gradient alignment; advantage Gram proxy from rollouts)",
            new[]
            {
                new ParameterSpec("InitialWeights", typeof(object), "uniform", "Starting weights, positive, one per component (normalised to sum 1)."),
                new ParameterSpec("LearningRate", typeof(object), "1e-6", "η: the actor's learning rate (the paper couples the two)."),
                new ParameterSpec("Regularization", typeof(object), "1e-5", "R: the step is η·s/R."),
                new ParameterSpec("AccumulationSteps", typeof(object), "1", "Observations averaged into one update."),
                new ParameterSpec("Epsilon", typeof(object), "1e-6", "ε of the per-objective GRPO normalisation in the Gram proxy."),
            },
            GradientWeighting.Create, GradientWeighting.Restore),
        new RewardWeightingInfo(LagrangeWeighting.RegistryName,
            "Moskovitz et al., Confronting Reward Model Overoptimization with Constrained RLHF, arXiv 2310.04373",
            "Lagrange multipliers λ_i as weights: λ_i ← λ_i − lr·(Ĵ_i − θ_i), projected to λ ≥ 0 (or sigmoid/tanh squashed)",
            new[]
            {
                new ParameterSpec("Thresholds", typeof(object), "(required)", "θ per constrained component (hashtable by component, or array with $null for task components)."),
                new ParameterSpec("LearningRate", typeof(object), "0.1", "Multiplier learning rate."),
                new ParameterSpec("Momentum", typeof(object), "0", "SGD momentum of the multiplier step (the paper's configs use 0.1)."),
                new ParameterSpec("Squash", typeof(object), "$false", "λ = sigmoid(λ̃) (tanh with Equality) instead of projecting λ ≥ 0."),
                new ParameterSpec("Equality", typeof(object), "$false", "Equality constraints J_i = θ_i (multipliers may be negative)."),
                new ParameterSpec("InitialMultiplier", typeof(object), "f(0): 0, or 0.5 with Squash", "λ at the start."),
            },
            LagrangeWeighting.Create, LagrangeWeighting.Restore),
    };

    /// <summary>The controller with this name (case-insensitive), or null.</summary>
    public static RewardWeightingInfo? Find(string? name)
        => All.FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Creates a controller by name; throws <see cref="ArgumentException"/> for unknown names or bad parameters.</summary>
    public static RewardWeightingController Create(string name, IReadOnlyList<string> components, IDictionary? parameters)
    {
        RewardWeightingInfo info = Find(name)
            ?? throw new ArgumentException($"'{name}' is not a reward-weight controller. Choose one of: {string.Join(", ", All.Select(i => i.Name))}.");
        return info.Create(components, parameters);
    }
}
