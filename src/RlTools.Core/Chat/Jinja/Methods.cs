using System.Globalization;
using System.Text;

namespace RlTools.Core.Chat.Jinja;

/// <summary>The Python methods templates call on str, dict, list and tuple values (the sandbox forbids the mutating ones).</summary>
internal static class Methods
{
    private static readonly HashSet<string> UnsafeDict = ["clear", "pop", "popitem", "setdefault", "update"];
    private static readonly HashSet<string> UnsafeList = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"];

    internal static object? Arg(List<object?> a, PyDict kw, int i, string name, object? dflt = null) =>
        i < a.Count ? a[i] : kw.TryGetValue(name, out object? v) ? v : dflt;

    internal static bool Has(List<object?> a, PyDict kw, int i, string name) => i < a.Count || kw.ContainsKey(name);

    private static PyCallable M(string name, Func<List<object?>, PyDict, object?> f) => new(name, f);

    private static Undefined Unsafe(object owner, string name) =>
        new UnsafeUndefined($"access to attribute '{name}' of '{Py.TypeName(owner)}' object is unsafe.");

    private static string S(object? v, string what) => v switch
    {
        string s => s,
        Undefined u => throw u.Fail(),
        _ => throw JinjaException.Type($"{what} must be str, not {Py.TypeName(v)}"),
    };

    private static int I(object? v) => Py.IsInt(v) ? (int)Py.ToBig(v) : v is null ? -1 : throw JinjaException.Type($"'{Py.TypeName(v)}' object cannot be interpreted as an integer");

    public static object? StringMethod(string s, string name) => name switch
    {
        "strip" => M(name, (a, k) => Strip(s, Arg(a, k, 0, "chars"), true, true)),
        "lstrip" => M(name, (a, k) => Strip(s, Arg(a, k, 0, "chars"), true, false)),
        "rstrip" => M(name, (a, k) => Strip(s, Arg(a, k, 0, "chars"), false, true)),
        "split" => M(name, (a, k) => Split(s, Arg(a, k, 0, "sep"), I(Arg(a, k, 1, "maxsplit", -1L)))),
        "rsplit" => M(name, (a, k) => RSplit(s, Arg(a, k, 0, "sep"), I(Arg(a, k, 1, "maxsplit", -1L)))),
        "splitlines" => M(name, (a, k) => SplitLines(s, Py.Truthy(Arg(a, k, 0, "keepends", false))).Cast<object?>().ToList()),
        "startswith" => M(name, (a, k) => Affix(s, Arg(a, k, 0, "prefix"), true)),
        "endswith" => M(name, (a, k) => Affix(s, Arg(a, k, 0, "suffix"), false)),
        "upper" => M(name, (_, _) => s.ToUpperInvariant()),
        "lower" => M(name, (_, _) => s.ToLowerInvariant()),
        "title" => M(name, (_, _) => Title(s)),
        "capitalize" => M(name, (_, _) => Capitalize(s)),
        "swapcase" => M(name, (_, _) => string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)))),
        "replace" => M(name, (a, k) => Replace(s, S(Arg(a, k, 0, "old"), "replace() argument 1"), S(Arg(a, k, 1, "new"), "replace() argument 2"), I(Arg(a, k, 2, "count", -1L)))),
        "find" => M(name, (a, k) => (long)IndexOfCp(s, S(Arg(a, k, 0, "sub"), "must"), false)),
        "rfind" => M(name, (a, k) => (long)IndexOfCp(s, S(Arg(a, k, 0, "sub"), "must"), true)),
        "index" => M(name, (a, k) => IndexOfCp(s, S(Arg(a, k, 0, "sub"), "must"), false) is var i && i >= 0 ? (long)i : throw new JinjaException("ValueError", "substring not found")),
        "rindex" => M(name, (a, k) => IndexOfCp(s, S(Arg(a, k, 0, "sub"), "must"), true) is var i && i >= 0 ? (long)i : throw new JinjaException("ValueError", "substring not found")),
        "count" => M(name, (a, k) => (long)CountSub(s, S(Arg(a, k, 0, "sub"), "must"))),
        "join" => M(name, (a, k) => string.Join(s, JinjaInterpreter.Iterate(Arg(a, k, 0, "iterable")).Select(x => x is string xs ? xs : throw JinjaException.Type($"sequence item: expected str instance, {Py.TypeName(x)} found")))),
        "isdigit" or "isnumeric" or "isdecimal" => M(name, (_, _) => s.Length > 0 && s.All(char.IsDigit)),
        "isalpha" => M(name, (_, _) => s.Length > 0 && s.All(char.IsLetter)),
        "isalnum" => M(name, (_, _) => s.Length > 0 && s.All(char.IsLetterOrDigit)),
        "isspace" => M(name, (_, _) => s.Length > 0 && s.All(c => Py.IsSpace(c))),
        "isupper" => M(name, (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsLower)),
        "islower" => M(name, (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsUpper)),
        "removeprefix" => M(name, (a, k) => S(Arg(a, k, 0, "prefix"), "removeprefix() argument") is var p && s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s),
        "removesuffix" => M(name, (a, k) => S(Arg(a, k, 0, "suffix"), "removesuffix() argument") is var p && p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s),
        "zfill" => M(name, (a, k) => ZFill(s, I(Arg(a, k, 0, "width")))),
        "center" => M(name, (a, k) => Center(s, I(Arg(a, k, 0, "width")), Arg(a, k, 1, "fillchar", " ") as string ?? " ")),
        "ljust" => M(name, (a, k) => s.PadRight(Math.Max(s.Length, I(Arg(a, k, 0, "width"))), (Arg(a, k, 1, "fillchar", " ") as string ?? " ")[0])),
        "rjust" => M(name, (a, k) => s.PadLeft(Math.Max(s.Length, I(Arg(a, k, 0, "width"))), (Arg(a, k, 1, "fillchar", " ") as string ?? " ")[0])),
        "partition" => M(name, (a, k) => Partition(s, S(Arg(a, k, 0, "sep"), "must"))),
        "format" => M(name, (a, k) => Format(s, a, k)),
        _ => null,
    };

    public static object? DictMethod(PyDict d, string name) => name switch
    {
        "items" => M(name, (_, _) => d.Select(kv => (object?)new PyTuple([PyKeyComparer.Unkey(kv.Key), kv.Value])).ToList()),
        "keys" => M(name, (_, _) => d.Keys.Select(PyKeyComparer.Unkey).ToList()),
        "values" => M(name, (_, _) => d.Values.ToList()),
        "get" => M(name, (a, k) =>
        {
            object? key = Arg(a, k, 0, "key");
            return key is not (List<object?> or PyDict) && d.TryGetValue(PyKeyComparer.Key(key), out object? v) ? v : Arg(a, k, 1, "default");
        }),
        "copy" => M(name, (_, _) => { var c = new PyDict(); foreach (var kv in d) c[kv.Key] = kv.Value; return c; }),
        _ when UnsafeDict.Contains(name) => Unsafe(d, name),
        _ => null,
    };

    public static object? ListMethod(List<object?> l, string name) => name switch
    {
        "count" => M(name, (a, k) => (long)l.Count(x => Py.Eq(x, Arg(a, k, 0, "value")))),
        "index" => M(name, (a, k) => l.FindIndex(x => Py.Eq(x, Arg(a, k, 0, "value"))) is var i && i >= 0 ? (long)i : throw new JinjaException("ValueError", $"{Py.Repr(Arg(a, k, 0, "value"))} is not in list")),
        "copy" => M(name, (_, _) => l.ToList()),
        _ when UnsafeList.Contains(name) => Unsafe(l, name),
        _ => null,
    };

    public static object? TupleMethod(PyTuple t, string name) => name switch
    {
        "count" => M(name, (a, k) => (long)t.Items.Count(x => Py.Eq(x, Arg(a, k, 0, "value")))),
        "index" => M(name, (a, k) => t.Items.ToList().FindIndex(x => Py.Eq(x, Arg(a, k, 0, "value"))) is var i && i >= 0 ? (long)i : throw new JinjaException("ValueError", "tuple.index(x): x not in tuple")),
        _ => null,
    };

    // ---------- str helpers (code-point exact) ----------

    public static string Strip(string s, object? chars, bool left, bool right)
    {
        Func<int, bool> strip;
        if (chars is null or Undefined) strip = Py.IsSpace;
        else if (chars is string cs) { var set = Py.CodePoints(cs).ToHashSet(); strip = set.Contains; }
        else throw JinjaException.Type($"strip arg must be None or str");
        int[] cps = Py.CodePoints(s);
        int lo = 0, hi = cps.Length;
        if (left) while (lo < hi && strip(cps[lo])) lo++;
        if (right) while (hi > lo && strip(cps[hi - 1])) hi--;
        return lo == 0 && hi == cps.Length ? s : Py.FromCodePoints(cps[lo..hi]);
    }

    public static List<object?> Split(string s, object? sep, int maxsplit)
    {
        var r = new List<object?>();
        if (sep is null)
        {
            int[] cps = Py.CodePoints(s);
            int i = 0, n = cps.Length;
            while (true)
            {
                while (i < n && Py.IsSpace(cps[i])) i++;
                if (i >= n) break;
                if (maxsplit >= 0 && r.Count == maxsplit)
                {
                    int end = n;
                    while (end > i && Py.IsSpace(cps[end - 1])) end--;
                    r.Add(Py.FromCodePoints(cps[i..end]));
                    break;
                }
                int j = i;
                while (j < n && !Py.IsSpace(cps[j])) j++;
                r.Add(Py.FromCodePoints(cps[i..j]));
                i = j;
            }
            return r;
        }
        string sp = S(sep, "must");
        if (sp.Length == 0) throw new JinjaException("ValueError", "empty separator");
        int pos = 0;
        while (maxsplit < 0 || r.Count < maxsplit)
        {
            int k = s.IndexOf(sp, pos, StringComparison.Ordinal);
            if (k < 0) break;
            r.Add(s[pos..k]);
            pos = k + sp.Length;
        }
        r.Add(s[pos..]);
        return r;
    }

    private static List<object?> RSplit(string s, object? sep, int maxsplit)
    {
        if (maxsplit < 0) return Split(s, sep, -1);
        if (sep is null)
        {
            List<object?> all = Split(s, null, -1);
            if (all.Count <= maxsplit + 1) return all;
            // Rebuild the head by cutting the source after the first (count - maxsplit) words.
            int[] cps = Py.CodePoints(s);
            int words = all.Count - maxsplit, i = 0, seen = 0;
            while (seen < words - 1 || (i < cps.Length && Py.IsSpace(cps[i])))
            {
                while (i < cps.Length && Py.IsSpace(cps[i])) i++;
                if (seen == words - 1) break;
                while (i < cps.Length && !Py.IsSpace(cps[i])) i++;
                seen++;
            }
            while (i < cps.Length && !Py.IsSpace(cps[i])) i++;
            var head = Py.FromCodePoints(cps[..i]).TrimStart();
            return [head, .. all.Skip(words)];
        }
        string sp = S(sep, "must");
        var r = new List<object?>();
        int end = s.Length;
        while (r.Count < maxsplit)
        {
            int k = end - sp.Length < 0 ? -1 : s.LastIndexOf(sp, end - 1, StringComparison.Ordinal);
            if (k < 0 || k + sp.Length > end) break;
            r.Insert(0, s[(k + sp.Length)..end]);
            end = k;
        }
        r.Insert(0, s[..end]);
        return r;
    }

    public static List<string> SplitLines(string s, bool keepEnds)
    {
        var r = new List<string>();
        int start = 0, i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            int brk = 0;
            if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') brk = 2;
            else if (c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029') brk = 1;
            if (brk == 0) { i++; continue; }
            r.Add(keepEnds ? s[start..(i + brk)] : s[start..i]);
            i += brk;
            start = i;
        }
        if (start < s.Length) r.Add(s[start..]);
        return r;
    }

    private static bool Affix(string s, object? arg, bool prefix)
    {
        if (arg is PyTuple t) return t.Items.Any(x => Affix(s, x, prefix));
        string a = arg is string str ? str : throw JinjaException.Type($"{(prefix ? "startswith" : "endswith")} first arg must be str or a tuple of str, not {Py.TypeName(arg)}");
        return prefix ? s.StartsWith(a, StringComparison.Ordinal) : s.EndsWith(a, StringComparison.Ordinal);
    }

    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevCased = false;
        foreach (char c in s)
        {
            if (char.IsLetter(c)) { sb.Append(prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)); prevCased = true; }
            else { sb.Append(c); prevCased = false; }
        }
        return sb.ToString();
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Replace(string s, string old, string @new, int count)
    {
        if (count < 0) return old.Length == 0 ? InsertEverywhere(s, @new, int.MaxValue) : s.Replace(old, @new, StringComparison.Ordinal);
        if (old.Length == 0) return InsertEverywhere(s, @new, count);
        var sb = new StringBuilder();
        int pos = 0, n = 0;
        while (n < count)
        {
            int k = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (k < 0) break;
            sb.Append(s, pos, k - pos).Append(@new);
            pos = k + old.Length;
            n++;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static string InsertEverywhere(string s, string ins, int count)
    {
        int[] cps = Py.CodePoints(s);
        var sb = new StringBuilder();
        int n = 0;
        for (int i = 0; i <= cps.Length; i++)
        {
            if (n < count) { sb.Append(ins); n++; }
            if (i < cps.Length) sb.Append(Py.FromCodePoints([cps[i]]));
        }
        return sb.ToString();
    }

    private static int IndexOfCp(string s, string sub, bool last)
    {
        int k = last ? s.LastIndexOf(sub, StringComparison.Ordinal) : s.IndexOf(sub, StringComparison.Ordinal);
        return k < 0 ? -1 : Py.Len(s[..k]);
    }

    private static int CountSub(string s, string sub)
    {
        if (sub.Length == 0) return Py.Len(s) + 1;
        int n = 0, pos = 0;
        while ((pos = s.IndexOf(sub, pos, StringComparison.Ordinal)) >= 0) { n++; pos += sub.Length; }
        return n;
    }

    private static string ZFill(string s, int width)
    {
        if (s.Length >= width) return s;
        string sign = s.Length > 0 && s[0] is '+' or '-' ? s[..1] : "";
        return sign + new string('0', width - s.Length) + s[sign.Length..];
    }

    public static string Center(string s, int width, string fill = " ")
    {
        int len = Py.Len(s);
        if (len >= width) return s;
        int marg = width - len;
        int left = marg / 2 + (marg & width & 1);
        return string.Concat(Enumerable.Repeat(fill, left)) + s + string.Concat(Enumerable.Repeat(fill, marg - left));
    }

    private static PyTuple Partition(string s, string sep)
    {
        int k = s.IndexOf(sep, StringComparison.Ordinal);
        return k < 0 ? new PyTuple([s, "", ""]) : new PyTuple([s[..k], sep, s[(k + sep.Length)..]]);
    }

    /// <summary><c>str.format</c> for <c>{}</c>, <c>{0}</c> and <c>{name}</c> fields with an optional <c>!r</c>/<c>!s</c> conversion.</summary>
    public static string Format(string fmt, List<object?> args, PyDict kwargs)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            char c = fmt[i];
            if (c == '{' && i + 1 < fmt.Length && fmt[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < fmt.Length && fmt[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            int close = fmt.IndexOf('}', i);
            if (close < 0) throw new JinjaException("ValueError", "Single '{' encountered in format string");
            string field = fmt[(i + 1)..close];
            i = close;
            string conv = "";
            int bang = field.IndexOf('!');
            if (bang >= 0) { conv = field[(bang + 1)..]; field = field[..bang]; }
            int colon = field.IndexOf(':');
            if (colon >= 0) field = field[..colon];
            object? v = field.Length == 0 ? (auto < args.Count ? args[auto++] : throw new JinjaException("IndexError", "Replacement index out of range"))
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int idx) ? (idx < args.Count ? args[idx] : throw new JinjaException("IndexError", "Replacement index out of range"))
                : kwargs.TryGetValue(field, out object? kv) ? kv : throw new JinjaException("KeyError", Py.Repr(field));
            sb.Append(conv == "r" ? Py.Repr(v) : Py.Str(v));
        }
        return sb.ToString();
    }
}

/// <summary>The value the sandbox returns for a forbidden attribute: calling it raises <c>SecurityError</c>.</summary>
internal sealed class UnsafeUndefined(string message) : Undefined(message)
{
    internal override JinjaException Fail() => new("SecurityError", Hint!);
}
