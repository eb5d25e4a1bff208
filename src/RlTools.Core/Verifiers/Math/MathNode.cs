using System.Text;

namespace RlTools.Core.Verifiers.Math;

/// <summary>Node of a parsed math answer. <see cref="ToString"/> gives a canonical plain-text form (used for Normalized).</summary>
internal abstract class MathNode
{
    public abstract void Write(StringBuilder sb);
    public override string ToString() { var sb = new StringBuilder(); Write(sb); return sb.ToString(); }
}

/// <summary>A number literal, kept exact; <see cref="DecimalPlaces"/> &gt; 0 for decimal literals (rounding rules).</summary>
internal sealed class NumberNode(BigRational value, int decimalPlaces) : MathNode
{
    public BigRational Value { get; } = value;
    public int DecimalPlaces { get; } = decimalPlaces;
    public override void Write(StringBuilder sb)
    {
        if (DecimalPlaces > 0)
        {
            double d = Value.ToDouble();
            sb.Append(d.ToString("0.############", System.Globalization.CultureInfo.InvariantCulture));
        }
        else sb.Append(Value.ToString());
    }
}

internal enum ConstKind { Pi, E, I, Infinity }

internal sealed class ConstNode(ConstKind kind) : MathNode
{
    public ConstKind Kind { get; } = kind;
    public override void Write(StringBuilder sb) => sb.Append(Kind switch { ConstKind.Pi => "pi", ConstKind.E => "e", ConstKind.I => "i", _ => "oo" });
}

internal sealed class SymbolNode(string name) : MathNode
{
    public string Name { get; } = name;
    public override void Write(StringBuilder sb) => sb.Append(Name);
}

internal sealed class TextNode(string text) : MathNode
{
    public string Text { get; } = text;
    public override void Write(StringBuilder sb) => sb.Append('"').Append(Text).Append('"');
}

internal sealed class AddNode(List<MathNode> terms) : MathNode
{
    public List<MathNode> Terms { get; } = terms;
    public override void Write(StringBuilder sb)
    {
        for (int i = 0; i < Terms.Count; i++)
        {
            if (i > 0) sb.Append(" + ");
            Terms[i].Write(sb);
        }
    }
}

internal sealed class MulNode(List<MathNode> factors) : MathNode
{
    public List<MathNode> Factors { get; } = factors;
    public override void Write(StringBuilder sb)
    {
        for (int i = 0; i < Factors.Count; i++)
        {
            if (i > 0) sb.Append('*');
            Paren(sb, Factors[i]);
        }
    }
    internal static void Paren(StringBuilder sb, MathNode n)
    {
        bool p = n is AddNode or RelNode or NegNode or PlusMinusNode;
        if (p) sb.Append('(');
        n.Write(sb);
        if (p) sb.Append(')');
    }
}

internal sealed class DivNode(MathNode num, MathNode den) : MathNode
{
    public MathNode Num { get; } = num;
    public MathNode Den { get; } = den;
    public override void Write(StringBuilder sb)
    {
        sb.Append('('); Num.Write(sb); sb.Append(")/("); Den.Write(sb); sb.Append(')');
    }
}

internal sealed class NegNode(MathNode inner) : MathNode
{
    public MathNode Inner { get; } = inner;
    public override void Write(StringBuilder sb) { sb.Append('-'); MulNode.Paren(sb, Inner); }
}

internal sealed class PowNode(MathNode b, MathNode e) : MathNode
{
    public MathNode Base { get; } = b;
    public MathNode Exp { get; } = e;
    public override void Write(StringBuilder sb)
    {
        bool pb = Base is not (NumberNode or SymbolNode or ConstNode);
        if (pb) sb.Append('(');
        Base.Write(sb);
        if (pb) sb.Append(')');
        sb.Append("^(");
        Exp.Write(sb);
        sb.Append(')');
    }
}

/// <summary>A function application: sin, cos, ..., ln, log (with optional base), sqrt/root (Index = degree), abs, floor, ceil, fact.</summary>
internal sealed class FuncNode(string name, MathNode arg, MathNode? index = null) : MathNode
{
    public string Name { get; } = name;
    public MathNode Arg { get; } = arg;
    public MathNode? Index { get; } = index;
    public override void Write(StringBuilder sb)
    {
        sb.Append(Name);
        if (Index is not null) { sb.Append('['); Index.Write(sb); sb.Append(']'); }
        sb.Append('('); Arg.Write(sb); sb.Append(')');
    }
}

/// <summary>x% (value x/100; compared both with and without the percent).</summary>
internal sealed class PercentNode(MathNode inner) : MathNode
{
    public MathNode Inner { get; } = inner;
    public override void Write(StringBuilder sb) { MulNode.Paren(sb, Inner); sb.Append('%'); }
}

/// <summary>x degrees (compared as x, or as x*pi/180 against a radian answer).</summary>
internal sealed class DegreeNode(MathNode inner) : MathNode
{
    public MathNode Inner { get; } = inner;
    public override void Write(StringBuilder sb) { MulNode.Paren(sb, Inner); sb.Append(" deg"); }
}

/// <summary>a ± b: the set {a + b, a − b}.</summary>
internal sealed class PlusMinusNode(MathNode? left, MathNode right) : MathNode
{
    public MathNode? Left { get; } = left;
    public MathNode Right { get; } = right;
    public override void Write(StringBuilder sb)
    {
        if (Left is not null) { Left.Write(sb); sb.Append(' '); }
        sb.Append("+-"); MulNode.Paren(sb, Right);
    }
}

/// <summary>A relation chain a op1 b op2 c (=, &lt;, &gt;, &lt;=, &gt;=, !=).</summary>
internal sealed class RelNode(List<MathNode> operands, List<string> ops) : MathNode
{
    public List<MathNode> Operands { get; } = operands;
    public List<string> Ops { get; } = ops;
    public override void Write(StringBuilder sb)
    {
        for (int i = 0; i < Operands.Count; i++)
        {
            if (i > 0) sb.Append(' ').Append(Ops[i - 1]).Append(' ');
            Operands[i].Write(sb);
        }
    }
}

/// <summary>A bracketed sequence: (a, b), [a, b), \langle a, b \rangle ... An interval when it has two items and the other side reads as one.</summary>
internal sealed class TupleNode(List<MathNode> items, char open, char close) : MathNode
{
    public List<MathNode> Items { get; } = items;
    public char Open { get; } = open;
    public char Close { get; } = close;
    public override void Write(StringBuilder sb)
    {
        sb.Append(Open);
        for (int i = 0; i < Items.Count; i++) { if (i > 0) sb.Append(", "); Items[i].Write(sb); }
        sb.Append(Close);
    }
}

/// <summary>A set {a, b, ...} (order-insensitive).</summary>
internal sealed class SetNode(List<MathNode> items) : MathNode
{
    public List<MathNode> Items { get; } = items;
    public override void Write(StringBuilder sb)
    {
        sb.Append('{');
        for (int i = 0; i < Items.Count; i++) { if (i > 0) sb.Append(", "); Items[i].Write(sb); }
        sb.Append('}');
    }
}

/// <summary>A top-level answer list "a, b, c" or "a or b" (order-insensitive against another list or a set).</summary>
internal sealed class ListNode(List<MathNode> items) : MathNode
{
    public List<MathNode> Items { get; } = items;
    public override void Write(StringBuilder sb)
    {
        for (int i = 0; i < Items.Count; i++) { if (i > 0) sb.Append(", "); Items[i].Write(sb); }
    }
}

/// <summary>A union of intervals or sets.</summary>
internal sealed class UnionNode(List<MathNode> parts) : MathNode
{
    public List<MathNode> Parts { get; } = parts;
    public override void Write(StringBuilder sb)
    {
        for (int i = 0; i < Parts.Count; i++) { if (i > 0) sb.Append(" U "); Parts[i].Write(sb); }
    }
}

/// <summary>A matrix (pmatrix, bmatrix, ...): rows of cells.</summary>
internal sealed class MatrixNode(List<List<MathNode>> rows) : MathNode
{
    public List<List<MathNode>> Rows { get; } = rows;
    public override void Write(StringBuilder sb)
    {
        sb.Append('[');
        for (int r = 0; r < Rows.Count; r++)
        {
            if (r > 0) sb.Append("; ");
            for (int c = 0; c < Rows[r].Count; c++) { if (c > 0) sb.Append(", "); Rows[r][c].Write(sb); }
        }
        sb.Append(']');
    }
}
