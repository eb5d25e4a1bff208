using RlTools.Core.Records;

namespace RlTools.Core.Advantages.Estimators;

/// <summary>
/// GDPO, group reward-decoupled normalisation (Liu et al., "GDPO: Group reward-Decoupled
/// Normalization Policy Optimization for Multi-reward RL Optimization", arXiv 2601.05242; verl
/// <c>gdpo</c>, TRL <c>multi_objective_aggregation="normalize_then_sum"</c>).
/// <para>For each reward component k of <c>rewards</c>: the GRPO advantage
/// A^(k)_i = (r_ik − μ_g^(k))/(σ_g^(k) + ε) (group of one: μ = 0, σ = 1); then S_i = Σ_k w_k A^(k)_i;
/// then batch whitening of S: <c>Whitening=tokens</c> (verl: over every valid token, so each
/// rollout weighs by its number of trained tokens, Σ loss_mask, (S − mean)/√(var + ε_b), Bessel var), <c>sequences</c> (TRL:
/// (S − mean)/(std + ε_b) over rollouts; set <c>BatchEpsilon</c> 1e-4 to match TRL) or <c>none</c>.</para>
/// <para>A component that is null or absent for a rollout ("did not apply") is left out of that
/// component's group statistics and adds 0 to S_i; a group with one applicable value uses μ = 0, σ = 1.</para>
/// </summary>
public sealed class GdpoEstimator : AdvantageEstimatorBase
{
    public override string Name => "GDPO";
    public override string Summary => "GRPO per reward component, weighted sum, batch whitening";
    public override string Source => "Liu et al. 2026, GDPO; verl gdpo, TRL normalize_then_sum";
    public override string ArxivId => "2601.05242";
    public override AdvantageLevel Level => AdvantageLevel.Sequence;
    public override AdvantageInputs Inputs => AdvantageInputs.Rewards | (Whitening == "tokens" ? AdvantageInputs.Lengths : AdvantageInputs.None);

    [AdvantageParameter("Reward components to use, in order; empty = every key found in the batch, sorted by name.")]
    public string[] Components { get; set; } = Array.Empty<string>();

    [AdvantageParameter("Weight per component (same order as Components); empty = all 1 (verl gdpo_reward_weights).")]
    public double[] Weights { get; set; } = Array.Empty<double>();

    [AdvantageParameter("ε added to each component's group std (verl 1e-6; TRL 1e-4).")]
    public double Epsilon { get; set; } = 1e-6;

    [AdvantageParameter("Bessel-corrected (n−1) std; false = population.")]
    public bool UnbiasedStd { get; set; } = true;

    [AdvantageParameter("Batch whitening of the weighted sum: 'tokens' (verl, length-weighted), 'sequences' (TRL), 'none'.", Allowed = new[] { "tokens", "sequences", "none" })]
    public string Whitening { get; set; } = "tokens";

    [AdvantageParameter("ε of the batch whitening: inside √(var + ε) for tokens (verl 1e-8), added to the std for sequences (TRL 1e-4).")]
    public double BatchEpsilon { get; set; } = 1e-8;

    protected override void Validate()
    {
        if (Weights.Length > 0 && Components.Length > 0 && Weights.Length != Components.Length)
            throw new ArgumentException($"GDPO got {Weights.Length} Weights for {Components.Length} Components; give one weight per component.");
    }

    protected override void Compute(AdvantageBatch b)
    {
        var items = b.Rollouts; var a = b.Advantages; var gs = b.GroupStart;
        string[] comps = Components;
        if (comps.Length == 0)
        {
            var set = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var r in items) if (r.Rewards is not null) foreach (var k in r.Rewards.Keys) set.Add(k);
            comps = set.ToArray();
        }
        if (Weights.Length > 0 && Weights.Length != comps.Length)
            throw new ArgumentException($"GDPO has {Weights.Length} Weights but the batch has {comps.Length} reward components ({string.Join(", ", comps)}); set Components and Weights together.");
        var values = new double[items.Length];
        var present = new bool[items.Length];
        for (int k = 0; k < comps.Length; k++)
        {
            double w = Weights.Length > 0 ? Weights[k] : 1.0;
            string key = comps[k];
            for (int i = 0; i < items.Length; i++)
            {
                present[i] = items[i].Rewards is { } m && m.TryGetValue(key, out var v) && v.HasValue;
                values[i] = present[i] ? items[i].Rewards![key]!.Value : 0;
            }
            for (int g = 0; g < gs.Length - 1; g++)
            {
                int s = gs[g], e = gs[g + 1], n = 0;
                double sum = 0;
                for (int i = s; i < e; i++) if (present[i]) { n++; sum += values[i]; }
                if (n == 0) continue;
                double mean = 0, std = 1;
                if (n > 1)
                {
                    mean = sum / n;
                    double ss = 0;
                    for (int i = s; i < e; i++) if (present[i]) { double d = values[i] - mean; ss += d * d; }
                    std = Math.Sqrt(ss / (UnbiasedStd ? n - 1 : n));
                }
                double inv = w / (std + Epsilon);
                for (int i = s; i < e; i++) if (present[i]) a[i] += (values[i] - mean) * inv;
            }
        }
        if (Whitening == "tokens") AdvantageMath.WhitenSequenceConstants(a, b.TrainedLengths!, BatchEpsilon, true);
        else if (Whitening == "sequences")
        {
            double mean = AdvantageMath.Mean(a, 0, a.Length);
            double std = a.Length == 1 ? 0 : AdvantageMath.Std(a, 0, a.Length, mean, true);
            for (int i = 0; i < a.Length; i++) a[i] = (a[i] - mean) / (std + BatchEpsilon);
        }
    }
}
