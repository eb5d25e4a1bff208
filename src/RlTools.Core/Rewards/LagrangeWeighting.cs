using System.Collections;
using System.Text.Json.Nodes;
using RlTools.Core.Records;

namespace RlTools.Core.Rewards;

/// <summary>
/// Constrained-RLHF Lagrange multipliers as reward weights — Moskovitz et al., "Confronting Reward
/// Model Overoptimization with Constrained RLHF", ICLR 2024, arXiv 2310.04373 (released code:
/// <c>rl4lms/algorithms/constrained_ppo/constrained_ppo.py</c>; research notes seed-1 §14).
/// </summary>
/// <remarks>
/// <para>Formula. Each constrained component i has a threshold θ_i (its "proxy point"); the policy
/// maximises the task objective subject to J_i ≥ θ_i (inequality) or J_i = θ_i (equality), where J_i is
/// the expected reward of component i. The multipliers λ_i are the reward weights and follow gradient
/// descent on the Lagrangian loss ℒ_λ = Σ_i λ_i·(Ĵ_i − θ_i), Ĵ_i the batch mean of component i:</para>
/// <para>  λ̃_i ← λ̃_i − lr·b_i,  b_i = μ·b_i + ∂ℒ_λ/∂λ̃_i  (SGD with momentum μ, PyTorch convention),</para>
/// <para>so λ grows while a component is below its threshold and shrinks once it is above (stop pushing a
/// reward model past its proxy point). Parameterisation of λ = f(λ̃):</para>
/// <list type="bullet">
/// <item>default (unsquashed): f = identity; inequality multipliers are projected to λ ≥ 0 after each step;
/// equality multipliers are unconstrained;</item>
/// <item><c>Squash</c>: f = sigmoid (inequality, λ ∈ (0,1)) or tanh (equality, λ ∈ (−1,1)); the gradient
/// then carries f′(λ̃).</item>
/// </list>
/// <para>Components without a threshold are the task objective. Their weight is 1 when unsquashed
/// (A_mix = A_task + Σ λ_i A_i) and N_c − Σ_i λ_i when squashed (A_mix = (N_c − Σλ)·A_task + Σ λ_i A_i),
/// N_c the number of constraints. Weights combine rewards linearly, which mixes the advantages
/// identically for linear estimators (no std normalisation).</para>
/// <para>Defaults: LearningRate 0.1 (the paper's configs; the class default there is 0.01), Momentum 0
/// (the configs use 0.1), InitialMultiplier f(0): 0 unsquashed, 0.5 sigmoid, 0 tanh (the code draws
/// λ̃ ~ N(0, 0.01); we start at its mean so runs are deterministic).</para>
/// <para>Assumptions and differences. In the paper the task objective is the KL-penalised return; in an
/// RlTools pipeline the KL term usually lives in the policy loss, so a run with only constrained
/// components has no task component and the weights are just λ. The paper updates λ every PPO
/// minibatch on the reward-to-go; here one <see cref="Observe"/> is one update on the batch means of the
/// sequence-level rewards. The code's gradient-norm clip on λ is not applied. The Nelder–Mead search over
/// θ (NM-PPO) is not part of this controller.</para>
/// <para>Edge cases: a component that applied to no rollout of the batch keeps its multiplier (and
/// momentum); an empty batch — no update; NaN/Inf — <see cref="NonFiniteRewardException"/> and no
/// update; one component — its multiplier alone.</para>
/// </remarks>
public sealed class LagrangeWeighting : RewardWeightingController
{
    /// <summary>Registry name.</summary>
    public const string RegistryName = "Lagrange";

    private readonly double?[] _thresholds;
    private readonly double[] _raw;       // λ̃
    private readonly double[] _momentum;  // SGD momentum buffers
    private readonly bool[] _hasMomentum;

    /// <summary>Creates the controller.</summary>
    /// <param name="components">Reward components.</param>
    /// <param name="thresholds">θ per component; null entries are task-objective components. At least one threshold.</param>
    /// <param name="learningRate">Multiplier learning rate (&gt; 0).</param>
    /// <param name="momentum">SGD momentum in [0, 1).</param>
    /// <param name="squash">Sigmoid (inequality) / tanh (equality) parameterisation instead of projection.</param>
    /// <param name="equality">Equality constraints J_i = θ_i (multipliers may go negative).</param>
    /// <param name="initialMultiplier">λ at the start (after squashing); null means f(0).</param>
    public LagrangeWeighting(IReadOnlyList<string> components, IReadOnlyList<double?> thresholds, double learningRate = 0.1,
        double momentum = 0.0, bool squash = false, bool equality = false, double? initialMultiplier = null)
        : base(components)
    {
        int k = ComponentNames.Length;
        ArgumentNullException.ThrowIfNull(thresholds);
        if (thresholds.Count != k) throw new ArgumentException($"{RegistryName}: Thresholds has {thresholds.Count} values for {k} components.");
        if (thresholds.All(t => t is null))
            throw new ArgumentException($"{RegistryName}: give a threshold (-Parameters @{{ Thresholds = @{{ <component> = θ }} }}) for at least one component; components without one are the task objective.");
        if (thresholds.Any(t => t is double d && !double.IsFinite(d))) throw new ArgumentException($"{RegistryName}: thresholds must be finite numbers.");
        if (!(learningRate > 0) || !double.IsFinite(learningRate)) throw new ArgumentException($"{RegistryName}: LearningRate must be a finite number > 0.");
        if (!(momentum >= 0 && momentum < 1)) throw new ArgumentException($"{RegistryName}: Momentum must be in [0, 1).");
        _thresholds = thresholds.ToArray();
        LearningRate = learningRate;
        Momentum = momentum;
        Squash = squash;
        Equality = equality;
        double raw0 = 0;
        if (initialMultiplier is double l0)
        {
            if (!double.IsFinite(l0)) throw new ArgumentException($"{RegistryName}: InitialMultiplier must be finite.");
            raw0 = (squash, equality) switch
            {
                (true, false) when l0 > 0 && l0 < 1 => Math.Log(l0 / (1 - l0)),
                (true, true) when l0 > -1 && l0 < 1 => Math.Atanh(l0),
                (false, false) when l0 >= 0 => l0,
                (false, true) => l0,
                _ => throw new ArgumentException($"{RegistryName}: InitialMultiplier {Format(l0)} is outside the multiplier's range " +
                                                 (squash ? (equality ? "(-1, 1) (tanh)" : "(0, 1) (sigmoid)") : "[0, ∞) (inequality)") + "."),
            };
        }
        _raw = new double[k];
        for (int i = 0; i < k; i++) _raw[i] = _thresholds[i] is null ? 0 : raw0;
        _momentum = new double[k];
        _hasMomentum = new bool[k];
    }

    /// <inheritdoc />
    public override string Name => RegistryName;

    /// <summary>Multiplier learning rate.</summary>
    public double LearningRate { get; }

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; }

    /// <summary>Whether λ = sigmoid(λ̃) / tanh(λ̃) instead of a projected λ.</summary>
    public bool Squash { get; }

    /// <summary>Whether the constraints are equalities.</summary>
    public bool Equality { get; }

    /// <summary>θ per component (null for task-objective components).</summary>
    public IReadOnlyList<double?> Thresholds => _thresholds;

    /// <summary>λ per constrained component (task components are left out).</summary>
    public IReadOnlyDictionary<string, double> Multipliers
    {
        get
        {
            var d = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int i = 0; i < _raw.Length; i++) if (_thresholds[i] is not null) d[ComponentNames[i]] = Lambda(_raw[i]);
            return d;
        }
    }

    /// <summary>The last batch means Ĵ per component (null where the component applied nowhere).</summary>
    public IReadOnlyList<double?> LastMeans { get; private set; } = Array.Empty<double?>();

    private double Lambda(double raw) => !Squash ? raw : Equality ? Math.Tanh(raw) : 1.0 / (1.0 + Math.Exp(-raw));

    private double LambdaDerivative(double raw)
    {
        if (!Squash) return 1.0;
        if (Equality) { double t = Math.Tanh(raw); return 1 - t * t; }
        double s = 1.0 / (1.0 + Math.Exp(-raw));
        return s * (1 - s);
    }

    private protected override double[] CurrentWeights()
    {
        int k = _raw.Length;
        var w = new double[k];
        double sumLambda = 0; int constraints = 0;
        for (int i = 0; i < k; i++)
            if (_thresholds[i] is not null) { w[i] = Lambda(_raw[i]); sumLambda += w[i]; constraints++; }
        double task = Squash ? constraints - sumLambda : 1.0;
        for (int i = 0; i < k; i++) if (_thresholds[i] is null) w[i] = task;
        return w;
    }

    /// <summary>One multiplier step on the batch means of the constrained components.</summary>
    public override void Observe(IReadOnlyList<Rollout> batch)
    {
        double?[][] m = ReadBatch(batch);
        if (m.Length == 0) { LastUpdate = "empty batch: no update"; return; }
        ObserveMeans(ComponentMeans(m, ComponentNames.Length));
    }

    /// <summary>One multiplier step on given estimates Ĵ (component order; null = no estimate, no step for it).</summary>
    public void ObserveMeans(IReadOnlyList<double?> means)
    {
        ArgumentNullException.ThrowIfNull(means);
        if (means.Count != _raw.Length) throw new ArgumentException($"{RegistryName}: {means.Count} means for {_raw.Length} components.");
        for (int i = 0; i < means.Count; i++)
            if (means[i] is double d && !double.IsFinite(d)) throw new ArgumentException($"{RegistryName}: the mean of '{ComponentNames[i]}' is {d}; the multipliers were not updated.");
        LastMeans = means.ToArray();
        var stepped = new List<string>();
        var skipped = new List<string>();
        for (int i = 0; i < _raw.Length; i++)
        {
            if (_thresholds[i] is not double theta) continue;
            if (means[i] is not double j) { skipped.Add(ComponentNames[i]); continue; }
            double grad = LambdaDerivative(_raw[i]) * (j - theta);
            _momentum[i] = _hasMomentum[i] ? Momentum * _momentum[i] + grad : grad;
            _hasMomentum[i] = true;
            _raw[i] -= LearningRate * _momentum[i];
            if (!Squash && !Equality && _raw[i] < 0) _raw[i] = 0; // projection onto λ ≥ 0
            stepped.Add($"{ComponentNames[i]}: Ĵ={Format(j)} θ={Format(theta)} λ={Format(Lambda(_raw[i]))}");
        }
        if (stepped.Count == 0)
        {
            LastUpdate = "no update: no constrained component applied to any rollout of the batch";
            return;
        }
        Updates++;
        LastUpdate = "updated " + string.Join("; ", stepped) + (skipped.Count > 0 ? "; unchanged (no values): " + string.Join(", ", skipped) : "");
    }

    private protected override void WriteState(JsonObject state)
    {
        state["thresholds"] = new JsonArray(_thresholds.Select(t => t is double d ? (JsonNode?)JsonValue.Create(d) : null).ToArray());
        state["learningRate"] = LearningRate;
        state["momentum"] = Momentum;
        state["squash"] = Squash;
        state["equality"] = Equality;
        state["raw"] = ToArray(_raw);
        state["momentumBuffer"] = ToArray(_momentum);
        state["hasMomentum"] = new JsonArray(_hasMomentum.Select(b => (JsonNode?)JsonValue.Create(b)).ToArray());
    }

    internal static LagrangeWeighting Restore(string[] components, JsonObject o)
    {
        double?[] thresholds = GetArray(o, "thresholds").Select(n => n is null ? (double?)null : n.GetValue<double>()).ToArray();
        var l = new LagrangeWeighting(components, thresholds, Get<double>(o, "learningRate"), Get<double>(o, "momentum"),
            Get<bool>(o, "squash"), Get<bool>(o, "equality"));
        GetDoubles(o, "raw", components.Length).CopyTo(l._raw, 0);
        GetDoubles(o, "momentumBuffer", components.Length).CopyTo(l._momentum, 0);
        bool[] has = GetArray(o, "hasMomentum").Select(n => n?.GetValue<bool>() ?? false).ToArray();
        if (has.Length != components.Length) throw new ArgumentException("The controller state's 'hasMomentum' has the wrong length.");
        has.CopyTo(l._hasMomentum, 0);
        return l;
    }

    internal static LagrangeWeighting Create(IReadOnlyList<string> components, IDictionary? parameters)
    {
        var p = new WeightingParameters(RegistryName, parameters);
        double?[] thresholds = p.PerComponent("Thresholds", components, allowMissing: true)
            ?? throw new ArgumentException($"{RegistryName}: the parameter 'Thresholds' is required: -Parameters @{{ Thresholds = @{{ <component> = θ }} }} (components without a threshold are the task objective).");
        var l = new LagrangeWeighting(components, thresholds, p.Double("LearningRate", 0.1), p.Double("Momentum", 0.0),
            p.Bool("Squash", false), p.Bool("Equality", false), p.NullableDouble("InitialMultiplier"));
        p.RejectUnknown(RewardWeightingRegistry.Find(RegistryName)!.Parameters.Select(x => x.Name));
        return l;
    }
}
