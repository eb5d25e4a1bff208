using System.Text;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.IO;

public class RolloutCsvTests
{
    internal static byte[] Write(IEnumerable<Rollout> rollouts)
    {
        var ms = new MemoryStream();
        using (var w = new RolloutCsvWriter(ms))
        {
            foreach (var r in rollouts) w.Write(r);
            w.Complete();
        }
        return ms.ToArray();
    }

    internal static List<RecordResult<Rollout>> Read(byte[] bytes)
    {
        using var reader = new RolloutCsvReader(new MemoryStream(bytes), "t.csv");
        return reader.ToList();
    }

    private static List<RecordResult<Rollout>> Read(string text) => Read(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Every_field_type_round_trips_exactly()
    {
        Rollout r = RolloutSamples.Full();
        var second = RolloutSamples.Full();
        second.Answer = null;
        second.FinishReason = "\"quoted\"";
        second.Extra["numeric_text"] = "[not json";
        second.Extra["empty"] = null;
        var back = Read(Write([r, second]));
        Assert.Equal(2, back.Count);
        Assert.Null(RolloutEquality.Difference(r, back[0].Record!));
        Assert.Null(RolloutEquality.Difference(second, back[1].Record!));
    }

    [Fact]
    public void Keeps_arrays_and_maps_as_JSON_in_a_cell_and_numbers_plain()
    {
        var r = RolloutSamples.Minimal("a", 0);
        r.Logprobs = [-0.5f, float.NaN];
        r.Reward = 1.0;
        r.Metadata["k"] = 1L;
        string text = Encoding.UTF8.GetString(Write([r]));
        string[] lines = text.Split('\n');
        Assert.StartsWith("prompt_id,sample_index,prompt,answer,completion,finish_reason,prompt_tokens,", lines[0]);
        // is_expert false, then the open stage's eleven columns and step, all empty.
        Assert.Equal("a,0,p,,c,,,,\"[-0.5,NaN]\",,,,,1.0,,,,,,false" + new string(',', 13) + "\"{\"\"k\"\":1}\"", lines[1]);
    }

    [Fact]
    public void Reads_a_hand_written_file_with_missing_columns_and_blank_lines()
    {
        var rows = Read("prompt_id,sample_index,reward,logprobs,judge\nq,1,0.5,\"[1,2]\",7\n\nq,2,,,x y\n");
        Assert.Equal(2, rows.Count);
        Rollout a = rows[0].Record!, b = rows[1].Record!;
        Assert.Equal(0.5, a.Reward);
        Assert.Equal([1f, 2f], a.Logprobs!);
        Assert.Equal(7L, a.Extra["judge"]);
        Assert.Null(b.Reward);
        Assert.Null(b.Logprobs);
        Assert.Equal("x y", b.Extra["judge"]);
        Assert.Equal(4, rows[1].Line);
    }

    public static TheoryData<string, string?, string> BadRows => new()
    {
        { "a,x,,,", "sample_index", "whole number" },
        { "a,1,abc,,", "reward", "must be a number" },
        { "a,1,,\"[1,\",", "logprobs", "not valid JSON" },
        { "a,1,,\"{}\",", "logprobs", "list of numbers" },
        { "a,1,,,[1]", "metadata", "JSON object" },
        { "a,1", null, "2 cells but the header has 5" },
        { "a,1,,,{} x\"y", null, "stray double quote" },
    };

    [Theory]
    [MemberData(nameof(BadRows))]
    public void A_bad_row_is_reported_with_file_line_and_field_and_the_rest_still_flows(string bad, string? field, string message)
    {
        var rows = Read("prompt_id,sample_index,reward,logprobs,metadata\nok1,0,,,\n" + bad + "\nok2,0,,,\n");
        Assert.Equal(3, rows.Count);
        Assert.Equal("ok1", rows[0].Record!.PromptId);
        Assert.Equal("ok2", rows[2].Record!.PromptId);
        var e = rows[1].Error!;
        Assert.NotNull(e);
        Assert.Equal(3, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Line_numbers_count_physical_lines_of_multi_line_cells()
    {
        var rows = Read("prompt_id,prompt,sample_index\na,\"two\nlines\",0\nb,x,bad\n");
        Assert.Equal("two\nlines", rows[0].Record!.Prompt);
        Assert.Equal(4, rows[1].Error!.Line);
    }

    [Fact]
    public void A_record_with_a_field_that_has_no_column_is_refused_and_the_file_stays_valid()
    {
        var ms = new MemoryStream();
        using (var w = new RolloutCsvWriter(ms))
        {
            w.Write(RolloutSamples.Minimal("a", 0));
            var extra = RolloutSamples.Minimal("b", 0);
            extra.Extra["new"] = 1L;
            var e = Assert.Throws<ArgumentException>(() => w.Write(extra));
            Assert.Contains("'new'", e.Message);
            w.Write(RolloutSamples.Minimal("c", 0));
            w.Complete();
        }
        Assert.Equal(["a", "c"], Read(ms.ToArray()).Select(x => x.Record!.PromptId));
    }

    [Fact]
    public void Appending_requires_a_rollout_header_and_uses_its_column_order()
    {
        Assert.Throws<InvalidDataException>(() => new RolloutCsvWriter(new MemoryStream(), ["a", "b"]));
        byte[] first = Write([RolloutSamples.Full()]);
        string[] header = Encoding.UTF8.GetString(first).Split('\n')[0].Split(',');
        var ms = new MemoryStream();
        ms.Write(first);
        using (var w = new RolloutCsvWriter(ms, header))
        {
            w.Write(RolloutSamples.Full());
            w.Complete();
        }
        var back = Read(ms.ToArray());
        Assert.Equal(2, back.Count);
        Assert.All(back, x => Assert.Null(RolloutEquality.Difference(RolloutSamples.Full(), x.Record!)));
    }

    [Fact]
    public void Appends_to_a_file_written_before_the_open_stage_fields_while_they_stay_empty()
    {
        string[] oldHeader = RolloutFields.All.Except(RolloutFields.Optional).ToArray();
        byte[] first = Encoding.UTF8.GetBytes(string.Join(",", oldHeader) + "\n");
        var ms = new MemoryStream();
        ms.Write(first);
        using (var w = new RolloutCsvWriter(ms, oldHeader))
        {
            w.Write(RolloutSamples.Minimal("a", 0));
            var tree = RolloutSamples.Minimal("b", 0);
            tree.NodeId = "b/0";
            var e = Assert.Throws<ArgumentException>(() => w.Write(tree));
            Assert.Contains("'node_id'", e.Message);
            var probe = RolloutSamples.Minimal("c", 0);
            probe.IsProbe = true;
            Assert.Throws<ArgumentException>(() => w.Write(probe));
            w.Complete();
        }
        var back = Read(ms.ToArray());
        Assert.Equal(["a"], back.Select(x => x.Record!.PromptId));
        Assert.Null(RolloutEquality.Difference(RolloutSamples.Minimal("a", 0), back[0].Record!));
    }

    [Fact]
    public void Reads_the_open_stage_fields_from_hand_written_cells()
    {
        var r = Assert.Single(Read("prompt_id,node_id,parent_id,depth,cut_positions,is_probe,is_hint,hint_ratio,temperatures\nq,q/1/0,q/1,1,\"[4,9]\",TRUE,0,0.25,\"[0.5,1]\"\n")).Record!;
        Assert.Equal("q/1/0", r.NodeId);
        Assert.Equal("q/1", r.ParentId);
        Assert.Equal(1, r.Depth);
        Assert.Equal([4, 9], r.CutPositions!);
        Assert.True(r.IsProbe);
        Assert.False(r.IsHint);
        Assert.Equal(0.25, r.HintRatio);
        Assert.Equal([0.5f, 1f], r.Temperatures!);
        Assert.Contains("true or false", Assert.Single(Read("prompt_id,is_hint\nq,yes\n")).Error!.Message);
    }
}
