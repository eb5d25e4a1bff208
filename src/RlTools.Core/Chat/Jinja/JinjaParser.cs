namespace RlTools.Core.Chat.Jinja;

/// <summary>A recursive-descent parser following Jinja2's grammar (jinja2/parser.py): statements, then expressions by precedence.</summary>
internal sealed class JinjaParser
{
    private readonly List<Token> _t;
    private int _i;

    private JinjaParser(List<Token> tokens) => _t = tokens;

    public static List<Stmt> Parse(string source)
    {
        var p = new JinjaParser(JinjaLexer.Tokenize(source));
        List<Stmt> body = p.Subparse(null);
        if (p.Cur.Type != TokenType.Eof) throw p.Fail($"unexpected '{p.Cur.Value}'");
        return body;
    }

    private Token Cur => _t[_i];
    private Token Look => _t[Math.Min(_i + 1, _t.Count - 1)];
    private Token Next() => _t[_i++];

    private JinjaException Fail(string message, int? line = null) => JinjaLexer.Syntax(message, line ?? Cur.Line);

    private Token ExpectOp(string op)
    {
        if (!Cur.IsOp(op)) throw Fail($"expected token '{op}', got '{Describe(Cur)}'");
        return Next();
    }

    private Token ExpectName(string? name = null)
    {
        if (Cur.Type != TokenType.Name || (name is not null && Cur.Value != name))
            throw Fail(name is null ? $"expected token 'name', got '{Describe(Cur)}'" : $"expected token '{name}', got '{Describe(Cur)}'");
        return Next();
    }

    private static string Describe(Token t) => t.Type switch
    {
        TokenType.Eof => "end of template",
        TokenType.BlockEnd => "end of statement block",
        TokenType.VarEnd => "end of print statement",
        _ => t.Value,
    };

    private void ExpectBlockEnd()
    {
        if (Cur.Type != TokenType.BlockEnd) throw Fail($"expected token 'end of statement block', got '{Describe(Cur)}'");
        Next();
    }

    private bool SkipName(string name)
    {
        if (!Cur.IsName(name)) return false;
        Next();
        return true;
    }

    private bool SkipOp(string op)
    {
        if (!Cur.IsOp(op)) return false;
        Next();
        return true;
    }

    // ---------- statements ----------

    /// <summary>Parses until a block tag whose name is in <paramref name="endTokens"/> (left as the current token after <c>{%</c>).</summary>
    private List<Stmt> Subparse(string[]? endTokens)
    {
        var body = new List<Stmt>();
        while (true)
        {
            Token tok = Cur;
            switch (tok.Type)
            {
                case TokenType.Eof:
                    if (endTokens is not null) throw Fail($"Unexpected end of template. Jinja was looking for the following tags: {string.Join(" or ", endTokens.Select(e => $"'{e}'"))}.");
                    return body;
                case TokenType.Data:
                    Next();
                    body.Add(new DataStmt(tok.Line, tok.Value));
                    break;
                case TokenType.VarBegin:
                    Next();
                    Expr e = ParseTuple(withCondExpr: true);
                    body.Add(new OutputStmt(tok.Line, e));
                    if (Cur.Type != TokenType.VarEnd) throw Fail($"expected token 'end of print statement', got '{Describe(Cur)}'");
                    Next();
                    break;
                case TokenType.BlockBegin:
                    Next();
                    if (endTokens is not null && Cur.Type == TokenType.Name && endTokens.Contains(Cur.Value)) return body;
                    body.Add(ParseStatement());
                    break;
                default:
                    throw Fail($"unexpected '{Describe(tok)}'");
            }
        }
    }

    private Stmt ParseStatement()
    {
        Token tok = Cur;
        if (tok.Type != TokenType.Name) throw Fail("tag name expected");
        switch (tok.Value)
        {
            case "for": return ParseFor();
            case "if": return ParseIf();
            case "set": return ParseSet();
            case "macro": return ParseMacro();
            case "call": return ParseCallBlock();
            case "filter": return ParseFilterBlock();
            case "with": return ParseWith();
            case "generation":
                {
                    Next(); ExpectBlockEnd();
                    List<Stmt> body = Subparse(["endgeneration"]);
                    Next(); ExpectBlockEnd();
                    return new GenerationStmt(tok.Line, body);
                }
            case "break": Next(); ExpectBlockEnd(); return new BreakStmt(tok.Line);
            case "continue": Next(); ExpectBlockEnd(); return new ContinueStmt(tok.Line);
            default: throw Fail($"Encountered unknown tag '{tok.Value}'.");
        }
    }

    private List<Stmt> ParseBody(string[] ends, bool dropNeedle)
    {
        ExpectBlockEnd();
        List<Stmt> body = Subparse(ends);
        if (dropNeedle) { Next(); ExpectBlockEnd(); }
        return body;
    }

    private Stmt ParseFor()
    {
        int line = Next().Line;
        Expr target = ParseAssignTarget(extraEnd: "in");
        ExpectName("in");
        Expr iter = ParseTuple(withCondExpr: false, extraEnd: "recursive");
        Expr? filter = null;
        if (SkipName("if")) filter = ParseExpression();
        bool recursive = SkipName("recursive");
        List<Stmt> body = ParseBody(["endfor", "else"], dropNeedle: false);
        List<Stmt> els = [];
        if (Next().Value == "else") els = ParseBody(["endfor"], dropNeedle: true);
        else ExpectBlockEnd();
        return new ForStmt(line, target, iter, body, els, filter, recursive);
    }

    private Stmt ParseIf()
    {
        int line = Next().Line;
        Expr test = ParseTuple(withCondExpr: false);
        List<Stmt> body = ParseBody(["elif", "else", "endif"], dropNeedle: false);
        Token t = Next();
        List<Stmt> els = [];
        if (t.Value == "elif")
        {
            _i--; // re-enter as a nested if
            els = [ParseIf()];
            return new IfStmt(line, test, body, els);
        }
        if (t.Value == "else")
        {
            els = ParseBody(["endif"], dropNeedle: true);
            return new IfStmt(line, test, body, els);
        }
        ExpectBlockEnd();
        return new IfStmt(line, test, body, els);
    }

    private Stmt ParseSet()
    {
        int line = Next().Line;
        Expr target = ParseAssignTarget(withNamespace: true);
        if (SkipOp("="))
        {
            Expr value = ParseTuple();
            ExpectBlockEnd();
            return new AssignStmt(line, target, value);
        }
        FilterExpr? filter = null;
        if (Cur.IsOp("|")) filter = (FilterExpr?)ParseFilter(null, startInline: false);
        ExpectBlockEnd();
        List<Stmt> body = Subparse(["endset"]);
        Next(); ExpectBlockEnd();
        return new AssignBlockStmt(line, target, filter, body);
    }

    private Stmt ParseMacro()
    {
        int line = Next().Line;
        string name = ExpectName().Value;
        (List<string> ps, List<Expr> defs) = ParseSignature();
        int start = _i;
        List<Stmt> body = ParseBody(["endmacro"], dropNeedle: true);
        return new MacroStmt(line, name, ps, defs, body, Uses(start, "varargs"), Uses(start, "kwargs"), Uses(start, "caller"));
    }

    private (List<string>, List<Expr>) ParseSignature()
    {
        var ps = new List<string>();
        var defs = new List<Expr>();
        ExpectOp("(");
        while (!Cur.IsOp(")"))
        {
            if (ps.Count > 0) ExpectOp(",");
            string n = ExpectName().Value;
            if (SkipOp("=")) defs.Add(ParseExpression());
            else if (defs.Count > 0) throw Fail("non-default argument follows default argument");
            ps.Add(n);
        }
        ExpectOp(")");
        return (ps, defs);
    }

    /// <summary>Whether a name is read between token <paramref name="start"/> and the current one (Jinja2 gives a macro varargs/kwargs/caller only then).</summary>
    private bool Uses(int start, string name)
    {
        for (int k = start; k < _i; k++) if (_t[k].IsName(name)) return true;
        return false;
    }

    private Stmt ParseCallBlock()
    {
        int line = Next().Line;
        List<string> ps = []; List<Expr> defs = [];
        if (Cur.IsOp("(")) (ps, defs) = ParseSignature();
        Expr call = ParseExpression();
        if (call is not CallExpr ce) throw Fail("expected call", line);
        int start = _i;
        List<Stmt> body = ParseBody(["endcall"], dropNeedle: true);
        return new CallBlockStmt(line, ce, new MacroStmt(line, "caller", ps, defs, body, Uses(start, "varargs"), Uses(start, "kwargs"), false));
    }

    private Stmt ParseFilterBlock()
    {
        int line = Next().Line;
        var f = (FilterExpr)ParseFilter(null, startInline: true)!;
        List<Stmt> body = ParseBody(["endfilter"], dropNeedle: true);
        return new FilterBlockStmt(line, f, body);
    }

    private Stmt ParseWith()
    {
        int line = Next().Line;
        var targets = new List<Expr>();
        var values = new List<Expr>();
        while (Cur.Type != TokenType.BlockEnd)
        {
            if (targets.Count > 0) ExpectOp(",");
            targets.Add(ParseAssignTarget());
            ExpectOp("=");
            values.Add(ParseExpression());
        }
        List<Stmt> body = ParseBody(["endwith"], dropNeedle: true);
        return new WithStmt(line, targets, values, body);
    }

    private Expr ParseAssignTarget(bool withTuple = true, bool nameOnly = false, string? extraEnd = null, bool withNamespace = false)
    {
        if (withNamespace && Look.IsOp("."))
        {
            Token ns = ExpectName();
            Next();
            Token attr = ExpectName();
            return new AttrExpr(ns.Line, new NameExpr(ns.Line, ns.Value), attr.Value);
        }
        Expr target;
        if (nameOnly) { Token n = ExpectName(); target = new NameExpr(n.Line, n.Value); }
        else if (withTuple) target = ParseTuple(simplified: true, extraEnd: extraEnd);
        else target = ParsePrimary();
        if (!IsAssignable(target)) throw Fail($"can't assign to {target.GetType().Name}", target.Line);
        return target;
    }

    private static bool IsAssignable(Expr e) => e is NameExpr || (e is TupleExpr t && t.Items.All(IsAssignable));

    // ---------- expressions ----------

    private bool IsTupleEnd(string? extraEnd) =>
        Cur.Type is TokenType.VarEnd or TokenType.BlockEnd or TokenType.Eof
        || Cur.IsOp(")")
        || (extraEnd is not null && Cur.IsName(extraEnd));

    private Expr ParseTuple(bool simplified = false, bool withCondExpr = true, string? extraEnd = null, bool explicitParens = false)
    {
        int line = Cur.Line;
        var args = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (args.Count > 0) ExpectOp(",");
            if (IsTupleEnd(extraEnd)) break;
            args.Add(simplified ? ParsePrimary() : ParseExpression(withCondExpr));
            if (Cur.IsOp(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (args.Count > 0) return args[0];
            if (!explicitParens) throw Fail($"Expected an expression, got '{Describe(Cur)}'");
        }
        return new TupleExpr(line, args);
    }

    private Expr ParseExpression(bool withCondExpr = true) => withCondExpr ? ParseCondExpr() : ParseOr();

    private Expr ParseCondExpr()
    {
        int line = Cur.Line;
        Expr e1 = ParseOr();
        while (SkipName("if"))
        {
            Expr e2 = ParseOr();
            Expr? e3 = SkipName("else") ? ParseCondExpr() : null;
            e1 = new CondExpr(line, e2, e1, e3);
            line = Cur.Line;
        }
        return e1;
    }

    private Expr ParseOr()
    {
        Expr left = ParseAnd();
        while (Cur.IsName("or")) { int l = Next().Line; left = new BinaryExpr(l, "or", left, ParseAnd()); }
        return left;
    }

    private Expr ParseAnd()
    {
        Expr left = ParseNot();
        while (Cur.IsName("and")) { int l = Next().Line; left = new BinaryExpr(l, "and", left, ParseNot()); }
        return left;
    }

    private Expr ParseNot()
    {
        if (Cur.IsName("not")) { int l = Next().Line; return new UnaryExpr(l, "not", ParseNot()); }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        int line = Cur.Line;
        Expr first = ParseMath1();
        var ops = new List<(string, Expr)>();
        while (true)
        {
            if (Cur.Type == TokenType.Operator && Cur.Value is "==" or "!=" or ">" or ">=" or "<" or "<=")
            {
                string op = Next().Value;
                ops.Add((op, ParseMath1()));
            }
            else if (SkipName("in")) ops.Add(("in", ParseMath1()));
            else if (Cur.IsName("not") && Look.IsName("in")) { Next(); Next(); ops.Add(("notin", ParseMath1())); }
            else break;
            line = Cur.Line;
        }
        return ops.Count == 0 ? first : new CompareExpr(first.Line, first, ops);
    }

    private Expr ParseMath1()
    {
        Expr left = ParseConcat();
        while (Cur.Type == TokenType.Operator && Cur.Value is "+" or "-")
        {
            Token op = Next();
            left = new BinaryExpr(op.Line, op.Value, left, ParseConcat());
        }
        return left;
    }

    private Expr ParseConcat()
    {
        int line = Cur.Line;
        var args = new List<Expr> { ParseMath2() };
        while (SkipOp("~")) args.Add(ParseMath2());
        return args.Count == 1 ? args[0] : new ConcatExpr(line, args);
    }

    private Expr ParseMath2()
    {
        Expr left = ParsePow();
        while (Cur.Type == TokenType.Operator && Cur.Value is "*" or "/" or "//" or "%")
        {
            Token op = Next();
            left = new BinaryExpr(op.Line, op.Value, left, ParsePow());
        }
        return left;
    }

    private Expr ParsePow()
    {
        Expr left = ParseUnary();
        while (Cur.IsOp("**")) { int l = Next().Line; left = new BinaryExpr(l, "**", left, ParseUnary()); }
        return left;
    }

    private Expr ParseUnary(bool withFilter = true)
    {
        Expr node;
        if (Cur.IsOp("-")) { int l = Next().Line; node = new UnaryExpr(l, "-", ParseUnary(false)); }
        else if (Cur.IsOp("+")) { int l = Next().Line; node = new UnaryExpr(l, "+", ParseUnary(false)); }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        if (withFilter) node = ParseFilterExpr(node);
        return node;
    }

    private Expr ParsePrimary()
    {
        Token tok = Cur;
        switch (tok.Type)
        {
            case TokenType.Name:
                Next();
                return tok.Value switch
                {
                    "true" or "True" => new ConstExpr(tok.Line, true),
                    "false" or "False" => new ConstExpr(tok.Line, false),
                    "none" or "None" => new ConstExpr(tok.Line, null),
                    _ => new NameExpr(tok.Line, tok.Value),
                };
            case TokenType.String:
                {
                    Next();
                    string s = tok.Value;
                    while (Cur.Type == TokenType.String) s += Next().Value;
                    return new ConstExpr(tok.Line, s);
                }
            case TokenType.Integer:
            case TokenType.Float:
                Next();
                return new ConstExpr(tok.Line, tok.Literal);
            case TokenType.Operator when tok.Value == "(":
                {
                    Next();
                    Expr e = ParseTuple(explicitParens: true);
                    ExpectOp(")");
                    return e;
                }
            case TokenType.Operator when tok.Value == "[":
                {
                    Next();
                    var items = new List<Expr>();
                    while (!Cur.IsOp("]"))
                    {
                        if (items.Count > 0) ExpectOp(",");
                        if (Cur.IsOp("]")) break;
                        items.Add(ParseExpression());
                    }
                    ExpectOp("]");
                    return new ListExpr(tok.Line, items);
                }
            case TokenType.Operator when tok.Value == "{":
                {
                    Next();
                    var items = new List<(Expr, Expr)>();
                    while (!Cur.IsOp("}"))
                    {
                        if (items.Count > 0) ExpectOp(",");
                        if (Cur.IsOp("}")) break;
                        Expr k = ParseExpression();
                        ExpectOp(":");
                        items.Add((k, ParseExpression()));
                    }
                    ExpectOp("}");
                    return new DictExpr(tok.Line, items);
                }
            default:
                throw Fail($"unexpected '{Describe(tok)}'");
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (Cur.IsOp(".") || Cur.IsOp("[")) node = ParseSubscript(node);
            else if (Cur.IsOp("(")) node = new CallExpr(Cur.Line, node, ParseCallArgs());
            else return node;
        }
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Cur.IsOp("|")) node = ParseFilter(node, startInline: false)!;
            else if (Cur.IsName("is")) node = ParseTest(node);
            else if (Cur.IsOp("(")) node = new CallExpr(Cur.Line, node, ParseCallArgs());
            else return node;
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        Token tok = Next();
        if (tok.IsOp("."))
        {
            Token attr = Next();
            if (attr.Type == TokenType.Name) return new AttrExpr(tok.Line, node, attr.Value);
            if (attr.Type != TokenType.Integer) throw Fail("expected name or number", attr.Line);
            return new ItemExpr(tok.Line, node, new ConstExpr(attr.Line, attr.Literal));
        }
        var args = new List<Expr>();
        while (!Cur.IsOp("]"))
        {
            if (args.Count > 0) ExpectOp(",");
            args.Add(ParseSubscribed());
        }
        ExpectOp("]");
        return new ItemExpr(tok.Line, node, args.Count == 1 ? args[0] : new TupleExpr(tok.Line, args));
    }

    private Expr ParseSubscribed()
    {
        int line = Cur.Line;
        var parts = new List<Expr?>();
        if (Cur.IsOp(":")) { Next(); parts.Add(null); }
        else
        {
            Expr node = ParseExpression();
            if (!Cur.IsOp(":")) return node;
            Next();
            parts.Add(node);
        }
        if (Cur.IsOp(":")) parts.Add(null);
        else if (!Cur.IsOp("]") && !Cur.IsOp(",")) parts.Add(ParseExpression());
        else parts.Add(null);
        if (Cur.IsOp(":"))
        {
            Next();
            parts.Add(!Cur.IsOp("]") && !Cur.IsOp(",") ? ParseExpression() : null);
        }
        else parts.Add(null);
        return new SliceExpr(line, parts[0], parts[1], parts[2]);
    }

    private CallArgs ParseCallArgs()
    {
        Token open = ExpectOp("(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        Expr? dynArgs = null, dynKwargs = null;
        bool requireComma = false;
        void Ensure(bool ok) { if (!ok) throw Fail("invalid syntax for function call expression", open.Line); }
        while (!Cur.IsOp(")"))
        {
            if (requireComma)
            {
                ExpectOp(",");
                if (Cur.IsOp(")")) break;
            }
            if (Cur.IsOp("*")) { Ensure(dynArgs is null && dynKwargs is null); Next(); dynArgs = ParseExpression(); }
            else if (Cur.IsOp("**")) { Ensure(dynKwargs is null); Next(); dynKwargs = ParseExpression(); }
            else if (Cur.Type == TokenType.Name && Look.IsOp("="))
            {
                Ensure(dynKwargs is null);
                string key = Next().Value;
                Next();
                kwargs.Add((key, ParseExpression()));
            }
            else
            {
                Ensure(dynArgs is null && dynKwargs is null && kwargs.Count == 0);
                args.Add(ParseExpression());
            }
            requireComma = true;
        }
        ExpectOp(")");
        return new CallArgs(args, kwargs, dynArgs, dynKwargs);
    }

    private static readonly CallArgs NoArgs = new([], [], null, null);

    private Expr? ParseFilter(Expr? node, bool startInline)
    {
        while (Cur.IsOp("|") || startInline)
        {
            if (!startInline) Next();
            Token tok = ExpectName();
            string name = tok.Value;
            while (Cur.IsOp(".")) { Next(); name += "." + ExpectName().Value; }
            CallArgs args = Cur.IsOp("(") ? ParseCallArgs() : NoArgs;
            node = new FilterExpr(tok.Line, node, name, args);
            startInline = false;
        }
        return node;
    }

    private Expr ParseTest(Expr node)
    {
        Token isTok = Next();
        bool negated = SkipName("not");
        Token tok = ExpectName();
        string name = tok.Value;
        while (Cur.IsOp(".")) { Next(); name += "." + ExpectName().Value; }
        CallArgs args = NoArgs;
        if (Cur.IsOp("(")) args = ParseCallArgs();
        else if ((Cur.Type is TokenType.Name or TokenType.String or TokenType.Integer or TokenType.Float || Cur.IsOp("(") || Cur.IsOp("[") || Cur.IsOp("{"))
                 && !Cur.IsName("else") && !Cur.IsName("or") && !Cur.IsName("and"))
        {
            if (Cur.IsName("is")) throw Fail("You cannot chain multiple tests with is");
            Expr arg = ParsePostfix(ParsePrimary());
            args = new CallArgs([arg], [], null, null);
        }
        return new TestExpr(isTok.Line, node, name, args, negated);
    }
}
