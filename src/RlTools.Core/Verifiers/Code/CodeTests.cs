using System.Collections;
using System.Globalization;
using RlTools.Core.IO;

namespace RlTools.Core.Verifiers.Code;

/// <summary>One test of a program: stdin and the expected stdout, or a script that must exit 0.</summary>
public sealed record CodeTestCase(string? Stdin, string? ExpectedStdout, string? Script)
{
    /// <summary>True for a stdin/stdout pair; false for an assert script.</summary>
    public bool IsStdio => Script is null;
}

/// <summary>
/// Reads a task's tests from the two common formats:
/// stdin/stdout pairs <c>{"inputs": [...], "outputs": [...]}</c> (APPS, TACO, CodeContests, verl <c>prime_code</c>) and
/// assert-based <c>{"test": "...", "entry_point": "f"}</c> (HumanEval: the test defines <c>check(candidate)</c>, which
/// is called with the entry point) or <c>{"test_list": ["assert ...", ...]}</c> (MBPP: one test per assert, after
/// <c>test_setup_code</c> and <c>test_imports</c>). A JSON string holding one of these is parsed first.
/// </summary>
public static class CodeTests
{
    /// <summary>Parses the tests; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static IReadOnlyList<CodeTestCase> Parse(object? tests, string program, CodeLanguage language)
    {
        if (tests is string s)
        {
            if (!JsonValues.TryParse(s, out object? parsed) || parsed is not IDictionary)
                throw new FormatException("the tests are not a JSON object ({\"inputs\",\"outputs\"} or {\"test\",\"entry_point\"}).");
            tests = parsed;
        }
        if (tests is not IDictionary map) throw new FormatException("the tests are not a map ({\"inputs\",\"outputs\"} or {\"test\",\"entry_point\"}).");
        object? Get(string key) => map.Contains(key) ? map[key] : null;

        if (Get("inputs") is { } inputs || Get("outputs") is not null)
        {
            if (Get("fn_name") is string fn && fn.Length > 0)
                throw new FormatException($"call-based tests (fn_name '{fn}') are not supported; give stdin/stdout pairs or assert tests.");
            var ins = Strings(Get("inputs"), "inputs");
            var outs = Strings(Get("outputs"), "outputs");
            if (ins.Count != outs.Count) throw new FormatException($"the tests have {ins.Count} inputs but {outs.Count} outputs.");
            if (ins.Count == 0) throw new FormatException("the tests have no input/output pairs.");
            return ins.Select((x, i) => new CodeTestCase(x, outs[i], null)).ToArray();
        }

        string setup = string.Join('\n', new[] { Get("test_imports") is { } imp ? string.Join('\n', Strings(imp, "test_imports")) : "", Get("test_setup_code") as string ?? "" }.Where(x => x.Length > 0));
        string Join(string test) => string.Join("\n\n", new[] { program, setup, test }.Where(x => x.Length > 0)) + "\n";

        if (Get("test_list") is { } list || Get("test") is IList)
        {
            var asserts = Strings(Get("test_list") ?? Get("test"), "test_list");
            if (asserts.Count == 0) throw new FormatException("the test list is empty.");
            return asserts.Select(a => new CodeTestCase(null, null, Join(a))).ToArray();
        }
        if (Get("test") is string test)
        {
            if (test.Trim().Length == 0) throw new FormatException("the test script is empty.");
            string call = "";
            if (Get("entry_point") is string entry && entry.Length > 0)
                call = language == CodeLanguage.PowerShell
                    ? (test.Contains("function check", StringComparison.OrdinalIgnoreCase) ? $"check '{entry.Replace("'", "''", StringComparison.Ordinal)}'" : "")
                    : (test.Contains("def check(", StringComparison.Ordinal) ? $"check({entry})" : "");
            return [new CodeTestCase(null, null, Join(call.Length > 0 ? test + "\n\n" + call : test))];
        }
        throw new FormatException("the tests have neither inputs/outputs nor test/test_list.");
    }

    private static List<string> Strings(object? value, string field) => value switch
    {
        null => throw new FormatException($"the tests' '{field}' is missing."),
        string s => [s],
        IEnumerable e => e.Cast<object?>().Select(Text).ToList(),
        _ => [Text(value)],
    };

    // Outputs are often stored as numbers or lists; compare their text form.
    private static string Text(object? o) => o switch
    {
        null => "",
        string s => s,
        bool b => b ? "True" : "False",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable e => string.Join('\n', e.Cast<object?>().Select(Text)),
        _ => o.ToString() ?? "",
    };
}

/// <summary>
/// Compares a program's stdout with the expected one the way verl's <c>prime_code</c> grader does
/// (<c>verl/utils/reward_score/prime_code/testing_util.py</c>): exact after trimming each line's trailing spaces and
/// the blank lines at the end; else line by line, token by token, where two numbers are equal when
/// <c>|a − b| ≤ 1e-8 + 1e-5·|b|</c> (numpy <c>allclose</c> defaults).
/// </summary>
public static class OutputMatcher
{
    public static bool Matches(string actual, string expected)
    {
        var a = Lines(actual);
        var e = Lines(expected);
        if (a.SequenceEqual(e, StringComparer.Ordinal)) return true;
        if (a.Count != e.Count) return false;
        for (int i = 0; i < a.Count; i++)
        {
            var ta = a[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var te = e[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (ta.Length != te.Length) return false;
            for (int j = 0; j < ta.Length; j++)
            {
                if (string.Equals(ta[j], te[j], StringComparison.Ordinal)) continue;
                if (!double.TryParse(ta[j], NumberStyles.Float, CultureInfo.InvariantCulture, out double x)
                    || !double.TryParse(te[j], NumberStyles.Float, CultureInfo.InvariantCulture, out double y)
                    || !double.IsFinite(x) || !double.IsFinite(y)
                    || System.Math.Abs(x - y) > 1e-8 + 1e-5 * System.Math.Abs(y)) return false;
            }
        }
        return true;
    }

    private static List<string> Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        while (lines.Count > 0 && lines[0].Length == 0) lines.RemoveAt(0);
        return lines;
    }
}
