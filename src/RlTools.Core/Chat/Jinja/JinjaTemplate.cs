namespace RlTools.Core.Chat.Jinja;

/// <summary>
/// A Jinja template rendered as Python Jinja2 renders it in transformers' environment
/// (<c>ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols, generation])</c>,
/// <c>tojson</c> = <c>json.dumps(ensure_ascii=False)</c>, globals <c>raise_exception</c> and <c>strftime_now</c>):
/// statements, filters, tests, macros, loops with <c>loop.*</c>, break/continue, whitespace control and Python
/// string/dict/list methods. Values follow Python: <c>{{ none }}</c> prints <c>None</c>, floats print as <c>repr</c>,
/// strings index by code point. Errors raise <see cref="JinjaException"/> whose Kind names Jinja2's exception.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly List<Stmt> _body;

    private JinjaTemplate(string source, List<Stmt> body)
    {
        Source = source;
        _body = body;
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>Parses <paramref name="source"/>; a <see cref="JinjaException"/> of kind <c>TemplateSyntaxError</c> when it is malformed.</summary>
    public static JinjaTemplate Parse(string source) => new(source, JinjaParser.Parse(source));

    /// <summary>
    /// Renders with <paramref name="variables"/> (converted by <see cref="PyJson.FromObject"/>). <paramref name="now"/>
    /// is the clock of <c>strftime_now</c> (local time by default).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, Func<DateTime>? now = null)
    {
        var vars = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in variables) vars[kv.Key] = PyJson.FromObject(kv.Value);
        try
        {
            return new JinjaInterpreter(now ?? (() => DateTime.Now)).Render(_body, vars);
        }
        catch (InvalidCastException e) { throw new JinjaException("TypeError", e.Message); }
        catch (OverflowException e) { throw new JinjaException("OverflowError", e.Message); }
    }
}
