namespace RlTools.Core.Chat.Jinja;

// The template syntax tree, shaped like Jinja2's own nodes (jinja2/nodes.py) so the parser and
// interpreter can follow Jinja2's grammar and semantics one to one.

internal abstract record Node(int Line);

internal abstract record Expr(int Line) : Node(Line);
internal sealed record ConstExpr(int Line, object? Value) : Expr(Line);
internal sealed record NameExpr(int Line, string Name) : Expr(Line);
internal sealed record ListExpr(int Line, List<Expr> Items) : Expr(Line);
internal sealed record TupleExpr(int Line, List<Expr> Items) : Expr(Line);
internal sealed record DictExpr(int Line, List<(Expr Key, Expr Value)> Items) : Expr(Line);
internal sealed record AttrExpr(int Line, Expr Target, string Name) : Expr(Line);
internal sealed record ItemExpr(int Line, Expr Target, Expr Key) : Expr(Line);
internal sealed record SliceExpr(int Line, Expr? Start, Expr? Stop, Expr? Step) : Expr(Line);
internal sealed record CallArgs(List<Expr> Args, List<(string Name, Expr Value)> Kwargs, Expr? DynArgs, Expr? DynKwargs);
internal sealed record CallExpr(int Line, Expr Callee, CallArgs Args) : Expr(Line);
internal sealed record FilterExpr(int Line, Expr? Target, string Name, CallArgs Args) : Expr(Line);
internal sealed record TestExpr(int Line, Expr Target, string Name, CallArgs Args, bool Negated) : Expr(Line);
internal sealed record BinaryExpr(int Line, string Op, Expr Left, Expr Right) : Expr(Line);
internal sealed record UnaryExpr(int Line, string Op, Expr Operand) : Expr(Line);
internal sealed record CompareExpr(int Line, Expr First, List<(string Op, Expr Operand)> Rest) : Expr(Line);
internal sealed record CondExpr(int Line, Expr Test, Expr Then, Expr? Else) : Expr(Line);
internal sealed record ConcatExpr(int Line, List<Expr> Items) : Expr(Line);

internal abstract record Stmt(int Line) : Node(Line);
internal sealed record DataStmt(int Line, string Text) : Stmt(Line);
internal sealed record OutputStmt(int Line, Expr Value) : Stmt(Line);
internal sealed record ForStmt(int Line, Expr Target, Expr Iter, List<Stmt> Body, List<Stmt> Else, Expr? Filter, bool Recursive) : Stmt(Line);
internal sealed record IfStmt(int Line, Expr Test, List<Stmt> Body, List<Stmt> Else) : Stmt(Line);
internal sealed record AssignStmt(int Line, Expr Target, Expr Value) : Stmt(Line);
internal sealed record AssignBlockStmt(int Line, Expr Target, FilterExpr? Filter, List<Stmt> Body) : Stmt(Line);
internal sealed record MacroStmt(int Line, string Name, List<string> Params, List<Expr> Defaults, List<Stmt> Body, bool UsesVarargs, bool UsesKwargs, bool UsesCaller) : Stmt(Line);
internal sealed record CallBlockStmt(int Line, CallExpr Call, MacroStmt Caller) : Stmt(Line);
internal sealed record FilterBlockStmt(int Line, FilterExpr Filter, List<Stmt> Body) : Stmt(Line);
internal sealed record WithStmt(int Line, List<Expr> Targets, List<Expr> Values, List<Stmt> Body) : Stmt(Line);
internal sealed record GenerationStmt(int Line, List<Stmt> Body) : Stmt(Line);
internal sealed record BreakStmt(int Line) : Stmt(Line);
internal sealed record ContinueStmt(int Line) : Stmt(Line);
