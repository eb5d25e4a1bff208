using System.Numerics;
using System.Text;

namespace RlTools.Core.Chat.Jinja;

internal sealed class Scope(Scope? parent)
{
    public readonly Dictionary<string, object?> Vars = new(StringComparer.Ordinal);
    public readonly Scope? Parent = parent;

    public bool TryGet(string name, out object? value)
    {
        for (Scope? s = this; s is not null; s = s.Parent)
            if (s.Vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }
}

/// <summary>The <c>loop</c> variable of a for loop (Jinja2's LoopContext).</summary>
internal sealed class LoopContext
{
    public required List<object?> Items { get; init; }
    public int Index0 { get; set; }
    public int Depth0 { get; init; }
    public Func<object?, string>? Recurse { get; init; }
    private object? _lastChanged = Undefined.Plain;

    public object? Get(string name) => name switch
    {
        "index0" => (long)Index0,
        "index" => (long)(Index0 + 1),
        "revindex0" => (long)(Items.Count - Index0 - 1),
        "revindex" => (long)(Items.Count - Index0),
        "first" => Index0 == 0,
        "last" => Index0 == Items.Count - 1,
        "length" => (long)Items.Count,
        "depth0" => (long)Depth0,
        "depth" => (long)(Depth0 + 1),
        "previtem" => Index0 > 0 ? Items[Index0 - 1] : Undefined.Named("there is no previous item"),
        "nextitem" => Index0 + 1 < Items.Count ? Items[Index0 + 1] : Undefined.Named("there is no next item"),
        "cycle" => new PyCallable("cycle", (a, _) =>
        {
            if (a.Count == 0) throw new JinjaException("TypeError", "no items for cycling given");
            return a[Index0 % a.Count];
        }),
        "changed" => new PyCallable("changed", (a, _) =>
        {
            var now = new PyTuple(a);
            if (_lastChanged is PyTuple prev && Py.Eq(prev, now)) return false;
            _lastChanged = now;
            return true;
        }),
        _ => Undefined.Attribute(this, name),
    };
}

internal enum Flow { Normal, Break, Continue }

/// <summary>Executes a parsed template with Jinja2's semantics (scoping, undefined values, Python operators).</summary>
internal sealed partial class JinjaInterpreter
{
    private readonly Dictionary<string, object?> _globals;
    private readonly Func<DateTime> _now;
    private int _depth;

    public JinjaInterpreter(Func<DateTime> now)
    {
        _now = now;
        _globals = MakeGlobals();
    }

    public string Render(List<Stmt> body, IReadOnlyDictionary<string, object?> variables)
    {
        var root = new Scope(null);
        foreach (var kv in variables) root.Vars[kv.Key] = kv.Value;
        var sb = new StringBuilder();
        ExecBlock(body, new Scope(root), sb);
        return sb.ToString();
    }

    // ---------- statements ----------

    private Flow ExecBlock(List<Stmt> body, Scope scope, StringBuilder sb)
    {
        foreach (Stmt s in body)
        {
            Flow f = Exec(s, scope, sb);
            if (f != Flow.Normal) return f;
        }
        return Flow.Normal;
    }

    private Flow Exec(Stmt stmt, Scope scope, StringBuilder sb)
    {
        switch (stmt)
        {
            case DataStmt d: sb.Append(d.Text); return Flow.Normal;
            case OutputStmt o: sb.Append(Py.Str(Eval(o.Value, scope))); return Flow.Normal;
            case IfStmt i: return ExecBlock(Py.Truthy(Eval(i.Test, scope)) ? i.Body : i.Else, scope, sb);
            case ForStmt f: ExecFor(f, scope, sb, Eval(f.Iter, scope), 0); return Flow.Normal;
            case AssignStmt a: Assign(a.Target, Eval(a.Value, scope), scope); return Flow.Normal;
            case AssignBlockStmt ab:
                {
                    var inner = new StringBuilder();
                    ExecBlock(ab.Body, new Scope(scope), inner);
                    object? v = inner.ToString();
                    if (ab.Filter is not null) v = ApplyFilter(ab.Filter, v, scope);
                    Assign(ab.Target, v, scope);
                    return Flow.Normal;
                }
            case MacroStmt m: scope.Vars[m.Name] = MakeMacro(m, scope); return Flow.Normal;
            case CallBlockStmt cb:
                {
                    PyCallable caller = MakeMacro(cb.Caller, scope);
                    object? callee = Eval(cb.Call.Callee, scope);
                    (List<object?> args, PyDict kwargs) = EvalArgs(cb.Call.Args, scope);
                    kwargs["caller"] = caller;
                    sb.Append(Py.Str(CallValue(callee, args, kwargs)));
                    return Flow.Normal;
                }
            case FilterBlockStmt fb:
                {
                    var inner = new StringBuilder();
                    ExecBlock(fb.Body, scope, inner);
                    sb.Append(Py.Str(ApplyFilter(fb.Filter, inner.ToString(), scope)));
                    return Flow.Normal;
                }
            case WithStmt w:
                {
                    var inner = new Scope(scope);
                    for (int k = 0; k < w.Targets.Count; k++) Assign(w.Targets[k], Eval(w.Values[k], scope), inner);
                    ExecBlock(w.Body, inner, sb);
                    return Flow.Normal;
                }
            case GenerationStmt g:
                {
                    var inner = new StringBuilder();
                    ExecBlock(g.Body, new Scope(scope), inner);
                    sb.Append(inner);
                    return Flow.Normal;
                }
            case BreakStmt: return Flow.Break;
            case ContinueStmt: return Flow.Continue;
            default: throw new InvalidOperationException(stmt.GetType().Name);
        }
    }

    private void ExecFor(ForStmt f, Scope scope, StringBuilder sb, object? iterable, int depth0)
    {
        List<object?> items = Iterate(iterable);
        if (f.Filter is not null)
        {
            var kept = new List<object?>();
            foreach (object? item in items)
            {
                var probe = new Scope(scope);
                Assign(f.Target, item, probe);
                if (Py.Truthy(Eval(f.Filter, probe))) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0)
        {
            ExecBlock(f.Else, new Scope(scope), sb);
            return;
        }
        LoopContext? loop = null;
        loop = new LoopContext
        {
            Items = items,
            Depth0 = depth0,
            Recurse = f.Recursive ? it =>
            {
                var inner = new StringBuilder();
                Guard(() => ExecFor(f, scope, inner, it, loop!.Depth0 + 1));
                return inner.ToString();
            } : null,
        };
        for (int k = 0; k < items.Count; k++)
        {
            loop.Index0 = k;
            var iter = new Scope(scope);
            iter.Vars["loop"] = loop;
            Assign(f.Target, items[k], iter);
            if (ExecBlock(f.Body, iter, sb) == Flow.Break) break;
        }
    }

    private void Guard(Action a)
    {
        if (++_depth > 200) { _depth = 0; throw new JinjaException("RecursionError", "maximum recursion depth exceeded"); }
        try { a(); }
        finally { _depth--; }
    }

    private void Assign(Expr target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameExpr n: scope.Vars[n.Name] = value; return;
            case TupleExpr t:
                {
                    List<object?> items = Iterate(value);
                    if (items.Count != t.Items.Count)
                        throw new JinjaException("ValueError", items.Count > t.Items.Count
                            ? $"too many values to unpack (expected {t.Items.Count})"
                            : $"not enough values to unpack (expected {t.Items.Count}, got {items.Count})");
                    for (int k = 0; k < items.Count; k++) Assign(t.Items[k], items[k], scope);
                    return;
                }
            case AttrExpr a:
                {
                    object? ns = Eval(a.Target, scope);
                    if (ns is not PyNamespace pn) throw new JinjaException("TemplateRuntimeError", "cannot assign attribute on non-namespace object");
                    pn.Attributes[a.Name] = value;
                    return;
                }
            default: throw new JinjaException("TemplateSyntaxError", "can't assign to target");
        }
    }

    private PyCallable MakeMacro(MacroStmt m, Scope defScope) => new(m.Name, (args, kwargs) =>
    {
        var scope = new Scope(defScope);
        int n = m.Params.Count;
        int firstDefault = n - m.Defaults.Count;
        if (args.Count > n && !m.UsesVarargs)
            throw new JinjaException("TypeError", $"macro '{m.Name}' takes not more than {n} argument(s)");
        var extraKw = new PyDict();
        var kw = new PyDict();
        foreach (var kv in kwargs) kw[kv.Key] = kv.Value;
        for (int k = 0; k < n; k++)
        {
            string p = m.Params[k];
            if (k < args.Count)
            {
                if (kw.ContainsKey(p)) throw new JinjaException("TypeError", $"macro '{m.Name}' got multiple values for argument '{p}'");
                scope.Vars[p] = args[k];
            }
            else if (kw.Remove(p, out object? v)) scope.Vars[p] = v;
            else if (k >= firstDefault) scope.Vars[p] = Eval(m.Defaults[k - firstDefault], scope);
            else scope.Vars[p] = Undefined.Named(p);
        }
        if (m.UsesCaller) scope.Vars["caller"] = kw.Remove("caller", out object? c) ? c : Undefined.Named("No caller defined");
        if (kw.Count > 0 && !m.UsesKwargs)
            throw new JinjaException("TypeError", $"macro '{m.Name}' takes no keyword argument '{kw.Keys.First()}'");
        scope.Vars["varargs"] = new PyTuple(args.Skip(n).ToList());
        scope.Vars["kwargs"] = kw;
        var sb = new StringBuilder();
        Guard(() => ExecBlock(m.Body, scope, sb));
        return sb.ToString();
    });

    // ---------- expressions ----------

    private object? Eval(Expr e, Scope scope)
    {
        switch (e)
        {
            case ConstExpr c: return c.Value;
            case NameExpr n:
                if (scope.TryGet(n.Name, out object? v)) return v;
                if (_globals.TryGetValue(n.Name, out v)) return v;
                return Undefined.Named(n.Name);
            case ListExpr l: return l.Items.Select(x => Eval(x, scope)).ToList();
            case TupleExpr t: return new PyTuple(t.Items.Select(x => Eval(x, scope)).ToList());
            case DictExpr d:
                {
                    var dict = new PyDict();
                    foreach (var (k, val) in d.Items) dict[Hashable(Eval(k, scope))] = Eval(val, scope);
                    return dict;
                }
            case AttrExpr a: return GetAttr(Eval(a.Target, scope), a.Name);
            case ItemExpr i:
                {
                    object? target = Eval(i.Target, scope);
                    if (i.Key is SliceExpr s)
                    {
                        if (target is Undefined u) throw u.Fail();
                        return Slice(target, s.Start is null ? null : Eval(s.Start, scope), s.Stop is null ? null : Eval(s.Stop, scope), s.Step is null ? null : Eval(s.Step, scope));
                    }
                    return GetItem(target, Eval(i.Key, scope));
                }
            case CallExpr call:
                {
                    object? callee = Eval(call.Callee, scope);
                    (List<object?> args, PyDict kwargs) = EvalArgs(call.Args, scope);
                    return CallValue(callee, args, kwargs);
                }
            case FilterExpr f: return ApplyFilter(f, Eval(f.Target!, scope), scope);
            case TestExpr t:
                {
                    bool r = ApplyTest(t, scope);
                    return t.Negated ? !r : r;
                }
            case BinaryExpr b:
                {
                    if (b.Op == "and") { object? l = Eval(b.Left, scope); return Py.Truthy(l) ? Eval(b.Right, scope) : l; }
                    if (b.Op == "or") { object? l = Eval(b.Left, scope); return Py.Truthy(l) ? l : Eval(b.Right, scope); }
                    return PyOps.Binary(b.Op, Eval(b.Left, scope), Eval(b.Right, scope));
                }
            case UnaryExpr u:
                {
                    object? operand = Eval(u.Operand, scope);
                    return u.Op switch
                    {
                        "not" => !Py.Truthy(operand),
                        "-" => PyOps.Negate(operand),
                        _ => PyOps.Positive(operand),
                    };
                }
            case CompareExpr c:
                {
                    object? left = Eval(c.First, scope);
                    foreach (var (op, operand) in c.Rest)
                    {
                        object? right = Eval(operand, scope);
                        if (!PyOps.Compare(op, left, right)) return false;
                        left = right;
                    }
                    return true;
                }
            case CondExpr c:
                if (Py.Truthy(Eval(c.Test, scope))) return Eval(c.Then, scope);
                return c.Else is null
                    ? new Undefined($"the inline if-expression on line {c.Line} evaluated to false and no else section was defined.")
                    : Eval(c.Else, scope);
            case ConcatExpr cc: return string.Concat(cc.Items.Select(x => Py.Str(Eval(x, scope))));
            default: throw new InvalidOperationException(e.GetType().Name);
        }
    }

    private static object Hashable(object? key)
    {
        if (key is List<object?> or PyDict) throw JinjaException.Type($"unhashable type: '{Py.TypeName(key)}'");
        return PyKeyComparer.Key(key);
    }

    private (List<object?>, PyDict) EvalArgs(CallArgs a, Scope scope)
    {
        var args = a.Args.Select(x => Eval(x, scope)).ToList();
        if (a.DynArgs is not null) args.AddRange(Iterate(Eval(a.DynArgs, scope)));
        var kwargs = new PyDict();
        foreach (var (name, value) in a.Kwargs) kwargs[name] = Eval(value, scope);
        if (a.DynKwargs is not null)
        {
            if (Eval(a.DynKwargs, scope) is not PyDict d) throw JinjaException.Type("argument after ** must be a mapping");
            foreach (var kv in d) kwargs[kv.Key] = kv.Value;
        }
        return (args, kwargs);
    }

    internal object? CallValue(object? callee, List<object?> args, PyDict kwargs)
    {
        switch (callee)
        {
            case PyCallable c: return c.Invoke(args, kwargs);
            case Undefined u: throw u.Fail();
            case LoopContext lc when lc.Recurse is not null:
                if (args.Count != 1) throw JinjaException.Type("loop() takes exactly one argument");
                return lc.Recurse(args[0]);
            default: throw JinjaException.Type($"'{Py.TypeName(callee)}' object is not callable");
        }
    }

    // ---------- attribute and item access (sandboxed, Jinja2's getattr/getitem) ----------

    internal object? GetAttr(object? obj, string name)
    {
        if (obj is Undefined u) throw u.Fail();
        object? attr = PyAttribute(obj, name);
        if (attr is not Undefined) return attr;
        if (obj is PyDict d && d.TryGetValue(name, out object? v)) return v;
        return attr;
    }

    internal object? GetItem(object? obj, object? key)
    {
        if (obj is Undefined u) throw u.Fail();
        switch (obj)
        {
            case PyDict d:
                if (key is not (List<object?> or PyDict) && d.TryGetValue(PyKeyComparer.Key(key), out object? v)) return v;
                break;
            case List<object?> l when Py.IsInt(key): return IndexSeq(l, Py.ToBig(key)) is (true, var x) ? x : Undefined.Attribute(obj, key);
            case PyTuple t when Py.IsInt(key): return IndexSeq(t.Items, Py.ToBig(key)) is (true, var x2) ? x2 : Undefined.Attribute(obj, key);
            case string s when Py.IsInt(key):
                {
                    int[] cps = Py.CodePoints(s);
                    BigInteger i = Py.ToBig(key);
                    if (i < 0) i += cps.Length;
                    if (i < 0 || i >= cps.Length) return Undefined.Attribute(obj, key);
                    return Py.FromCodePoints([cps[(int)i]]);
                }
            case PyNamespace ns when key is string ks:
                return ns.Attributes.TryGetValue(ks, out object? nv) ? nv : Undefined.Attribute(obj, key);
        }
        if (key is string name)
        {
            object? attr = PyAttribute(obj, name);
            if (attr is not Undefined) return attr;
        }
        return Undefined.Attribute(obj, key);
    }

    private static (bool, object?) IndexSeq(IReadOnlyList<object?> items, BigInteger i)
    {
        if (i < 0) i += items.Count;
        return i < 0 || i >= items.Count ? (false, null) : (true, items[(int)i]);
    }

    private static object? Slice(object? target, object? start, object? stop, object? step)
    {
        long? S(object? v) => v is null ? null : Py.IsInt(v) ? (long)Py.ToBig(v) : throw JinjaException.Type("slice indices must be integers or None or have an __index__ method");
        long? a = S(start), b = S(stop), c = S(step);
        IReadOnlyList<int> Indices(int len)
        {
            long st = c ?? 1;
            if (st == 0) throw new JinjaException("ValueError", "slice step cannot be zero");
            long lo, hi;
            if (st > 0)
            {
                lo = a is null ? 0 : a < 0 ? Math.Max(0, a.Value + len) : Math.Min(a.Value, len);
                hi = b is null ? len : b < 0 ? Math.Max(0, b.Value + len) : Math.Min(b.Value, len);
            }
            else
            {
                lo = a is null ? len - 1 : a < 0 ? Math.Max(-1, a.Value + len) : Math.Min(a.Value, len - 1);
                hi = b is null ? -1 : b < 0 ? Math.Max(-1, b.Value + len) : Math.Min(b.Value, len - 1);
            }
            var idx = new List<int>();
            if (st > 0) for (long i = lo; i < hi; i += st) idx.Add((int)i);
            else for (long i = lo; i > hi; i += st) idx.Add((int)i);
            return idx;
        }
        switch (target)
        {
            case string s:
                {
                    int[] cps = Py.CodePoints(s);
                    return Py.FromCodePoints(Indices(cps.Length).Select(i => cps[i]));
                }
            case List<object?> l: return Indices(l.Count).Select(i => l[i]).ToList();
            case PyTuple t: return new PyTuple(Indices(t.Items.Count).Select(i => t.Items[i]).ToList());
            default: return Undefined.Attribute(target, "slice");
        }
    }

    /// <summary>Python attribute lookup: methods of str/dict/list, namespace and loop attributes; Undefined when absent.</summary>
    private object? PyAttribute(object? obj, string name)
    {
        switch (obj)
        {
            case string s: return Methods.StringMethod(s, name) ?? Undefined.Attribute(obj, name);
            case PyDict d: return Methods.DictMethod(d, name) ?? Undefined.Attribute(obj, name);
            case List<object?> l: return Methods.ListMethod(l, name) ?? Undefined.Attribute(obj, name);
            case PyTuple t: return Methods.TupleMethod(t, name) ?? Undefined.Attribute(obj, name);
            case PyNamespace ns: return ns.Attributes.TryGetValue(name, out object? v) ? v : Undefined.Attribute(obj, name);
            case LoopContext lc: return lc.Get(name);
            case double dv when name == "real": return dv;
            case long lv when name == "real": return lv;
            default: return Undefined.Attribute(obj, name);
        }
    }

    // ---------- iteration ----------

    internal static List<object?> Iterate(object? v) => v switch
    {
        List<object?> l => [.. l],
        PyTuple t => [.. t.Items],
        PyDict d => d.Keys.Select(PyKeyComparer.Unkey).ToList(),
        string s => Py.CodePoints(s).Select(c => (object?)Py.FromCodePoints([c])).ToList(),
        Undefined => [],
        PyNamespace => throw JinjaException.Type("'Namespace' object is not iterable"),
        _ => throw JinjaException.Type($"'{Py.TypeName(v)}' object is not iterable"),
    };
}
