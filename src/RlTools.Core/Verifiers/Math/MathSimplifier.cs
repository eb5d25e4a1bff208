namespace RlTools.Core.Verifiers.Math;

/// <summary>
/// Post-parse clean-up: unit words next to numbers are dropped ("18 eggs", "5\text{ cm}^2" → 18, 5),
/// words alone become one text answer ("\text{Monday}"), and single-item lists unwrap.
/// </summary>
internal static class MathSimplifier
{
    public static MathNode Clean(MathNode n, Budget budget)
    {
        budget.Enter();
        try
        {
            switch (n)
            {
                case MulNode m:
                {
                    var fs = m.Factors.Select(f => Clean(f, budget)).ToList();
                    // "x for all x", "5 apples and 3": words after math end the answer
                    int firstWord = fs.FindIndex(IsUnit);
                    if (firstWord > 0 && fs.Skip(firstWord).Any(f => !IsUnit(f))) fs = fs.Take(firstWord).ToList();
                    var math = fs.Where(f => !IsUnit(f)).ToList();
                    if (math.Count == 0) return new TextNode(string.Join(" ", fs.Select(TextOf)));
                    if (math.Count == fs.Count) return new MulNode(fs);
                    return math.Count == 1 ? math[0] : new MulNode(math);
                }
                case AddNode a: return new AddNode(a.Terms.Select(t => Clean(t, budget)).ToList());
                case DivNode d:
                {
                    var num = Clean(d.Num, budget);
                    var den = Clean(d.Den, budget);
                    if (IsUnit(den) && !IsUnit(num)) return num; // "3 miles/hour"
                    return new DivNode(num, den);
                }
                case NegNode g: return new NegNode(Clean(g.Inner, budget));
                case PowNode p: return new PowNode(Clean(p.Base, budget), Clean(p.Exp, budget));
                case FuncNode f: return new FuncNode(f.Name, Clean(f.Arg, budget), f.Index is null ? null : Clean(f.Index, budget));
                case PercentNode pc: return new PercentNode(Clean(pc.Inner, budget));
                case DegreeNode dg: return new DegreeNode(Clean(dg.Inner, budget));
                case PlusMinusNode pm: return new PlusMinusNode(pm.Left is null ? null : Clean(pm.Left, budget), Clean(pm.Right, budget));
                case RelNode r: return new RelNode(r.Operands.Select(o => Clean(o, budget)).ToList(), r.Ops);
                case TupleNode t: return new TupleNode(t.Items.Select(o => Clean(o, budget)).ToList(), t.Open, t.Close);
                case SetNode s: return new SetNode(s.Items.Select(o => Clean(o, budget)).ToList());
                case UnionNode u: return new UnionNode(u.Parts.Select(o => Clean(o, budget)).ToList());
                case ListNode l:
                {
                    var items = l.Items.Select(o => Clean(o, budget)).Where(o => !(o is TextNode tn && tn.Text.Length == 0)).ToList();
                    // "42, which is the total": prose items next to math items are commentary
                    if (items.Any(o => o is not TextNode) && items.Any(o => o is TextNode)) items = items.Where(o => o is not TextNode).ToList();
                    if (items.Count == 0) return new TextNode("");
                    return items.Count == 1 ? items[0] : new ListNode(items);
                }
                case MatrixNode mx: return new MatrixNode(mx.Rows.Select(r => r.Select(o => Clean(o, budget)).ToList()).ToList());
                default: return n;
            }
        }
        finally { budget.Exit(); }
    }

    private static bool IsUnit(MathNode n) => n is TextNode || n is PowNode { Base: TextNode } || n is DivNode { Num: TextNode, Den: TextNode };

    private static string TextOf(MathNode n) => n switch
    {
        TextNode t => t.Text,
        PowNode { Base: TextNode t } => t.Text,
        _ => n.ToString(),
    };
}
