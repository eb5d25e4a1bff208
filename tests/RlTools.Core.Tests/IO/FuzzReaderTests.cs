using System.Text;
using RlTools.Core.IO;
using RlTools.Core.Records;

namespace RlTools.Core.Tests.IO;

/// <summary>
/// Issue #18 fuzz test: mutated JSONL and CSV files (fixed seed, so every run feeds the same bytes) go through the
/// readers. Every good record comes out exactly once, at its own line; every mutated one comes out as a record or as
/// one error naming its line; nothing escapes as an exception; allocation stays under a stated bound.
/// </summary>
public class FuzzReaderTests
{
    private const int Seed = 18, Rounds = 60, Lines = 40;

    /// <summary>Allocation bound per file read: 16 MiB (each file is under 20 KB; the readers' line bound is 4 KiB here).</summary>
    private const long AllocationBound = 16L << 20;

    private static string JsonlLine(int i) =>
        $"{{\"prompt_id\":\"id{i}\",\"sample_index\":{i},\"completion\":\"text {i} ü\",\"logprobs\":[-0.5,-{i}.25],\"reward\":{i % 2},\"metadata\":{{\"k\":[{i},\"x\"]}}}}";

    private static string CsvRow(int i) => $"id{i},{i},\"text, {i} ü\",\"[-0.5,-{i}.25]\",{i % 2}";

    /// <summary>Mutates the bytes of some lines with bytes that keep the line structure (no LF; for CSV also no quote, comma or CR).</summary>
    private static (byte[] File, HashSet<int> Mutated) Mutate(Random rng, string header, Func<int, string> line, bool csv)
    {
        var mutated = new HashSet<int>();
        var ms = new MemoryStream();
        int offset = header.Length > 0 ? 1 : 0;
        if (header.Length > 0) ms.Write(Encoding.UTF8.GetBytes(header + "\n"));
        for (int i = 1; i <= Lines; i++)
        {
            byte[] b = Encoding.UTF8.GetBytes(line(i));
            if (rng.Next(4) == 0)
            {
                mutated.Add(i + offset);
                int edits = 1 + rng.Next(4);
                var list = b.ToList();
                for (int e = 0; e < edits; e++)
                {
                    byte nb;
                    do nb = (byte)rng.Next(256);
                    while (nb == (byte)'\n' || (csv && nb is (byte)'"' or (byte)',' or (byte)'\r'));
                    int at = rng.Next(list.Count);
                    int op = rng.Next(3);
                    if (csv && op != 1 && list[at] is (byte)'"' or (byte)',') continue; // keep the CSV structure
                    switch (op)
                    {
                        case 0: list[at] = nb; break;
                        case 1: if (csv && at > 0 && list[at - 1] == (byte)'"') continue; list.Insert(at, nb); break;
                        default: if (list.Count > 1) list.RemoveAt(at); break;
                    }
                }
                b = [.. list];
            }
            ms.Write(b);
            ms.Write(rng.Next(3) == 0 ? "\r\n"u8 : "\n"u8);
        }
        return (ms.ToArray(), mutated);
    }

    /// <summary>Checks one file's results; returns how many lines came out as errors.</summary>
    private static int CheckOutcome(List<RecordResult<Rollout>> results, HashSet<int> mutated, int firstLine)
    {
        // One result per line, in order; good lines give their own record.
        Assert.Equal(Enumerable.Range(firstLine, Lines).Select(x => (long)x), results.Select(r => r.Line));
        foreach (var r in results)
        {
            if (mutated.Contains((int)r.Line)) continue;
            Assert.Null(r.Error);
            int i = (int)r.Line - firstLine + 1;
            Assert.Equal("id" + i, r.Record!.PromptId);
            Assert.Equal(i, r.Record.SampleIndex);
        }
        Assert.All(results.Where(r => r.Error is not null), r => Assert.Contains(":" + r.Line + ":", r.Error!.Message));
        return results.Count(r => r.Error is not null);
    }

    private static List<RecordResult<Rollout>> ReadBounded(Func<IRecordReader<Rollout>> open)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        using var reader = open();
        var list = reader.ToList();
        long used = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(used < AllocationBound, $"reading allocated {used:N0} bytes");
        return list;
    }

    [Fact]
    public void Mutated_JSONL_lines_cost_only_themselves()
    {
        var rng = new Random(Seed);
        int errors = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var (bytes, mutated) = Mutate(rng, "", JsonlLine, csv: false);
            var results = ReadBounded(() => new RolloutJsonlReader(new MemoryStream(bytes), "f.jsonl", maxLineBytes: 4096));
            errors += CheckOutcome(results, mutated, 1);
        }
        Assert.True(errors > Rounds, $"the mutations produced only {errors} bad lines"); // the fuzz is not vacuous
    }

    [Fact]
    public void Mutated_CSV_rows_cost_only_themselves()
    {
        var rng = new Random(Seed + 1);
        int errors = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var (bytes, mutated) = Mutate(rng, "prompt_id,sample_index,completion,logprobs,reward", CsvRow, csv: true);
            var results = ReadBounded(() => new RolloutCsvReader(new MemoryStream(bytes), "f.csv"));
            errors += CheckOutcome(results, mutated, 2);
        }
        Assert.True(errors > Rounds, $"the mutations produced only {errors} bad rows"); // the fuzz is not vacuous
    }

    [Fact]
    public void Arbitrary_bytes_never_escape_the_readers()
    {
        // Any byte anywhere (quotes, line breaks, NULs): no exception leaves the readers, every error names a line
        // inside the file, and the readers stay within the bound.
        var rng = new Random(Seed + 2);
        for (int round = 0; round < Rounds; round++)
        {
            var (good, _) = Mutate(rng, "prompt_id,sample_index,completion,logprobs,reward", CsvRow, csv: true);
            byte[] bytes = [.. good];
            for (int e = 0; e < 1 + rng.Next(20); e++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            long lines = bytes.Count(b => b == (byte)'\n') + 1;
            foreach (var results in new[]
            {
                ReadBounded(() => new RolloutCsvReader(new MemoryStream(bytes), "f.csv")),
                ReadBounded(() => new RolloutJsonlReader(new MemoryStream(bytes), "f.jsonl", maxLineBytes: 4096)),
            })
            {
                Assert.All(results, r => Assert.InRange(r.Line, 1, lines));
                Assert.Equal(results.Select(r => r.Line).Distinct().Count(), results.Count);
            }
        }
    }

    [Fact]
    public void Mutated_dataset_files_never_escape_the_reader()
    {
        var rng = new Random(Seed + 3);
        string dir = Directory.CreateTempSubdirectory("rltools-fuzz-").FullName;
        try
        {
            for (int round = 0; round < Rounds / 2; round++)
            {
                var (jsonl, mutatedJ) = Mutate(rng, "", i => $"{{\"question\":\"q{i}\",\"answer\":{i}.50,\"id\":\"id{i}\"}}", csv: false);
                var (csv, mutatedC) = Mutate(rng, "question,answer,id", i => $"q{i},{i}.50,id{i}", csv: true);
                foreach (var (bytes, mutated, format, first) in new[] { (jsonl, mutatedJ, DataFormat.Jsonl, 1), (csv, mutatedC, DataFormat.Csv, 2) })
                {
                    string path = Path.Combine(dir, "d." + format.ToString().ToLowerInvariant());
                    File.WriteAllBytes(path, bytes);
                    using var reader = new DatasetReader(path, format, new DatasetOptions());
                    var results = reader.ToList();
                    Assert.Equal(Enumerable.Range(first, Lines).Select(x => (long)x), results.Select(r => r.Line));
                    foreach (var r in results.Where(r => !mutated.Contains((int)r.Line)))
                        Assert.Equal($"{r.Line - first + 1}.50", r.Record!.Answer);
                }
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
