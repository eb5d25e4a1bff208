using System.Text;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.IO;

public class RolloutJsonlTests
{
    internal static byte[] Write(IEnumerable<Rollout> rollouts)
    {
        var ms = new MemoryStream();
        using (var w = new RolloutJsonlWriter(ms, leaveOpen: true))
        {
            foreach (var r in rollouts) w.Write(r);
            w.Complete();
        }
        return ms.ToArray();
    }

    internal static List<RecordResult<Rollout>> Read(byte[] bytes, string name = "t.jsonl")
    {
        using var reader = new RolloutJsonlReader(new MemoryStream(bytes), name);
        return reader.ToList();
    }

    private static List<RecordResult<Rollout>> Read(string text) => Read(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Every_field_type_round_trips_exactly()
    {
        Rollout r = RolloutSamples.Full();
        var back = Read(Write([r, RolloutSamples.Minimal("b", 0)]));
        Assert.Equal(2, back.Count);
        Assert.Null(RolloutEquality.Difference(r, back[0].Record!));
        Assert.Null(RolloutEquality.Difference(RolloutSamples.Minimal("b", 0), back[1].Record!));
        Assert.Equal(1, back[0].Line);
        Assert.Equal(2, back[1].Line);
    }

    [Fact]
    public void Writes_the_design_field_names_in_order_then_extra_fields()
    {
        string line = Encoding.UTF8.GetString(Write([RolloutSamples.Minimal("a", 1)])).TrimEnd('\n');
        Assert.Equal("""{"prompt_id":"a","sample_index":1,"prompt":"p","answer":null,"completion":"c","finish_reason":null,"prompt_tokens":null,"completion_tokens":null,"logprobs":null,"entropies":null,"ref_logprobs":null,"prompt_logprobs":null,"values":null,"reward":null,"rewards":null,"baseline_reward":null,"advantage":null,"token_advantages":null,"loss_mask":null,"step":null,"metadata":{}}""", line);
    }

    [Fact]
    public void Writes_is_expert_only_when_true_so_a_round_trip_adds_no_field()
    {
        const string input = """{"prompt_id":"a","sample_index":1,"prompt":"p","answer":null,"completion":"c","finish_reason":null,"prompt_tokens":null,"completion_tokens":null,"logprobs":null,"entropies":null,"ref_logprobs":null,"prompt_logprobs":null,"values":null,"reward":null,"rewards":null,"baseline_reward":null,"advantage":null,"token_advantages":null,"loss_mask":null,"step":null,"metadata":{}}""";
        var back = Read(input);
        Assert.Equal(input, Encoding.UTF8.GetString(Write([back[0].Record!])).TrimEnd('\n'));
        var expert = RolloutSamples.Minimal("a", 1);
        expert.IsExpert = true;
        string line = Encoding.UTF8.GetString(Write([expert]));
        Assert.Contains("\"loss_mask\":null,\"is_expert\":true,\"step\":null", line);
        Assert.True(Read(Encoding.UTF8.GetBytes(line))[0].Record!.IsExpert);
    }

    [Fact]
    public void Writes_the_open_stage_fields_only_when_present_before_step()
    {
        var r = RolloutSamples.Minimal("a", 1);
        r.NodeId = "a/0/1";
        r.ParentId = "a/0";
        r.Depth = 1;
        r.CutPositions = [5];
        r.IsHint = true;
        r.HintRatio = 0.5;
        r.Temperatures = [1f, 1.05f];
        string line = Encoding.UTF8.GetString(Write([r])).TrimEnd('\n');
        Assert.Contains("""loss_mask":null,"temperatures":[1,1.05],"node_id":"a/0/1","parent_id":"a/0","depth":1,"cut_positions":[5],"is_hint":true,"hint_ratio":0.5,"step":null""", line);
        Assert.DoesNotContain("is_probe", line);
        Assert.DoesNotContain("effective_rank", line);
        Assert.Null(RolloutEquality.Difference(r, Assert.Single(Read(Encoding.UTF8.GetBytes(line))).Record!));
    }

    [Fact]
    public void Reads_what_Python_json_dumps_writes()
    {
        // json.dumps({...}) with default separators, NaN and -inf floats and non-ASCII escaped (ensure_ascii=True).
        string py = """{"prompt_id": "q1", "sample_index": 2, "prompt": "caf\u00e9", "completion": "x", "logprobs": [-0.5, NaN], "reward": -Infinity, "rewards": {"math": 1}, "metadata": {"seed": 7}, "run": "a"}""";
        var r = Assert.Single(Read(py)).Record!;
        Assert.Equal("café", r.Prompt);
        Assert.Equal(-0.5f, r.Logprobs![0]);
        Assert.True(float.IsNaN(r.Logprobs[1]));
        Assert.Equal(double.NegativeInfinity, r.Reward);
        Assert.Equal(1.0, r.Rewards!["math"]);
        Assert.Equal(7L, r.Metadata["seed"]);
        Assert.Equal("a", r.Extra["run"]);
    }

    [Fact]
    public void Accepts_quoted_non_finite_numbers_in_numeric_fields()
    {
        var r = Assert.Single(Read("""{"prompt_id":"a","reward":"NaN","logprobs":["-Infinity",1]}""")).Record!;
        Assert.True(double.IsNaN(r.Reward!.Value));
        Assert.Equal(float.NegativeInfinity, r.Logprobs![0]);
    }

    [Fact]
    public void Skips_blank_lines_handles_CRLF_and_a_BOM_and_keeps_line_numbers()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("{\"prompt_id\":\"a\"}\r\n\r\n   \n{\"prompt_id\":\"b\"}")];
        var rows = Read(bytes);
        Assert.Equal(["a", "b"], rows.Select(x => x.Record!.PromptId));
        Assert.Equal([1L, 4L], rows.Select(x => x.Line));
    }

    public static TheoryData<string, string?, string> BadLines => new()
    {
        { "not json", null, "not valid JSON" },
        { "[1,2]", null, "one JSON object" },
        { """{"prompt_id":"a"} {"x":1}""", null, "not valid JSON" },
        { """{"sample_index":"3"}""", "sample_index", "whole number" },
        { """{"sample_index":1.5}""", "sample_index", "whole number" },
        { """{"prompt":null}""", "prompt", "must be a string" },
        { """{"prompt_tokens":[1,"2"]}""", "prompt_tokens", "item 1" },
        { """{"prompt_tokens":[1,99999999999]}""", "prompt_tokens", "32-bit" },
        { """{"logprobs":[1e39]}""", "logprobs", "float32 range" },
        { """{"logprobs":{"a":1}}""", "logprobs", "list of numbers" },
        { """{"reward":"high"}""", "reward", "must be a number" },
        { """{"rewards":{"m":"x"}}""", "rewards", "component 'm'" },
        { """{"rewards":[1]}""", "rewards", "object mapping" },
        { """{"is_expert":"yes"}""", "is_expert", "true or false" },
        { """{"metadata":[1]}""", "metadata", "JSON object" },
        { """{"prompt_id":"a","logprobs":[1,""", "logprobs", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public void A_bad_line_is_reported_with_file_line_and_field_and_the_rest_still_flows(string bad, string? field, string message)
    {
        var rows = Read("{\"prompt_id\":\"ok1\"}\n" + bad + "\n{\"prompt_id\":\"ok2\"}\n");
        Assert.Equal(3, rows.Count);
        Assert.Equal("ok1", rows[0].Record!.PromptId);
        Assert.Equal("ok2", rows[2].Record!.PromptId);
        var e = rows[1].Error!;
        Assert.NotNull(e);
        Assert.Equal("t.jsonl", e.File);
        Assert.Equal(2, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains(message, e.Message);
        Assert.StartsWith("t.jsonl:2:", e.Message);
    }

    [Fact]
    public void Invalid_UTF8_is_a_bad_line_not_a_crash()
    {
        byte[] bytes = [.. "{\"prompt_id\":\""u8, 0xFF, 0xFE, .. "\"}\n{\"prompt_id\":\"b\"}"u8];
        var rows = Read(bytes);
        Assert.NotNull(rows[0].Error);
        Assert.Equal("b", rows[1].Record!.PromptId);
    }

    [Fact]
    public void A_record_that_cannot_be_written_is_refused_whole()
    {
        var ms = new MemoryStream();
        using var w = new RolloutJsonlWriter(ms, leaveOpen: true);
        var bad = RolloutSamples.Minimal("x", 0);
        bad.Metadata["obj"] = new object();
        Assert.Throws<ArgumentException>(() => w.Write(bad));
        var clash = RolloutSamples.Minimal("y", 0);
        clash.Extra["reward"] = 1L;
        Assert.Throws<ArgumentException>(() => w.Write(clash));
        w.Write(RolloutSamples.Minimal("z", 0));
        w.Complete();
        var back = Read(ms.ToArray());
        Assert.Equal("z", Assert.Single(back).Record!.PromptId);
    }

    [Fact]
    public void Foreign_values_are_converted_through_the_hook()
    {
        var ms = new MemoryStream();
        using (var w = new RolloutJsonlWriter(ms, leaveOpen: true) { ForeignValue = o => o is Uri u ? u.ToString() : o })
        {
            var r = RolloutSamples.Minimal("x", 0);
            r.Metadata["url"] = new Uri("https://example.org/");
            w.Write(r);
        }
        Assert.Equal("https://example.org/", Read(ms.ToArray())[0].Record!.Metadata["url"]);
    }

    [Fact]
    public void Reading_streams_lines_longer_than_the_buffer()
    {
        var r = RolloutSamples.Minimal("long", 0);
        r.Logprobs = Enumerable.Range(0, 50_000).Select(i => i * 0.001f).ToArray();
        var back = Read(Write([r, r]));
        Assert.Equal(2, back.Count);
        Assert.Null(RolloutEquality.Difference(r, back[1].Record!));
    }
}
