using System.Text;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.IO;

/// <summary>Issue #18 items 1–3 and 8: bad bytes, line ends, number literals and oversized lines in the readers.</summary>
public class HostileReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltools-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Save(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A CSV of <paramref name="rows"/> rows "p{i},{i},text {i}" with one byte 0xFF inside row <paramref name="bad"/> (1-based data row).</summary>
    private static byte[] CsvWithBadByte(int rows, int bad, string header = "prompt_id,sample_index,completion")
    {
        const string newline = "\n";
        var ms = new MemoryStream();
        void Put(string s) => ms.Write(Encoding.UTF8.GetBytes(s));
        Put(header + newline);
        for (int i = 1; i <= rows; i++)
        {
            if (i == bad) { Put($"p{i},{i},te"); ms.WriteByte(0xFF); Put("xt" + newline); }
            else Put($"p{i},{i},text {i}" + newline);
        }
        return ms.ToArray();
    }

    private static List<RecordResult<Rollout>> ReadRollouts(byte[] bytes)
    {
        using var reader = new RolloutCsvReader(new MemoryStream(bytes), "t.csv");
        return reader.ToList();
    }

    [Theory]
    [InlineData(20_000, 10_002)] // the decoder's buffer holds many rows: the old reader lost, repeated and spliced rows after it
    [InlineData(3, 2)]           // a small file: the old reader ended with a raw decoder exception and no rows
    public void A_bad_byte_in_a_CSV_row_costs_that_row_only(int rows, int bad)
    {
        var results = ReadRollouts(CsvWithBadByte(rows, bad));
        var errors = results.Where(r => r.Error is not null).ToList();
        var good = results.Where(r => r.Record is not null).Select(r => r.Record!).ToList();
        Assert.Single(errors);
        Assert.Equal(bad + 1, errors[0].Error!.Line); // header is line 1
        Assert.Contains("UTF-8", errors[0].Error!.Message);
        Assert.Equal(rows - 1, good.Count);
        var expected = Enumerable.Range(1, rows).Where(i => i != bad).ToList();
        Assert.Equal(expected, good.Select(r => r.SampleIndex).ToList());
        Assert.All(good, r => Assert.Equal($"text {r.SampleIndex}", r.Completion));
        Assert.All(results.Where(r => r.Record is not null), r => Assert.Equal(r.Record!.SampleIndex + 1, r.Line));
    }

    [Fact]
    public void A_bad_byte_in_a_CSV_dataset_row_costs_that_row_only()
    {
        string path = Save("d.csv", CsvWithBadByte(20_000, 10_002, "id,answer,prompt"));
        using var reader = new DatasetReader(path, DataFormat.Csv, new DatasetOptions());
        var results = reader.ToList();
        var error = Assert.Single(results, r => r.Error is not null);
        Assert.Equal(10_003, error.Line);
        var good = results.Where(r => r.Record is not null).Select(r => r.Record!).ToList();
        Assert.Equal(19_999, good.Count);
        Assert.Equal(good.Count, good.Select(p => p.Id).Distinct().Count());
        Assert.All(good, p => Assert.Equal("text " + p.Answer, p.Prompt));
    }

    [Fact]
    public void CRLF_and_a_BOM_read_exactly_like_LF()
    {
        const string lf = "prompt_id,sample_index,answer,completion\np1,0,42,\"two\nlines\"\n\np2,1,7,x\n";
        var bom = new byte[] { 0xEF, 0xBB, 0xBF };
        byte[] crlf = bom.Concat(Encoding.UTF8.GetBytes(lf.Replace("\n", "\r\n"))).ToArray();
        var a = ReadRollouts(Encoding.UTF8.GetBytes(lf));
        var b = ReadRollouts(crlf);
        Assert.All(a.Concat(b), r => Assert.Null(r.Error));
        Assert.Equal(2, b.Count);
        Assert.Equal("42", b[0].Record!.Answer);
        Assert.Equal("7", b[1].Record!.Answer);
        Assert.Empty(b[0].Record!.Extra);
        Assert.Equal("two\r\nlines", b[0].Record!.Completion); // a line break inside a quoted cell is the cell's own text
        Assert.Equal("two\nlines", a[0].Record!.Completion);
        Assert.Equal(new long[] { 2, 5 }, b.Select(r => r.Line));
        Assert.Equal(a.Select(r => r.Line), b.Select(r => r.Line));
        Assert.Null(RolloutEquality.Difference(a[1].Record!, b[1].Record!));
        Assert.Equal(["prompt_id", "sample_index", "answer", "completion"], RolloutCsv.ReadHeader(Save("h.csv", crlf))!);
    }

    [Fact]
    public void A_CRLF_CSV_dataset_keeps_its_last_column()
    {
        string path = Save("crlf.csv", Encoding.UTF8.GetBytes("question,answer\r\nq1,12\r\nq2,13\r\n"));
        using var reader = new DatasetReader(path, DataFormat.Csv, new DatasetOptions());
        var rows = reader.ToList();
        Assert.Equal(["12", "13"], rows.Select(r => r.Record!.Answer));
        Assert.All(rows, r => Assert.Empty(r.Record!.Metadata));
    }

    [Theory]
    [InlineData("\"a\"b", "stray double quote")]
    [InlineData("a\"b", "stray double quote")]
    [InlineData("\"never closed", "never closed")]
    public void A_bad_quote_is_named_on_its_line_and_the_next_rows_still_read(string cell, string problem)
    {
        string text = $"prompt_id,completion\nok1,x\nbad,{cell}\nok2,y\n";
        var rows = ReadRollouts(Encoding.UTF8.GetBytes(text));
        var error = Assert.Single(rows, r => r.Error is not null);
        Assert.Equal(3, error.Line);
        Assert.Contains(problem, error.Error!.Message);
        if (!cell.StartsWith("\"never")) Assert.Equal(["ok1", "ok2"], rows.Where(r => r.Record is not null).Select(r => r.Record!.PromptId));
    }

    [Theory]
    [InlineData("12345678901234567890123", "12345678901234567890123")]
    [InlineData("1e400", "1e400")]
    [InlineData("-1.50", "-1.50")]
    [InlineData("0.1", "0.1")]
    [InlineData("7", "7")]
    public void A_numeric_gold_answer_keeps_its_literal_text(string literal, string expected)
    {
        string path = Save("n.jsonl", Encoding.UTF8.GetBytes($"{{\"question\":\"q\",\"answer\":{literal},\"id\":{literal},\"n\":{literal}}}\n"));
        using var reader = new DatasetReader(path, DataFormat.Jsonl, new DatasetOptions());
        var p = Assert.Single(reader.ToList()).Record!;
        Assert.Equal(expected, p.Answer);
        Assert.Equal(expected, p.Id);
    }

    [Fact]
    public void A_JSONL_line_over_the_bound_is_skipped_and_named_and_later_lines_still_read()
    {
        string huge = "{\"prompt_id\":\"big\",\"completion\":\"" + new string('x', 5000) + "\"}";
        string text = "{\"prompt_id\":\"a\"}\n" + huge + "\r\n{\"prompt_id\":\"b\"}\n" + huge + "\n{\"prompt_id\":\"c\"}";
        using var reader = new RolloutJsonlReader(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t.jsonl", maxLineBytes: 1024);
        var rows = reader.ToList();
        Assert.Equal(["a", "b", "c"], rows.Where(r => r.Record is not null).Select(r => r.Record!.PromptId));
        Assert.Equal(new long[] { 2, 4 }, rows.Where(r => r.Error is not null).Select(r => r.Line));
        Assert.All(rows.Where(r => r.Error is not null), r => Assert.Contains("over the limit of 1 KiB", r.Error!.Message));
        Assert.Equal(new long[] { 1, 3, 5 }, rows.Where(r => r.Record is not null).Select(r => r.Line));
    }

    [Fact]
    public void A_CSV_row_over_the_bound_is_skipped_and_named()
    {
        string text = "prompt_id,completion\na,x\nbig,\"" + new string('y', 3000) + "\nstill quoted\"\nc,z\n";
        using var rows = new CsvRowReader(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t.csv", maxRowBytes: 1024);
        Assert.True(rows.ReadHeader());
        var seen = new List<(string? id, long line, bool bad)>();
        while (rows.Next(out string[]? cells, out long line, out RecordFormatException? error))
            seen.Add((cells?[0], line, error is not null));
        Assert.Equal([("a", 2L, false), (null, 3L, true), ("c", 5L, false)], seen);
    }

    [Fact]
    public void The_line_reader_never_holds_more_than_its_bound()
    {
        // 3 MiB of one line in 1 KiB pieces: the buffer stays at the bound + 1, and the line after it is intact.
        var ms = new MemoryStream();
        for (int i = 0; i < 3 * 1024; i++) ms.Write(new byte[1024].Select(_ => (byte)'z').ToArray());
        ms.Write("\nnext\n"u8);
        ms.Position = 0;
        using var lines = new Utf8LineReader(ms, maxRecordBytes: 4096, bufferSize: 1024);
        Assert.True(lines.Next());
        Assert.True(lines.Oversized);
        Assert.Equal(3L * 1024 * 1024, lines.RecordLength);
        Assert.True(lines.Capacity <= 4097, $"buffer grew to {lines.Capacity}");
        Assert.True(lines.Next());
        Assert.Equal("next", Encoding.UTF8.GetString(lines.Current));
        Assert.False(lines.Next());
    }
}

/// <summary>Issue #18 items 8–9: non-regular files are refused before they are opened, small JSON files are read under a bound.</summary>
public class SafeFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltools-safefile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Fifo(string name)
    {
        string path = Path.Combine(_dir, name);
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return path;
    }

    /// <summary>Runs <paramref name="open"/> on a worker so a regression (a blocking open) fails the test instead of hanging the run.</summary>
    private static UnsafeFileException RefusedWithoutBlocking(Action open)
    {
        var task = Task.Run(open);
        try { Assert.True(task.Wait(TimeSpan.FromMinutes(2)), "opening the FIFO blocked"); }
        catch (AggregateException) { }
        var e = Assert.IsType<UnsafeFileException>(task.Exception?.InnerException);
        return e;
    }

    [Fact]
    public void A_FIFO_in_place_of_a_data_file_is_refused_not_opened()
    {
        if (OperatingSystem.IsWindows()) return;
        string jsonl = Fifo("run.jsonl"), csv = Fifo("run.csv"), parquet = Fifo("run.parquet"), data = Fifo("data.jsonl");
        Assert.Equal("NotARegularFile", RefusedWithoutBlocking(() => RolloutJsonlReader.Open(jsonl).Dispose()).ErrorId);
        Assert.Equal("NotARegularFile", RefusedWithoutBlocking(() => RolloutCsvReader.Open(csv).Dispose()).ErrorId);
        Assert.Equal("NotARegularFile", RefusedWithoutBlocking(() => RolloutParquetReader.Open(parquet).Dispose()).ErrorId);
        Assert.Equal("NotARegularFile", RefusedWithoutBlocking(() => new DatasetReader(data, DataFormat.Jsonl, new DatasetOptions()).ToList()).ErrorId);
        Assert.Contains("FIFO", RefusedWithoutBlocking(() => SafeFile.ReadSmallText(jsonl)).Message);
    }

    [Fact]
    public void Devices_are_refused_and_regular_files_and_folders_are_not()
    {
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal("character device", SafeFile.FileType("/dev/zero"));
        Assert.Equal("NotARegularFile", Assert.Throws<UnsafeFileException>(() => SafeFile.ReadSmallText("/dev/zero")).ErrorId);
        string file = Path.Combine(_dir, "ok.json");
        File.WriteAllText(file, "{}");
        Assert.Null(SafeFile.FileType(file));
        Assert.Null(SafeFile.FileType(_dir));
        Assert.Null(SafeFile.FileType(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void A_small_JSON_file_over_its_bound_is_refused_with_its_size()
    {
        string file = Path.Combine(_dir, "config.json");
        File.WriteAllBytes(file, Encoding.UTF8.GetBytes("{\"a\":\"" + new string('x', 5000) + "\"}"));
        var e = Assert.Throws<UnsafeFileException>(() => SafeFile.ReadSmallText(file, maxBytes: 1024));
        Assert.Equal("FileTooLarge", e.ErrorId);
        Assert.Contains("1 KiB", e.Message);
        File.WriteAllBytes(file, [0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}']);
        Assert.Equal("{}", SafeFile.ReadSmallText(file, maxBytes: 1024));
    }
}
