using System.Globalization;
using System.Numerics;
using System.Text;

namespace RlTools.Core.Chat.Jinja;

/// <summary>Python's binary and unary operators and comparisons as Jinja2 templates evaluate them.</summary>
internal static class PyOps
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static object? Binary(string op, object? a, object? b)
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        bool na = Py.IsNumber(a), nb = Py.IsNumber(b);
        switch (op)
        {
            case "+":
                if (na && nb) return Arith(a, b, (x, y) => x + y, (x, y) => x + y);
                if (a is string sa && b is string sb) return sa + sb;
                if (a is List<object?> la && b is List<object?> lb) return la.Concat(lb).ToList();
                if (a is PyTuple ta && b is PyTuple tb) return new PyTuple(ta.Items.Concat(tb.Items).ToList());
                if (a is List<object?> && b is not List<object?>) throw JinjaException.Type($"can only concatenate list (not \"{Py.TypeName(b)}\") to list");
                if (a is string) throw JinjaException.Type($"can only concatenate str (not \"{Py.TypeName(b)}\") to str");
                break;
            case "-":
                if (na && nb) return Arith(a, b, (x, y) => x - y, (x, y) => x - y);
                break;
            case "*":
                if (na && nb) return Arith(a, b, (x, y) => x * y, (x, y) => x * y);
                if (a is string s1 && Py.IsInt(b)) return Repeat(s1, Py.ToBig(b));
                if (b is string s2 && Py.IsInt(a)) return Repeat(s2, Py.ToBig(a));
                if (a is List<object?> l1 && Py.IsInt(b)) return RepeatList(l1, Py.ToBig(b));
                if (b is List<object?> l2 && Py.IsInt(a)) return RepeatList(l2, Py.ToBig(a));
                break;
            case "/":
                if (na && nb)
                {
                    double y = Py.ToDouble(b);
                    if (y == 0) throw new JinjaException("ZeroDivisionError", "division by zero");
                    return Py.ToDouble(a) / y;
                }
                break;
            case "//":
                if (na && nb)
                {
                    if (Py.IsInt(a) && Py.IsInt(b))
                    {
                        BigInteger x = Py.ToBig(a), y = Py.ToBig(b);
                        if (y.IsZero) throw new JinjaException("ZeroDivisionError", "integer division or modulo by zero");
                        BigInteger q = BigInteger.DivRem(x, y, out BigInteger r);
                        if (!r.IsZero && (r.Sign != y.Sign)) q -= 1;
                        return Py.Int(q);
                    }
                    double dy = Py.ToDouble(b);
                    if (dy == 0) throw new JinjaException("ZeroDivisionError", "float floor division by zero");
                    return Math.Floor(Py.ToDouble(a) / dy);
                }
                break;
            case "%":
                if (a is string fmt) return PercentFormat(fmt, b);
                if (na && nb)
                {
                    if (Py.IsInt(a) && Py.IsInt(b))
                    {
                        BigInteger x = Py.ToBig(a), y = Py.ToBig(b);
                        if (y.IsZero) throw new JinjaException("ZeroDivisionError", "integer division or modulo by zero");
                        BigInteger r = BigInteger.Remainder(x, y);
                        if (!r.IsZero && r.Sign != y.Sign) r += y;
                        return Py.Int(r);
                    }
                    double dx = Py.ToDouble(a), dy = Py.ToDouble(b);
                    if (dy == 0) throw new JinjaException("ZeroDivisionError", "float modulo");
                    double m = dx % dy;
                    if (m != 0 && (m < 0) != (dy < 0)) m += dy;
                    return m;
                }
                break;
            case "**":
                if (na && nb)
                {
                    if (Py.IsInt(a) && Py.IsInt(b) && Py.ToBig(b) >= 0) return Py.Int(BigInteger.Pow(Py.ToBig(a), (int)Py.ToBig(b)));
                    return Math.Pow(Py.ToDouble(a), Py.ToDouble(b));
                }
                break;
        }
        throw JinjaException.Type($"unsupported operand type(s) for {op}: '{Py.TypeName(a)}' and '{Py.TypeName(b)}'");
    }

    private static object Arith(object? a, object? b, Func<BigInteger, BigInteger, BigInteger> ints, Func<double, double, double> floats) =>
        Py.IsInt(a) && Py.IsInt(b) ? Py.Int(ints(Py.ToBig(a), Py.ToBig(b))) : floats(Py.ToDouble(a), Py.ToDouble(b));

    private static string Repeat(string s, BigInteger n) => n <= 0 ? "" : string.Concat(Enumerable.Repeat(s, (int)n));

    private static List<object?> RepeatList(List<object?> l, BigInteger n)
    {
        var r = new List<object?>();
        for (int i = 0; i < n; i++) r.AddRange(l);
        return r;
    }

    public static object? Negate(object? v) => v switch
    {
        Undefined u => throw u.Fail(),
        bool b => b ? -1L : 0L,
        long l => Py.Int(-(BigInteger)l),
        BigInteger b => Py.Int(-b),
        double d => -d,
        _ => throw JinjaException.Type($"bad operand type for unary -: '{Py.TypeName(v)}'"),
    };

    public static object? Positive(object? v) => v switch
    {
        Undefined u => throw u.Fail(),
        bool b => b ? 1L : 0L,
        long or BigInteger or double => v,
        _ => throw JinjaException.Type($"bad operand type for unary +: '{Py.TypeName(v)}'"),
    };

    public static bool Compare(string op, object? a, object? b) => op switch
    {
        "==" => Py.Eq(a, b),
        "!=" => !Py.Eq(a, b),
        "<" => Py.Compare(a, b, op) < 0,
        "<=" => Py.Compare(a, b, op) <= 0,
        ">" => Py.Compare(a, b, op) > 0,
        ">=" => Py.Compare(a, b, op) >= 0,
        "in" => Contains(b, a),
        "notin" => !Contains(b, a),
        _ => throw new InvalidOperationException(op),
    };

    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string s:
                if (item is Undefined u) throw u.Fail();
                if (item is not string sub) throw JinjaException.Type($"'in <string>' requires string as left operand, not {Py.TypeName(item)}");
                return s.Contains(sub, StringComparison.Ordinal);
            case List<object?> l: return l.Any(x => Py.Eq(x, item));
            case PyTuple t: return t.Items.Any(x => Py.Eq(x, item));
            case PyDict d:
                if (item is List<object?> or PyDict) throw JinjaException.Type($"unhashable type: '{Py.TypeName(item)}'");
                return d.ContainsKey(PyKeyComparer.Key(item));
            case Undefined: return false;
            default: throw JinjaException.Type($"argument of type '{Py.TypeName(container)}' is not iterable");
        }
    }

    /// <summary>printf-style <c>str % args</c> for the conversions templates use (%s %r %d %i %f %x %%).</summary>
    public static string PercentFormat(string fmt, object? args)
    {
        IReadOnlyList<object?> list = args is PyTuple t ? t.Items : [args];
        PyDict? map = args as PyDict;
        var sb = new StringBuilder();
        int ai = 0;
        for (int i = 0; i < fmt.Length; i++)
        {
            char c = fmt[i];
            if (c != '%') { sb.Append(c); continue; }
            if (++i >= fmt.Length) throw new JinjaException("ValueError", "incomplete format");
            string? key = null;
            if (fmt[i] == '(')
            {
                int close = fmt.IndexOf(')', i);
                key = fmt[(i + 1)..close];
                i = close + 1;
            }
            int specStart = i;
            while (i < fmt.Length && "-+ #0123456789.".Contains(fmt[i])) i++;
            string spec = fmt[specStart..i];
            char conv = fmt[i];
            if (conv == '%') { sb.Append('%'); continue; }
            object? v = key is not null ? (map is not null && map.TryGetValue(key, out object? mv) ? mv : throw new JinjaException("KeyError", Py.Repr(key)))
                : ai < list.Count ? list[ai++] : throw JinjaException.Type("not enough arguments for format string");
            string s = conv switch
            {
                's' => Py.Str(v),
                'r' or 'a' => Py.Repr(v),
                'd' or 'i' or 'u' => Py.IsNumber(v) ? (Py.IsInt(v) ? Py.ToBig(v) : new BigInteger(Math.Truncate(Py.ToDouble(v)))).ToString(Inv) : throw JinjaException.Type($"%{conv} format: a real number is required, not {Py.TypeName(v)}"),
                'f' or 'F' => Py.ToDouble(v).ToString("F" + Precision(spec, 6), Inv),
                'x' => Py.ToBig(v).ToString("x", Inv),
                'X' => Py.ToBig(v).ToString("X", Inv),
                _ => throw new JinjaException("ValueError", $"unsupported format character '{conv}'"),
            };
            sb.Append(Pad(s, spec));
        }
        if (map is null && ai < list.Count && args is PyTuple) throw JinjaException.Type("not all arguments converted during string formatting");
        return sb.ToString();
    }

    private static int Precision(string spec, int dflt)
    {
        int dot = spec.IndexOf('.');
        return dot < 0 ? dflt : int.Parse(spec[(dot + 1)..], Inv);
    }

    private static string Pad(string s, string spec)
    {
        string w = spec.Split('.')[0].TrimStart('-', '+', ' ', '#');
        bool zero = w.StartsWith('0');
        if (w.Length == 0 || !int.TryParse(w, NumberStyles.None, Inv, out int width)) return s;
        if (spec.StartsWith('-')) return s.PadRight(width);
        return zero ? s.PadLeft(width, '0') : s.PadLeft(width);
    }
}
