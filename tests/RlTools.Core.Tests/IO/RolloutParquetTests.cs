using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.IO;

public class RolloutParquetTests
{
    internal static byte[] Write(IEnumerable<Rollout> rollouts, byte[]? existing = null)
    {
        var ms = new MemoryStream();
        if (existing is not null) ms.Write(existing);
        using (var w = new RolloutParquetWriter(ms, append: existing is not null))
        {
            foreach (var r in rollouts) w.Write(r);
            w.Complete();
        }
        return ms.ToArray();
    }

    internal static List<RecordResult<Rollout>> Read(byte[] bytes)
    {
        using var reader = new RolloutParquetReader(new MemoryStream(bytes), "t.parquet");
        return reader.ToList();
    }

    [Fact]
    public void Every_field_type_round_trips_exactly()
    {
        var r = RolloutSamples.Full();
        var back = Read(Write([r, RolloutSamples.Minimal("b", 1)]));
        Assert.Equal(2, back.Count);
        Assert.Null(RolloutEquality.Difference(r, back[0].Record!));
        Assert.Null(RolloutEquality.Difference(RolloutSamples.Minimal("b", 1), back[1].Record!));
        Assert.Equal(2, back[1].Line);
    }

    [Fact]
    public void Null_and_empty_lists_stay_distinct()
    {
        var r = RolloutSamples.Minimal("a", 0);
        r.PromptTokens = [];
        r.Logprobs = null;
        var back = Read(Write([r]))[0].Record!;
        Assert.NotNull(back.PromptTokens);
        Assert.Empty(back.PromptTokens!);
        Assert.Null(back.Logprobs);
    }

    [Fact]
    public void An_empty_export_is_a_valid_file_and_appends_add_row_groups()
    {
        byte[] empty = Write([]);
        Assert.Empty(Read(empty));
        byte[] one = Write([RolloutSamples.Minimal("a", 0)], empty);
        byte[] two = Write([RolloutSamples.Minimal("b", 0), RolloutSamples.Minimal("c", 0)], one);
        Assert.Equal(["a", "b", "c"], Read(two).Select(x => x.Record!.PromptId));
    }

    [Fact]
    public void Writes_many_row_groups_and_reads_them_in_order()
    {
        var rows = Enumerable.Range(0, 25_000).Select(i => RolloutSamples.Minimal("p" + i, i % 8)).ToList();
        var back = Read(Write(rows));
        Assert.Equal(25_000, back.Count);
        Assert.Equal("p24999", back[^1].Record!.PromptId);
        Assert.Equal(25_000, back[^1].Line);
    }

    [Fact]
    public async Task Refuses_to_append_to_a_foreign_schema()
    {
        var ms = new MemoryStream();
        await ParquetSerializer.SerializeUntypedAsync(
            new List<IDictionary<string, object?>> { new Dictionary<string, object?> { ["x"] = 1 } },
            new ParquetSchema(new DataField<int>("x")), ms);
        Assert.Throws<InvalidDataException>(() => new RolloutParquetWriter(new MemoryStream(ms.ToArray()), append: true));
    }

    [Fact]
    public async Task Reads_a_foreign_file_with_its_own_columns_as_extra_fields()
    {
        var schema = new ParquetSchema(
            new DataField<string>("prompt_id"), new DataField<long>("sample_index"), new DataField<double>("reward"),
            new ListField("logprobs", new DataField<double>("element")), new DataField<string>("model"), new DataField<int>("seed"));
        var ms = new MemoryStream();
        await ParquetSerializer.SerializeUntypedAsync(new List<IDictionary<string, object?>>
        {
            new Dictionary<string, object?> { ["prompt_id"] = "q", ["sample_index"] = 2L, ["reward"] = 0.5, ["logprobs"] = new[] { -0.25, -1.0 }, ["model"] = "m", ["seed"] = 7 },
        }, schema, ms);
        var r = Assert.Single(Read(ms.ToArray())).Record!;
        Assert.Equal(2, r.SampleIndex);
        Assert.Equal([-0.25f, -1f], r.Logprobs!);
        Assert.Equal("m", r.Extra["model"]);
        Assert.Equal(7L, r.Extra["seed"]);
    }

    [Fact]
    public async Task A_bad_value_is_reported_with_row_and_field()
    {
        var schema = new ParquetSchema(new DataField<string>("prompt_id"), new DataField<long>("sample_index"));
        var ms = new MemoryStream();
        await ParquetSerializer.SerializeUntypedAsync(new List<IDictionary<string, object?>>
        {
            new Dictionary<string, object?> { ["prompt_id"] = "a", ["sample_index"] = 1L },
            new Dictionary<string, object?> { ["prompt_id"] = "b", ["sample_index"] = 1L << 40 },
            new Dictionary<string, object?> { ["prompt_id"] = "c", ["sample_index"] = 3L },
        }, schema, ms);
        var rows = Read(ms.ToArray());
        Assert.Equal("a", rows[0].Record!.PromptId);
        Assert.Equal(2, rows[1].Error!.Line);
        Assert.Equal("sample_index", rows[1].Error!.Field);
        Assert.Equal("c", rows[2].Record!.PromptId);
    }

    [Fact]
    public void A_file_that_is_not_Parquet_is_one_clear_error()
    {
        var rows = Read("not parquet at all"u8.ToArray());
        Assert.Contains("not a readable Parquet file", Assert.Single(rows).Error!.Message);
    }
}
