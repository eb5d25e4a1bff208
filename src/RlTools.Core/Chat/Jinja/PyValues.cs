using System.Globalization;
using System.Numerics;
using System.Text;

namespace RlTools.Core.Chat.Jinja;

/// <summary>
/// An error raised while parsing or rendering a template. <see cref="Kind"/> names the Python exception Jinja2
/// raises in the same situation (<c>TemplateSyntaxError</c>, <c>TemplateError</c> for <c>raise_exception</c>,
/// <c>UndefinedError</c>, <c>TypeError</c>, <c>SecurityError</c>, <c>ValueError</c>, …), so callers and tests can
/// compare with the reference.
/// </summary>
public sealed class JinjaException(string kind, string message) : Exception(message)
{
    /// <summary>The Python exception class name of the equivalent Jinja2 error.</summary>
    public string Kind { get; } = kind;

    internal static JinjaException Type(string message) => new("TypeError", message);
}

/// <summary>Jinja2's default <c>Undefined</c>: prints as "", is falsy and iterates as empty; most operations on it raise <c>UndefinedError</c>.</summary>
public class Undefined
{
    internal Undefined(string? hint) => Hint = hint;

    /// <summary>The message an operation on this value raises, e.g. <c>'x' is undefined</c>.</summary>
    public string? Hint { get; }

    internal static readonly Undefined Plain = new(null);

    internal virtual JinjaException Fail() => new("UndefinedError", Hint ?? "'' is undefined");

    internal static Undefined Named(string name) => new($"'{name}' is undefined");

    internal static Undefined Attribute(object? owner, object? name) => name is string
        ? new Undefined($"{OwnerRepr(owner)} has no attribute {Py.Repr(name)}")
        : new Undefined($"{OwnerRepr(owner)} has no element {Py.Repr(name)}");

    private static string OwnerRepr(object? owner) => owner is null ? "'None'" : $"'{Py.TypeName(owner)} object'";
}

/// <summary>A Python tuple (immutable list): prints as <c>(a, b)</c>, compares unequal to a list.</summary>
public sealed class PyTuple(IReadOnlyList<object?> items)
{
    public IReadOnlyList<object?> Items { get; } = items;
}

/// <summary>A Python dict: insertion-ordered, keys compared with Python equality (1 == 1.0 == True).</summary>
public sealed class PyDict : OrderedDictionary<object, object?>
{
    public PyDict() : base(PyKeyComparer.Instance) { }
}

/// <summary>The object <c>namespace(...)</c> returns: attributes that <c>{% set ns.x = … %}</c> may assign.</summary>
public sealed class PyNamespace
{
    public PyDict Attributes { get; } = new();
}

/// <summary>A callable value: globals, bound methods, macros, <c>loop.cycle</c>.</summary>
public sealed class PyCallable(string name, Func<List<object?>, PyDict, object?> invoke)
{
    public string Name { get; } = name;
    public Func<List<object?>, PyDict, object?> Invoke { get; } = invoke;
}

internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    /// <summary>Stands for Python's None as a dict key (.NET dictionaries take no null keys).</summary>
    public static readonly object NoneKey = new();

    public static object Key(object? k) => k ?? NoneKey;

    public static object? Unkey(object k) => ReferenceEquals(k, NoneKey) ? null : k;

    public static readonly PyKeyComparer Instance = new();
    public new bool Equals(object? x, object? y) => Py.Eq(x, y);
    public int GetHashCode(object obj) => obj switch
    {
        bool b => b ? 1 : 0,
        long l => l.GetHashCode(),
        double d => d == Math.Floor(d) && Math.Abs(d) < 9e18 ? ((long)d).GetHashCode() : d.GetHashCode(),
        string s => StringComparer.Ordinal.GetHashCode(s),
        PyTuple t => t.Items.Count,
        _ => obj.GetHashCode(),
    };
}

/// <summary>Python semantics for the values a template sees: <c>str()</c>, <c>repr()</c>, truth, equality, order, arithmetic, code-point strings.</summary>
internal static class Py
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long or BigInteger => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        PyTuple => "tuple",
        PyDict => "dict",
        PyNamespace => "Namespace",
        PyCallable => "function",
        LoopContext => "LoopContext",
        _ => v.GetType().Name,
    };

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        BigInteger b => !b.IsZero,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        PyTuple t => t.Items.Count > 0,
        PyDict d => d.Count > 0,
        _ => true,
    };

    // ---------- str / repr ----------

    public static string Str(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(Inv),
        BigInteger b => b.ToString(Inv),
        double d => FloatRepr(d),
        _ => Repr(v),
    };

    public static string Repr(object? v)
    {
        switch (v)
        {
            case string s: return StrRepr(s);
            case List<object?> l: return "[" + string.Join(", ", l.Select(Repr)) + "]";
            case PyTuple t: return t.Items.Count == 1 ? "(" + Repr(t.Items[0]) + ",)" : "(" + string.Join(", ", t.Items.Select(Repr)) + ")";
            case PyDict d: return "{" + string.Join(", ", d.Select(kv => Repr(PyKeyComparer.Unkey(kv.Key)) + ": " + Repr(kv.Value))) + "}";
            case PyNamespace: return "<Namespace>";
            case PyCallable c: return $"<function {c.Name}>";
            case LoopContext: return "<LoopContext>";
            case Undefined: return "Undefined";
            default: return Str(v);
        }
    }

    public static string StrRepr(string s)
    {
        char q = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder().Append(q);
        foreach (Rune r in s.EnumerateRunes())
        {
            int c = r.Value;
            if (c == q || c == '\\') sb.Append('\\').Append((char)c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(c.ToString("x2", Inv));
            else if (c >= 0x80 && !IsPrintable(r)) sb.Append(c <= 0xff ? "\\x" + c.ToString("x2", Inv) : c <= 0xffff ? "\\u" + c.ToString("x4", Inv) : "\\U" + c.ToString("x8", Inv));
            else sb.Append(r.ToString());
        }
        return sb.Append(q).ToString();
    }

    private static bool IsPrintable(Rune r)
    {
        if (r.Value == ' ') return true;
        UnicodeCategory cat = Rune.GetUnicodeCategory(r);
        return cat is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
    }

    /// <summary>Python's <c>repr(float)</c>: the shortest round-trip digits, fixed notation for 1e-4 ≤ |x| &lt; 1e16, else <c>1e-05</c> style.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // Shortest round-trip: .NET "R" gives the shortest digits; re-derive digits/exponent from it.
        string shortest = Math.Abs(d).ToString("R", Inv);
        string mant = shortest, expPart = "0";
        int e = shortest.IndexOfAny(['E', 'e']);
        if (e >= 0) { mant = shortest[..e]; expPart = shortest[(e + 1)..]; }
        int exp10 = int.Parse(expPart, NumberStyles.AllowLeadingSign, Inv);
        int dot = mant.IndexOf('.');
        string digits = dot < 0 ? mant : mant[..dot] + mant[(dot + 1)..];
        int intLen = dot < 0 ? mant.Length : dot;
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') lead++;
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int decpt = intLen - lead + exp10; // value = 0.DIGITS * 10^decpt
        string sign = d < 0 ? "-" : "";
        if (decpt <= -4 || decpt > 16)
        {
            int x = decpt - 1;
            string m = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return sign + m + "e" + (x < 0 ? "-" : "+") + Math.Abs(x).ToString("00", Inv);
        }
        if (decpt <= 0) return sign + "0." + new string('0', -decpt) + digits;
        if (decpt >= digits.Length) return sign + digits + new string('0', decpt - digits.Length) + ".0";
        return sign + digits[..decpt] + "." + digits[decpt..];
    }

    // ---------- code points ----------

    public static bool HasSurrogates(string s)
    {
        foreach (char c in s) if (char.IsSurrogate(c)) return true;
        return false;
    }

    public static int[] CodePoints(string s)
    {
        if (!HasSurrogates(s)) { var a = new int[s.Length]; for (int i = 0; i < s.Length; i++) a[i] = s[i]; return a; }
        var list = new List<int>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { list.Add(char.ConvertToUtf32(s[i], s[i + 1])); i++; }
            else list.Add(s[i]);
        }
        return [.. list];
    }

    public static string FromCodePoints(IEnumerable<int> cps)
    {
        var sb = new StringBuilder();
        foreach (int c in cps) { if (c > 0xffff) sb.Append(char.ConvertFromUtf32(c)); else sb.Append((char)c); }
        return sb.ToString();
    }

    public static int Len(string s) => HasSurrogates(s) ? CodePoints(s).Length : s.Length;

    /// <summary>Python's <c>str.isspace()</c> per character.</summary>
    public static bool IsSpace(int c) => c is >= 0x1c and <= 0x1f || (c <= 0xffff && char.IsWhiteSpace((char)c));

    // ---------- equality & order ----------

    public static bool IsNumber(object? v) => v is bool or long or double or BigInteger;

    public static bool Eq(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (ReferenceEquals(a, PyKeyComparer.NoneKey)) a = null;
        if (ReferenceEquals(b, PyKeyComparer.NoneKey)) b = null;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return ToBig(a) == ToBig(b);
        }
        switch (a)
        {
            case string sa: return b is string sb && string.Equals(sa, sb, StringComparison.Ordinal);
            case List<object?> la: return b is List<object?> lb && SeqEq(la, lb);
            case PyTuple ta: return b is PyTuple tb && SeqEq(ta.Items, tb.Items);
            case PyDict da:
                if (b is not PyDict db || da.Count != db.Count) return false;
                foreach (var kv in da) if (!db.TryGetValue(kv.Key, out object? v) || !Eq(kv.Value, v)) return false;
                return true;
            default: return ReferenceEquals(a, b);
        }
    }

    private static bool SeqEq(IReadOnlyList<object?> a, IReadOnlyList<object?> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++) if (!Eq(a[i], b[i])) return false;
        return true;
    }

    /// <summary>Python ordering (<c>&lt;</c>): numbers, strings by code point, lists/tuples lexicographically; otherwise <c>TypeError</c>.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) { double x = ToDouble(a), y = ToDouble(b); return x < y ? -1 : x > y ? 1 : 0; }
            return ToBig(a).CompareTo(ToBig(b));
        }
        if (a is string sa && b is string sb) return CompareCodePoints(sa, sb);
        IReadOnlyList<object?>? la = a is List<object?> l1 ? l1 : null, lb = b is List<object?> l2 ? l2 : null;
        if (a is PyTuple t1 && b is PyTuple t2) { la = t1.Items; lb = t2.Items; }
        if (la is not null && lb is not null)
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
                if (!Eq(la[i], lb[i])) return Compare(la[i], lb[i], op);
            return la.Count.CompareTo(lb.Count);
        }
        throw JinjaException.Type($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static int CompareCodePoints(string a, string b)
    {
        if (!HasSurrogates(a) && !HasSurrogates(b)) return Math.Sign(string.CompareOrdinal(a, b));
        int[] x = CodePoints(a), y = CodePoints(b);
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++) if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
        return x.Length.CompareTo(y.Length);
    }

    // ---------- numbers ----------

    public static double ToDouble(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        BigInteger b => (double)b,
        double d => d,
        _ => throw JinjaException.Type($"must be real number, not {TypeName(v)}"),
    };

    public static BigInteger ToBig(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        BigInteger b => b,
        _ => throw JinjaException.Type($"an integer is required, not {TypeName(v)}"),
    };

    public static object Int(BigInteger b) => b >= long.MinValue && b <= long.MaxValue ? (long)b : b;

    public static bool IsInt(object? v) => v is bool or long or BigInteger;
}
