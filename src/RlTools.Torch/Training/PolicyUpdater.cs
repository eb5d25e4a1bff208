using RlTools.Core;
using System.Diagnostics;
using RlTools.Core.Records;
using RlTools.Torch.Losses;
using RlTools.Torch.Models;
using RlTools.Torch.Optim;
using RlTools.Torch.Training.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Training;

/// <summary>
/// The update stage: rollouts with advantages in, one <see cref="UpdateResult"/> per optimizer step out.
/// For each epoch the rollouts are shuffled (trainer RNG) and cut into mini-batches (one optimizer step each),
/// each cut into micro-batches whose gradients accumulate. Aggregation normalisers are those of the whole
/// mini-batch, so micro-batching does not change the gradient. A non-finite loss or gradient skips the step:
/// gradients are dropped, weights and optimizer moments stay as they were, and the result says why.
/// Metrics (fixed set): loss (total objective), pg_loss (policy term), kl (token mean of the KL estimator against
/// the reference, 0 without one), entropy (token mean, current policy), clipfrac, clipfrac_lower (dual clip),
/// approx_kl (verl's ppo_kl: token mean of −clamp(ℓ − ℓ_old, −20, 20), or the loss's own as in verl — KL-Cov |δ|,
/// GMPO unclamped), grad_norm (before clipping), lr, tokens (trained completion tokens), seconds. Extras in
/// Metrics: kl_loss, entropy_loss, expert_loss (the objective's auxiliary term), selected_frac (KL-Cov's penalised tokens).
/// What is optimised is the objective's (<see cref="IUpdateObjective"/>); this class holds no objective-specific code.
/// </summary>
public static class PolicyUpdater
{
    /// <summary>
    /// Says what is wrong with one rollout for these options, or null when it can be used. Ids:
    /// RolloutMissingTokens, RolloutTokenOutOfRange, RolloutLengthMismatch, RolloutMissingAdvantage,
    /// RolloutNonFinite, UnknownObjective, and the objective's own (CalibRL: RolloutMissingReward).
    /// </summary>
    public static (string Id, string Message)? Check(Rollout r, UpdateOptions o, long vocabSize)
    {
        string who = $"rollout '{r.PromptId}' #{r.SampleIndex}";
        if (r.PromptTokens is not { Length: > 0 } || r.CompletionTokens is not { Length: > 0 })
            return ("RolloutMissingTokens", $"The {who} has no prompt_tokens or no completion_tokens; the update needs both (roll out with Invoke-RlRollout, or tokenise logged data first).");
        foreach (int id in r.PromptTokens.Concat(r.CompletionTokens))
            if (id < 0 || id >= vocabSize)
                return ("RolloutTokenOutOfRange", $"The {who} has token id {id}, outside the policy's vocabulary (0..{vocabSize - 1}); it was tokenised for another model.");
        int c = r.CompletionTokens.Length;
        foreach (var (name, a) in new[] { ("logprobs", r.Logprobs), ("ref_logprobs", r.RefLogprobs), ("token_advantages", r.TokenAdvantages), ("loss_mask", r.LossMask) })
        {
            if (a is null) continue;
            if (a.Length != c) return ("RolloutLengthMismatch", $"The {who} has {a.Length} {name} for {c} completion tokens; they must be aligned.");
            if (a.Any(x => !float.IsFinite(x))) return ("RolloutNonFinite", $"The {who} has a NaN or infinite value in {name}; fix or drop the record.");
        }
        if (ObjectiveRegistry.Find(o.Objective) is not { } objective)
            return ("UnknownObjective", $"Unknown objective '{o.Objective}'. Objectives: {string.Join(", ", ObjectiveRegistry.All.Select(x => x.Name))}.");
        if (objective.NeedsAdvantage(r) && r.Advantage is null && r.TokenAdvantages is null)
            return ObjectiveTerm.MissingAdvantage(who);
        if (r.Advantage is double adv && !double.IsFinite(adv))
            return ("RolloutNonFinite", $"The {who} has a non-finite advantage ({adv}); fix the rewards or drop the record.");
        return objective.Check(r, who);
    }

    /// <summary>
    /// Runs the update. Throws <see cref="UpdateException"/> when it cannot start, and
    /// <see cref="OperationCanceledException"/> between steps when <paramref name="cancel"/> fires (steps already
    /// taken stay applied). <paramref name="onStep"/> sees each result as soon as its step is done.
    /// </summary>
    public static List<UpdateResult> Update(Policy policy, IReadOnlyList<Rollout> rollouts, UpdateOptions o, Policy? reference = null,
        Action<UpdateResult>? onStep = null, CancellationToken cancel = default)
    {
        var results = new List<UpdateResult>();
        if (policy.Frozen) throw new UpdateException("PolicyFrozen", "The policy is frozen (imported with -Frozen, e.g. a reference); it cannot be updated.");
        if (rollouts.Count == 0) return results;
        var r = Resolve(policy, rollouts, o, reference);
        var state = PrepareState(policy, o);
        var model = policy.Model;
        var device = Device(model);
        int padId = policy.Tokenizer.PadTokenId ?? policy.Tokenizer.EosTokenId ?? 0;
        int n = rollouts.Count;
        int mini = Math.Clamp(o.MiniBatchSize ?? n, 1, n);
        int micro = Math.Clamp(o.MicroBatchSize ?? mini, 1, mini);

        bool wasTraining = model.Module.training;
        model.Module.train();
        try
        {
            RunEpochs(policy, rollouts, o, reference, onStep, cancel, results, r, state, model, device, padId, n, mini, micro);
        }
        finally
        {
            if (!wasTraining) model.Module.eval();
        }
        return results;
    }

    private static void RunEpochs(Policy policy, IReadOnlyList<Rollout> rollouts, UpdateOptions o, Policy? reference, Action<UpdateResult>? onStep,
        CancellationToken cancel, List<UpdateResult> results, Resolved r, TrainerState state, ICausalLM model, Device device, int padId, int n, int mini, int micro)
    {
        // Behaviour log-probs where the rollout has none (ratio = 1 on the first pass), and reference log-probs.
        var old = rollouts.Select(x => x.Logprobs).ToArray();
        var missing = Enumerable.Range(0, n).Where(i => old[i] is null).ToList();
        if (missing.Count > 0 && (r.Objective.UsesPolicyLoss || r.NeedsRef))
        {
            var lp = ComputeLogProbs(model, missing.Select(i => rollouts[i]).ToList(), padId, o.Temperature, micro);
            for (int k = 0; k < missing.Count; k++) old[missing[k]] = lp[k];
        }
        var refLp = rollouts.Select(x => x.RefLogprobs).ToArray();
        if (r.NeedsRef && reference != null)
        {
            var lp = ComputeLogProbs(reference.Model, rollouts, padId, o.Temperature, micro);
            for (int i = 0; i < n; i++) refLp[i] = lp[i];
        }
        var adv = new float[n][];
        for (int i = 0; i < n; i++)
        {
            var x = rollouts[i];
            adv[i] = x.TokenAdvantages is { } ta ? (float[])ta.Clone() : Enumerable.Repeat((float)(x.Advantage ?? 0), x.CompletionLength).ToArray();
        }
        float[]?[]? guide = r.Objective.Guides(rollouts, old);

        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            var order = Enumerable.Range(0, n).ToArray();
            state.Random.Shuffle(order);
            for (int start = 0; start < n; start += mini)
            {
                cancel.ThrowIfCancellationRequested();
                var idx = order.Skip(start).Take(mini).ToArray();
                var result = Step(policy, state, r, o, rollouts, idx, micro, padId, device, old, refLp, adv, guide);
                results.Add(result);
                onStep?.Invoke(result);
            }
        }
    }

    internal sealed class Resolved
    {
        public required IUpdateObjective Objective { get; init; }
        public required IPolicyLoss Loss { get; init; }
        public required Dictionary<string, double> Parameters { get; init; }
        public required LossAggregation Aggregation { get; init; }
        public required bool NeedsRef { get; init; }
        public required bool NeedsEntropyGrad { get; init; }
        /// <summary>c_E, the weight of the objective's auxiliary term.</summary>
        public required double ExpertCoefficient { get; init; }
        /// <summary>S of SeqMeanTokenSumNorm: a run constant (see <see cref="ScaleFactor"/>); 1 for other modes (unused).</summary>
        public required double ScaleFactor { get; init; }
    }

    /// <summary>
    /// The constant SeqMeanTokenSumNorm divides by, as Dr.GRPO intends (verl: the configured response length):
    /// -LossScaleFactor when given, else the rollouts' <c>metadata.max_tokens</c> (Invoke-RlRollout -MaxTokens) when
    /// every rollout carries the same value; otherwise an error, never the longest completion of a mini-batch.
    /// </summary>
    internal static double ScaleFactor(IReadOnlyList<Rollout> rollouts, double? given)
    {
        if (given is { } g)
        {
            if (!(g > 0) || !double.IsFinite(g)) throw new UpdateException("InvalidLossScaleFactor", $"-LossScaleFactor must be a finite number > 0 (got {g}).");
            return g;
        }
        double? seen = null;
        foreach (var x in rollouts)
        {
            if (!x.Metadata.TryGetValue("max_tokens", out var v) || !RlTools.Core.Advantages.AdvantageMath.TryGetNumber(v, out double m) || !(m > 0))
                throw new UpdateException("LossScaleFactorRequired",
                    $"SeqMeanTokenSumNorm divides by a run constant (Dr.GRPO: the generation budget) and rollout '{x.PromptId}' #{x.SampleIndex} does not record one (metadata.max_tokens, written by Invoke-RlRollout). Pass -LossScaleFactor (e.g. the -MaxTokens of the rollouts).");
            if (seen is { } s && s != m)
                throw new UpdateException("LossScaleFactorRequired", $"The rollouts were generated with different max_tokens ({s} and {m}); pass -LossScaleFactor to choose the constant SeqMeanTokenSumNorm divides by.");
            seen = m;
        }
        return seen ?? 1;
    }

    internal static Resolved Resolve(Policy policy, IReadOnlyList<Rollout> rollouts, UpdateOptions o, Policy? reference)
    {
        var objective = ObjectiveRegistry.Get(o.Objective);
        var loss = PolicyLossRegistry.Find(o.Loss)
            ?? throw new UpdateException("UnknownLoss", $"Unknown loss '{o.Loss}'. Get-RlPolicyLoss lists them: {string.Join(", ", PolicyLossRegistry.All.Select(l => l.Name))}.");
        var overrides = new Dictionary<string, double>(o.LossParameters, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, v) in new[] { ("ClipLow", o.ClipLow), ("ClipHigh", o.ClipHigh), ("DualClip", o.DualClip) })
        {
            if (v is not double d) continue;
            if (!loss.Parameters.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw new UpdateException("LossParameterInvalid", $"The loss '{loss.Name}' does not use -{name}; its parameters: {string.Join(", ", loss.Parameters.Select(p => p.Name).DefaultIfEmpty("(none)"))}.");
            overrides[name] = d;
        }
        Dictionary<string, double> resolved;
        try { resolved = PolicyLossRegistry.ResolveParameters(loss, overrides); }
        catch (ArgumentException e) { throw new UpdateException("LossParameterInvalid", e.Message); }
        try { KlEstimator.Parse(o.KLEstimator); }
        catch (ArgumentException e) { throw new UpdateException("UnknownKLEstimator", e.Message); }
        if (o.Epochs < 1) throw new UpdateException("InvalidEpochs", "Epochs must be at least 1.");
        if (!(o.Temperature > 0)) throw new UpdateException("InvalidTemperature", "Temperature must be greater than 0 (use the sampling temperature of the rollouts).");
        bool needsRef = o.KLCoefficient != 0;
        if (needsRef && reference is null && rollouts.Any(x => x.RefLogprobs is null))
            throw new UpdateException("ReferenceRequired", "-KLCoefficient is not 0 but no -Reference policy was given and some rollouts have no ref_logprobs. Pass -Reference (e.g. Import-RlPolicy <base> -Frozen) or set -KLCoefficient 0.");
        if (reference != null && reference.Model.VocabSize != policy.Model.VocabSize)
            throw new UpdateException("ReferenceMismatch", $"The reference's vocabulary ({reference.Model.VocabSize}) differs from the policy's ({policy.Model.VocabSize}); use a reference with the same tokenizer.");
        var aggregation = loss.ForcedAggregation ?? o.Aggregation ?? LossAggregation.TokenMean;
        return new Resolved
        {
            Objective = objective, Loss = loss, Parameters = resolved,
            Aggregation = aggregation,
            ScaleFactor = aggregation == LossAggregation.SeqMeanTokenSumNorm ? ScaleFactor(rollouts, o.LossScaleFactor) : 1,
            NeedsRef = needsRef, NeedsEntropyGrad = o.EntropyCoefficient != 0,
            ExpertCoefficient = o.ExpertCoefficient ?? objective.DefaultAuxiliaryCoefficient,
        };
    }

    private static TrainerState PrepareState(Policy policy, UpdateOptions o)
    {
        var state = policy.TrainerState as TrainerState;
        if (state != null && !o.ResetOptimizer)
        {
            if (o.Optimizer is { } k && k != state.Optimizer.Settings.Kind)
                throw new UpdateException("OptimizerMismatch", $"The policy's saved optimizer is {state.Optimizer.Settings.Kind}, not {k}. Pass -ResetOptimizer to start fresh moments with {k}.");
            if (o.Lift != null && o.Lift != state.Lift)
                throw new UpdateException("OptimizerMismatch", "LIFT masks are fixed when the optimizer state is created. Pass -ResetOptimizer to change them.");
        }
        else
        {
            state = null;
        }
        var s = state?.Optimizer.Settings ?? new OptimizerSettings { Kind = o.Optimizer ?? OptimizerKind.AdamW };
        s = s with { WeightDecay = o.WeightDecay ?? s.WeightDecay, Beta1 = o.Beta1 ?? s.Beta1, Beta2 = o.Beta2 ?? s.Beta2, Momentum = o.Momentum ?? s.Momentum };
        var sc = state?.Schedule ?? new LearningRateSchedule(ScheduleKind.Constant, 1e-6);
        sc = new LearningRateSchedule(o.Schedule ?? sc.Kind, o.LearningRate ?? sc.BaseLearningRate, o.WarmupSteps ?? sc.WarmupSteps,
            o.TotalSteps ?? sc.TotalSteps, o.MinLearningRate ?? sc.MinLearningRate);
        if (sc.Kind != ScheduleKind.Constant && sc.TotalSteps <= 0)
            throw new UpdateException("InvalidSchedule", $"The {sc.Kind} schedule needs -TotalSteps greater than 0.");
        if (!(sc.BaseLearningRate >= 0) || !(sc.MinLearningRate >= 0) || sc.WarmupSteps < 0)
            throw new UpdateException("InvalidSchedule", "The learning rate, minimum learning rate and warm-up steps must not be negative.");
        if (state != null && s.Kind == OptimizerKind.SGD && s.Momentum != 0 && !state.Optimizer.State.Keys.Any(x => x.StartsWith("momentum_buffer/", StringComparison.Ordinal)))
            throw new UpdateException("OptimizerMismatch", "SGD momentum was 0 when the optimizer state was created; pass -ResetOptimizer to add momentum.");
        if (state is null)
        {
            (policy.TrainerState as IDisposable)?.Dispose();
            policy.TrainerState = null;
            state = TrainerState.Create(policy, s, sc, o.Lift, o.Seed);
            policy.TrainerState = state;
        }
        state.Optimizer.Settings = s;
        state.Schedule = sc;
        return state;
    }

    private static Device Device(ICausalLM model) => model.Module.parameters().FirstOrDefault()?.device ?? torch.CPU;

    /// <summary>Log-probs of every rollout's completion tokens under <paramref name="model"/> (no gradient), temperature-scaled.</summary>
    public static float[][] ComputeLogProbs(ICausalLM model, IReadOnlyList<Rollout> rows, int padId, double temperature, int microBatchSize)
    {
        var result = new float[rows.Count][];
        var device = Device(model);
        for (int s = 0; s < rows.Count; s += microBatchSize)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var chunk = rows.Skip(s).Take(microBatchSize).ToList();
            var empty = new float[chunk.Count][];
            var zeros = chunk.Select(x => new float[x.CompletionLength]).ToArray();
            var batch = TrainingBatch.Build(chunk, padId, device, empty, empty, zeros);
            var (lp, _) = TokenLogProbs.Compute(model, batch, temperature, false, false);
            var cpu = lp.to(ScalarType.Float32).cpu();
            long t = cpu.shape[1];
            float[] flat = cpu.data<float>().ToArray();
            for (int i = 0; i < chunk.Count; i++)
                result[s + i] = flat.AsSpan((int)(i * t), chunk[i].CompletionLength).ToArray();
        }
        return result;
    }

    private static LossNormalizer Norm(IEnumerable<Rollout> rows, double scale)
    {
        double tokens = 0, seqs = 0;
        foreach (var r in rows)
        {
            double t = r.LossMask?.Sum() ?? r.CompletionLength;
            tokens += t;
            if (t > 0) seqs++;
        }
        return new LossNormalizer(tokens, seqs, scale);
    }

    private static UpdateResult Step(Policy policy, TrainerState state, Resolved r, UpdateOptions o, IReadOnlyList<Rollout> rollouts, int[] idx,
        int micro, int padId, Device device, float[]?[] old, float[]?[] refLp, float[][] adv, float[]?[]? guide)
    {
        var sw = Stopwatch.StartNew();
        var model = policy.Model;
        var rows = idx.Select(i => rollouts[i]).ToList();
        double scale = r.ScaleFactor;
        var mainNorm = Norm(rows.Where(r.Objective.IsMainRow), scale);
        var auxNorm = Norm(rows.Where(r.Objective.IsAuxiliaryRow), scale);
        var acc = new Accumulator();
        model.Module.zero_grad();
        for (int s = 0; s < idx.Length; s += micro)
        {
            using var scope = torch.NewDisposeScope();
            var part = idx.Skip(s).Take(micro).ToArray();
            var batch = TrainingBatch.Build(part.Select(i => rollouts[i]).ToList(), padId, device,
                part.Select(i => old[i]).ToList(), part.Select(i => refLp[i]).ToList(), part.Select(i => adv[i]).ToList(),
                guide is null ? null : part.Select(i => guide[i]).ToList(), o.PassThreshold);
            var (logp, entropy) = TokenLogProbs.Compute(model, batch, o.Temperature, entropy: true, r.NeedsEntropyGrad);
            var terms = MicroBatchLoss(logp, entropy, batch, r, o, state.Random, mainNorm, auxNorm);
            terms.Total.backward();
            acc.Add(terms);
        }
        var result = new UpdateResult { Tokens = (long)Math.Round(acc.TrainedTokens) };
        acc.Fill(result);
        double gradNorm = GradNorm(model);
        result.GradNorm = gradNorm;
        double lr = state.Schedule.At(state.Step);
        result.Lr = lr;
        if (!double.IsFinite(result.Loss) || !double.IsFinite(gradNorm))
        {
            result.Skipped = true;
            result.SkipReason = !double.IsFinite(result.Loss)
                ? $"non-finite loss ({result.Loss}); weights and optimizer state unchanged"
                : $"non-finite gradient (norm {gradNorm}); weights and optimizer state unchanged";
        }
        else
        {
            if (o.MaxGradNorm > 0 && gradNorm > o.MaxGradNorm) ScaleGrads(model, o.MaxGradNorm / (gradNorm + 1e-6));
            if (state.Optimizer.TryStep(lr) is string bad)
            {
                result.Skipped = true;
                result.SkipReason = $"the optimizer step (learning rate {lr}) would have made '{bad}' NaN or infinite; weights and optimizer state unchanged";
            }
            else
            {
                if (state.Lift is { Interval: > 0 } lift && state.Step % lift.Interval == 0) LiftSparseMask.Refresh(state.Optimizer, lift);
                policy.Step = (int)state.Step;
            }
        }
        model.Module.zero_grad();
        result.Step = (int)state.Step;
        result.Seconds = sw.Elapsed.TotalSeconds;
        return result;
    }

    /// <summary>The terms of one micro-batch (scalars with gradient, plus metric sums).</summary>
    internal sealed class MicroTerms
    {
        public required Tensor Total { get; init; }
        public double Loss, PgLoss, KlLoss, EntropyLoss, ExpertLoss;
        public double MainTokens, TrainedTokens, KlSum, EntropySum, EntropyTokens, ClipSum, ClipLowerSum, ApproxKlSum, SelectedSum = double.NaN;
    }

    /// <summary>
    /// total = main + β·agg(KL(ℓ, ℓ_ref)) − c_H·agg(H) + c_E·auxiliary, where the objective (<see cref="IUpdateObjective"/>)
    /// gives the main term, its token mask (which KL and entropy share) and the auxiliary term. Used by the trainer and by
    /// the gradient-check test.
    /// </summary>
    internal static MicroTerms MicroBatchLoss(Tensor logp, Tensor? entropy, TrainingBatch batch, Resolved r, UpdateOptions o, SplitMix64 rng, LossNormalizer mainNorm, LossNormalizer auxNorm)
    {
        var dtype = logp.dtype;
        var mask = batch.Mask.to(dtype);
        var t = r.Objective.Compute(new ObjectiveContext
        {
            LogProbs = logp, Entropy = entropy, Batch = batch, Mask = mask, Expert = batch.Expert.to(dtype),
            Loss = r.Loss, LossParameters = r.Parameters, Aggregation = r.Aggregation,
            MainNormalizer = mainNorm, AuxiliaryNormalizer = auxNorm, Random = rng,
        });
        var mainMask = t.MainMask;
        var pg = t.Main;
        var s = t.Surrogate;
        // verl ppo_kl: masked mean of −clamp(ℓ − ℓ_old, ±20), unless the loss reports its own.
        Tensor? ppoKl = s is null ? null : s.PpoKl ?? -(logp.detach() - batch.OldLogProbs.to(dtype)).clamp(-20.0, 20.0);
        var total = pg;
        var m = new MicroTerms { Total = total };
        m.PgLoss = pg.ToDouble();
        if (r.NeedsRef)
        {
            var kl = KlEstimator.Compute(o.KLEstimator, logp, batch.RefLogProbs.to(dtype));
            m.KlSum = (kl.detach() * mainMask).sum().ToDouble();
            var klLoss = LossAggregator.Aggregate(kl, mainMask, r.Aggregation, mainNorm);
            m.KlLoss = klLoss.ToDouble();
            total = total + o.KLCoefficient * klLoss;
        }
        if (entropy is not null)
        {
            m.EntropySum = (entropy.detach() * mask).sum().ToDouble();
            m.EntropyTokens = mask.sum().ToDouble();
            if (o.EntropyCoefficient != 0)
            {
                var entLoss = LossAggregator.Aggregate(entropy, mainMask, r.Aggregation, mainNorm);
                m.EntropyLoss = entLoss.ToDouble();
                total = total - o.EntropyCoefficient * entLoss;
            }
        }
        if (t.Auxiliary is { } aux)
        {
            m.ExpertLoss = aux.ToDouble();
            total = total + r.ExpertCoefficient * aux;
        }
        var mm = mainMask.detach();
        m.MainTokens = mm.sum().ToDouble();
        m.TrainedTokens = (t.AuxiliaryMask is { } am ? mainMask + am : mainMask).sum().ToDouble();
        if (s?.Clipped is { } clipped) m.ClipSum = (clipped.to(dtype) * mm).sum().ToDouble();
        if (s?.ClippedLower is { } lower) m.ClipLowerSum = (lower.to(dtype) * mm).sum().ToDouble();
        if (ppoKl is not null) m.ApproxKlSum = (ppoKl.to(dtype) * mm).sum().ToDouble();
        if (s?.Selected is { } selected) m.SelectedSum = (selected.to(dtype) * mm).sum().ToDouble();
        m.Loss = total.ToDouble();
        return new MicroTerms
        {
            Total = total, Loss = m.Loss, PgLoss = m.PgLoss, KlLoss = m.KlLoss, EntropyLoss = m.EntropyLoss, ExpertLoss = m.ExpertLoss,
            MainTokens = m.MainTokens, TrainedTokens = m.TrainedTokens, KlSum = m.KlSum, EntropySum = m.EntropySum,
            EntropyTokens = m.EntropyTokens, ClipSum = m.ClipSum, ClipLowerSum = m.ClipLowerSum, ApproxKlSum = m.ApproxKlSum,
            SelectedSum = m.SelectedSum,
        };
    }

    private sealed class Accumulator
    {
        double loss, pg, klLoss, entLoss, expLoss, main, klSum, entSum, entTok, clip, lower, approx, selected;
        bool hasSelected;
        public double TrainedTokens;
        public void Add(MicroTerms t)
        {
            loss += t.Loss; pg += t.PgLoss; klLoss += t.KlLoss; entLoss += t.EntropyLoss; expLoss += t.ExpertLoss;
            main += t.MainTokens; TrainedTokens += t.TrainedTokens; klSum += t.KlSum; entSum += t.EntropySum; entTok += t.EntropyTokens;
            clip += t.ClipSum; lower += t.ClipLowerSum; approx += t.ApproxKlSum;
            if (!double.IsNaN(t.SelectedSum)) { selected += t.SelectedSum; hasSelected = true; }
        }
        public void Fill(UpdateResult r)
        {
            double mm = Math.Max(main, 1);
            r.Loss = loss; r.PgLoss = pg; r.Kl = klSum / mm; r.Entropy = entSum / Math.Max(entTok, 1);
            r.ClipFrac = clip / mm; r.ClipFracLower = lower / mm; r.ApproxKl = approx / mm;
            r.Metrics["kl_loss"] = klLoss; r.Metrics["entropy_loss"] = entLoss; r.Metrics["expert_loss"] = expLoss;
            if (hasSelected) r.Metrics["selected_frac"] = selected / mm;
        }
    }

    /// <summary>‖g‖₂ over all parameters (NaN/∞ when any gradient is non-finite).</summary>
    public static double GradNorm(ICausalLM model)
    {
        using var scope = torch.NewDisposeScope();
        var norms = model.Module.parameters().Where(p => p.grad is not null).Select(p => p.grad!.norm()).ToArray();
        return norms.Length == 0 ? 0 : torch.stack(norms).norm().ToDouble();
    }

    private static void ScaleGrads(ICausalLM model, double factor)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var p in model.Module.parameters()) p.grad?.mul_(factor);
    }
}
