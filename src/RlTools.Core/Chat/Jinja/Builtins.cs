using System.Globalization;
using System.Numerics;
using System.Text;
using static RlTools.Core.Chat.Jinja.Methods;

namespace RlTools.Core.Chat.Jinja;

// Jinja2's built-in filters and tests (jinja2/filters.py, jinja2/tests.py) and the globals transformers adds
// (raise_exception, strftime_now; tojson replaced by json.dumps with ensure_ascii=False).
internal sealed partial class JinjaInterpreter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private Dictionary<string, object?> MakeGlobals() => new(StringComparer.Ordinal)
    {
        ["range"] = new PyCallable("range", (a, _) => Range(a)),
        ["dict"] = new PyCallable("dict", (a, k) =>
        {
            var d = new PyDict();
            if (a.Count > 0 && a[0] is PyDict src) foreach (var kv in src) d[kv.Key] = kv.Value;
            foreach (var kv in k) d[kv.Key] = kv.Value;
            return d;
        }),
        ["namespace"] = new PyCallable("namespace", (a, k) =>
        {
            var ns = new PyNamespace();
            if (a.Count > 0 && a[0] is PyDict src) foreach (var kv in src) ns.Attributes[kv.Key] = kv.Value;
            foreach (var kv in k) ns.Attributes[kv.Key] = kv.Value;
            return ns;
        }),
        ["raise_exception"] = new PyCallable("raise_exception", (a, k) => throw new JinjaException("TemplateError", Py.Str(Arg(a, k, 0, "message")))),
        ["strftime_now"] = new PyCallable("strftime_now", (a, k) => Strftime(_now(), Arg(a, k, 0, "format") as string ?? throw JinjaException.Type("strftime() argument 1 must be str"))),
    };

    private static List<object?> Range(List<object?> a)
    {
        if (a.Count == 0 || a.Count > 3) throw JinjaException.Type($"range expected at least 1 argument, got {a.Count}");
        long start = 0, stop, step = 1;
        long L(object? v) => Py.IsInt(v) ? (long)Py.ToBig(v) : throw JinjaException.Type($"'{Py.TypeName(v)}' object cannot be interpreted as an integer");
        if (a.Count == 1) stop = L(a[0]);
        else { start = L(a[0]); stop = L(a[1]); if (a.Count == 3) step = L(a[2]); }
        if (step == 0) throw new JinjaException("ValueError", "range() arg 3 must not be zero");
        var r = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            r.Add(i);
            if (r.Count > 100_000) throw new JinjaException("OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        }
        return r;
    }

    /// <summary>Python's <c>datetime.strftime</c> for the C89 directives (English names).</summary>
    internal static string Strftime(DateTime t, string fmt)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%' || i + 1 >= fmt.Length) { sb.Append(fmt[i]); continue; }
            char c = fmt[++i];
            sb.Append(c switch
            {
                'd' => t.Day.ToString("00", Inv),
                'm' => t.Month.ToString("00", Inv),
                'Y' => t.Year.ToString("0000", Inv),
                'y' => (t.Year % 100).ToString("00", Inv),
                'H' => t.Hour.ToString("00", Inv),
                'I' => ((t.Hour + 11) % 12 + 1).ToString("00", Inv),
                'M' => t.Minute.ToString("00", Inv),
                'S' => t.Second.ToString("00", Inv),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", Inv),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'b' => t.ToString("MMM", Inv),
                'B' => t.ToString("MMMM", Inv),
                'a' => t.ToString("ddd", Inv),
                'A' => t.ToString("dddd", Inv),
                'j' => t.DayOfYear.ToString("000", Inv),
                'w' => ((int)t.DayOfWeek).ToString(Inv),
                'e' => t.Day.ToString(Inv).PadLeft(2),
                '%' => "%",
                _ => "%" + c,
            });
        }
        return sb.ToString();
    }

    // ---------- filters ----------

    private object? ApplyFilter(FilterExpr f, object? value, Scope scope)
    {
        (List<object?> a, PyDict k) = EvalArgs(f.Args, scope);
        return Filter(f.Name, value, a, k);
    }

    internal object? Filter(string name, object? v, List<object?> a, PyDict k)
    {
        switch (name)
        {
            case "tojson": return PyJson.Dumps(v, Arg(a, k, 1, "indent"), Py.Truthy(Arg(a, k, 0, "ensure_ascii", false)), Arg(a, k, 2, "separators"), Py.Truthy(Arg(a, k, 3, "sort_keys", false)));
            case "trim": return Strip(StrOf(v), Arg(a, k, 0, "chars"), true, true);
            case "length":
            case "count": return (long)Len(v);
            case "string": return StrOf(v);
            case "list": return Iterate(v);
            case "lower": return StrOf(v).ToLowerInvariant();
            case "upper": return StrOf(v).ToUpperInvariant();
            case "capitalize": return Capitalize(StrOf(v));
            case "title": return TitleFilter(StrOf(v));
            case "safe":
            case "forceescape":
            case "e":
            case "escape":
                return name == "safe" ? v : Escape(StrOf(v));
            case "default":
            case "d":
                {
                    bool boolean = Py.Truthy(Arg(a, k, 1, "boolean", false));
                    return v is Undefined || (boolean && !Py.Truthy(v)) ? Arg(a, k, 0, "default_value", "") : v;
                }
            case "first":
                {
                    if (v is Undefined u0) throw u0.Fail();
                    List<object?> items = Iterate(v);
                    return items.Count > 0 ? items[0] : new Undefined("No first item, sequence was empty.");
                }
            case "last":
                {
                    if (v is Undefined u1) throw u1.Fail();
                    if (v is PyDict) throw JinjaException.Type("'dict' object is not reversible");
                    List<object?> items = Iterate(v);
                    return items.Count > 0 ? items[^1] : new Undefined("No last item, sequence was empty.");
                }
            case "join":
                {
                    string sep = Arg(a, k, 0, "d", "") is string s0 ? s0 : Py.Str(Arg(a, k, 0, "d"));
                    object? attr = Arg(a, k, 1, "attribute");
                    IEnumerable<object?> items = Iterate(v);
                    if (attr is not null) items = items.Select(x => AttrPath(x, attr));
                    return string.Join(sep, items.Select(Py.Str));
                }
            case "items":
                if (v is Undefined) return new List<object?>();
                if (v is not PyDict d) throw JinjaException.Type("Can only get item pairs from a mapping.");
                return d.Select(kv => (object?)new PyTuple([PyKeyComparer.Unkey(kv.Key), kv.Value])).ToList();
            case "dictsort":
                {
                    if (v is not PyDict d2) throw JinjaException.Type("dictsort filter requires a mapping");
                    bool cs = Py.Truthy(Arg(a, k, 0, "case_sensitive", false));
                    string by = Arg(a, k, 1, "by", "key") as string ?? "key";
                    bool rev = Py.Truthy(Arg(a, k, 2, "reverse", false));
                    var pairs = d2.Select(kv => (object?)new PyTuple([PyKeyComparer.Unkey(kv.Key), kv.Value])).ToList();
                    return SortList(pairs, x => SortKey(((PyTuple)x!).Items[by == "value" ? 1 : 0], cs), rev);
                }
            case "replace":
                {
                    string s = StrOf(v);
                    object? count = Arg(a, k, 2, "count");
                    return Replace(s, StrOf(Arg(a, k, 0, "old")), StrOf(Arg(a, k, 1, "new")), count is null ? -1 : (int)Py.ToBig(count));
                }
            case "reverse":
                if (v is string rs) return Py.FromCodePoints(Py.CodePoints(rs).Reverse());
                return Enumerable.Reverse(Iterate(v)).ToList();
            case "sort":
                {
                    bool rev = Py.Truthy(Arg(a, k, 0, "reverse", false));
                    bool cs = Py.Truthy(Arg(a, k, 1, "case_sensitive", false));
                    object? attr = Arg(a, k, 2, "attribute");
                    return SortList(Iterate(v), x => SortKey(attr is null ? x : AttrPath(x, attr), cs), rev);
                }
            case "unique":
                {
                    bool cs = Py.Truthy(Arg(a, k, 0, "case_sensitive", false));
                    object? attr = Arg(a, k, 1, "attribute");
                    var seen = new List<object?>();
                    var r = new List<object?>();
                    foreach (object? x in Iterate(v))
                    {
                        object? key = SortKey(attr is null ? x : AttrPath(x, attr), cs);
                        if (seen.Any(s => Py.Eq(s, key))) continue;
                        seen.Add(key);
                        r.Add(x);
                    }
                    return r;
                }
            case "min":
            case "max":
                {
                    bool cs = Py.Truthy(Arg(a, k, 0, "case_sensitive", false));
                    object? attr = Arg(a, k, 1, "attribute");
                    List<object?> items = Iterate(v);
                    if (items.Count == 0) return new Undefined($"No aggregated item, sequence was empty.");
                    object? best = items[0];
                    foreach (object? x in items.Skip(1))
                    {
                        int c = Py.Compare(SortKey(attr is null ? x : AttrPath(x, attr), cs), SortKey(attr is null ? best : AttrPath(best, attr), cs), "<");
                        if (name == "min" ? c < 0 : c > 0) best = x;
                    }
                    return best;
                }
            case "sum":
                {
                    object? attr = Arg(a, k, 0, "attribute");
                    object? total = Arg(a, k, 1, "start", 0L);
                    foreach (object? x in Iterate(v)) total = PyOps.Binary("+", total, attr is null ? x : AttrPath(x, attr));
                    return total;
                }
            case "abs":
                return v switch
                {
                    bool b => b ? 1L : 0L,
                    long l => Py.Int(BigInteger.Abs(l)),
                    BigInteger bi => Py.Int(BigInteger.Abs(bi)),
                    double dd => Math.Abs(dd),
                    Undefined u => throw u.Fail(),
                    _ => throw JinjaException.Type($"bad operand type for abs(): '{Py.TypeName(v)}'"),
                };
            case "int": return ToInt(v, Arg(a, k, 0, "default", 0L), (int)Py.ToBig(Arg(a, k, 1, "base", 10L)));
            case "float": return ToFloat(v, Arg(a, k, 0, "default", 0.0));
            case "round":
                {
                    int precision = (int)Py.ToBig(Arg(a, k, 0, "precision", 0L));
                    string method = Arg(a, k, 1, "method", "common") as string ?? "common";
                    double x = Py.ToDouble(v), m = Math.Pow(10, precision);
                    return method switch
                    {
                        "common" => Math.Round(x, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven),
                        "ceil" => Math.Ceiling(x * m) / m,
                        "floor" => Math.Floor(x * m) / m,
                        _ => throw new JinjaException("FilterArgumentError", "method must be common, ceil or floor"),
                    };
                }
            case "indent": return Indent(StrOf(v), Arg(a, k, 0, "width", 4L), Py.Truthy(Arg(a, k, 1, "first", false)), Py.Truthy(Arg(a, k, 2, "blank", false)));
            case "center": return Center(StrOf(v), (int)Py.ToBig(Arg(a, k, 0, "width", 80L)));
            case "format": return k.Count > 0 ? Format(StrOf(v), a, k) : PyOps.PercentFormat(StrOf(v), new PyTuple(a));
            case "wordcount": return (long)Split(StrOf(v), null, -1).Count;
            case "pprint": return Py.Repr(v);
            case "attr": return PyAttributePublic(v, StrOf(Arg(a, k, 0, "name")));
            case "map":
                {
                    List<object?> items = Iterate(v);
                    if (a.Count == 0 && k.TryGetValue("attribute", out object? attr))
                    {
                        object? dflt = Arg(a, k, 99, "default");
                        return items.Select(x => AttrPath(x, attr) is Undefined && k.ContainsKey("default") ? dflt : AttrPath(x, attr)).ToList();
                    }
                    if (a.Count == 0) throw new JinjaException("FilterArgumentError", "map requires a filter argument");
                    string f = StrOf(a[0]);
                    return items.Select(x => Filter(f, x, a.Skip(1).ToList(), k)).ToList();
                }
            case "select":
            case "reject":
                {
                    bool want = name == "select";
                    return Iterate(v).Where(x => SelectTest(x, a, k) == want).ToList();
                }
            case "selectattr":
            case "rejectattr":
                {
                    bool want = name == "selectattr";
                    object? attr = Arg(a, k, 0, "attribute");
                    return Iterate(v).Where(x => SelectTest(AttrPath(x, attr), a.Skip(1).ToList(), k) == want).ToList();
                }
            case "batch":
                {
                    long n = (long)Py.ToBig(Arg(a, k, 0, "linecount"));
                    object? fill = Arg(a, k, 1, "fill_with");
                    var r = new List<object?>();
                    List<object?>? cur = null;
                    foreach (object? x in Iterate(v))
                    {
                        if (cur is null || cur.Count == n) { cur = []; r.Add(cur); }
                        cur.Add(x);
                    }
                    if (fill is not null && cur is not null) while (cur.Count < n) cur.Add(fill);
                    return r;
                }
            case "striptags": return string.Join(" ", Split(System.Text.RegularExpressions.Regex.Replace(StrOf(v), "<!--.*?-->|<[^>]*>", ""), null, -1).Select(Py.Str));
            case "truncate":
                {
                    string s = StrOf(v);
                    int length = (int)Py.ToBig(Arg(a, k, 0, "length", 255L));
                    bool killwords = Py.Truthy(Arg(a, k, 1, "killwords", false));
                    string end = StrOf(Arg(a, k, 2, "end", "..."));
                    int leeway = (int)Py.ToBig(Arg(a, k, 3, "leeway", 5L));
                    if (Py.Len(s) <= length + leeway) return s;
                    if (killwords) return s[..(length - end.Length)] + end;
                    string cut = s[..(length - end.Length)];
                    int sp = cut.LastIndexOf(' ');
                    return (sp >= 0 ? cut[..sp] : "") + end;
                }
            default:
                throw new JinjaException("TemplateAssertionError", $"No filter named '{name}'.");
        }
    }

    private bool SelectTest(object? x, List<object?> a, PyDict k)
    {
        if (a.Count == 0) return Py.Truthy(x);
        string test = StrOf(a[0]);
        return Test(test, x, a.Skip(1).ToList(), k);
    }

    private object? PyAttributePublic(object? obj, string name) => PyAttribute(obj, name);

    /// <summary>Jinja2's <c>make_attrgetter</c>: a dotted path, each part looked up with getitem (digits as integers).</summary>
    private object? AttrPath(object? x, object? attr)
    {
        if (attr is not string path) return GetItem(x, attr);
        foreach (string part in path.Split('.'))
            x = GetItem(x, long.TryParse(part, NumberStyles.None, Inv, out long n) ? n : part);
        return x;
    }

    private static object? SortKey(object? x, bool caseSensitive) => !caseSensitive && x is string s ? s.ToLowerInvariant() : x;

    private static List<object?> SortList(List<object?> items, Func<object?, object?> key, bool reverse)
    {
        var keyed = items.Select((x, i) => (Key: key(x), Item: x, Index: i)).ToList();
        keyed.Sort((p, q) =>
        {
            int c = Py.Compare(p.Key, q.Key, "<");
            if (reverse) c = -c;
            return c != 0 ? c : p.Index.CompareTo(q.Index);
        });
        return keyed.Select(p => p.Item).ToList();
    }

    private static string StrOf(object? v) => Py.Str(v);

    private static int Len(object? v) => v switch
    {
        string s => Py.Len(s),
        List<object?> l => l.Count,
        PyTuple t => t.Items.Count,
        PyDict d => d.Count,
        Undefined => 0,
        _ => throw JinjaException.Type($"object of type '{Py.TypeName(v)}' has no len()"),
    };

    private static string TitleFilter(string s)
    {
        var parts = System.Text.RegularExpressions.Regex.Split(s, @"([-\s({\[<]+)");
        return string.Concat(parts.Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()));
    }

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");

    private static object? ToInt(object? v, object? dflt, int @base)
    {
        switch (v)
        {
            case bool b: return b ? 1L : 0L;
            case long or BigInteger: return v;
            case double d: return double.IsFinite(d) ? Py.Int(new BigInteger(Math.Truncate(d))) : dflt;
            case string s:
                {
                    string t = s.Trim().Replace("_", "");
                    try
                    {
                        if (@base == 10 && BigInteger.TryParse(t, NumberStyles.AllowLeadingSign, Inv, out BigInteger bi)) return Py.Int(bi);
                        if (@base != 10) return Py.Int(Convert.ToInt64(t, @base));
                    }
                    catch (Exception e) when (e is FormatException or ArgumentException or OverflowException) { return dflt; }
                    return double.TryParse(t, NumberStyles.Float, Inv, out double dv) && double.IsFinite(dv) ? Py.Int(new BigInteger(Math.Truncate(dv))) : dflt;
                }
            default: return dflt;
        }
    }

    private static object? ToFloat(object? v, object? dflt) => v switch
    {
        bool b => b ? 1.0 : 0.0,
        long or BigInteger or double => Py.ToDouble(v),
        string s when double.TryParse(s.Trim(), NumberStyles.Float, Inv, out double d) => d,
        _ => dflt,
    };

    private static string Indent(string s, object? width, bool first, bool blank)
    {
        string ind = width is string ws ? ws : new string(' ', (int)Py.ToBig(width));
        s += "\n";
        List<string> lines = SplitLines(s, false);
        string rv;
        if (blank) rv = string.Join("\n" + ind, lines);
        else
        {
            rv = lines[0];
            if (lines.Count > 1) rv += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? ind + l : l));
        }
        return first ? ind + rv : rv;
    }

    // ---------- tests ----------

    private bool ApplyTest(TestExpr t, Scope scope)
    {
        object? v = Eval(t.Target, scope);
        (List<object?> a, PyDict k) = EvalArgs(t.Args, scope);
        return Test(t.Name, v, a, k);
    }

    internal bool Test(string name, object? v, List<object?> a, PyDict k)
    {
        object? A0() => Arg(a, k, 0, "other");
        switch (name)
        {
            case "defined": return v is not Undefined;
            case "undefined": return v is Undefined;
            case "none": return v is null;
            case "boolean": return v is bool;
            case "false": return v is false;
            case "true": return v is true;
            case "integer": return v is long or BigInteger;
            case "float": return v is double;
            case "number": return Py.IsNumber(v);
            case "string": return v is string;
            case "mapping": return v is PyDict;
            case "iterable": return v is string or List<object?> or PyTuple or PyDict or Undefined;
            case "sequence": return v is string or List<object?> or PyTuple or PyDict or Undefined;
            case "callable": return v is PyCallable || (v is LoopContext lc && lc.Recurse is not null);
            case "odd": return Py.ToBig(v) % 2 != 0;
            case "even": return Py.ToBig(v) % 2 == 0;
            case "divisibleby": return Py.ToBig(v) % Py.ToBig(Arg(a, k, 0, "num")) == 0;
            case "eq" or "equalto" or "==": return Py.Eq(v, A0());
            case "ne" or "!=": return !Py.Eq(v, A0());
            case "lt" or "lessthan" or "<": return Py.Compare(v, A0(), "<") < 0;
            case "le" or "<=": return Py.Compare(v, A0(), "<=") <= 0;
            case "gt" or "greaterthan" or ">": return Py.Compare(v, A0(), ">") > 0;
            case "ge" or ">=": return Py.Compare(v, A0(), ">=") >= 0;
            case "in": return PyOps.Contains(Arg(a, k, 0, "seq"), v);
            case "lower": return v is string ls && ls == ls.ToLowerInvariant();
            case "upper": return v is string us && us == us.ToUpperInvariant();
            case "sameas": return ReferenceEquals(v, A0()) || (v is null && A0() is null) || (v is bool b1 && A0() is bool b2 && b1 == b2);
            case "escaped": return false;
            case "filter": return IsFilter(v as string);
            case "test": return v is string tn && IsTest(tn);
            default: throw new JinjaException("TemplateAssertionError", $"No test named '{name}'.");
        }
    }

    private static readonly HashSet<string> FilterNames = ["tojson", "trim", "length", "count", "string", "list", "lower", "upper", "capitalize", "title", "safe", "forceescape", "e", "escape", "default", "d", "first", "last", "join", "items", "dictsort", "replace", "reverse", "sort", "unique", "min", "max", "sum", "abs", "int", "float", "round", "indent", "center", "format", "wordcount", "pprint", "attr", "map", "select", "reject", "selectattr", "rejectattr", "batch", "striptags", "truncate"];
    private static readonly HashSet<string> TestNames = ["defined", "undefined", "none", "boolean", "false", "true", "integer", "float", "number", "string", "mapping", "iterable", "sequence", "callable", "odd", "even", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "lower", "upper", "sameas", "escaped", "filter", "test"];

    private static bool IsFilter(string? n) => n is not null && FilterNames.Contains(n);
    private static bool IsTest(string n) => TestNames.Contains(n);
}
