using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.IO;

/// <summary>Random rollouts: any Unicode text (no unpaired surrogates), every float bit pattern, nested maps.</summary>
public static class RolloutArbitraries
{
    private static Gen<string> Text() =>
        Gen.Frequency(
            (3, Gen.Choose(0x20, 0x7E)),
            (1, Gen.Elements(0x0, 0x9, 0xA, 0xD, 0x22, 0x2C, 0x5C)),
            (1, Gen.Choose(0x80, 0xD7FF)),
            (1, Gen.Choose(0xE000, 0x10FFFF)))
        .Select(char.ConvertFromUtf32).ListOf().Select(parts => string.Concat(parts));

    private static Gen<float> Float() => Gen.Choose(int.MinValue, int.MaxValue).Select(BitConverter.Int32BitsToSingle);

    private static Gen<double> Double() =>
        Gen.Zip(Gen.Choose(int.MinValue, int.MaxValue), Gen.Choose(int.MinValue, int.MaxValue))
            .Select(t => BitConverter.Int64BitsToDouble(((long)t.Item1 << 32) | (uint)t.Item2));

    private static Gen<long> Long() => Gen.Zip(Gen.Choose(int.MinValue, int.MaxValue), Gen.Choose(int.MinValue, int.MaxValue))
        .Select(t => ((long)t.Item1 << 32) | (uint)t.Item2);

    private static Gen<object?> Value(int depth)
    {
        var scalars = Gen.OneOf(
            Text().Select(s => (object?)s), Long().Select(l => (object?)l), Double().Select(d => (object?)d),
            Gen.Elements(true, false).Select(b => (object?)b), Gen.Constant<object?>(null));
        if (depth <= 0) return scalars;
        return Gen.Frequency(
            (4, scalars),
            (1, Value(depth - 1).ListOf(4).Select(l => (object?)l.ToList())),
            (1, Map(depth - 1).Select(m => (object?)m)));
    }

    private static Gen<Dictionary<string, object?>> Map(int depth) =>
        Gen.Zip(Text(), Value(depth)).ListOf(4).Select(pairs =>
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (k, v) in pairs) map[k] = v;
            return map;
        });

    private static Gen<T[]?> ArrayOrNull<T>(Gen<T> item) => Gen.Frequency((1, Gen.Constant<T[]?>(null)), (4, item.ArrayOf().Select(a => (T[]?)a)));
    private static Gen<T?> OrNull<T>(Gen<T> g) where T : struct => Gen.Frequency((1, Gen.Constant<T?>(null)), (3, g.Select(x => (T?)x)));
    private static Gen<string?> TextOrNull() => Gen.Frequency((1, Gen.Constant<string?>(null)), (3, Text().Select(s => (string?)s)));

    /// <summary>The open rollout stage's fields (DESIGN.md round 2), generated apart and set on a base rollout.</summary>
    private static Gen<Action<Rollout>> OpenFields() =>
        from temperatures in ArrayOrNull(Float())
        from node in TextOrNull()
        from parent in TextOrNull()
        from depth in OrNull(Gen.Choose(int.MinValue, int.MaxValue))
        from cuts in ArrayOrNull(Gen.Choose(int.MinValue, int.MaxValue))
        from probe in Gen.Elements(true, false)
        from hint in Gen.Elements(true, false)
        from hintRatio in OrNull(Double())
        from er in OrNull(Double())
        from erv in OrNull(Double())
        from era in OrNull(Double())
        select (Action<Rollout>)(r =>
        {
            r.Temperatures = temperatures; r.NodeId = node; r.ParentId = parent; r.Depth = depth; r.CutPositions = cuts;
            r.IsProbe = probe; r.IsHint = hint; r.HintRatio = hintRatio;
            r.EffectiveRank = er; r.EffectiveRankVelocity = erv; r.EffectiveRankAcceleration = era;
        });

    public static Gen<Rollout> RolloutGen() =>
        Gen.Zip(BaseRollout(), OpenFields()).Select(t => { t.Item2(t.Item1); return t.Item1; });

    private static Gen<Rollout> BaseRollout() =>
        from id in Text()
        from index in Gen.Choose(int.MinValue, int.MaxValue)
        from prompt in Text()
        from answer in TextOrNull()
        from completion in Text()
        from finish in TextOrNull()
        from promptTokens in ArrayOrNull(Gen.Choose(int.MinValue, int.MaxValue))
        from completionTokens in ArrayOrNull(Gen.Choose(int.MinValue, int.MaxValue))
        from logprobs in ArrayOrNull(Float())
        from entropies in ArrayOrNull(Float())
        from refLogprobs in ArrayOrNull(Float())
        from promptLogprobs in ArrayOrNull(Float())
        from values in ArrayOrNull(Float())
        from reward in OrNull(Double())
        from rewards in Gen.Frequency((1, Gen.Constant<Dictionary<string, double?>?>(null)),
            (3, Gen.Zip(Text(), OrNull(Double())).ListOf(3).Select(l => (Dictionary<string, double?>?)l.DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal))))
        from baseline in OrNull(Double())
        from advantage in OrNull(Double())
        from tokenAdvantages in ArrayOrNull(Float())
        from lossMask in ArrayOrNull(Float())
        from expert in Gen.Elements(true, false)
        from step in OrNull(Gen.Choose(int.MinValue, int.MaxValue))
        from metadata in Map(2)
        from extra in Map(1)
        select new Rollout
        {
            PromptId = id, SampleIndex = index, Prompt = prompt, Answer = answer, Completion = completion, FinishReason = finish,
            PromptTokens = promptTokens, CompletionTokens = completionTokens, Logprobs = logprobs, Entropies = entropies,
            RefLogprobs = refLogprobs, PromptLogprobs = promptLogprobs, Values = values, Reward = reward, Rewards = rewards, BaselineReward = baseline,
            Advantage = advantage, TokenAdvantages = tokenAdvantages, LossMask = lossMask, IsExpert = expert, Step = step, Metadata = metadata,
            Extra = extra.Where(kv => !RolloutFields.IsKnown(kv.Key) && kv.Key != RolloutParquet.ExtraColumn)
                .ToDictionary(kv => kv.Key, kv => (object?)kv.Value, StringComparer.Ordinal),
        };

    public static Arbitrary<Rollout> Rollouts() => Arb.From(RolloutGen());
}

[Properties(Arbitrary = [typeof(RolloutArbitraries)], MaxTest = 150)]
public class RoundTripProperties
{
    private static bool Same(Rollout a, Rollout? b)
    {
        string? diff = b is null ? "not read back" : RolloutEquality.Difference(a, b);
        if (diff is not null) throw new Xunit.Sdk.XunitException(diff);
        return true;
    }

    [Property]
    public bool Jsonl_round_trips_random_rollouts(Rollout a, Rollout b)
    {
        var back = RolloutJsonlTests.Read(RolloutJsonlTests.Write([a, b]));
        return back.Count == 2 && Same(a, back[0].Record) && Same(b, back[1].Record);
    }

    [Property]
    public bool Parquet_round_trips_random_rollouts(Rollout a, Rollout b)
    {
        var back = RolloutParquetTests.Read(RolloutParquetTests.Write([a, b]));
        return back.Count == 2 && Same(a, back[0].Record) && Same(b, back[1].Record);
    }

    [Property]
    public bool Csv_round_trips_random_rollouts(Rollout a)
    {
        // CSV columns are fixed by the first record, so each file holds one random shape.
        var back = RolloutCsvTests.Read(RolloutCsvTests.Write([a, a.Clone()]));
        return back.Count == 2 && Same(a, back[0].Record) && Same(a, back[1].Record);
    }
}
