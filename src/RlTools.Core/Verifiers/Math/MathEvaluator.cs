using System.Numerics;

namespace RlTools.Core.Verifiers.Math;

/// <summary>
/// Evaluates a parsed answer two ways. <see cref="Exact"/>: rational arithmetic over BigInteger
/// (integer powers, perfect roots, factorials, binomials), null as soon as anything is not
/// rational or too large. <see cref="Numeric"/>: complex double arithmetic with a value for every
/// free variable; real roots of negative numbers for odd degrees; NaN when undefined.
/// </summary>
internal sealed class MathEvaluator(Budget budget)
{
    private readonly Budget _budget = budget;

    public BigRational? Exact(MathNode n)
    {
        _budget.Enter();
        try { return ExactCore(n); }
        catch (OverflowException) { return null; }
        catch (DivideByZeroException) { return null; }
        finally { _budget.Exit(); }
    }

    private BigRational? ExactCore(MathNode n)
    {
        switch (n)
        {
            case NumberNode num: return num.Value;
            case NegNode neg: return Exact(neg.Inner) is { } nv ? -nv : null;
            case AddNode add:
            {
                var sum = BigRational.Zero;
                foreach (var t in add.Terms) { if (Exact(t) is not { } tv) return null; sum += tv; }
                return sum;
            }
            case MulNode mul:
            {
                var prod = BigRational.One;
                foreach (var f in mul.Factors) { if (Exact(f) is not { } fv) return null; prod *= fv; }
                return prod;
            }
            case DivNode div:
            {
                if (Exact(div.Num) is not { } a || Exact(div.Den) is not { } b || b.IsZero) return null;
                return a / b;
            }
            case PowNode pow:
            {
                if (Exact(pow.Exp) is not { } e || Exact(pow.Base) is not { } b) return null;
                if (e.IsInteger) return BigRational.Pow(b, e.Num);
                if (e.Den > 64) return null;
                if (b.Sign < 0 && e.Den.IsEven) return null;
                var root = BigRational.Root(b, (int)e.Den);
                return root is null ? null : BigRational.Pow(root.Value, e.Num);
            }
            case FuncNode f:
                switch (f.Name)
                {
                    case "sqrt":
                    {
                        int k = 2;
                        if (f.Index is not null)
                        {
                            if (Exact(f.Index) is not { IsInteger: true } idx || idx.Num < 1 || idx.Num > 64) return null;
                            k = (int)idx.Num;
                        }
                        return Exact(f.Arg) is { } a ? BigRational.Root(a, k) : null;
                    }
                    case "abs": return Exact(f.Arg) is { } av ? (av.Sign < 0 ? -av : av) : null;
                    case "fact":
                    {
                        if (Exact(f.Arg) is not { IsInteger: true } fv || fv.Sign < 0 || fv.Num > 1000) return null;
                        var r = BigInteger.One;
                        for (int i = 2; i <= (int)fv.Num; i++) { r *= i; _budget.Check(); }
                        return BigRational.FromInt(r);
                    }
                    case "binom":
                    {
                        if (f.Arg is not TupleNode { Items.Count: 2 } t) return null;
                        if (Exact(t.Items[0]) is not { IsInteger: true } nn || Exact(t.Items[1]) is not { IsInteger: true } kk) return null;
                        if (nn.Num > 100000 || kk.Sign < 0 || kk.Num > nn.Num || nn.Sign < 0) return kk.Sign < 0 || (nn.Sign >= 0 && kk.Num > nn.Num) ? BigRational.Zero : null;
                        var k = (int)BigInteger.Min(kk.Num, nn.Num - kk.Num);
                        if (k > 2000) return null;
                        var r = BigInteger.One;
                        for (int i = 1; i <= k; i++) { r = r * (nn.Num - k + i) / i; _budget.Check(); }
                        return BigRational.FromInt(r);
                    }
                    case "floor":
                    case "ceil":
                    {
                        if (Exact(f.Arg) is not { } xv) return null;
                        var q = BigInteger.DivRem(xv.Num, xv.Den, out var rem);
                        if (rem.Sign < 0) q -= 1; // floor for negatives
                        if (f.Name == "ceil" && !xv.IsInteger) q += 1;
                        return BigRational.FromInt(q);
                    }
                    default: return null;
                }
            case PercentNode pc: return Exact(pc.Inner) is { } p ? p / BigRational.FromInt(100) : null;
            case DegreeNode dg: return Exact(dg.Inner);
            default: return null;
        }
    }

    public Complex Numeric(MathNode n, IReadOnlyDictionary<string, Complex> env)
    {
        _budget.Enter();
        try { return NumericCore(n, env); }
        finally { _budget.Exit(); }
    }

    private static readonly Complex NaN = new(double.NaN, double.NaN);

    private Complex NumericCore(MathNode n, IReadOnlyDictionary<string, Complex> env)
    {
        switch (n)
        {
            case NumberNode num: return num.Value.ToDouble();
            case ConstNode c:
                return c.Kind switch { ConstKind.Pi => System.Math.PI, ConstKind.E => System.Math.E, ConstKind.I => Complex.ImaginaryOne, _ => double.PositiveInfinity };
            case SymbolNode s: return env.TryGetValue(s.Name, out var v) ? v : NaN;
            case NegNode neg: { var x = Numeric(neg.Inner, env); return new Complex(-x.Real, x.Imaginary == 0 ? 0 : -x.Imaginary); }
            case AddNode add:
            {
                Complex sum = 0;
                foreach (var t in add.Terms) sum += Numeric(t, env);
                return sum;
            }
            case MulNode mul:
            {
                Complex prod = 1;
                foreach (var f in mul.Factors) prod = Mul(prod, Numeric(f, env));
                return prod;
            }
            case DivNode div:
            {
                var a = Numeric(div.Num, env);
                var b = Numeric(div.Den, env);
                if (b == Complex.Zero) return NaN;
                if (b.Imaginary == 0 && a.Imaginary == 0) return a.Real / b.Real;
                return a / b;
            }
            case PowNode pow:
            {
                var b = Numeric(pow.Base, env);
                var e = Numeric(pow.Exp, env);
                return Pow(b, e, Exact(pow.Exp));
            }
            case FuncNode f: return Function(f, env);
            case PercentNode pc: return Numeric(pc.Inner, env) / 100.0;
            case DegreeNode dg: return Numeric(dg.Inner, env);
            default: return NaN;
        }
    }

    private static Complex Mul(Complex a, Complex b)
    {
        if (a.Imaginary == 0 && b.Imaginary == 0) return a.Real * b.Real;
        return a * b;
    }

    private static Complex Pow(Complex b, Complex e, BigRational? exactExp)
    {
        if (b.Imaginary == 0 && e.Imaginary == 0)
        {
            double br = b.Real, er = e.Real;
            if (br >= 0 || double.IsInfinity(br)) return System.Math.Pow(br, er);
            if (er == System.Math.Floor(er)) return System.Math.Pow(br, er);
            // Negative base: real odd roots (x^(1/3) of -8 is -2), complex otherwise.
            if (exactExp is { } q && !q.Den.IsEven && q.Den <= 64)
            {
                double mag = System.Math.Pow(-br, er);
                return q.Num.IsEven ? mag : -mag;
            }
        }
        if (b == Complex.Zero) return e.Real > 0 ? Complex.Zero : NaN;
        return Complex.Pow(b, e);
    }

    private Complex Function(FuncNode f, IReadOnlyDictionary<string, Complex> env)
    {
        if (f.Name == "binom" || f.Name == "fact")
        {
            if (Exact(f) is { } ex) return ex.ToDouble();
            // binom(n, k) for a symbolic n and an integer k: prod_{i=1..k} (n - k + i) / i
            if (f.Name == "binom" && f.Arg is TupleNode { Items.Count: 2 } bt && Exact(bt.Items[1]) is { IsInteger: true } bk && bk.Sign >= 0 && bk.Num <= 200)
            {
                var n = Numeric(bt.Items[0], env);
                int k = (int)bk.Num;
                Complex prod = 1;
                for (int i = 1; i <= k; i++) prod = prod * (n - k + i) / i;
                return prod;
            }
            return NaN;
        }
        // sin 30° reads its argument in degrees.
        var x = f.Arg is DegreeNode dg && f.Name is "sin" or "cos" or "tan" or "cot" or "sec" or "csc"
            ? Numeric(dg.Inner, env) * (System.Math.PI / 180)
            : Numeric(f.Arg, env);
        bool real = x.Imaginary == 0;
        double r = x.Real;
        switch (f.Name)
        {
            case "sqrt":
            {
                double k = 2;
                BigRational? kx = null;
                if (f.Index is not null)
                {
                    kx = Exact(f.Index);
                    var kk = Numeric(f.Index, env);
                    if (kk.Imaginary != 0 || kk.Real == 0) return NaN;
                    k = kk.Real;
                }
                if (real && r >= 0) return System.Math.Pow(r, 1 / k);
                if (real && kx is { IsInteger: true } ki && !ki.Num.IsEven) return -System.Math.Pow(-r, 1 / k);
                return Complex.Pow(x, 1 / k);
            }
            case "abs": return Complex.Abs(x);
            case "sin": return real ? System.Math.Sin(r) : Complex.Sin(x);
            case "cos": return real ? System.Math.Cos(r) : Complex.Cos(x);
            case "tan": return real ? System.Math.Tan(r) : Complex.Tan(x);
            case "cot": return 1 / (real ? System.Math.Tan(r) : Complex.Tan(x));
            case "sec": return 1 / (real ? System.Math.Cos(r) : Complex.Cos(x));
            case "csc": return 1 / (real ? System.Math.Sin(r) : Complex.Sin(x));
            case "arcsin": return real && System.Math.Abs(r) <= 1 ? System.Math.Asin(r) : Complex.Asin(x);
            case "arccos": return real && System.Math.Abs(r) <= 1 ? System.Math.Acos(r) : Complex.Acos(x);
            case "arctan": return real ? System.Math.Atan(r) : Complex.Atan(x);
            case "sinh": return Complex.Sinh(x);
            case "cosh": return Complex.Cosh(x);
            case "tanh": return Complex.Tanh(x);
            case "exp": return real ? System.Math.Exp(r) : Complex.Exp(x);
            case "ln": return real && r > 0 ? System.Math.Log(r) : Complex.Log(x);
            case "log":
            {
                if (f.Index is not null)
                {
                    var b = Numeric(f.Index, env);
                    if (real && r > 0 && b.Imaginary == 0 && b.Real > 0) return System.Math.Log(r) / System.Math.Log(b.Real);
                    return Complex.Log(x) / Complex.Log(b);
                }
                return real && r > 0 ? System.Math.Log10(r) : Complex.Log10(x);
            }
            case "floor": return real ? System.Math.Floor(r) : NaN;
            case "ceil": return real ? System.Math.Ceiling(r) : NaN;
            default: return NaN;
        }
    }

    /// <summary>Free variables of an expression.</summary>
    public static void Symbols(MathNode n, HashSet<string> into, Budget budget)
    {
        budget.Enter();
        try
        {
            switch (n)
            {
                case SymbolNode s: into.Add(s.Name); break;
                case AddNode a: foreach (var t in a.Terms) Symbols(t, into, budget); break;
                case MulNode m: foreach (var t in m.Factors) Symbols(t, into, budget); break;
                case DivNode d: Symbols(d.Num, into, budget); Symbols(d.Den, into, budget); break;
                case NegNode g: Symbols(g.Inner, into, budget); break;
                case PowNode p: Symbols(p.Base, into, budget); Symbols(p.Exp, into, budget); break;
                case FuncNode { Name: "lim" }: break; // its variable is bound
                case FuncNode f: Symbols(f.Arg, into, budget); if (f.Index is not null) Symbols(f.Index, into, budget); break;
                case PercentNode pc: Symbols(pc.Inner, into, budget); break;
                case DegreeNode dg: Symbols(dg.Inner, into, budget); break;
                case TupleNode t: foreach (var i in t.Items) Symbols(i, into, budget); break;
                case RelNode r: foreach (var i in r.Operands) Symbols(i, into, budget); break;
            }
        }
        finally { budget.Exit(); }
    }
}
