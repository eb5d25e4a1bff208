using RlTools.Core;
using RlTools.Torch.Checkpoints;
using RlTools.Core.Records;
using RlTools.Torch.Losses;
using RlTools.Torch.Models;
using RlTools.Torch.Optim;
using RlTools.Torch.Tokenizers;
using RlTools.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Update;

public class TrainerTests
{
    private const int Vocab = 259;

    // Tiny tensors gain nothing from several libtorch threads; on a loaded machine the hand-off dominates.
    static TrainerTests() => torch.set_num_threads(1);

    internal static Policy NewPolicy(long seed = 7, ScalarType dtype = ScalarType.Float32) =>
        new(new TinyCausalLM(Vocab, dim: 8, seed: seed, dtype: dtype), new ByteTokenizer());

    /// <summary>Rollouts with behaviour log-probs from a model with another seed (so ratios are not 1).</summary>
    internal static List<Rollout> NewRollouts(int count = 6, int seed = 3, bool withLogprobs = true)
    {
        var rng = new Random(seed);
        var list = new List<Rollout>();
        for (int i = 0; i < count; i++)
        {
            var r = new Rollout
            {
                PromptId = "p" + (i / 3), SampleIndex = i % 3,
                PromptTokens = Enumerable.Range(0, 2 + i % 3).Select(_ => rng.Next(0, 256)).ToArray(),
                CompletionTokens = Enumerable.Range(0, 1 + (i * 7) % 5).Select(_ => rng.Next(0, 256)).ToArray(),
                Advantage = rng.NextDouble() * 2 - 1, Reward = rng.Next(0, 2),
            };
            list.Add(r);
        }
        if (withLogprobs)
        {
            using var behaviour = NewPolicy(seed: 99);
            var lp = PolicyUpdater.ComputeLogProbs(behaviour.Model, list, ByteTokenizer.Pad, 1.0, 4);
            for (int i = 0; i < count; i++) list[i].Logprobs = lp[i];
        }
        return list;
    }

    internal static Dictionary<string, float[]> Snapshot(Policy p) =>
        p.Model.Module.named_parameters().ToDictionary(x => x.name, x => x.parameter.detach().to(ScalarType.Float32).data<float>().ToArray());

    [Fact]
    public void Update_changes_the_weights_and_reports_the_metric_set()
    {
        using var policy = NewPolicy();
        var rollouts = NewRollouts();
        var before = Snapshot(policy);
        var results = PolicyUpdater.Update(policy, rollouts, new UpdateOptions { LearningRate = 1e-2, MiniBatchSize = 3, Epochs = 2 });
        Assert.Equal(4, results.Count); // 6 rollouts / 3 per step × 2 epochs
        Assert.Equal(new[] { 1, 2, 3, 4 }, results.Select(r => r.Step));
        Assert.Equal(4, policy.Step);
        Assert.All(results, r =>
        {
            Assert.False(r.Skipped);
            Assert.True(double.IsFinite(r.Loss) && double.IsFinite(r.GradNorm) && r.GradNorm > 0);
            Assert.Equal(1e-2, r.Lr);
            Assert.True(r.Entropy > 0 && r.Entropy <= Math.Log(Vocab) + 1e-6);
            Assert.InRange(r.ClipFrac, 0, 1);
            Assert.True(r.Seconds >= 0);
        });
        // Tokens per step: the completion tokens of the rollouts in that mini-batch; per epoch they add up to all of them.
        Assert.Equal(2 * rollouts.Sum(r => r.CompletionLength), results.Sum(r => r.Tokens));
        Assert.NotEqual(before["head.weight"], Snapshot(policy)["head.weight"]);
    }

    [Fact]
    public void Approx_kl_and_clipfrac_are_zero_when_on_policy_at_the_first_step()
    {
        using var policy = NewPolicy();
        var rollouts = NewRollouts(withLogprobs: false); // behaviour log-probs recomputed from the policy itself
        var r = PolicyUpdater.Update(policy, rollouts, new UpdateOptions { LearningRate = 1e-3 })[0];
        Assert.Equal(0.0, r.ApproxKl, 6);
        Assert.Equal(0.0, r.ClipFrac);
        // PPO on-policy: loss = −token-mean(A) exactly.
        double expected = -rollouts.Sum(x => x.Advantage!.Value * x.CompletionLength) / rollouts.Sum(x => x.CompletionLength);
        Assert.Equal(expected, r.PgLoss, 5);
    }

    [Fact]
    public void Token_advantages_and_loss_masks_are_honoured()
    {
        using var policy = NewPolicy();
        var rollouts = NewRollouts(withLogprobs: false);
        double num = 0, den = 0;
        foreach (var x in rollouts)
        {
            x.TokenAdvantages = Enumerable.Range(0, x.CompletionLength).Select(t => (float)(t % 2 == 0 ? 1.0 : -0.5)).ToArray();
            x.LossMask = Enumerable.Range(0, x.CompletionLength).Select(t => t == 0 ? 0f : 1f).ToArray(); // first token not trained
            for (int t = 1; t < x.CompletionLength; t++) { num += x.TokenAdvantages[t]; den++; }
        }
        var r = PolicyUpdater.Update(policy, rollouts, new UpdateOptions { LearningRate = 1e-3 })[0];
        // On-policy PPO: loss = −token-mean(A) over the trained tokens only (Advantage itself is ignored).
        Assert.Equal(-num / den, r.PgLoss, 5);
        Assert.Equal((long)den, r.Tokens);
    }

    [Fact]
    public void A_fully_masked_rollout_gets_no_gradient()
    {
        using var a = NewPolicy();
        using var b = NewPolicy();
        var rollouts = NewRollouts();
        var masked = rollouts.Select(x => x.Clone()).ToList();
        masked[0].LossMask = new float[masked[0].CompletionLength];
        masked[0].Advantage = 1000; // would dominate the gradient if it were used
        var o = new UpdateOptions { LearningRate = 1e-2, Optimizer = OptimizerKind.SGD, WeightDecay = 0, Aggregation = LossAggregation.TokenSum };
        PolicyUpdater.Update(a, rollouts.Skip(1).ToList(), o);
        PolicyUpdater.Update(b, masked, o);
        var sa = Snapshot(a); var sb = Snapshot(b);
        foreach (var k in sa.Keys) Assert.Equal(sa[k], sb[k], new FloatTol(1e-6f));
    }

    [Fact]
    public void Micro_batches_give_the_same_gradient_as_one_batch()
    {
        foreach (var agg in Enum.GetValues<LossAggregation>())
        {
            using var a = NewPolicy();
            using var b = NewPolicy();
            var rollouts = NewRollouts();
            // SeqMeanTokenSumNorm needs its run constant (the rollouts carry no max_tokens).
            var o1 = new UpdateOptions { Aggregation = agg, LearningRate = 1e-2, KLCoefficient = 0.1, EntropyCoefficient = 0.01, Optimizer = OptimizerKind.SGD, WeightDecay = 0, LossScaleFactor = 8 };
            var o2 = new UpdateOptions { Aggregation = agg, LearningRate = 1e-2, KLCoefficient = 0.1, EntropyCoefficient = 0.01, Optimizer = OptimizerKind.SGD, WeightDecay = 0, MicroBatchSize = 2, LossScaleFactor = 8 };
            foreach (var r in rollouts) r.RefLogprobs = r.Logprobs!.Select(x => x - 0.1f).ToArray();
            var r1 = PolicyUpdater.Update(a, rollouts, o1)[0];
            var r2 = PolicyUpdater.Update(b, rollouts, o2)[0];
            Assert.Equal(r1.Loss, r2.Loss, 5);
            Assert.Equal(r1.GradNorm, r2.GradNorm, 5);
            var sa = Snapshot(a); var sb = Snapshot(b);
            foreach (var k in sa.Keys) Assert.Equal(sa[k], sb[k], new FloatTol(1e-6f));
        }
    }

    [Fact]
    public void Finite_difference_gradient_check_on_the_tiny_model()
    {
        using var scope = NewDisposeScope();
        using var policy = NewPolicy(dtype: ScalarType.Float64);
        var rollouts = NewRollouts(4);
        foreach (var r in rollouts) r.RefLogprobs = r.Logprobs!.Select(x => x + 0.2f).ToArray();
        var o = new UpdateOptions { Loss = "PPO", KLCoefficient = 0.3, KLEstimator = "k3", EntropyCoefficient = 0.05, Temperature = 0.7, ClipLow = 0.05, ClipHigh = 0.05 };
        var resolved = PolicyUpdater.Resolve(policy, rollouts, o, null);
        var adv = rollouts.Select(r => Enumerable.Repeat((float)r.Advantage!.Value, r.CompletionLength).ToArray()).ToList();
        var batch = TrainingBatch.Build(rollouts, ByteTokenizer.Pad, torch.CPU, rollouts.Select(r => r.Logprobs).ToList(), rollouts.Select(r => r.RefLogprobs).ToList(), adv);
        var norm = new LossNormalizer(rollouts.Sum(r => r.CompletionLength), rollouts.Count, rollouts.Max(r => r.CompletionLength));
        // The trainer's own path: log-probs and entropies from the model at the completion positions, then the loss.
        Tensor Total()
        {
            var (logp, entropy) = TokenLogProbs.Compute(policy.Model, batch, o.Temperature, entropy: true, resolved.NeedsEntropyGrad);
            return PolicyUpdater.MicroBatchLoss(logp, entropy, batch, resolved, o, new SplitMix64(1), norm, default).Total;
        }
        double Loss() => Total().ToDouble();

        policy.Model.Module.zero_grad();
        Total().backward();
        int checkedEntries = 0;
        foreach (var (name, p) in policy.Model.Module.named_parameters())
        {
            var g = p.grad!.flatten().data<double>().ToArray();
            var flat = p.detach().flatten();
            // The entries with the largest gradients (the ones the batch touches) plus entry 0.
            var idx = g.Select((x, i) => (x, i)).OrderByDescending(x => Math.Abs(x.x)).Take(3).Select(x => x.i).Append(0).Distinct();
            foreach (int i in idx)
            {
                const double h = 1e-6;
                double orig = flat[i].ToDouble();
                using (torch.no_grad()) flat[i] = orig + h;
                double up = Loss();
                using (torch.no_grad()) flat[i] = orig - h;
                double down = Loss();
                using (torch.no_grad()) flat[i] = orig;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - g[i]) <= 1e-6 + 1e-4 * Math.Abs(fd), $"{name}[{i}]: autograd {g[i]}, finite difference {fd}");
                checkedEntries++;
            }
        }
        Assert.True(checkedEntries >= 8);
    }

    [Fact]
    public void Non_finite_loss_skips_the_step_and_leaves_weights_and_moments_alone()
    {
        using var policy = NewPolicy();
        var rollouts = NewRollouts();
        PolicyUpdater.Update(policy, rollouts, new UpdateOptions { LearningRate = 1e-2 }); // creates moments
        var state = (TrainerState)policy.TrainerState!;
        var before = Snapshot(policy);
        var moments = state.Optimizer.State.ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());
        rollouts[2].Advantage = double.NaN;
        var r = PolicyUpdater.Update(policy, rollouts, new UpdateOptions { LearningRate = 1e-2 }).Single();
        Assert.True(r.Skipped);
        Assert.Contains("non-finite", r.SkipReason);
        Assert.Equal(1, r.Step);
        Assert.Equal(1, state.Step);
        var after = Snapshot(policy);
        foreach (var k in before.Keys) Assert.Equal(before[k], after[k]);
        foreach (var (k, v) in moments) Assert.Equal(v, state.Optimizer.State[k].data<float>().ToArray());
        // The next good step proceeds normally.
        rollouts[2].Advantage = 0.5;
        Assert.False(PolicyUpdater.Update(policy, rollouts, new UpdateOptions()).Single().Skipped);
        Assert.Equal(2, state.Step);
    }

    private static void SaveWeights(Policy p, string dir)
    {
        using var fs = File.Create(Path.Combine(dir, "weights.safetensors"));
        SafetensorsFile.Write(fs, p.Model.Module.named_parameters().Select(x => (x.name, (Tensor)x.parameter)).ToList());
    }

    private static void LoadWeights(Policy p, string dir)
    {
        var t = SafetensorsFile.Open(Path.Combine(dir, "weights.safetensors")).ReadAll();
        using var noGrad = torch.no_grad();
        foreach (var (name, param) in p.Model.Module.named_parameters()) param.copy_(t[name]);
        foreach (var x in t.Values) x.Dispose();
    }

    [Theory]
    [InlineData("PPO", OptimizerKind.AdamW, false)]
    [InlineData("ClipCov", OptimizerKind.AdamP, false)]
    [InlineData("GSPO", OptimizerKind.SGD, false)]
    [InlineData("PPO", OptimizerKind.AdamW, true)]
    public void Resumed_run_matches_the_uninterrupted_run_bit_for_bit(string loss, OptimizerKind kind, bool lift)
    {
        var rollouts = NewRollouts(8);
        UpdateOptions Opts() => new()
        {
            Loss = loss, Optimizer = kind, LearningRate = 5e-2, MiniBatchSize = 3, Epochs = 2, Schedule = ScheduleKind.Cosine, WarmupSteps = 2, TotalSteps = 20,
            Momentum = kind == OptimizerKind.SGD ? 0.9 : null, Seed = 42, Lift = lift ? new LiftSettings(2, 1, 4) : null,
            LossParameters = loss == "ClipCov" ? new() { ["ClipCovRatio"] = 0.2, ["ClipCovLower"] = -100, ["ClipCovUpper"] = 100 } : new(),
        };
        const int calls = 4; // 3 steps per call (8 rollouts, mini-batch 3) × 2 epochs = 6 steps per call
        using var straight = NewPolicy();
        for (int c = 0; c < calls; c++) PolicyUpdater.Update(straight, rollouts, Opts());

        string dir = Path.Combine(Path.GetTempPath(), "rltools-resume-" + Guid.NewGuid().ToString("n"));
        try
        {
            using (var first = NewPolicy())
            {
                PolicyUpdater.Update(first, rollouts, Opts());
                PolicyUpdater.Update(first, rollouts, Opts());
                TrainerState.Save(first, dir);
                SaveWeights(first, dir);
            }
            using var resumed = NewPolicy(seed: 1234); // different initial weights: the checkpoint must restore them
            LoadWeights(resumed, dir);
            var state = TrainerState.Load(resumed, dir);
            Assert.Equal(12, state.Step);
            Assert.Equal(12, resumed.Step);
            for (int c = 2; c < calls; c++) PolicyUpdater.Update(resumed, rollouts, Opts());
            var a = Snapshot(straight);
            var b = Snapshot(resumed);
            foreach (var k in a.Keys) Assert.Equal(a[k], b[k]); // exact float equality
            var sa = ((TrainerState)straight.TrainerState!).Optimizer.State;
            var sb = ((TrainerState)resumed.TrainerState!).Optimizer.State;
            foreach (var k in sa.Keys) Assert.Equal(sa[k].data<float>().ToArray(), sb[k].data<float>().ToArray());
            Assert.Equal(((TrainerState)straight.TrainerState!).Random.State, ((TrainerState)resumed.TrainerState!).Random.State);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Trainer_state_refuses_another_model_and_keeps_the_old_folder_on_failure()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rltools-state-" + Guid.NewGuid().ToString("n"));
        try
        {
            using var policy = NewPolicy();
            PolicyUpdater.Update(policy, NewRollouts(), new UpdateOptions());
            TrainerState.Save(policy, dir);
            using var other = new Policy(new TinyCausalLM(Vocab, dim: 4), new ByteTokenizer());
            Assert.Throws<InvalidDataException>(() => TrainerState.Load(other, dir));
            Assert.Null(other.TrainerState);
            // A failing write leaves the previous checkpoint intact.
            Assert.ThrowsAny<Exception>(() => RlTools.Core.IO.AtomicFile.WriteDirectory(dir, d => { File.WriteAllText(Path.Combine(d, "x"), "partial"); throw new IOException("disk full"); }));
            Assert.True(TrainerState.Exists(dir));
            Assert.False(File.Exists(Path.Combine(dir, "x")));
            Assert.Throws<InvalidDataException>(() => TrainerState.Load(policy, Path.Combine(dir, "missing")));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Bf16_optimizer_state_round_trips_exactly()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rltools-bf16-" + Guid.NewGuid().ToString("n"));
        try
        {
            using var policy = NewPolicy(dtype: ScalarType.BFloat16);
            PolicyUpdater.Update(policy, NewRollouts(), new UpdateOptions { LearningRate = 1e-2 });
            TrainerState.Save(policy, dir);
            using var copy = NewPolicy(dtype: ScalarType.BFloat16);
            var loaded = TrainerState.Load(copy, dir);
            var original = ((TrainerState)policy.TrainerState!).Optimizer.State;
            Assert.Equal(original.Keys.OrderBy(k => k), loaded.Optimizer.State.Keys.OrderBy(k => k));
            foreach (var (k, t) in original)
            {
                Assert.Equal(ScalarType.BFloat16, loaded.Optimizer.State[k].dtype);
                Assert.Equal(t.to(ScalarType.Float32).data<float>().ToArray(), loaded.Optimizer.State[k].to(ScalarType.Float32).data<float>().ToArray());
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Update_restores_eval_mode()
    {
        using var policy = NewPolicy();
        policy.Model.Module.eval();
        PolicyUpdater.Update(policy, NewRollouts(), new UpdateOptions());
        Assert.False(policy.Model.Module.training);
    }

    [Fact]
    public void Sft_objective_lowers_the_negative_log_likelihood()
    {
        using var policy = NewPolicy();
        var rollouts = NewRollouts(withLogprobs: false);
        foreach (var r in rollouts) r.Advantage = null;
        var o = new UpdateOptions { Objective = "Sft", LearningRate = 5e-2 };
        var first = PolicyUpdater.Update(policy, rollouts, o)[0];
        for (int i = 0; i < 20; i++) PolicyUpdater.Update(policy, rollouts, o);
        var last = PolicyUpdater.Update(policy, rollouts, o)[0];
        // Loss = token-mean NLL, computed independently from the log-probs before the update.
        Assert.True(last.PgLoss < first.PgLoss - 0.5, $"{first.PgLoss} → {last.PgLoss}");
        var lp = PolicyUpdater.ComputeLogProbs(policy.Model, rollouts, ByteTokenizer.Pad, 1.0, 8);
        double nll = -lp.SelectMany(x => x).Average();
        Assert.True(nll < last.PgLoss);
    }

    [Fact]
    public void Hybrid_objective_adds_expert_cross_entropy()
    {
        using var policy = NewPolicy();
        var rollouts = NewRollouts(withLogprobs: false);
        rollouts[1].IsExpert = true;
        rollouts[1].Advantage = null;
        var before = PolicyUpdater.ComputeLogProbs(policy.Model, new[] { rollouts[1] }, ByteTokenizer.Pad, 1.0, 1)[0];
        var r = PolicyUpdater.Update(policy, rollouts, new UpdateOptions { Objective = "Hybrid", ExpertCoefficient = 0.5, LearningRate = 1e-3 })[0];
        Assert.Equal(-before.Average(), r.Metrics["expert_loss"], 5);
        Assert.Equal(r.PgLoss + 0.5 * r.Metrics["expert_loss"], r.Loss, 5);
        Assert.Equal(rollouts.Sum(x => x.CompletionLength), r.Tokens);
    }

    [Fact]
    public void CalibRL_guided_term_by_formula()
    {
        using var policy = NewPolicy();
        var rollouts = NewRollouts(6, withLogprobs: false);
        rollouts[0].IsExpert = true; // expert of prompt p0 (rows 0..2)
        rollouts[0].Advantage = null;
        rollouts[0].CompletionTokens = new[] { 10, 20, 30, 40, 50 };
        var lp = PolicyUpdater.ComputeLogProbs(policy.Model, rollouts, ByteTokenizer.Pad, 1.0, 8);
        double sum = 0, n = 0;
        for (int i = 1; i < 6; i++)
        {
            var x = rollouts[i];
            for (int t = 0; t < x.CompletionLength; t++)
            {
                n++; // token-mean over all on-policy tokens
                if (x.PromptId != "p0" || t >= lp[0].Length) continue;
                double pass = x.Reward > 0.1 ? 1 : 0;
                double g = -(2 * pass - 1) * (lp[i][t] - lp[0][t]);
                sum += (g >= 0 ? g : 0.5 * g) * Math.Abs(x.Advantage!.Value);
            }
        }
        var r = PolicyUpdater.Update(policy, rollouts, new UpdateOptions { Objective = "CalibRL", LearningRate = 1e-3 })[0];
        Assert.Equal(sum / n, r.Metrics["expert_loss"], 5);
        Assert.Equal(r.PgLoss + 0.1 * r.Metrics["expert_loss"], r.Loss, 5);
    }

    [Fact]
    public void Check_reports_stable_ids()
    {
        var o = new UpdateOptions();
        Assert.Equal("RolloutMissingTokens", PolicyUpdater.Check(new Rollout(), o, Vocab)!.Value.Id);
        var r = NewRollouts(1)[0];
        Assert.Null(PolicyUpdater.Check(r, o, Vocab));
        var bad = r.Clone(); bad.CompletionTokens = new[] { 300 };
        Assert.Equal("RolloutTokenOutOfRange", PolicyUpdater.Check(bad, o, Vocab)!.Value.Id);
        bad = r.Clone(); bad.Logprobs = new float[r.CompletionLength + 1];
        Assert.Equal("RolloutLengthMismatch", PolicyUpdater.Check(bad, o, Vocab)!.Value.Id);
        bad = r.Clone(); bad.Advantage = null;
        Assert.Equal("RolloutMissingAdvantage", PolicyUpdater.Check(bad, o, Vocab)!.Value.Id);
        Assert.Null(PolicyUpdater.Check(bad, new UpdateOptions { Objective = "Sft" }, Vocab));
        bad = r.Clone(); bad.Advantage = double.PositiveInfinity;
        Assert.Equal("RolloutNonFinite", PolicyUpdater.Check(bad, o, Vocab)!.Value.Id);
        bad = r.Clone(); bad.Reward = null;
        Assert.Equal("RolloutMissingReward", PolicyUpdater.Check(bad, new UpdateOptions { Objective = "CalibRL" }, Vocab)!.Value.Id);
        Assert.Equal("UnknownObjective", PolicyUpdater.Check(r, new UpdateOptions { Objective = "NoSuch" }, Vocab)!.Value.Id);
    }

    [Fact]
    public void Update_refuses_bad_preconditions_with_ids()
    {
        using var policy = NewPolicy();
        var rollouts = NewRollouts();
        string Id(UpdateOptions o, Policy? p = null) => Assert.Throws<UpdateException>(() => PolicyUpdater.Update(p ?? policy, rollouts, o)).ErrorId;
        Assert.Equal("UnknownLoss", Id(new UpdateOptions { Loss = "nope" }));
        Assert.Equal("LossParameterInvalid", Id(new UpdateOptions { Loss = "GPG", ClipHigh = 0.3 }));
        Assert.Equal("LossParameterInvalid", Id(new UpdateOptions { Loss = "DRO" }));
        Assert.Equal("ReferenceRequired", Id(new UpdateOptions { KLCoefficient = 0.1 }));
        Assert.Equal("UnknownKLEstimator", Id(new UpdateOptions { KLEstimator = "k9" }));
        Assert.Equal("InvalidSchedule", Id(new UpdateOptions { Schedule = ScheduleKind.Cosine }));
        using var frozen = new Policy(new TinyCausalLM(Vocab, 8), new ByteTokenizer(), frozen: true);
        Assert.Equal("PolicyFrozen", Id(new UpdateOptions(), frozen));
        PolicyUpdater.Update(policy, rollouts, new UpdateOptions());
        Assert.Equal("OptimizerMismatch", Id(new UpdateOptions { Optimizer = OptimizerKind.SGD }));
        Assert.Single(PolicyUpdater.Update(policy, rollouts, new UpdateOptions { Optimizer = OptimizerKind.SGD, ResetOptimizer = true }));
    }

    [Fact]
    public void Reference_policy_supplies_the_kl_term()
    {
        using var policy = NewPolicy();
        using var reference = NewPolicy(); // identical weights: KL = 0 at the first step
        var r = PolicyUpdater.Update(policy, NewRollouts(), new UpdateOptions { KLCoefficient = 0.5, KLEstimator = "k3" }, reference)[0];
        Assert.Equal(0.0, r.Kl, 9);
        using var other = NewPolicy(seed: 5);
        var r2 = PolicyUpdater.Update(policy, NewRollouts(), new UpdateOptions { KLCoefficient = 0.5, KLEstimator = "k3" }, other)[0];
        Assert.True(r2.Kl > 0);
        Assert.Equal(r2.PgLoss + 0.5 * r2.Metrics["kl_loss"], r2.Loss, 6);
    }
}

public class FloatTol : IEqualityComparer<float>
{
    private readonly float _tol;
    public FloatTol(float tol) => _tol = tol;
    public bool Equals(float x, float y) => Math.Abs(x - y) <= _tol;
    public int GetHashCode(float obj) => 0;
}
