using System.Collections;
using System.Text.Json.Nodes;
using RlTools.Core.Records;

namespace RlTools.Core.Rewards;

/// <summary>
/// Gradient-based dynamic reward weighting by mirror descent — Lu et al., "Learning to Optimize
/// Multi-Objective Alignment Through Dynamic Reward Weighting", arXiv 2509.11452, method 2
/// (released code: <c>ray_trainer_optimization.py</c>, research notes seed-1 §13).
/// </summary>
/// <remarks>
/// <para>Formula. For each objective k let g_k be the policy gradient of the GRPO loss computed from
/// objective k's reward alone. The influence of k is the row sum of the gradient Gram matrix,
/// s_k = Σ_j g_k·g_j (diagonal included), averaged over <c>AccumulationSteps</c> observations. The
/// weights then take one multiplicative-weights (exponentiated-gradient, i.e. mirror descent on the
/// simplex) step:</para>
/// <para>  w ← softmax(log w + η·s̄ / R),  training reward r = Σ_k w_k·r_k,</para>
/// <para>with η the actor's current learning rate (<c>LearningRate</c>, default 1e-6, set it each step
/// if the actor's rate is scheduled) and R the regularisation factor (<c>Regularization</c>, default
/// 1e-5), so η/R = 0.1 with the paper's defaults. Initial weights default to uniform.</para>
/// <para>Assumption (the gradients are not available to a reward stage). <see cref="Observe"/> has no
/// gradients, only the scored rollouts. It uses the policy-gradient identity g_k = Σ_i A_k,i ∇log π(o_i)
/// and approximates the per-rollout score functions as orthogonal with equal norm, so
/// g_k·g_j ∝ (1/N) Σ_i A_k,i·A_j,i: the Gram matrix of per-objective GRPO advantages (group = rollouts
/// sharing prompt_id; A = (r − μ)/(σ + ε), unbiased σ, ε = 1e-6; a group of one has μ = 0, σ = 1, the
/// verl convention). A rollout where objective k is null (did not apply) has A_k,i = 0 and is left out of
/// k's group statistics. Callers that do compute real per-objective gradients (an extra backward pass
/// per objective, as in the paper) pass their Gram matrix to <see cref="ObserveGram"/> instead; the
/// update is then exactly the paper's.</para>
/// <para>Edge cases: one component — the softmax keeps its weight at 1; an empty batch — no update;
/// NaN/Inf components — <see cref="NonFiniteRewardException"/> and no update; a large η·s/R can
/// collapse the weights onto one objective (as the paper notes).</para>
/// </remarks>
public sealed class GradientWeighting : RewardWeightingController
{
    /// <summary>Registry name.</summary>
    public const string RegistryName = "Gradient";

    private double[] _weights;
    private double[] _accumulated;
    private int _accumulatedCount;

    /// <summary>Creates the controller. <paramref name="initialWeights"/> (positive) are normalised to sum to 1; null means uniform.</summary>
    public GradientWeighting(IReadOnlyList<string> components, IReadOnlyList<double>? initialWeights = null,
        double learningRate = 1e-6, double regularization = 1e-5, int accumulationSteps = 1, double epsilon = 1e-6)
        : base(components)
    {
        int k = ComponentNames.Length;
        if (initialWeights is not null)
        {
            if (initialWeights.Count != k) throw new ArgumentException($"{RegistryName}: InitialWeights has {initialWeights.Count} values for {k} components.");
            if (initialWeights.Any(w => !(w > 0) || !double.IsFinite(w)))
                throw new ArgumentException($"{RegistryName}: InitialWeights must be positive finite numbers (mirror descent works on log w); got {string.Join(", ", initialWeights.Select(Format))}.");
            double sum = initialWeights.Sum();
            _weights = initialWeights.Select(w => w / sum).ToArray();
        }
        else _weights = Enumerable.Repeat(1.0 / k, k).ToArray();
        if (!(learningRate >= 0) || !double.IsFinite(learningRate)) throw new ArgumentException($"{RegistryName}: LearningRate must be a finite number ≥ 0.");
        if (!(regularization > 0) || !double.IsFinite(regularization)) throw new ArgumentException($"{RegistryName}: Regularization must be a finite number > 0.");
        if (accumulationSteps < 1) throw new ArgumentException($"{RegistryName}: AccumulationSteps must be at least 1.");
        if (!(epsilon >= 0) || !double.IsFinite(epsilon)) throw new ArgumentException($"{RegistryName}: Epsilon must be a finite number ≥ 0.");
        LearningRate = learningRate;
        Regularization = regularization;
        AccumulationSteps = accumulationSteps;
        Epsilon = epsilon;
        _accumulated = new double[k];
    }

    /// <inheritdoc />
    public override string Name => RegistryName;

    /// <summary>η: the actor's current learning rate (set it when the actor's rate changes).</summary>
    public double LearningRate { get; set; }

    /// <summary>R: the regularisation factor dividing the step.</summary>
    public double Regularization { get; }

    /// <summary>Observations averaged into one weight update.</summary>
    public int AccumulationSteps { get; }

    /// <summary>ε of the per-objective GRPO normalisation used by <see cref="Observe"/>.</summary>
    public double Epsilon { get; }

    /// <summary>Observations accumulated towards the next update.</summary>
    public int PendingObservations => _accumulatedCount;

    /// <summary>The influence vector s of the last observation (row sums of the Gram matrix).</summary>
    public IReadOnlyList<double> LastInfluence { get; private set; } = Array.Empty<double>();

    private protected override double[] CurrentWeights() => (double[])_weights.Clone();

    /// <summary>Observes a scored batch: per-objective GRPO advantages → Gram proxy → accumulate → maybe update.</summary>
    public override void Observe(IReadOnlyList<Rollout> batch)
    {
        double?[][] m = ReadBatch(batch);
        if (m.Length == 0) { LastUpdate = "empty batch: no update"; return; }
        double[][] gram = AdvantageGram(batch, m, Epsilon);
        Accumulate(gram);
    }

    /// <summary>
    /// Observes a precomputed gradient Gram matrix <c>G[k][j] = g_k·g_j</c> (components in
    /// <see cref="RewardWeightingController.Components"/> order), the paper's own input.
    /// </summary>
    public void ObserveGram(double[][] gram)
    {
        ArgumentNullException.ThrowIfNull(gram);
        int k = ComponentNames.Length;
        if (gram.Length != k || gram.Any(row => row is null || row.Length != k))
            throw new ArgumentException($"{RegistryName}: the Gram matrix must be {k}×{k} (one row and column per component: {string.Join(", ", ComponentNames)}).");
        if (gram.Any(row => row.Any(v => !double.IsFinite(v))))
            throw new ArgumentException($"{RegistryName}: the Gram matrix holds a non-finite value; the weights were not updated.");
        Accumulate(gram);
    }

    private void Accumulate(double[][] gram)
    {
        int k = ComponentNames.Length;
        var s = new double[k];
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++) s[a] += gram[a][b];
        LastInfluence = s;
        for (int a = 0; a < k; a++) _accumulated[a] += s[a];
        _accumulatedCount++;
        if (_accumulatedCount < AccumulationSteps)
        {
            LastUpdate = $"accumulated {_accumulatedCount}/{AccumulationSteps}";
            return;
        }
        var logits = new double[k];
        for (int a = 0; a < k; a++) logits[a] = Math.Log(_weights[a]) + LearningRate * (_accumulated[a] / _accumulatedCount) / Regularization;
        _weights = Softmax(logits);
        _accumulated = new double[k];
        _accumulatedCount = 0;
        Updates++;
        LastUpdate = "updated: s = [" + string.Join(", ", s.Select(Format)) + "]";
    }

    /// <summary>Numerically stable softmax.</summary>
    internal static double[] Softmax(double[] logits)
    {
        double max = logits.Max();
        double[] e = logits.Select(x => Math.Exp(x - max)).ToArray();
        double sum = e.Sum();
        double[] w = e.Select(x => x / sum).ToArray();
        // exp underflow can give an exact 0, and log 0 would poison the next step; keep every weight positive.
        for (int i = 0; i < w.Length; i++) if (w[i] < double.Epsilon) w[i] = double.Epsilon;
        return w;
    }

    /// <summary>(1/N) Σ_i A_k,i A_j,i with per-component GRPO advantages (see the class remarks).</summary>
    internal static double[][] AdvantageGram(IReadOnlyList<Rollout> batch, double?[][] m, double epsilon)
    {
        int n = m.Length, k = m[0].Length;
        var adv = new double[n][];
        for (int i = 0; i < n; i++) adv[i] = new double[k];
        foreach (var group in Enumerable.Range(0, n).GroupBy(i => batch[i].PromptId, StringComparer.Ordinal))
        {
            int[] idx = group.ToArray();
            for (int c = 0; c < k; c++)
            {
                int[] present = idx.Where(i => m[i][c].HasValue).ToArray();
                if (present.Length == 0) continue;
                double mean = 0, std = 1;
                if (present.Length > 1)
                {
                    mean = present.Average(i => m[i][c]!.Value);
                    double ss = present.Sum(i => (m[i][c]!.Value - mean) * (m[i][c]!.Value - mean));
                    std = Math.Sqrt(ss / (present.Length - 1));
                }
                foreach (int i in present) adv[i][c] = (m[i][c]!.Value - mean) / (std + epsilon);
            }
        }
        var gram = new double[k][];
        for (int a = 0; a < k; a++)
        {
            gram[a] = new double[k];
            for (int b = 0; b < k; b++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += adv[i][a] * adv[i][b];
                gram[a][b] = sum / n;
            }
        }
        return gram;
    }

    private protected override void WriteState(JsonObject state)
    {
        state["weights"] = ToArray(_weights);
        state["learningRate"] = LearningRate;
        state["regularization"] = Regularization;
        state["accumulationSteps"] = AccumulationSteps;
        state["epsilon"] = Epsilon;
        state["accumulated"] = ToArray(_accumulated);
        state["accumulatedCount"] = _accumulatedCount;
    }

    internal static GradientWeighting Restore(string[] components, JsonObject o)
    {
        var g = new GradientWeighting(components, GetDoubles(o, "weights", components.Length), Get<double>(o, "learningRate"),
            Get<double>(o, "regularization"), Get<int>(o, "accumulationSteps"), Get<double>(o, "epsilon"));
        g._weights = GetDoubles(o, "weights", components.Length); // exact, not renormalised
        g._accumulated = GetDoubles(o, "accumulated", components.Length);
        g._accumulatedCount = Get<int>(o, "accumulatedCount");
        return g;
    }

    internal static GradientWeighting Create(IReadOnlyList<string> components, IDictionary? parameters)
    {
        var p = new WeightingParameters(RegistryName, parameters);
        double?[]? init = p.PerComponent("InitialWeights", components, allowMissing: false);
        var g = new GradientWeighting(components, init?.Select(x => x!.Value).ToArray(),
            p.Double("LearningRate", 1e-6), p.Double("Regularization", 1e-5), p.Int("AccumulationSteps", 1), p.Double("Epsilon", 1e-6));
        p.RejectUnknown(RewardWeightingRegistry.Find(RegistryName)!.Parameters.Select(x => x.Name));
        return g;
    }
}
