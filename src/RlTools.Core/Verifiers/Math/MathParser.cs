using System.Globalization;
using System.Numerics;

namespace RlTools.Core.Verifiers.Math;

/// <summary>
/// Recursive-descent parser from tokens to <see cref="MathNode"/>. Grammar, loosest first:
/// list (',' ';' "or" "and") → relation chain (= &lt; &gt; ≤ ≥ ≠ \in) → union (\cup) → sum (+ − ±) →
/// product (* / \cdot \times \div, implicit) → unary sign → postfix (! % °) → power (^, right-assoc)
/// → primary (number, mixed number, identifier with subscript, constant, \frac, \sqrt[n], \binom,
/// function, brackets, \{set\}, |abs|, matrix environment, text). Depth is bounded by
/// <see cref="Budget.MaxDepth"/>.
/// </summary>
internal sealed class MathParser
{
    private readonly List<Token> _t;
    private readonly Budget _budget;
    private int _p;

    private static readonly HashSet<string> FuncCmds = new(StringComparer.Ordinal)
    {
        "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "ln", "log", "exp", "lg", "abs",
    };

    private static readonly Dictionary<string, string> Greek = new(StringComparer.Ordinal)
    {
        ["alpha"] = "α", ["beta"] = "β", ["gamma"] = "γ", ["delta"] = "δ", ["epsilon"] = "ε", ["varepsilon"] = "ε", ["zeta"] = "ζ",
        ["eta"] = "η", ["theta"] = "θ", ["vartheta"] = "θ", ["kappa"] = "κ", ["lambda"] = "λ", ["mu"] = "μ", ["nu"] = "ν", ["xi"] = "ξ",
        ["rho"] = "ρ", ["sigma"] = "σ", ["tau"] = "τ", ["phi"] = "φ", ["varphi"] = "φ", ["chi"] = "χ", ["psi"] = "ψ", ["omega"] = "ω",
        ["Gamma"] = "Γ", ["Delta"] = "Δ", ["Theta"] = "Θ", ["Lambda"] = "Λ", ["Sigma"] = "Σ", ["Phi"] = "Φ", ["Psi"] = "Ψ", ["Omega"] = "Ω",
    };

    private MathParser(List<Token> tokens, Budget budget) { _t = tokens; _budget = budget; }

    /// <summary>Parses an answer; with <paramref name="decimalComma"/> off, "3,5" is the list 3, 5 rather than 3.5.</summary>
    public static MathNode Parse(string text, Budget budget, bool decimalComma = true)
    {
        var tokens = MathLexer.Tokenize(text, budget, decimalComma);
        if (tokens.Count > 1500) throw new MathParseException("answer too long to parse");
        var p = new MathParser(tokens, budget);
        var node = p.ParseList(null);
        if (p.Peek.Kind != TokKind.End) throw new MathParseException($"unexpected '{p.Peek.Text}'");
        return MathSimplifier.Clean(node, budget);
    }

    private Token Peek => _t[_p];
    private Token PeekAt(int k) => _t[System.Math.Min(_p + k, _t.Count - 1)];
    private Token Next() { var t = _t[_p]; if (_p < _t.Count - 1) _p++; return t; }
    private bool IsSym(string s) => Peek.Kind == TokKind.Sym && Peek.Text == s;
    private bool IsCmd(string s) => Peek.Kind == TokKind.Cmd && Peek.Text == s;
    private bool IsWord(string s) => (Peek.Kind is TokKind.Word or TokKind.Text) && string.Equals(Peek.Text.Trim(), s, StringComparison.OrdinalIgnoreCase);

    private void Expect(string sym)
    {
        if (!IsSym(sym)) throw new MathParseException($"expected '{sym}' but found '{Peek.Text}'");
        Next();
    }

    private bool AtSeparator() => IsSym(",") || IsSym(";") || IsWord("or") || IsWord("and") || IsWord(",");

    private bool AtClose(string? close)
    {
        if (Peek.Kind is TokKind.End or TokKind.EndEnv) return true;
        if (Peek.Kind == TokKind.Sym && Peek.Text is ")" or "]" or "}" or "\\}" or "&" or "\\\\") return true;
        if (Peek.Kind == TokKind.Cmd && Peek.Text is "rangle" or "rvert" or "rfloor" or "rceil") return true;
        return close is "|" && IsSym("|");
    }

    /// <summary>Items separated by , ; "or" "and" until a closing token.</summary>
    private MathNode ParseList(string? close)
    {
        var items = ParseItems(close);
        return items.Count == 1 ? items[0] : new ListNode(items);
    }

    private List<MathNode> ParseItems(string? close)
    {
        _budget.Enter();
        try
        {
            var items = new List<MathNode>();
            while (true)
            {
                while (AtSeparator()) Next();
                if (AtClose(close)) break;
                items.Add(ParseRelation(close));
                if (!AtSeparator() && !AtClose(close)) throw new MathParseException($"unexpected '{Peek.Text}'");
                if (items.Count > 500) throw new MathParseException("too many items");
            }
            if (items.Count == 0) throw new MathParseException("empty answer");
            return items;
        }
        finally { _budget.Exit(); }
    }

    private string? RelOp()
    {
        var t = Peek;
        if (t.Kind == TokKind.Sym && t.Text is "=" or "<" or ">" or "<=" or ">=" or "!=") return t.Text;
        if (t.Kind == TokKind.Cmd)
        {
            return t.Text switch
            {
                "le" or "leq" or "leqslant" => "<=", "ge" or "geq" or "geqslant" => ">=", "lt" => "<", "gt" => ">",
                "ne" or "neq" => "!=", "approx" or "simeq" or "thickapprox" => "~", "equiv" or "cong" => "=", "in" => "in", _ => null,
            };
        }
        return null;
    }

    private MathNode ParseRelation(string? close)
    {
        var operands = new List<MathNode> { ParseUnion(close) };
        var ops = new List<string>();
        while (RelOp() is { } op)
        {
            Next();
            ops.Add(op);
            operands.Add(ParseUnion(close));
            if (ops.Count > 20) throw new MathParseException("relation chain too long");
        }
        // An approximation tail is dropped when an exact value comes before it ("m = 2 + 3 = 5 \approx 5.0" is m = 2 + 3 = 5,
        // "2\sqrt{5} \approx 4.47" is 2\sqrt{5}); "x \approx 4.47" alone reads as x = 4.47.
        int approx = ops.IndexOf("~");
        if (approx >= 0)
        {
            if (approx > 0 || operands[0] is not SymbolNode)
            {
                operands.RemoveRange(approx + 1, operands.Count - approx - 1);
                ops.RemoveRange(approx, ops.Count - approx);
            }
            for (int k = 0; k < ops.Count; k++) if (ops[k] == "~") ops[k] = "=";
        }
        return ops.Count == 0 ? operands[0] : new RelNode(operands, ops);
    }

    private MathNode ParseUnion(string? close)
    {
        var parts = new List<MathNode> { ParseSum(close) };
        while (IsCmd("cup") || (Peek.Kind == TokKind.Ident && Peek.Text == "U" && PeekAt(1).Kind == TokKind.Sym && PeekAt(1).Text is "(" or "["))
        {
            Next();
            parts.Add(ParseSum(close));
        }
        return parts.Count == 1 ? parts[0] : new UnionNode(parts);
    }

    private MathNode ParseSum(string? close)
    {
        _budget.Enter();
        try
        {
            var terms = new List<MathNode>();
            MathNode first = ParseProduct(close);
            terms.Add(first);
            MathNode? pm = null;
            while (true)
            {
                _budget.Check();
                if (IsSym("+")) { Next(); terms.Add(ParseProduct(close)); }
                else if (IsSym("-")) { Next(); terms.Add(new NegNode(ParseProduct(close))); }
                else if (IsCmd("pm") || IsCmd("mp"))
                {
                    Next();
                    var right = ParseProduct(close);
                    var left = terms.Count == 1 ? terms[0] : new AddNode(terms);
                    pm = new PlusMinusNode(left, right);
                    terms = new List<MathNode> { pm };
                }
                else break;
                if (terms.Count > 1000) throw new MathParseException("too many terms");
            }
            return terms.Count == 1 ? terms[0] : new AddNode(terms);
        }
        finally { _budget.Exit(); }
    }

    private bool StartsImplicitFactor()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokKind.Num: case TokKind.Ident: case TokKind.Word: case TokKind.Text: case TokKind.BeginEnv: return true;
            case TokKind.Cmd:
                return t.Text is not ("cup" or "cap" or "pm" or "mp" or "cdot" or "times" or "div" or "le" or "leq" or "ge" or "geq" or "lt" or "gt"
                    or "ne" or "neq" or "approx" or "thickapprox" or "in" or "rangle" or "rvert" or "rfloor" or "rceil" or "equiv" or "setminus" or "to" or "circ"
                    or "leqslant" or "geqslant" or "simeq" or "cong" or "ldots" or "cdots" or "dots");
            case TokKind.Sym: return t.Text is "(" or "{" or "\\{";
            default: return false;
        }
    }

    private MathNode ParseProduct(string? close)
    {
        _budget.Enter();
        try
        {
            var factors = new List<MathNode> { ParseUnary(close) };
            while (true)
            {
                _budget.Check();
                if (IsSym("*") || IsCmd("cdot") || IsCmd("times") || IsCmd("ast")) { Next(); factors.Add(ParseUnary(close)); }
                else if (IsSym("/") || IsCmd("div"))
                {
                    Next();
                    var den = ParseUnary(close);
                    var num = factors.Count == 1 ? factors[0] : new MulNode(factors);
                    factors = new List<MathNode> { new DivNode(num, den) };
                }
                else if (StartsImplicitFactor() && !AtSeparator())
                {
                    // Mixed number: 3\frac{1}{2} or "3 1/2".
                    if (factors.Count == 1 && factors[0] is NumberNode whole && whole.DecimalPlaces == 0 && whole.Value.Sign >= 0 && TryMixedFraction(out var frac))
                    {
                        factors[0] = new AddNode(new List<MathNode> { whole, frac! });
                        if (IsSym("%")) { Next(); factors[0] = new PercentNode(factors[0]); }
                        continue;
                    }
                    factors.Add(ParseUnary(close));
                }
                else break;
                if (factors.Count > 1000) throw new MathParseException("too many factors");
            }
            return factors.Count == 1 ? factors[0] : new MulNode(factors);
        }
        finally { _budget.Exit(); }
    }

    private bool TryMixedFraction(out MathNode? frac)
    {
        frac = null;
        int save = _p;
        if (IsCmd("frac"))
        {
            Next();
            var a = ParseLatexArg();
            var b = ParseLatexArg();
            if (a is NumberNode na && b is NumberNode nb && na.Value.IsInteger && nb.Value.IsInteger && na.DecimalPlaces == 0 && nb.DecimalPlaces == 0
                && na.Value.Sign > 0 && na.Value.CompareTo(nb.Value) < 0)
            {
                frac = new DivNode(na, nb);
                return true;
            }
            _p = save;
            return false;
        }
        if (Peek.Kind == TokKind.Num && Peek.SpaceBefore && PeekAt(1).Kind == TokKind.Sym && PeekAt(1).Text == "/" && PeekAt(2).Kind == TokKind.Num)
        {
            var a = ParseNumber(Next().Text);
            Next();
            var b = ParseNumber(Next().Text);
            if (a.DecimalPlaces == 0 && b.DecimalPlaces == 0 && a.Value.CompareTo(b.Value) < 0 && !(PeekAt(0).Kind == TokKind.Sym && PeekAt(0).Text == "^"))
            {
                frac = new DivNode(a, b);
                return true;
            }
            _p = save;
        }
        return false;
    }

    private MathNode ParseUnary(string? close)
    {
        _budget.Enter();
        try
        {
            if (IsSym("-")) { Next(); return new NegNode(ParseUnary(close)); }
            if (IsSym("+")) { Next(); return ParseUnary(close); }
            if (IsCmd("pm") || IsCmd("mp")) { Next(); return new PlusMinusNode(null, ParseUnary(close)); }
            return ParsePostfix(close);
        }
        finally { _budget.Exit(); }
    }

    private MathNode ParsePostfix(string? close)
    {
        var node = ParsePower(close);
        while (true)
        {
            if (IsSym("!")) { Next(); node = new FuncNode("fact", node); }
            else if (IsSym("%")) { Next(); node = new PercentNode(node); }
            else if (IsSym("°") || IsCmd("circ") || IsCmd("degree")) { Next(); node = new DegreeNode(node); }
            else if (IsSym("'")) { Next(); node = new SymbolNode(node + "'"); }
            else break;
        }
        return node;
    }

    private MathNode ParsePower(string? close)
    {
        var b = ParsePrimary(close);
        if (IsSym("^"))
        {
            Next();
            if (IsCmd("circ")) { Next(); return new DegreeNode(b); }
            if (IsSym("{") && PeekAt(1).Kind == TokKind.Cmd && PeekAt(1).Text == "circ" && PeekAt(2).Text == "}") { Next(); Next(); Next(); return new DegreeNode(b); }
            if (IsSym("{") && PeekAt(1).Kind == TokKind.Sym && PeekAt(1).Text == "°" && PeekAt(2).Text == "}") { Next(); Next(); Next(); return new DegreeNode(b); }
            MathNode e;
            if (IsSym("-")) { Next(); e = new NegNode(ParsePowerOperand(close)); }
            else if (IsSym("+")) { Next(); e = ParsePowerOperand(close); }
            else e = ParsePowerOperand(close);
            return new PowNode(b, e);
        }
        return b;
    }

    private MathNode ParsePowerOperand(string? close)
    {
        _budget.Enter();
        try
        {
            if (IsSym("{")) return ParseLatexArg();
            return ParsePower(close);
        }
        finally { _budget.Exit(); }
    }

    private static NumberNode ParseNumber(string text)
    {
        int bar = text.IndexOf('|');
        if (bar > 0)
        {
            // a.b(c) = (abc - ab) / (10^|b| (10^|c| - 1))
            string head = text[..bar], rep = text[(bar + 1)..];
            int dotAt = head.IndexOf('.');
            string whole = head.Remove(dotAt, 1);
            int nonRep = head.Length - dotAt - 1;
            var all = BigInteger.Parse(whole + rep, CultureInfo.InvariantCulture);
            var prefix = BigInteger.Parse(whole.Length == 0 ? "0" : whole, CultureInfo.InvariantCulture);
            var den = BigInteger.Pow(10, nonRep) * (BigInteger.Pow(10, rep.Length) - 1);
            return new NumberNode(new BigRational(all - prefix, den), 0);
        }
        int ePos = text.IndexOfAny(['e', 'E']);
        string mant = ePos >= 0 ? text[..ePos] : text;
        int exp10 = ePos >= 0 ? int.Parse(text[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        int dot = mant.IndexOf('.');
        int places = dot >= 0 ? mant.Length - dot - 1 : 0;
        string digits = dot >= 0 ? mant.Remove(dot, 1) : mant;
        if (digits.Length == 0) digits = "0";
        var n = BigInteger.Parse(digits, CultureInfo.InvariantCulture);
        var value = new BigRational(n, BigInteger.Pow(10, places));
        if (exp10 != 0)
        {
            if (System.Math.Abs(exp10) > 400) throw new MathParseException("exponent too large");
            value = exp10 > 0 ? value * BigRational.FromInt(BigInteger.Pow(10, exp10)) : value / BigRational.FromInt(BigInteger.Pow(10, -exp10));
            places = System.Math.Max(0, places - exp10);
        }
        return new NumberNode(value, places);
    }

    /// <summary>A LaTeX macro argument: {group}, or one digit of a number (\frac12), or one token.</summary>
    private MathNode ParseLatexArg()
    {
        _budget.Enter();
        try
        {
            if (IsSym("{"))
            {
                Next();
                var inner = IsSym("}") ? new TextNode("") : ParseList("}");
                Expect("}");
                return inner;
            }
            if (Peek.Kind == TokKind.Num)
            {
                var t = Peek;
                if (t.Text.Length > 1 && char.IsDigit(t.Text[0]) && char.IsDigit(t.Text[1]))
                {
                    string first = t.Text[..1];
                    t.Text = t.Text[1..];
                    return ParseNumber(first);
                }
                Next();
                return ParseNumber(t.Text);
            }
            if (Peek.Kind == TokKind.Ident) return Ident(Next().Text);
            if (Peek.Kind == TokKind.End) throw new MathParseException("missing argument");
            return ParsePrimary(null);
        }
        finally { _budget.Exit(); }
    }

    private MathNode Ident(string name)
    {
        MathNode node = name switch
        {
            "e" => new ConstNode(ConstKind.E),
            "i" => new ConstNode(ConstKind.I),
            _ => new SymbolNode(name),
        };
        if (IsSym("_"))
        {
            Next();
            var sub = ParseLatexArg();
            node = new SymbolNode(name + "_" + sub);
        }
        return node;
    }

    private MathNode ParsePrimary(string? close)
    {
        _budget.Enter();
        try
        {
            var t = Peek;
            switch (t.Kind)
            {
                case TokKind.Num:
                {
                    Next();
                    var num = ParseNumber(t.Text);
                    if (IsSym("_") && PeekAt(1).Kind is TokKind.Num or TokKind.Sym)
                    {
                        Next();
                        var sub = ParseLatexArg();
                        return new TextNode(t.Text + "_" + sub); // base notation, 1011_2
                    }
                    return num;
                }
                case TokKind.Ident:
                    Next();
                    return Ident(t.Text);
                case TokKind.Word:
                case TokKind.Text:
                    Next();
                    return new TextNode(t.Text.Trim());
                case TokKind.BeginEnv:
                    return ParseEnvironment();
                case TokKind.Sym:
                    return ParseBracket(t);
                case TokKind.Cmd:
                    return ParseCommand(close);
                default:
                    throw new MathParseException(t.Kind == TokKind.End ? "unexpected end" : $"unexpected '{t.Text}'");
            }
        }
        finally { _budget.Exit(); }
    }

    private MathNode ParseBracket(Token t)
    {
        switch (t.Text)
        {
            case "(":
            case "[":
            {
                Next();
                var items = ParseItems(null);
                var closeTok = Next();
                if (closeTok.Kind != TokKind.Sym || closeTok.Text is not (")" or "]"))
                    throw new MathParseException($"expected ')' or ']' but found '{closeTok.Text}'");
                char open = t.Text[0], closeCh = closeTok.Text[0];
                if (items.Count == 1 && items[0] is not ListNode && (open == '(' && closeCh == ')' || open == '[' && closeCh == ']'))
                    return items[0];
                return new TupleNode(items, open, closeCh);
            }
            case "{":
            {
                Next();
                if (IsSym("}")) { Next(); return new TextNode(""); }
                var items = ParseItems("}");
                Expect("}");
                return items.Count == 1 ? items[0] : new SetNode(items);
            }
            case "\\{":
            {
                Next();
                if (IsSym("\\}")) { Next(); return new SetNode(new List<MathNode>()); }
                var items = ParseItems("\\}");
                Expect("\\}");
                return new SetNode(items);
            }
            case "|":
            {
                Next();
                var inner = ParseSum("|");
                Expect("|");
                return new FuncNode("abs", inner);
            }
            default:
                throw new MathParseException($"unexpected '{t.Text}'");
        }
    }

    private MathNode ParseCommand(string? close)
    {
        var t = Next();
        string name = t.Text;
        switch (name)
        {
            case "frac":
            {
                var a = ParseLatexArg();
                var b = ParseLatexArg();
                return new DivNode(a, b);
            }
            case "binom":
            case "dbinom":
            case "tbinom":
            case "choose":
            {
                var a = ParseLatexArg();
                var b = ParseLatexArg();
                return new FuncNode("binom", new TupleNode(new List<MathNode> { a, b }, '(', ')'));
            }
            case "sqrt":
            {
                MathNode? index = null;
                if (IsSym("["))
                {
                    Next();
                    index = ParseSum("]");
                    Expect("]");
                }
                MathNode arg = IsSym("(") ? ParsePrimary(close) : ParseLatexArg();
                return new FuncNode("sqrt", arg, index);
            }
            case "pi": return new ConstNode(ConstKind.Pi);
            case "infty": case "infinity": return new ConstNode(ConstKind.Infinity);
            case "imath": return new ConstNode(ConstKind.I);
            case "emptyset": case "varnothing": return new SetNode(new List<MathNode>());
            case "langle":
            {
                var items = ParseItems(null);
                if (IsCmd("rangle")) Next(); else Expect(")");
                return new TupleNode(items, '(', ')');
            }
            case "lfloor":
            {
                var inner = ParseSum(null);
                if (IsCmd("rfloor")) Next(); else throw new MathParseException("missing \\rfloor");
                return new FuncNode("floor", inner);
            }
            case "lceil":
            {
                var inner = ParseSum(null);
                if (IsCmd("rceil")) Next(); else throw new MathParseException("missing \\rceil");
                return new FuncNode("ceil", inner);
            }
            case "lvert": case "vert":
            {
                var inner = ParseSum("|");
                if (IsCmd("rvert") || IsCmd("vert") || IsSym("|")) Next(); else throw new MathParseException("missing \\rvert");
                return new FuncNode("abs", inner);
            }
            case "ldots": case "cdots": case "dots": return new TextNode("...");
            case "lim":
            {
                // \lim_{t \to 0} f(t): a value with no free variable (t is bound); compared through the equation it sits in
                if (IsSym("_"))
                {
                    Next();
                    if (IsSym("{"))
                    {
                        int depth = 0;
                        do
                        {
                            _budget.Check();
                            if (IsSym("{")) depth++;
                            else if (IsSym("}")) depth--;
                            else if (Peek.Kind == TokKind.End) throw new MathParseException("unclosed \\lim subscript");
                            Next();
                        } while (depth > 0);
                    }
                    else Next();
                }
                return new FuncNode("lim", ParseProduct(close));
            }
        }
        if (Greek.TryGetValue(name, out var g))
        {
            if (IsSym("_")) { Next(); var sub = ParseLatexArg(); return new SymbolNode(g + "_" + sub); }
            return new SymbolNode(g);
        }
        if (FuncCmds.Contains(name)) return ParseFunction(name, close);
        if (name is "mathbb") return new TextNode("R");
        // Any other command is read as a named symbol (\ell, \hbar, ...), so the rest still parses.
        if (IsSym("_")) { Next(); var sub = ParseLatexArg(); return new SymbolNode("\\" + name + "_" + sub); }
        return new SymbolNode("\\" + name);
    }

    private MathNode ParseFunction(string name, string? close)
    {
        MathNode? power = null;
        MathNode? logBase = null;
        if (IsSym("_") && name is "log") { Next(); logBase = ParseLatexArg(); }
        if (IsSym("^"))
        {
            Next();
            power = IsSym("-") ? new NegNode(((Func<MathNode>)(() => { Next(); return ParseLatexArg(); }))()) : ParseLatexArg();
            if (power is NegNode { Inner: NumberNode { Value.IsInteger: true } one } && one.Value.Equals(BigRational.One) && name is "sin" or "cos" or "tan")
            {
                name = "arc" + name;
                power = null;
            }
        }
        MathNode arg;
        if (IsSym("(")) arg = ParsePrimary(close);
        else if (IsSym("{")) arg = ParseLatexArg();
        else
        {
            // \sin x, \sin 2x, \log 8: a sign and a product of tight factors (no further functions)
            bool neg = false;
            if (IsSym("-")) { Next(); neg = true; }
            var factors = new List<MathNode> { ParsePower(close) };
            while ((Peek.Kind is TokKind.Ident || (Peek.Kind == TokKind.Cmd && Peek.Text is "pi" || Greek.ContainsKey(Peek.Text))) && factors.Count < 8)
                factors.Add(ParsePower(close));
            arg = factors.Count == 1 ? factors[0] : new MulNode(factors);
            if (neg) arg = new NegNode(arg);
        }
        MathNode f = name == "log" && logBase is not null ? new FuncNode("log", arg, logBase) : new FuncNode(name == "lg" ? "log" : name, arg);
        return power is null ? f : new PowNode(f, power);
    }

    private MathNode ParseEnvironment()
    {
        var begin = Next();
        var rows = new List<List<MathNode>>();
        var row = new List<MathNode>();
        while (true)
        {
            _budget.Check();
            if (Peek.Kind == TokKind.End) throw new MathParseException($"missing \\end{{{begin.Text}}}");
            if (Peek.Kind == TokKind.EndEnv) { Next(); break; }
            if (IsSym("&")) { Next(); continue; }
            if (IsSym("\\\\"))
            {
                Next();
                if (row.Count > 0) rows.Add(row);
                row = new List<MathNode>();
                continue;
            }
            row.Add(ParseRelation(null));
            if (row.Count > 200 || rows.Count > 200) throw new MathParseException("matrix too large");
        }
        if (row.Count > 0) rows.Add(row);
        if (rows.Count == 0) throw new MathParseException("empty matrix");
        if (begin.Text is "cases" or "aligned" or "align" or "gathered" or "split" or "eqnarray")
        {
            var items = rows.Select(r => r[0]).ToList();
            return items.Count == 1 ? items[0] : new ListNode(items);
        }
        // \begin{vmatrix} is a determinant, a value, not a matrix: |1 2; 3 4| = -2 (Laplace expansion, up to 4 × 4)
        if (begin.Text is "vmatrix")
        {
            if (rows.Count > 4 || rows.Any(r => r.Count != rows.Count)) throw new MathParseException("a determinant needs a square array of at most 4 rows");
            return Determinant(rows);
        }
        return new MatrixNode(rows);
    }

    private static MathNode Determinant(List<List<MathNode>> m)
    {
        if (m.Count == 1) return m[0][0];
        var terms = new List<MathNode>();
        for (int c = 0; c < m.Count; c++)
        {
            var minor = m.Skip(1).Select(r => r.Where((_, k) => k != c).ToList()).ToList();
            MathNode term = new MulNode(new List<MathNode> { m[0][c], Determinant(minor) });
            terms.Add(c % 2 == 0 ? term : new NegNode(term));
        }
        return new AddNode(terms);
    }
}
