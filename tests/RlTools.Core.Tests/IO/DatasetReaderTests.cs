using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.IO;

public class DatasetReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltools-dataset-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private static List<RecordResult<PromptRecord>> Read(string path, DataFormat format, DatasetOptions? options = null)
    {
        using var reader = new DatasetReader(path, format, options ?? new DatasetOptions());
        return reader.ToList();
    }

    [Fact]
    public void Reads_GSM8K_rows_and_extracts_the_final_number()
    {
        string path = File("gsm8k.jsonl",
            """{"question": "Natalia sold 48 clips...", "answer": "She sold 48/2 = <<48/2=24>>24 clips.\n#### 1,072"}""" + "\n" +
            """{"question": "No marker", "answer": "just text"}""" + "\n");
        var rows = Read(path, DataFormat.Jsonl, new DatasetOptions { AnswerExtract = AnswerExtraction.Gsm8k });
        var p = rows[0].Record!;
        Assert.Equal("Natalia sold 48 clips...", p.Prompt);
        Assert.Equal("1072", p.Answer);
        Assert.Equal("gsm8k:0", p.Id);
        Assert.Empty(p.Metadata);
        Assert.Equal("answer", rows[1].Error!.Field);
        Assert.Contains("####", rows[1].Error!.Message);
        Assert.Equal(2, rows[1].Error!.Line);
    }

    [Fact]
    public void Reads_MATH_rows_with_nested_boxed_answers_and_keeps_other_columns()
    {
        string path = File("math.jsonl",
            """{"problem": "Compute.", "solution": "So \\boxed{\\frac{1}{2}}.", "level": "Level 2", "type": "Algebra", "unique_id": "test/algebra/1.json"}""" + "\n");
        var p = Read(path, DataFormat.Jsonl, new DatasetOptions { AnswerExtract = AnswerExtraction.Boxed })[0].Record!;
        Assert.Equal("Compute.", p.Prompt);
        Assert.Equal("\\frac{1}{2}", p.Answer);
        Assert.Equal("test/algebra/1.json", p.Id);
        Assert.Equal(["level", "type"], p.Metadata.Keys);
    }

    [Fact]
    public void Accepts_a_chat_column_as_the_prompt()
    {
        string path = File("chat.jsonl",
            """{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}], "answer": 4}""" + "\n" +
            """{"messages": [{"role": "user"}]}""" + "\n");
        var rows = Read(path, DataFormat.Jsonl);
        var p = rows[0].Record!;
        Assert.Equal(2, p.Messages!.Count);
        Assert.Equal(new ChatMessage("system", "Be brief."), p.Messages[0]);
        Assert.Equal("2+2?", p.Prompt);
        Assert.Equal("4", p.Answer);
        Assert.Equal("messages", rows[1].Error!.Field);
    }

    [Fact]
    public void Explicit_fields_must_exist_and_ids_are_stable_across_bad_rows()
    {
        string path = File("q.jsonl", "{\"q\":\"a\",\"a\":\"1\"}\n{\"x\":1}\nnot json\n{\"q\":\"c\",\"a\":\"3\"}\n");
        var rows = Read(path, DataFormat.Jsonl, new DatasetOptions { PromptField = "q", AnswerField = "a" });
        Assert.Equal(4, rows.Count);
        Assert.Equal("q", rows[1].Error!.Field);
        Assert.Contains("-PromptField", rows[1].Error!.Message);
        Assert.Null(rows[2].Error!.Field);
        Assert.Equal(3, rows[2].Error!.Line);
        Assert.Equal("q:0", rows[0].Record!.Id);
        Assert.Equal("q:3", rows[3].Record!.Id);
    }

    [Fact]
    public void Reads_CSV_datasets_with_a_chat_cell()
    {
        string path = File("d.csv", "id,prompt,answer,src\n7,\"[{\"\"role\"\":\"\"user\"\",\"\"content\"\":\"\"hi\"\"}]\",x,web\n8,plain,y,\n");
        var rows = Read(path, DataFormat.Csv);
        Assert.Equal("hi", rows[0].Record!.Prompt);
        Assert.Equal("7", rows[0].Record!.Id);
        Assert.Equal("web", rows[0].Record!.Metadata["src"]);
        Assert.Equal("plain", rows[1].Record!.Prompt);
        Assert.Null(rows[1].Record!.Messages);
    }

    [Fact]
    public async Task Reads_Parquet_datasets_including_a_list_of_structs()
    {
        var schema = new ParquetSchema(
            new DataField<string>("question"), new DataField<string>("answer"),
            new ListField("messages", new StructField("element", new DataField<string>("role"), new DataField<string>("content"))));
        string path = Path.Combine(_dir, "train.parquet");
        await using (var fs = System.IO.File.Create(path))
        {
            await ParquetSerializer.SerializeUntypedAsync(new List<IDictionary<string, object?>>
            {
                new Dictionary<string, object?>
                {
                    ["question"] = "q?", ["answer"] = "#### 5",
                    ["messages"] = new List<IDictionary<string, object?>> { new Dictionary<string, object?> { ["role"] = "user", ["content"] = "chat q?" } },
                },
            }, schema, fs);
        }
        var p = Read(path, DataFormat.Parquet, new DatasetOptions { AnswerExtract = AnswerExtraction.Gsm8k })[0].Record!;
        Assert.Equal("q?", p.Prompt);
        Assert.Equal("5", p.Answer);
        var chat = Read(path, DataFormat.Parquet, new DatasetOptions { PromptField = "messages" })[0].Record!;
        Assert.Equal("chat q?", chat.Prompt);
        Assert.Equal("q?", chat.Metadata["question"]);
    }

    [Fact]
    public async Task A_null_Parquet_cell_is_a_null_answer_not_a_missing_column()
    {
        var schema = new ParquetSchema(new DataField<string>("q"), new DataField<string>("a", true));
        string path = Path.Combine(_dir, "nulls.parquet");
        await using (var fs = System.IO.File.Create(path))
        {
            await ParquetSerializer.SerializeUntypedAsync(new List<IDictionary<string, object?>>
            {
                new Dictionary<string, object?> { ["q"] = "x", ["a"] = null },
                new Dictionary<string, object?> { ["q"] = "y", ["a"] = "1" },
            }, schema, fs);
        }
        var rows = Read(path, DataFormat.Parquet, new DatasetOptions { PromptField = "q", AnswerField = "a" });
        Assert.All(rows, r => Assert.Null(r.Error));
        Assert.Null(rows[0].Record!.Answer);
        Assert.Equal("1", rows[1].Record!.Answer);
    }
}

public class DatasetAnswerExtractorTests
{
    [Theory]
    [InlineData("work\n#### 72", "72")]
    [InlineData("#### 1,000,000", "1000000")]
    [InlineData("a #### 1\nmore #### -3.5 ", "-3.5")]
    [InlineData("no marker", null)]
    [InlineData("ends ####   ", null)]
    public void Gsm8k_keeps_the_number_after_the_last_marker(string text, string? expected)
        => Assert.Equal(expected, DatasetAnswerExtractor.Gsm8k(text));

    [Theory]
    [InlineData("The answer is $\\boxed{42}$.", "42")]
    [InlineData("\\boxed{\\frac{a}{b^{2}}}", "\\frac{a}{b^{2}}")]
    [InlineData("first \\boxed{1} then \\boxed{2}", "2")]
    [InlineData("\\boxed {x}", "x")]
    [InlineData("\\fbox{7}", "7")]
    [InlineData("set \\boxed{\\{1, 2\\}}", "\\{1, 2\\}")]
    [InlineData("\\boxed{unbalanced", null)]
    [InlineData("no box here", null)]
    [InlineData("\\boxed 5", null)]
    [InlineData("\\boxed{\\begin{matrix}1\\\\2\\end{matrix}}", "\\begin{matrix}1\\\\2\\end{matrix}")] // \\ is a line break, not an escaped brace
    [InlineData("\\boxed{a \\\\}", "a \\\\")]
    public void Boxed_takes_the_last_box_with_nested_braces(string text, string? expected)
        => Assert.Equal(expected, DatasetAnswerExtractor.LastBoxed(text));
}
