using System.Numerics;
using System.Text;

namespace RlTools.Core.Verifiers.Math;

/// <summary>Options of the equivalence check (see <see cref="MathEquivalence"/> for the rules).</summary>
internal sealed record MathEquivalenceOptions
{
    /// <summary>Relative tolerance of numeric comparisons: |a − b| ≤ tol · max(1, |a|, |b|).</summary>
    public double RelativeTolerance { get; init; } = 1e-9;

    /// <summary>Accept rounded decimals under the documented rounding rules.</summary>
    public bool AcceptRounding { get; init; }

    /// <summary>Decimal places both values are rounded to when either side holds a decimal literal (Math-Verify's float_rounding).</summary>
    public int FloatRounding { get; init; } = 6;

    /// <summary>Minimum decimal places of a predicted decimal to stand for an exact non-terminating gold value.</summary>
    public int MinPredictedPlaces { get; init; } = 3;
}

/// <summary>
/// Decides whether a predicted answer equals a gold answer, both parsed to <see cref="MathNode"/>.
/// Rules, in order:
/// <list type="number">
/// <item>Equations and memberships (Math-Verify's assignment rule, <c>is_assignment_relation</c>): against an answer that is not a
/// relation, an equation whose left side is made of names only ("k = 4", "f(x) = x^2", "(x, y) = (1, 2)", "a + b = 8", "|z| = 5")
/// or a computation without free variables ("2 \times 5 = 10", "\lim_{t\to 0} \frac{\tan t}{t} = 1") stands for its last side,
/// after an \approx tail is dropped ("m = 2 + 3 = 5 \approx 5.0" is 5); any other equation ("3 = 2b + d", "b + 2c = 0") never
/// equals a value; "x \in S" stands for S. Two equations are equal when both sides are pairwise equal (either order), or when
/// (lhs − rhs) of one is a non-zero constant multiple of the other's ("y = 2x + 1" = "2x − y + 1 = 0").</item>
/// <item>Inequalities in one variable become intervals ("x ≥ 3" = [3, ∞), "x &lt; −1 or x &gt; 2" = (−∞,−1) ∪ (2,∞)), also through
/// a linear expression ("-2t \le 6" = "t \ge -3", dividing by a negative coefficient flips the sign) or an absolute value
/// ("2 \le |w| \le 5" = [−5,−2] ∪ [2,5]); "x \neq c" is (−∞, c) ∪ (c, ∞) (Math-Verify turns a gold relation into its set,
/// <c>as_set</c>, against a set). Two relations must constrain the same variable ("x &gt; 3" ≠ "y &gt; 3").</item>
/// <item>Sets ignore order and repeats ("\{1, 2, 2\}" = "\{2, 1\}"); a set and a tuple with the same elements in the same order
/// are equal; lists are order-insensitive multisets ("2, 3" = "3, 2"); a list of assignments is a tuple per solution
/// ("a=2, b=5; a=4, b=1" = "(2,5), (4,1)"), and when that order does not match, in the order of the names ("b=5, a=2" =
/// (2, 5)); two lists of assignments compare name by name ("a=2, b=5" = "b=5, a=2" ≠ "b=2, a=5"); a ± b is the set {a + b, a − b}; a list against a tuple is ordered; tuples and
/// intervals compare item by item with the same brackets; a column or row vector equals a tuple.</item>
/// <item>Matrices compare shape and cells; unions compare their parts as a multiset; a vmatrix is its determinant, a value.</item>
/// <item>Scalars: exact rational equality when both sides evaluate exactly (BigInteger); when either side holds a decimal literal,
/// both values are rounded to <see cref="MathEquivalenceOptions.FloatRounding"/> places (6, Math-Verify's <c>float_rounding</c>)
/// and compared: 0.1428571 = 0.14285713 = 1/7, but 3.14 ≠ 3.141 and 0.3333 ≠ 1/3. Without decimals, complex-double evaluation
/// (at six fixed points for the free variables; every defined point must agree, at least two must be defined) with
/// <see cref="MathEquivalenceOptions.RelativeTolerance"/> stands in for symbolic equality.</item>
/// <item>Percent and degrees: "25\%" equals 25 and 0.25; "30^\circ" equals 30 and \pi/6.</item>
/// <item>Lenient rounding, off by default (<see cref="MathEquivalenceOptions.AcceptRounding"/>): (a) a decimal gold with d places accepts any prediction
/// within half a unit of its last place (gold 0.3333 vs 1/3, gold 3.14 vs \pi), except a decimal prediction with d or fewer places,
/// which must match exactly; (b) a decimal prediction with p ≥ 3 places (<see cref="MathEquivalenceOptions.MinPredictedPlaces"/>)
/// stands for an exact gold that does not terminate within p places when it is that value rounded to p places (within half a
/// unit) or truncated to p places (0.333 or 0.6667 or 0.6666 for 1/3 and 2/3, 3.142 for \pi; not 0.334, not 3.14); never for
/// integers or terminating golds (2.999 is not 3, 0.13 is not 0.125).</item>
/// <item>Matrices: a scalar times a matrix is the matrix of products ("-\begin{pmatrix}1&amp;0\\0&amp;1\end{pmatrix}").</item>
/// <item>Sample points are positive reals, so identities that hold for positive variables (\sqrt{x^2} = |x| = x, \ln(xy) =
/// \ln x + \ln y) are accepted.</item>
/// <item>Text: lower-cased, \text and punctuation removed, spaces ignored, compared as strings; also the fallback when a side does not parse.</item>
/// <item><see cref="Rule"/> names the rule that decided, for the verifier's Reason.</item>
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

    /// <summary>The rule that decided the last comparison (for the verifier's Reason).</summary>
    public string Rule { get; private set; } = "value";

    private bool Decide(bool result, string rule)
    {
        Rule = rule;
        return result;
    }

    public bool Equal(MathNode gold, MathNode pred)
    {
        _budget.Enter();
        try
        {
            // both sides assign to names ("a = 2, b = 5" against "b = 5, a = 2"): the same names, each with an equal value
            if (AssignmentNames(gold) is { } gn && AssignmentNames(pred) is { } pn)
            {
                if (!gn.SequenceEqual(pn, StringComparer.Ordinal)) return Decide(false, "assignments to different names");
                bool same = EqualCore(Prepare(SortedAssignments(gold) ?? gold), Prepare(SortedAssignments(pred) ?? pred));
                return Decide(same, "assignments, name by name; " + Rule);
            }
            if (EqualCore(Prepare(gold), Prepare(pred))) return true;
            // the same assignments written in another order ("b = 5, a = 2" for (a, b) = (2, 5), as Math-Verify compares a
            // set of equations): compared once more with the assignments in the order of their names
            var sg = SortedAssignments(gold);
            var sp = SortedAssignments(pred);
            if (sg is null && sp is null) return false;
            string rule = Rule;
            if (EqualCore(Prepare(sg ?? gold), Prepare(sp ?? pred))) return Decide(true, "assignments in the order of their names; " + Rule);
            return Decide(false, rule);
        }
        finally { _budget.Exit(); }
    }

    /// <summary>
    /// "b = 5, a = 2" as "a = 2, b = 5": one solution written as assignments to distinct names, put in the order of the
    /// names; null when the list is not such a list or already in that order.
    /// </summary>
    private static List<string>? AssignmentNames(MathNode n)
    {
        if (n is not ListNode l || l.Items.Count < 2 || l.Items.Count > 10) return null;
        if (!l.Items.All(i => i is RelNode r && r.Ops.Count == 1 && r.Ops[0] == "=" && IsVariable(r.Operands[0]))) return null;
        var names = l.Items.Select(i => ((RelNode)i).Operands[0].ToString()).ToList();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count) return null;
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private static ListNode? SortedAssignments(MathNode n)
    {
        if (n is not ListNode l || l.Items.Count < 2 || l.Items.Count > 10) return null;
        if (!l.Items.All(i => i is RelNode r && r.Ops.Count == 1 && r.Ops[0] == "=" && IsVariable(r.Operands[0]))) return null;
        var names = l.Items.Select(i => ((RelNode)i).Operands[0].ToString()).ToList();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count) return null;
        var sorted = l.Items.OrderBy(i => ((RelNode)i).Operands[0].ToString(), StringComparer.Ordinal).ToList();
        return sorted.SequenceEqual(l.Items) ? null : new ListNode(sorted);
    }

    /// <summary>
    /// Shapes that mean the same structure: a scalar times a matrix is the matrix of products ("-\begin{pmatrix}…"), and
    /// a list of assignments is a tuple per solution ("a=2, b=5; a=4, b=1" is (2,5), (4,1); "x = 1 or x = 5" is 1, 5).
    /// </summary>
    private MathNode Prepare(MathNode n)
    {
        switch (n)
        {
            case NegNode { Inner: MatrixNode m }:
                return new MatrixNode(m.Rows.Select(r => r.Select(c => (MathNode)new NegNode(c)).ToList()).ToList());
            case MulNode mul when mul.Factors.Count(f => f is MatrixNode) == 1 && mul.Factors.Count <= 4:
            {
                var m = (MatrixNode)mul.Factors.First(f => f is MatrixNode);
                var scalars = mul.Factors.Where(f => f is not MatrixNode).ToList();
                if (scalars.Any(f => f is ListNode or SetNode or TupleNode or RelNode or TextNode)) return n;
                return new MatrixNode(m.Rows.Select(r => r.Select(c => (MathNode)new MulNode([.. scalars, c])).ToList()).ToList());
            }
            case ListNode l when l.Items.Count >= 2 && l.Items.All(i => i is RelNode r && r.Ops.Count == 1 && r.Ops[0] == "=" && IsVariable(r.Operands[0])):
            {
                var groups = new List<List<RelNode>> { new() };
                foreach (RelNode r in l.Items)
                {
                    string name = r.Operands[0].ToString();
                    if (groups[^1].Any(x => x.Operands[0].ToString() == name)) groups.Add(new List<RelNode>());
                    groups[^1].Add(r);
                }
                if (groups.Count == 1) return new TupleNode(groups[0].Select(r => r.Operands[1]).ToList(), '(', ')');
                if (groups.All(gr => gr.Count == 1)) return new ListNode(groups.Select(gr => gr[0].Operands[1]).ToList());
                if (groups.Any(gr => gr.Count != groups[0].Count)) return n;
                return new ListNode(groups.Select(gr => (MathNode)new TupleNode(gr.Select(r => r.Operands[1]).ToList(), '(', ')')).ToList());
            }
            default: return n;
        }
    }

    private bool EqualCore(MathNode g, MathNode p)
    {
        // ± expands to a two-element set.
        if (g is PlusMinusNode gpm) g = ExpandPm(gpm);
        else if (g is not (ListNode or SetNode or TupleNode or MatrixNode or RelNode) && ExpandNestedPm(g) is { } gx) g = gx;
        if (p is PlusMinusNode ppm) p = ExpandPm(ppm);
        else if (p is not (ListNode or SetNode or TupleNode or MatrixNode or RelNode) && ExpandNestedPm(p) is { } px) p = px;

        // Equations with a variable (or f(x)) on the left, or computations without variables: compare the last side.
        if (g is RelNode gr && p is not RelNode && VarDefinition(gr) is { } gv) return Decide(Equal(gv, p), "equation: the last side of the gold's definition");
        if (p is RelNode pr && g is not RelNode && VarDefinition(pr) is { } pv) return Decide(Equal(g, pv), "equation: the last side of the answer's definition");
        if (g is RelNode ga && p is RelNode pa) return RelationsEqual(ga, pa);

        // Inequalities against intervals.
        if (g is RelNode || p is RelNode || g is UnionNode || p is UnionNode || IsListOfInequalities(g) || IsListOfInequalities(p) || g is TextNode || p is TextNode)
        {
            var gi = ToIntervals(g);
            var pi = ToIntervals(p);
            if (gi is not null && pi is not null) return Decide(IntervalSetsEqual(gi, pi), "relation as intervals");
        }
        // Any other equation ("3 = 2b + d", "b + 2c = 0") is a condition, never a value.
        if (g is RelNode { Ops: ["=", ..] } || p is RelNode { Ops: ["=", ..] }) return Decide(false, "an equation that is not a definition never equals a value");

        switch (g)
        {
            case ListNode gl when gl.Items.Count is >= 2 and <= 4 && p is not (ListNode or SetNode or TupleNode) && AllEquivalent(gl.Items):
                // a gold that lists equivalent forms ("\frac12 \text{ or } 0.5") accepts any of them
                return Decide(Equal(gl.Items[0], p), "the gold lists equivalent forms");
            case ListNode gl:
                if (p is ListNode pl2) return Decide(Multiset(gl.Items, pl2.Items), "lists in any order");
                if (p is SetNode ps2) return Decide(SetEqual(gl.Items, ps2.Items), "sets (order and repeats ignored)");
                if (p is TupleNode pt2) return Decide(Ordered(gl.Items, pt2.Items), "list against a tuple, in order");
                if (p is MatrixNode pm2 && Vector(pm2) is { } pvec) return Decide(Ordered(gl.Items, pvec), "list against a vector, in order");
                if (p is TextNode) return Decide(TextEqual(g, p), "text");
                return gl.Items.Count == 1 && Equal(gl.Items[0], p);
            case SetNode gs:
                if (p is SetNode ps) return Decide(SetEqual(gs.Items, ps.Items), "sets (order and repeats ignored)");
                if (p is ListNode pl) return Decide(SetEqual(gs.Items, pl.Items), "sets (order and repeats ignored)");
                if (p is TupleNode ptu && gs.Items.Count >= 2) return Decide(Ordered(gs.Items, ptu.Items), "a set against a tuple with the same elements in the same order");
                if (gs.Items.Count == 1 && p is not TupleNode) return Equal(gs.Items[0], p);
                return Decide(false, "a set never equals a single value");
            case TupleNode gt:
                if (p is TupleNode pt)
                {
                    if (gt.Items.Count != pt.Items.Count) return Decide(false, "tuples of different lengths");
                    if (gt.Items.Count == 2 && (gt.Open != pt.Open || gt.Close != pt.Close)) return Decide(false, "intervals with different brackets");
                    return Decide(Ordered(gt.Items, pt.Items), "tuples, item by item");
                }
                if (p is SetNode pst && pst.Items.Count >= 2) return Decide(Ordered(gt.Items, pst.Items), "a tuple against a set with the same elements in the same order");
                if (p is ListNode pl3) return Decide(Ordered(gt.Items, pl3.Items), "a tuple against a list, in order");
                if (p is MatrixNode pm3 && Vector(pm3) is { } pv3) return Decide(Ordered(gt.Items, pv3), "a tuple against a vector");
                return Decide(false, "a tuple never equals a single value");
            case MatrixNode gm:
                if (p is MatrixNode pm)
                {
                    if (gm.Rows.Count != pm.Rows.Count)
                        return Decide(Vector(gm) is { } gv1 && Vector(pm) is { } pv1 && Ordered(gv1, pv1), "row against column vector"); // row vs column vector
                    for (int r = 0; r < gm.Rows.Count; r++)
                        if (!Ordered(gm.Rows[r], pm.Rows[r])) return Decide(false, "matrices, cell by cell");
                    return Decide(true, "matrices, cell by cell");
                }
                if (Vector(gm) is { } gvec && p is TupleNode or ListNode)
                    return Decide(Ordered(gvec, p is TupleNode ptt ? ptt.Items : ((ListNode)p).Items), "a vector against a tuple");
                return Decide(false, "a matrix never equals a single value");
            case TextNode:
                return Decide(TextEqual(g, p), "text (case and spaces ignored)");
        }
        if (p is ListNode { Items.Count: > 1 } or SetNode { Items.Count: > 1 } or TupleNode or MatrixNode) return Decide(false, "several values never equal one value");
        if (p is SetNode { Items.Count: 1 } ps1) return Equal(g, ps1.Items[0]);
        if (p is TextNode) return Decide(TextEqual(g, p), "text (case and spaces ignored)");
        return ScalarEqual(g, p);
    }

    /// <summary>Sets: every element of one equals an element of the other, both ways (order and repeats ignored).</summary>
    private bool SetEqual(IReadOnlyList<MathNode> a, IReadOnlyList<MathNode> b)
    {
        if (a.Count > 64 || b.Count > 64) return Multiset(a, b);
        foreach (var x in a) if (!b.Any(y => Equal(x, y))) return false;
        foreach (var y in b) if (!a.Any(x => Equal(x, y))) return false;
        return true;
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

    /// <summary>
    /// The value an equation defines (Math-Verify's assignment rule): "x = 3", "f(x) = x^2", "a_5 = 7", "m = 2 + 3 = 5" give
    /// their last side, as does a computation without free variables ("2 \times 5 = 10", "\lim_{t\to 0} \frac{\tan t}{t} = 1");
    /// "x \in [0, 1]" gives [0, 1]. Null for every other relation ("3 = 2b + d", "b + 2c = 0" are conditions).
    /// </summary>
    private MathNode? VarDefinition(RelNode r)
    {
        if (r.Ops.Count == 1 && r.Ops[0] == "in" && IsVariable(r.Operands[0])) return r.Operands[1];
        if (!r.Ops.All(o => o == "=") || r.Operands.Count < 2) return null;
        if (IsNameExpression(r.Operands[0], 0)) return r.Operands[^1];
        var syms = new HashSet<string>();
        foreach (var o in r.Operands) MathEvaluator.Symbols(o, syms, _budget);
        return syms.Count == 0 ? r.Operands[^1] : null;
    }

    private static readonly HashSet<string> FunctionNames = new(StringComparer.Ordinal) { "f", "g", "h", "p", "q", "r", "s", "u", "v", "w", "F", "G", "H", "P", "Q", "R", "S", "T", "V", "A", "N", "E" };

    /// <summary>"f(x)", "g(2)", "f'(x)", "f^{-1}(x)", "P(A)": a function name applied to an argument (parsed as a product of two factors).</summary>
    private static bool IsFunctionValue(MathNode n) =>
        n is MulNode { Factors.Count: 2 } m && (m.Factors[0] is SymbolNode fn && FunctionNames.Contains(fn.Name.TrimEnd('\''))
            || m.Factors[0] is PowNode { Base: SymbolNode fb } && FunctionNames.Contains(fb.Name));

    /// <summary>
    /// A left side made of names only (Math-Verify's assignment test: an expression of only symbols): "x", "a_5", "f(x)",
    /// "(x, y)", "a + b", "|z|", "xy". A number or a constant anywhere makes it a condition ("2c", "x^2", "b + 2c").
    /// </summary>
    private static bool IsNameExpression(MathNode n, int depth)
    {
        if (depth > 8) return false;
        if (IsVariable(n) || IsFunctionValue(n)) return true;
        return n switch
        {
            TupleNode t => t.Items.All(i => IsNameExpression(i, depth + 1)),
            AddNode a => a.Terms.All(i => IsNameExpression(i, depth + 1)),
            MulNode m => m.Factors.All(i => IsNameExpression(i, depth + 1)),
            NegNode g => IsNameExpression(g.Inner, depth + 1),
            DivNode d => IsNameExpression(d.Num, depth + 1) && IsNameExpression(d.Den, depth + 1),
            FuncNode { Name: "abs" } f => IsNameExpression(f.Arg, depth + 1),
            _ => false,
        };
    }

    private bool RelationsEqual(RelNode g, RelNode p)
    {
        if (g.Ops.Count == 1 && p.Ops.Count == 1 && g.Ops[0] == "=" && p.Ops[0] == "=")
        {
            if (Equal(g.Operands[0], p.Operands[0]) && Equal(g.Operands[1], p.Operands[1])) return Decide(true, "equations, side by side");
            if (Equal(g.Operands[0], p.Operands[1]) && Equal(g.Operands[1], p.Operands[0])) return Decide(true, "equations, sides swapped");
            // Same equation up to a constant factor: (lg - rg) = c (lp - rp), c != 0.
            var dg = new AddNode(new List<MathNode> { g.Operands[0], new NegNode(g.Operands[1]) });
            var dp = new AddNode(new List<MathNode> { p.Operands[0], new NegNode(p.Operands[1]) });
            return Decide(Proportional(dg, dp), "equations as lhs − rhs up to a constant factor");
        }
        if (VarDefinition(g) is { } gv && VarDefinition(p) is { } pv && g.Operands[0].ToString() == p.Operands[0].ToString())
            return Decide(Equal(gv, pv), "definitions of the same name, by their last sides");
        var gi = ToIntervals(g);
        var pi = ToIntervals(p);
        if (gi is not null && pi is not null)
        {
            // "x > 3" is not "y > 3": two relations are about the same variable (Math-Verify solves each for its own symbols)
            if (RelationVariable(g) is { } gvar && RelationVariable(p) is { } pvar && gvar != pvar) return Decide(false, "relations in different variables");
            return Decide(IntervalSetsEqual(gi, pi), "relations as intervals");
        }
        if (g.Ops.Count != p.Ops.Count) return Decide(false, "relations of different shapes");
        bool same = true;
        for (int k = 0; k < g.Ops.Count && same; k++) same = g.Ops[k] == p.Ops[k];
        if (same) return Decide(Ordered(g.Operands, p.Operands), "relations, side by side");
        // a < b written as b > a
        if (g.Ops.Count == 1 && Flip(g.Ops[0]) == p.Ops[0]) return Decide(Equal(g.Operands[0], p.Operands[1]) && Equal(g.Operands[1], p.Operands[0]), "relations, flipped");
        return Decide(false, "different relations");
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
                return RelationIntervals(r);
            }
            case TextNode t when t.Text is "\\mathbb R" or "R" || t.Text.Equals("all real numbers", StringComparison.OrdinalIgnoreCase):
                return new List<Interval> { new(NegInf, false, PosInf, false) };
            default: return null;
        }
    }

    /// <summary>
    /// An inequality or chain of inequalities in one variable as intervals. The variable may sit inside a linear
    /// expression ("-2t \le 6" is t \ge -3: divide by the coefficient, flipping the sign when it is negative; "2a > -1" is
    /// a > -1/2), or inside an absolute value ("2 \le |w| \le 5" is [-5,-2] ∪ [2,5]); with the variable on both sides of one
    /// inequality, the difference of the sides is used. Null for anything else.
    /// </summary>
    private List<Interval>? RelationIntervals(RelNode r) => RelationIntervals(r, out _);

    /// <summary>The variable a relation constrains ("x" in "x \in [0,1]", "-2x \le 6", "2 \le |x| \le 5"); null when there is none.</summary>
    private string? RelationVariable(RelNode r)
    {
        if (r.Ops.Count == 1 && r.Ops[0] == "in") return r.Operands[0] is SymbolNode s ? s.Name : null;
        return RelationIntervals(r, out var name) is null ? null : name;
    }

    private List<Interval>? RelationIntervals(RelNode r, out string? variable)
    {
        variable = null;
        // "x \neq c" is the real line without c: (-∞, c) ∪ (c, ∞)
        if (r.Ops.Count == 1 && r.Ops[0] == "!=")
        {
            int vi = r.Operands[0] is SymbolNode ? 0 : r.Operands[1] is SymbolNode ? 1 : -1;
            if (vi < 0) return null;
            var c = r.Operands[1 - vi];
            var cs = new HashSet<string>();
            MathEvaluator.Symbols(c, cs, _budget);
            string v = ((SymbolNode)r.Operands[vi]).Name;
            if (cs.Contains(v)) return null;
            variable = v;
            return [new(NegInf, false, c, false), new(c, false, PosInf, false)];
        }
        if (r.Ops.Any(o => o is not ("<" or ">" or "<=" or ">="))) return null;
        var syms = new HashSet<string>();
        var perOperand = new List<HashSet<string>>();
        foreach (var o in r.Operands)
        {
            var set = new HashSet<string>();
            MathEvaluator.Symbols(o, set, _budget);
            perOperand.Add(set);
            syms.UnionWith(set);
        }
        string name;
        if (syms.Count == 1) name = syms.First();
        else
        {
            // symbolic bounds ("a \le x \le b", "x < c"): the variable is the middle of a chain, or the left side of one
            // inequality (the right side when only it is a name), and no other side may mention it
            int at = r.Operands.Count == 3 ? 1 : r.Operands.Count == 2 ? (r.Operands[0] is SymbolNode ? 0 : 1) : -1;
            if (at < 0 || r.Operands[at] is not SymbolNode sn || perOperand.Where((_, j) => j != at).Any(set => set.Contains(sn.Name))) return null;
            name = sn.Name;
        }
        variable = name;
        var operands = r.Operands;
        var ops = r.Ops;
        int varIdx = perOperand.FindIndex(x => x.Contains(name));
        if (perOperand.Count(x => x.Contains(name)) != 1)
        {
            if (ops.Count != 1) return null;
            operands = [new AddNode([r.Operands[0], new NegNode(r.Operands[1])]), new NumberNode(BigRational.Zero, 0)];
            varIdx = 0;
        }
        // bounds of the operand that holds the variable
        MathNode lo = NegInf, hi = PosInf;
        bool loC = false, hiC = false;
        for (int k = 0; k < ops.Count; k++)
        {
            var op = ops[k];
            MathNode other;
            bool varOnLeft;
            if (k == varIdx) { other = operands[k + 1]; varOnLeft = true; }
            else if (k + 1 == varIdx) { other = operands[k]; varOnLeft = false; }
            else return null;
            bool less = op is "<" or "<=";
            bool closed = op is "<=" or ">=";
            // var < other  => upper bound; other < var => lower bound
            if (varOnLeft == less) { hi = other; hiC = closed; }
            else { lo = other; loC = closed; }
        }
        var target = operands[varIdx];
        if (target is SymbolNode) return [new(lo, loC, hi, hiC)];
        if (target is FuncNode { Name: "abs", Arg: SymbolNode })
        {
            // lo ≤ |x| ≤ hi: [-hi, -lo] ∪ [lo, hi]; |x| ≤ hi: [-hi, hi]; |x| ≥ lo: (-∞, -lo] ∪ [lo, ∞)
            bool noLo = ReferenceEquals(lo, NegInf), noHi = ReferenceEquals(hi, PosInf);
            if (noLo) return [new(new NegNode(hi), hiC, hi, hiC)];
            var negHi = noHi ? NegInf : new NegNode(hi);
            return [new(negHi, !noHi && hiC, new NegNode(lo), loC), new(lo, loC, hi, !noHi && hiC)];
        }
        // linear in the variable: target = a·x + b with a ≠ 0
        var at0 = Substitute(target, name, 0);
        var at1 = Substitute(target, name, 1);
        var empty = new Dictionary<string, Complex>();
        Complex f0 = _eval.Numeric(at0, empty), f1 = _eval.Numeric(at1, empty);
        Complex f2 = _eval.Numeric(Substitute(target, name, 2), empty), f7 = _eval.Numeric(Substitute(target, name, 7), empty);
        if (!Finite(f0) || !Finite(f1) || !Finite(f2) || !Finite(f7) || f0.Imaginary != 0 || f1.Imaginary != 0) return null;
        double a = f1.Real - f0.Real;
        if (System.Math.Abs(a) < 1e-12 || !Close(f2, f0 + 2 * a) || !Close(f7, f0 + 7 * a)) return null;
        MathNode aNode = new AddNode([at1, new NegNode(at0)]);
        MathNode Solve(MathNode bound) => ReferenceEquals(bound, NegInf) || ReferenceEquals(bound, PosInf) ? bound : new DivNode(new AddNode([bound, new NegNode(at0)]), aNode);
        MathNode Flip(MathNode bound) => ReferenceEquals(bound, NegInf) ? PosInf : ReferenceEquals(bound, PosInf) ? NegInf : Solve(bound);
        return a > 0 ? [new(Solve(lo), loC, Solve(hi), hiC)] : [new(Flip(hi), hiC, Flip(lo), loC)];
    }

    /// <summary>The expression with the variable replaced by a number.</summary>
    private MathNode Substitute(MathNode n, string name, int value)
    {
        _budget.Enter();
        try
        {
            return n switch
            {
                SymbolNode s when s.Name == name => new NumberNode(BigRational.FromInt(value), 0),
                AddNode a => new AddNode(a.Terms.Select(t => Substitute(t, name, value)).ToList()),
                MulNode m => new MulNode(m.Factors.Select(t => Substitute(t, name, value)).ToList()),
                DivNode d => new DivNode(Substitute(d.Num, name, value), Substitute(d.Den, name, value)),
                NegNode g => new NegNode(Substitute(g.Inner, name, value)),
                PowNode pw => new PowNode(Substitute(pw.Base, name, value), Substitute(pw.Exp, name, value)),
                FuncNode f => new FuncNode(f.Name, Substitute(f.Arg, name, value), f.Index is null ? null : Substitute(f.Index, name, value)),
                _ => n,
            };
        }
        finally { _budget.Exit(); }
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
        // Math-Verify's float rule: when either side holds a decimal literal, both are rounded to FloatRounding places.
        bool floats = HasDecimal(g) || HasDecimal(p);
        if (eg is { } xg && ep is { } xp)
        {
            if (xg.Equals(xp)) return Decide(true, "exact value");
            if (floats && RoundedEqual(xg, xp)) return Decide(true, $"equal after rounding to {_o.FloatRounding} decimal places");
            return Decide(Rounding(g, p, xg.ToDouble(), xp.ToDouble(), xg), floats ? $"different after rounding to {_o.FloatRounding} decimal places" : "exact value");
        }
        var syms = new HashSet<string>();
        MathEvaluator.Symbols(g, syms, _budget);
        MathEvaluator.Symbols(p, syms, _budget);
        if (syms.Count == 0)
        {
            var empty = new Dictionary<string, Complex>();
            var vg = _eval.Numeric(g, empty);
            var vp = _eval.Numeric(p, empty);
            if (!Finite(vg) || !Finite(vp)) return Decide(Canonical(g) == Canonical(p), "same form (no finite value)");
            if (floats)
            {
                if (vg.Imaginary == 0 && vp.Imaginary == 0 && RoundedEqual(vg.Real, vp.Real)) return Decide(true, $"equal after rounding to {_o.FloatRounding} decimal places");
                if (vg.Imaginary != 0 || vp.Imaginary != 0) return Decide(RoundedEqual(vg.Real, vp.Real) && RoundedEqual(vg.Imaginary, vp.Imaginary), $"complex parts rounded to {_o.FloatRounding} places");
                return Decide(Rounding(g, p, vg.Real, vp.Real, eg), $"different after rounding to {_o.FloatRounding} decimal places");
            }
            if (Close(vg, vp)) return Decide(true, "numeric value");
            if (vg.Imaginary != 0 || vp.Imaginary != 0) return Decide(false, "numeric value");
            return Decide(Rounding(g, p, vg.Real, vp.Real, eg), "numeric value");
        }
        int valid = 0;
        foreach (var env in Environments(syms))
        {
            var vg = _eval.Numeric(g, env);
            var vp = _eval.Numeric(p, env);
            if (!Finite(vg) || !Finite(vp)) continue;
            if (!Close(vg, vp) && !(floats && RoundedEqual(vg.Real, vp.Real) && RoundedEqual(vg.Imaginary, vp.Imaginary))) return Decide(false, "values at sample points of the variables");
            valid++;
        }
        return Decide(valid >= 2 || (valid == 0 && Canonical(g) == Canonical(p)), "values at sample points of the variables");
    }

    private static bool HasDecimal(MathNode n) => n switch
    {
        NumberNode num => num.DecimalPlaces > 0,
        AddNode a => a.Terms.Any(HasDecimal),
        MulNode m => m.Factors.Any(HasDecimal),
        DivNode d => HasDecimal(d.Num) || HasDecimal(d.Den),
        NegNode g => HasDecimal(g.Inner),
        PowNode pw => HasDecimal(pw.Base) || HasDecimal(pw.Exp),
        FuncNode f => HasDecimal(f.Arg),
        PercentNode pc => HasDecimal(pc.Inner),
        DegreeNode dg => HasDecimal(dg.Inner),
        _ => false,
    };

    /// <summary>Exact values rounded half away from zero to FloatRounding places compare equal.</summary>
    private bool RoundedEqual(BigRational a, BigRational b)
    {
        var scale = BigInteger.Pow(10, _o.FloatRounding);
        return RoundScaled(a, scale) == RoundScaled(b, scale);
    }

    private static BigInteger RoundScaled(BigRational x, BigInteger scale)
    {
        // round(|x| * scale) half away from zero, with the sign put back
        var num = BigInteger.Abs(x.Num) * scale;
        var q = BigInteger.DivRem(num * 2 + x.Den, 2 * x.Den, out _);
        return x.Sign < 0 ? -q : q;
    }

    /// <summary>Doubles rounded to FloatRounding places compare equal (beyond 1e12 the last double digits decide).</summary>
    private bool RoundedEqual(double a, double b)
    {
        if (!double.IsFinite(a) || !double.IsFinite(b)) return false;
        if (System.Math.Max(System.Math.Abs(a), System.Math.Abs(b)) >= 1e12) return System.Math.Abs(a - b) <= 1e-15 * System.Math.Max(System.Math.Abs(a), System.Math.Abs(b));
        double ra = System.Math.Round(a, _o.FloatRounding, MidpointRounding.AwayFromZero), rb = System.Math.Round(b, _o.FloatRounding, MidpointRounding.AwayFromZero);
        return System.Math.Abs(ra - rb) < 0.5 * System.Math.Pow(10, -_o.FloatRounding);
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
        string t = s.Replace("\\text", "", StringComparison.Ordinal).Replace("\\mathrm", "", StringComparison.Ordinal);
        for (int i = 0; i < t.Length; i++)
        {
            char c = t[i];
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            // a point or comma between digits is part of a number: "1,234,5" is not the text "1234.5"
            else if (c is '.' or ',' && i > 0 && i + 1 < t.Length && char.IsDigit(t[i - 1]) && char.IsDigit(t[i + 1])) sb.Append(c);
            else if (sb.Length > 0 && sb[^1] != ' ') sb.Append(' ');
        }
        var words = sb.ToString().Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        // a leading article before a real word ("the Monday"), never a lone letter ("A", "A, C, E")
        if (words.Count >= 2 && words[0] is "the" or "a" or "an" && words[1].Length >= 2) words.RemoveAt(0);
        if (words.Count >= 3) words.RemoveAll(w => w is "and" or "or"); // "Monday and Tuesday" = "Monday, Tuesday"
        return string.Join("", words);
    }
}
