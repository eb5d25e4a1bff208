using System.Collections;
using System.Globalization;
using RlTools.Core.IO;

namespace RlTools.Core.Verifiers.Code;

/// <summary>
/// One test of a program: stdin and the expected stdout, or a script that must exit 0, or (call-based) a script that
/// calls a function with the JSON arguments on stdin and prints its return value for the parent to compare.
/// </summary>
public sealed record CodeTestCase(string? Stdin, string? ExpectedStdout, string? Script)
{
    /// <summary>True for a stdin/stdout pair; false for an assert script or a call-based test.</summary>
    public bool IsStdio => Script is null;

    /// <summary>Call-based tests: the expected return value (the JSON value model of <see cref="JsonValues"/>).</summary>
    public object? ExpectedReturn { get; init; }

    /// <summary>True for a call-based test (<c>fn_name</c>).</summary>
    public bool IsCall { get; init; }
}

/// <summary>
/// Reads a task's tests from the two common formats:
/// stdin/stdout pairs <c>{"inputs": [...], "outputs": [...]}</c> (APPS, TACO, CodeContests, verl <c>prime_code</c>; with
/// <c>fn_name</c> they are call-based: arguments in, return value out, Python only) and
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
            if (Get("fn_name") is string fn && fn.Length > 0) return CallTests(fn, Get("inputs"), Get("outputs"), program, language);
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

    /// <summary>The marker before a call-based test's printed return value.</summary>
    public const string ReturnMarker = "\u001e<rltools-return>";

    // APPS / TACO / LiveCodeBench call-based tests: inputs[i] is the argument list (or, in LiveCodeBench, a string of
    // one JSON argument per line); outputs[i] the return value (APPS often wraps it in a one-element list).
    private static IReadOnlyList<CodeTestCase> CallTests(string fn, object? inputs, object? outputs, string program, CodeLanguage language)
    {
        if (language != CodeLanguage.Python) throw new FormatException($"call-based tests (fn_name '{fn}') are supported for Python only.");
        if (!System.Text.RegularExpressions.Regex.IsMatch(fn, @"^[A-Za-z_][A-Za-z0-9_]*$")) throw new FormatException($"fn_name '{fn}' is not a Python identifier.");
        if (inputs is not IList ins || outputs is not IList outs) throw new FormatException("call-based tests need lists of inputs and outputs.");
        if (ins.Count != outs.Count) throw new FormatException($"the tests have {ins.Count} inputs but {outs.Count} outputs.");
        if (ins.Count == 0) throw new FormatException("the tests have no input/output pairs.");
        string harness = $$"""
            import json as __rl_json, sys as __rl_sys
            def __rl_call():
                args = __rl_json.loads(__rl_sys.stdin.read())
                if isinstance(args, str):
                    args = [__rl_json.loads(line) for line in args.split("\n") if line.strip()]
                elif not isinstance(args, list):
                    args = [args]
                f = globals().get("{{fn}}")
                if f is None and "Solution" in globals():
                    f = getattr(globals()["Solution"](), "{{fn}}")
                if f is None:
                    raise NameError("name '{{fn}}' is not defined")
                out = f(*args)
                if isinstance(out, tuple):
                    out = list(out)
                __rl_sys.stdout.write("\n\x1e<rltools-return>" + __rl_json.dumps(out, default=repr) + "\n")
            __rl_call()
            """;
        string script = program + "\n\n" + harness + "\n";
        return Enumerable.Range(0, ins.Count)
            .Select(i => new CodeTestCase(JsonValues.ToJson(ins[i]), null, script) { IsCall = true, ExpectedReturn = outs[i] }).ToArray();
    }

    /// <summary>
    /// Whether a call-based test's printed return value equals the expected one, as verl prime_code decides: equal, or
    /// equal to the first element of a one-element expected list; an expected string that holds JSON (LiveCodeBench)
    /// is also compared parsed. Equality follows Python's <c>==</c> on JSON values (1 == 1.0 == True).
    /// </summary>
    public static bool ReturnMatches(object? actual, object? expected)
    {
        if (ValueEquals(actual, expected)) return true;
        if (expected is IList { Count: > 0 } l && ValueEquals(actual, l[0])) return true;
        return expected is string s && JsonValues.TryParse(s, out object? parsed) && ValueEquals(actual, parsed);
    }

    private static bool ValueEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (Number(a) is { } x && Number(b) is { } y) return x == y;
        if (a is string sa) return b is string sb && string.Equals(sa, sb, StringComparison.Ordinal);
        if (a is IDictionary da)
        {
            if (b is not IDictionary db || da.Count != db.Count) return false;
            foreach (DictionaryEntry e in da) if (!db.Contains(e.Key) || !ValueEquals(e.Value, db[e.Key])) return false;
            return true;
        }
        if (a is IList la)
        {
            if (b is not IList lb || la.Count != lb.Count) return false;
            for (int i = 0; i < la.Count; i++) if (!ValueEquals(la[i], lb[i])) return false;
            return true;
        }
        return false;
    }

    private static double? Number(object v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        int i => i,
        double d => d,
        _ => null,
    };

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
