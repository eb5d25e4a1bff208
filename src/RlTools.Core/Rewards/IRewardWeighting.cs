using RlTools.Core.Records;

namespace RlTools.Core.Rewards;

/// <summary>
/// A stateful source of weights for multi-objective rewards (dynamic reward weighting, Lagrange
/// multipliers): <c>Measure-RlReward -WeightController</c> asks it for the weights of a batch,
/// then tells it the batch's scored rollouts so it can adapt for the next step.
/// </summary>
public interface IRewardWeighting
{
    /// <summary>Name of the controller (registry name).</summary>
    string Name { get; }

    /// <summary>Weights for the given reward components, in the same order.</summary>
    IReadOnlyList<double> GetWeights(IReadOnlyList<string> components);

    /// <summary>Observes a scored batch (rollouts with <c>rewards</c> filled) and updates the state.</summary>
    void Observe(IReadOnlyList<Rollout> batch);
}
