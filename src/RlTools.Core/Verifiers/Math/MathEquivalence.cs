using System.Numerics;
using System.Text;

namespace RlTools.Core.Verifiers.Math;

/// <summary>Options of the equivalence check (see <see cref="MathEquivalence"/> for the rules).</summary>
internal sealed record MathEquivalenceOptions
{
    /// <summary>Relative tolerance of numeric comparisons: |a − b| ≤ tol · max(1, |a|, |b|).</summary>
    public double RelativeTolerance { get; init; } = 1e-9;

    /// <summary>Accept rounded decimals under the documented rounding rules.</summary>
    public bool AcceptRounding { get; init; } = true;

    /// <summary>Minimum decimal places of a predicted decimal to stand for an exact non-terminating gold value.</summary>
    public int MinPredictedPlaces { get; init; } = 3;
}

/// <summary>
/// Decides whether a predicted answer equals a gold answer, both parsed to <see cref="MathNode"/>.
/// Rules, in order:
/// <list type="number">
/// <item>Equations and memberships: against an answer that is not a relation, "x = 3", "f(x) = x^2" or "2 \times 5 = 10" stand
/// for their last side and "x \in S" for S; two equations are equal when both sides are pairwise equal (either order), or when
/// (lhs − rhs) of one is a non-zero constant multiple of the other's ("y = 2x + 1" = "2x − y + 1 = 0").</item>
/// <item>Inequalities in one variable become intervals ("x ≥ 3" = [3, ∞), "x &lt; −1 or x &gt; 2" = (−∞,−1) ∪ (2,∞)).</item>
/// <item>Lists and sets are order-insensitive multisets ("2, 3" = "\{3, 2\}"); a ± b is the set {a + b, a − b}; a list against a
/// tuple is ordered; tuples and intervals compare item by item with the same brackets; a column or row vector equals a tuple.</item>
/// <item>Matrices compare shape and cells; unions compare their parts as a multiset.</item>
/// <item>Scalars: exact rational equality when both sides evaluate exactly (BigInteger); otherwise complex-double evaluation at
/// six fixed points for the free variables (every defined point must agree, at least two must be defined), with
/// <see cref="MathEquivalenceOptions.RelativeTolerance"/>.</item>
/// <item>Percent and degrees: "25\%" equals 25 and 0.25; "30^\circ" equals 30 and \pi/6.</item>
/// <item>Rounding (when <see cref="MathEquivalenceOptions.AcceptRounding"/>): (a) a decimal gold with d places accepts any prediction
/// within half a unit of its last place (gold 0.3333 vs 1/3, gold 3.14 vs \pi), except a decimal prediction with d or fewer places,
/// which must match exactly; (b) a decimal prediction with p ≥ 3 places (<see cref="MathEquivalenceOptions.MinPredictedPlaces"/>)
/// stands for an exact gold that does not terminate within p places when it is that value rounded to p places (within half a
/// unit) or truncated to p places (0.333 or 0.6667 or 0.6666 for 1/3 and 2/3, 3.142 for \pi; not 0.334, not 3.14); never for
/// integers or terminating golds (2.999 is not 3, 0.13 is not 0.125).</item>
/// <item>Sample points are positive reals, so identities that hold for positive variables (\sqrt{x^2} = |x| = x, \ln(xy) =
/// \ln x + \ln y) are accepted.</item>
/// <item>Text: lower-cased, \text and punctuation removed, compared as strings; also the fallback when a side does not parse.</item>
/// </list>
/// </summary>
internal sealed class MathEquivalence
{
    private readonly Budget _budget;
    private readonly MathEvaluator _eval;
    private readonly MathEquivalenceOptions _o;

    public MathEquivalence(Budget budget, MathEquivalenceOptions options)
    {
        _budget = budget;
        _eval = new MathEvaluator(budget);
        _o = options;
    }

    private static readonly double[] Points = [0.5772156649, 1.3247179572, 2.2360679775, 0.7071067812, 1.6180339887, 2.7182818285, 0.3183098862, 1.4142135624];

    public bool Equal(MathNode gold, MathNode pred)
    {
        _budget.Enter();
        try { return EqualCore(gold, pred); }
        finally { _budget.Exit(); }
    }

    private bool EqualCore(MathNode g, MathNode p)
    {
        // ± expands to a two-element set.
        if (g is PlusMinusNode gpm) g = ExpandPm(gpm);
        else if (g is not (ListNode or SetNode or TupleNode or MatrixNode or RelNode) && ExpandNestedPm(g) is { } gx) g = gx;
        if (p is PlusMinusNode ppm) p = ExpandPm(ppm);
        else if (p is not (ListNode or SetNode or TupleNode or MatrixNode or RelNode) && ExpandNestedPm(p) is { } px) p = px;

        // Equations with a variable on the left: compare the right side.
        if (g is RelNode gr && p is not RelNode && VarDefinition(gr) is { } gv) return Equal(gv, p);
        if (p is RelNode pr && g is not RelNode && VarDefinition(pr) is { } pv) return Equal(g, pv);
        if (g is RelNode ga && p is RelNode pa) return RelationsEqual(ga, pa);

        // Inequalities against intervals.
        if (g is RelNode || p is RelNode || g is UnionNode || p is UnionNode || IsListOfInequalities(g) || IsListOfInequalities(p) || g is TextNode || p is TextNode)
        {
            var gi = ToIntervals(g);
            var pi = ToIntervals(p);
            if (gi is not null && pi is not null) return IntervalSetsEqual(gi, pi);
        }

        switch (g)
        {
            case ListNode gl when gl.Items.Count is >= 2 and <= 4 && p is not (ListNode or SetNode or TupleNode) && AllEquivalent(gl.Items):
                // a gold that lists equivalent forms ("\frac12 \text{ or } 0.5") accepts any of them
                return Equal(gl.Items[0], p);
            case ListNode gl:
                if (p is ListNode pl2) return Multiset(gl.Items, pl2.Items);
                if (p is SetNode ps2) return Multiset(gl.Items, ps2.Items);
                if (p is TupleNode pt2) return Ordered(gl.Items, pt2.Items);
                if (p is MatrixNode pm2 && Vector(pm2) is { } pvec) return Ordered(gl.Items, pvec);
                if (p is TextNode) return TextEqual(g, p);
                return gl.Items.Count == 1 && Equal(gl.Items[0], p);
            case SetNode gs:
                if (p is SetNode ps) return Multiset(gs.Items, ps.Items);
                if (p is ListNode pl) return Multiset(gs.Items, pl.Items);
                if (gs.Items.Count == 1 && p is not TupleNode) return Equal(gs.Items[0], p);
                return false;
            case TupleNode gt:
                if (p is TupleNode pt)
                {
                    if (gt.Items.Count != pt.Items.Count) return false;
                    if (gt.Items.Count == 2 && (gt.Open != pt.Open || gt.Close != pt.Close)) return false;
                    return Ordered(gt.Items, pt.Items);
                }
                if (p is ListNode pl3) return Ordered(gt.Items, pl3.Items);
                if (p is MatrixNode pm3 && Vector(pm3) is { } pv3) return Ordered(gt.Items, pv3);
                return false;
            case MatrixNode gm:
                if (p is MatrixNode pm)
                {
                    if (gm.Rows.Count != pm.Rows.Count)
                        return Vector(gm) is { } gv1 && Vector(pm) is { } pv1 && Ordered(gv1, pv1); // row vs column vector
                    for (int r = 0; r < gm.Rows.Count; r++)
                        if (!Ordered(gm.Rows[r], pm.Rows[r])) return false;
                    return true;
                }
                if (Vector(gm) is { } gvec && p is TupleNode or ListNode)
                    return Ordered(gvec, p is TupleNode ptt ? ptt.Items : ((ListNode)p).Items);
                return false;
            case TextNode:
                return TextEqual(g, p);
        }
        if (p is ListNode { Items.Count: > 1 } or SetNode { Items.Count: > 1 } or TupleNode or MatrixNode) return false;
        if (p is SetNode { Items.Count: 1 } ps1) return Equal(g, ps1.Items[0]);
        if (p is TextNode) return TextEqual(g, p);
        return ScalarEqual(g, p);
    }

    private bool AllEquivalent(List<MathNode> items)
    {
        for (int k = 1; k < items.Count; k++) if (!Equal(items[0], items[k])) return false;
        return true;
    }

    private static MathNode ExpandPm(PlusMinusNode pm)
    {
        var left = pm.Left ?? new NumberNode(BigRational.Zero, 0);
        return new SetNode(new List<MathNode>
        {
            new AddNode(new List<MathNode> { left, pm.Right }),
            new AddNode(new List<MathNode> { left, new NegNode(pm.Right) }),
        });
    }

    /// <summary>An expression with a ± inside, such as (−3 ± √5)/2, as the set of its two readings; null without ±.</summary>
    private MathNode? ExpandNestedPm(MathNode n)
    {
        var plus = Rewrite(n, true, out bool found);
        if (!found) return null;
        var minus = Rewrite(n, false, out _);
        return new SetNode(new List<MathNode> { plus, minus });
    }

    private MathNode Rewrite(MathNode n, bool plus, out bool found)
    {
        _budget.Enter();
        try
        {
            found = false;
            bool f1 = false, f2 = false;
            switch (n)
            {
                case PlusMinusNode pm:
                {
                    found = true;
                    var left = pm.Left is null ? new NumberNode(BigRational.Zero, 0) : Rewrite(pm.Left, plus, out _);
                    var right = Rewrite(pm.Right, plus, out _);
                    return new AddNode(new List<MathNode> { left, plus ? right : new NegNode(right) });
                }
                case AddNode a:
                {
                    var terms = new List<MathNode>();
                    foreach (var t in a.Terms) { terms.Add(Rewrite(t, plus, out f1)); found |= f1; }
                    return found ? new AddNode(terms) : n;
                }
                case MulNode m:
                {
                    var fs = new List<MathNode>();
                    foreach (var t in m.Factors) { fs.Add(Rewrite(t, plus, out f1)); found |= f1; }
                    return found ? new MulNode(fs) : n;
                }
                case DivNode d:
                {
                    var num = Rewrite(d.Num, plus, out f1);
                    var den = Rewrite(d.Den, plus, out f2);
                    found = f1 || f2;
                    return found ? new DivNode(num, den) : n;
                }
                case NegNode g:
                {
                    var inner = Rewrite(g.Inner, plus, out found);
                    return found ? new NegNode(inner) : n;
                }
                case PowNode pw:
                {
                    var b = Rewrite(pw.Base, plus, out f1);
                    var e = Rewrite(pw.Exp, plus, out f2);
                    found = f1 || f2;
                    return found ? new PowNode(b, e) : n;
                }
                case FuncNode fn:
                {
                    var arg = Rewrite(fn.Arg, plus, out found);
                    return found ? new FuncNode(fn.Name, arg, fn.Index) : n;
                }
                default: return n;
            }
        }
        finally { _budget.Exit(); }
    }

    private static bool IsVariable(MathNode n) => n is SymbolNode || (n is TextNode { Text.Length: > 0 and <= 12 } t && !t.Text.Contains(' '));

    /// <summary>"x = 3" → 3, "x = y = 3" → 3, "x \in [0, 1]" → [0, 1]; null for other relations.</summary>
    private static MathNode? VarDefinition(RelNode r)
    {
        // "x = 3", "f(x) = x^2", "2 \times 5 = 10": the value is the last side.
        if (r.Ops.All(o => o == "=") && r.Operands.Count >= 2) return r.Operands[^1];
        if (r.Ops.Count == 1 && r.Ops[0] == "in" && IsVariable(r.Operands[0])) return r.Operands[1];
        return null;
    }

    private bool RelationsEqual(RelNode g, RelNode p)
    {
        if (g.Ops.Count == 1 && p.Ops.Count == 1 && g.Ops[0] == "=" && p.Ops[0] == "=")
        {
            if (Equal(g.Operands[0], p.Operands[0]) && Equal(g.Operands[1], p.Operands[1])) return true;
            if (Equal(g.Operands[0], p.Operands[1]) && Equal(g.Operands[1], p.Operands[0])) return true;
            // Same equation up to a constant factor: (lg - rg) = c (lp - rp), c != 0.
            var dg = new AddNode(new List<MathNode> { g.Operands[0], new NegNode(g.Operands[1]) });
            var dp = new AddNode(new List<MathNode> { p.Operands[0], new NegNode(p.Operands[1]) });
            return Proportional(dg, dp);
        }
        if (VarDefinition(g) is { } gv && VarDefinition(p) is { } pv && g.Operands[0].ToString() == p.Operands[0].ToString()) return Equal(gv, pv);
        var gi = ToIntervals(g);
        var pi = ToIntervals(p);
        if (gi is not null && pi is not null) return IntervalSetsEqual(gi, pi);
        if (g.Ops.Count != p.Ops.Count) return false;
        bool same = true;
        for (int k = 0; k < g.Ops.Count && same; k++) same = g.Ops[k] == p.Ops[k];
        if (same) return Ordered(g.Operands, p.Operands);
        // a < b written as b > a
        if (g.Ops.Count == 1 && Flip(g.Ops[0]) == p.Ops[0]) return Equal(g.Operands[0], p.Operands[1]) && Equal(g.Operands[1], p.Operands[0]);
        return false;
    }

    private static string Flip(string op) => op switch { "<" => ">", ">" => "<", "<=" => ">=", ">=" => "<=", _ => op };

    private bool Proportional(MathNode a, MathNode b)
    {
        var syms = new HashSet<string>();
        MathEvaluator.Symbols(a, syms, _budget);
        MathEvaluator.Symbols(b, syms, _budget);
        if (syms.Count == 0) return false;
        Complex? ratio = null;
        int valid = 0;
        foreach (var env in Environments(syms))
        {
            var va = _eval.Numeric(a, env);
            var vb = _eval.Numeric(b, env);
            if (!Finite(va) || !Finite(vb) || Complex.Abs(vb) < 1e-12) continue;
            if (Complex.Abs(va) < 1e-12) return false;
            var r = va / vb;
            if (ratio is null) ratio = r;
            else if (!Close(r, ratio.Value)) return false;
            valid++;
        }
        return valid >= 2;
    }

    private IEnumerable<Dictionary<string, Complex>> Environments(HashSet<string> syms)
    {
        var names = syms.OrderBy(s => s, StringComparer.Ordinal).ToList();
        for (int k = 0; k < 6; k++)
        {
            _budget.Check();
            var env = new Dictionary<string, Complex>(StringComparer.Ordinal);
            for (int v = 0; v < names.Count; v++) env[names[v]] = Points[(k + 3 * v) % Points.Length] * (1 + 0.37 * v);
            yield return env;
        }
    }

    private static bool Finite(Complex c) => double.IsFinite(c.Real) && double.IsFinite(c.Imaginary);

    private bool Close(Complex a, Complex b)
    {
        double scale = System.Math.Max(1, System.Math.Max(Complex.Abs(a), Complex.Abs(b)));
        return Complex.Abs(a - b) <= _o.RelativeTolerance * scale;
    }

    private bool Ordered(IReadOnlyList<MathNode> a, IReadOnlyList<MathNode> b)
    {
        if (a.Count != b.Count) return false;
        for (int k = 0; k < a.Count; k++) if (!Equal(a[k], b[k])) return false;
        return true;
    }

    private bool Multiset(IReadOnlyList<MathNode> a, IReadOnlyList<MathNode> b)
    {
        if (a.Count != b.Count || a.Count > 64) return a.Count == b.Count && Ordered(a, b);
        var used = new bool[b.Count];
        foreach (var x in a)
        {
            bool found = false;
            for (int k = 0; k < b.Count && !found; k++)
            {
                if (used[k]) continue;
                if (Equal(x, b[k])) { used[k] = true; found = true; }
            }
            if (!found) return false;
        }
        return true;
    }

    private static List<MathNode>? Vector(MatrixNode m)
    {
        if (m.Rows.Count == 1) return m.Rows[0];
        if (m.Rows.All(r => r.Count == 1)) return m.Rows.Select(r => r[0]).ToList();
        return null;
    }

    // ---- intervals ------------------------------------------------------------------------

    private sealed record Interval(MathNode Lo, bool LoClosed, MathNode Hi, bool HiClosed);

    private static readonly MathNode PosInf = new ConstNode(ConstKind.Infinity);
    private static readonly MathNode NegInf = new NegNode(new ConstNode(ConstKind.Infinity));

    private static bool IsListOfInequalities(MathNode n) => n is ListNode l && l.Items.All(i => i is RelNode r && r.Ops.All(o => o is "<" or ">" or "<=" or ">="));

    private List<Interval>? ToIntervals(MathNode n)
    {
        switch (n)
        {
            case TupleNode { Items.Count: 2 } t when t.Open is '(' or '[' && t.Close is ')' or ']':
                return new List<Interval> { new(t.Items[0], t.Open == '[', t.Items[1], t.Close == ']') };
            case UnionNode u:
            {
                var all = new List<Interval>();
                foreach (var part in u.Parts)
                {
                    var iv = ToIntervals(part);
                    if (iv is null) return null;
                    all.AddRange(iv);
                }
                return all;
            }
            case ListNode l when IsListOfInequalities(l):
            {
                var all = new List<Interval>();
                foreach (var part in l.Items)
                {
                    var iv = ToIntervals(part);
                    if (iv is null) return null;
                    all.AddRange(iv);
                }
                return all;
            }
            case RelNode r:
            {
                if (r.Ops.Count == 1 && r.Ops[0] == "in") return ToIntervals(r.Operands[1]);
                if (r.Ops.Any(o => o is not ("<" or ">" or "<=" or ">="))) return null;
                int varIdx = r.Operands.FindIndex(o => o is SymbolNode);
                if (varIdx < 0 || r.Operands.Count(o => o is SymbolNode) != 1) return null;
                MathNode lo = NegInf, hi = PosInf;
                bool loC = false, hiC = false;
                for (int k = 0; k < r.Ops.Count; k++)
                {
                    var op = r.Ops[k];
                    MathNode other;
                    bool varOnLeft;
                    if (k == varIdx) { other = r.Operands[k + 1]; varOnLeft = true; }
                    else if (k + 1 == varIdx) { other = r.Operands[k]; varOnLeft = false; }
                    else return null;
                    bool less = op is "<" or "<=";
                    bool closed = op is "<=" or ">=";
                    // var < other  => upper bound; other < var => lower bound
                    if (varOnLeft == less) { hi = other; hiC = closed; }
                    else { lo = other; loC = closed; }
                }
                return new List<Interval> { new(lo, loC, hi, hiC) };
            }
            case TextNode t when t.Text is "\\mathbb R" or "R" || t.Text.Equals("all real numbers", StringComparison.OrdinalIgnoreCase):
                return new List<Interval> { new(NegInf, false, PosInf, false) };
            default: return null;
        }
    }

    private bool IntervalSetsEqual(List<Interval> a, List<Interval> b)
    {
        if (a.Count != b.Count) return false;
        var used = new bool[b.Count];
        foreach (var x in a)
        {
            bool found = false;
            for (int k = 0; k < b.Count && !found; k++)
            {
                if (used[k]) continue;
                var y = b[k];
                if (x.LoClosed == y.LoClosed && x.HiClosed == y.HiClosed && Equal(x.Lo, y.Lo) && Equal(x.Hi, y.Hi)) { used[k] = true; found = true; }
            }
            if (!found) return false;
        }
        return true;
    }

    // ---- scalars -----------------------------------------------------------------------------

    private bool ScalarEqual(MathNode g, MathNode p)
    {
        if (ValueEqual(g, p)) return true;
        // Percent: 25% = 25 = 0.25; degrees: 30° = 30 = pi/6.
        var gs = Variants(g);
        var ps = Variants(p);
        // A predicted "x%" stands for the number x only when the gold is a plain quantity of 1 or more (GSM8K's "25" for
        // "what percent"); "0.2%" is not 0.2 and "(1/5)%" is not 1/5.
        if (p is PercentNode or NegNode { Inner: PercentNode } && g is not PercentNode)
        {
            var gv = _eval.Numeric(g, new Dictionary<string, Complex>());
            if (!(Finite(gv) && gv.Imaginary == 0 && System.Math.Abs(gv.Real) >= 1)) ps.RemoveAll(x => !ReferenceEquals(x, p));
        }
        foreach (var a in gs)
            foreach (var b in ps)
                if (!(ReferenceEquals(a, g) && ReferenceEquals(b, p)) && ValueEqual(a, b)) return true;
        return false;
    }

    private static List<MathNode> Variants(MathNode n)
    {
        var list = new List<MathNode> { n };
        if (n is PercentNode pc) list.Add(pc.Inner);
        if (n is DegreeNode dg)
        {
            list.Add(dg.Inner);
            list.Add(new DivNode(new MulNode(new List<MathNode> { dg.Inner, new ConstNode(ConstKind.Pi) }), new NumberNode(BigRational.FromInt(180), 0)));
        }
        if (n is NegNode { Inner: PercentNode ipc }) list.Add(new NegNode(ipc.Inner));
        return list;
    }

    private bool ValueEqual(MathNode g, MathNode p)
    {
        var eg = _eval.Exact(g);
        var ep = _eval.Exact(p);
        if (eg is { } xg && ep is { } xp)
        {
            if (xg.Equals(xp)) return true;
            return Rounding(g, p, xg.ToDouble(), xp.ToDouble(), xg);
        }
        var syms = new HashSet<string>();
        MathEvaluator.Symbols(g, syms, _budget);
        MathEvaluator.Symbols(p, syms, _budget);
        if (syms.Count == 0)
        {
            var empty = new Dictionary<string, Complex>();
            var vg = _eval.Numeric(g, empty);
            var vp = _eval.Numeric(p, empty);
            if (!Finite(vg) || !Finite(vp)) return Canonical(g) == Canonical(p);
            if (Close(vg, vp)) return true;
            if (vg.Imaginary != 0 || vp.Imaginary != 0) return false;
            return Rounding(g, p, vg.Real, vp.Real, eg);
        }
        int valid = 0;
        foreach (var env in Environments(syms))
        {
            var vg = _eval.Numeric(g, env);
            var vp = _eval.Numeric(p, env);
            if (!Finite(vg) || !Finite(vp)) continue;
            if (!Close(vg, vp)) return false;
            valid++;
        }
        return valid >= 2 || (valid == 0 && Canonical(g) == Canonical(p));
    }

    private static int DecimalLiteralPlaces(MathNode n) => n switch
    {
        NumberNode num => num.DecimalPlaces,
        NegNode { Inner: NumberNode num } => num.DecimalPlaces,
        _ => 0,
    };

    private bool Rounding(MathNode g, MathNode p, double gv, double pv, BigRational? goldExact)
    {
        if (!_o.AcceptRounding || !double.IsFinite(gv) || !double.IsFinite(pv)) return false;
        int gd = DecimalLiteralPlaces(g), pd = DecimalLiteralPlaces(p);
        if (gd > 0)
        {
            if (pd > 0 && pd <= gd) return false;
            double half = 0.5 * System.Math.Pow(10, -gd);
            return System.Math.Abs(pv - gv) <= half * (1 + 1e-9) + 1e-12 * System.Math.Abs(gv);
        }
        if (pd >= _o.MinPredictedPlaces)
        {
            if (goldExact is { } ge && ge.HasDecimalPlacesAtMost(pd)) return false;
            double unit = System.Math.Pow(10, -pd);
            // rounded to p places, or truncated (toward zero) to p places
            if (System.Math.Abs(pv - gv) <= 0.5 * unit * (1 + 1e-9)) return true;
            return System.Math.Abs(pv) <= System.Math.Abs(gv) && System.Math.Sign(pv) == System.Math.Sign(gv) && System.Math.Abs(gv) - System.Math.Abs(pv) < unit * (1 + 1e-9);
        }
        return false;
    }

    // ---- text --------------------------------------------------------------------------------

    private bool TextEqual(MathNode g, MathNode p)
    {
        string a = NormalizeText(g is TextNode tg ? tg.Text : g.ToString());
        string b = NormalizeText(p is TextNode tp ? tp.Text : p.ToString());
        return a.Length > 0 && a == b;
    }

    internal static string Canonical(MathNode n) => n.ToString().Replace(" ", "", StringComparison.Ordinal);

    /// <summary>Lower case, letters and digits only, leading articles dropped: "\text{The Monday.}" → "monday".</summary>
    internal static string NormalizeText(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s.Replace("\\text", "", StringComparison.Ordinal).Replace("\\mathrm", "", StringComparison.Ordinal))
        {
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            else if (sb.Length > 0 && sb[^1] != ' ') sb.Append(' ');
        }
        var words = sb.ToString().Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        // a leading article before a real word ("the Monday"), never a lone letter ("A", "A, C, E")
        if (words.Count >= 2 && words[0] is "the" or "a" or "an" && words[1].Length >= 2) words.RemoveAt(0);
        if (words.Count >= 3) words.RemoveAll(w => w is "and" or "or"); // "Monday and Tuesday" = "Monday, Tuesday"
        return string.Join("", words);
    }
}
