using RlTools.Core;
using System.Globalization;

namespace RlTools.Core.Tasks;

/// <summary>
/// Countdown-style puzzles: reach a target with the given numbers, each used exactly once, with
/// + − × ÷ and parentheses (the "numbers round" of the TV game, in the use-every-number form popular
/// for RLVR demos). Prompt <c>3 7 25 -> 250:</c>, gold answer <c>250</c> (the target, a plain number),
/// demonstration completion <c>(3+7)*25=250</c> (the expression, then its value, so a
/// verifier that reads the final number also accepts it). Every puzzle is solvable: the target is the value of a
/// random expression over the numbers. Difficulty levels:
/// <list type="table">
/// <item><term>1</term><description>2 numbers in 1..9, + −</description></item>
/// <item><term>2</term><description>3 numbers in 1..9, + −</description></item>
/// <item><term>3</term><description>3 numbers in 1..9, + − × (default)</description></item>
/// <item><term>4</term><description>3 numbers in 1..25, + − ×</description></item>
/// <item><term>5</term><description>4 numbers in 1..25, + − × ÷</description></item>
/// <item><term>6</term><description>4 numbers: three in 1..10 and one of 25, 50, 75, 100; + − × ÷</description></item>
/// </list>
/// Intermediate values stay non-negative integers (a − b with a ≥ b, exact division only) and targets
/// are 1..999. Because the gold answer is only the target, a verifier that compares final numbers
/// cannot tell a solution from a completion that just repeats the target: use <see cref="Check"/>
/// (each number exactly once, exact rational evaluation) to verify a completion properly.
/// </summary>
public sealed class CountdownTask : IVerifiableTask
{
    /// <summary>Registry name.</summary>
    public const string RegistryName = "Countdown";

    private static readonly (int Count, int Max, string Operators, bool Large)[] Levels =
    {
        (2, 9, "+-", false), (3, 9, "+-", false), (3, 9, "+-*", false), (3, 25, "+-*", false), (4, 25, "+-*/", false), (4, 10, "+-*/", true),
    };

    public string Name => RegistryName;
    public string Description => "Reach a target with given numbers, each used once: '3 7 25 -> 250:' (answer 250, e.g. (3+7)*25).";
    public int MinDifficulty => 1;
    public int MaxDifficulty => Levels.Length;
    public int DefaultDifficulty => 3;

    public string DescribeDifficulty(int difficulty)
    {
        var l = Level(difficulty);
        string range = l.Large ? $"{l.Count - 1} in 1..{l.Max} and one of 25 50 75 100" : $"in 1..{l.Max}";
        return $"{l.Count} numbers {range}, operators {string.Join(" ", l.Operators.ToCharArray())}";
    }

    private static (int Count, int Max, string Operators, bool Large) Level(int difficulty)
    {
        if (difficulty < 1 || difficulty > Levels.Length) throw new ArgumentOutOfRangeException(nameof(difficulty), $"Countdown difficulty is 1 to {Levels.Length}.");
        return Levels[difficulty - 1];
    }

    private sealed record Node(long Value, string Text, int Precedence, char Op);

    public TaskProblem Sample(SplitMix64 random, int difficulty)
    {
        var level = Level(difficulty);
        for (int attempt = 0; ; attempt++)
        {
            var numbers = new long[level.Count];
            for (int i = 0; i < numbers.Length; i++) numbers[i] = random.Next(1, level.Max + 1);
            if (level.Large) numbers[^1] = 25 * random.Next(1, 5);
            Shuffle(numbers, random);
            Node? expr = Combine(numbers, level.Operators, random);
            if (expr is null || expr.Value < 1 || expr.Value > 999)
            {
                if (attempt > 10_000) throw new InvalidOperationException("Countdown: could not draw a valid puzzle."); // unreachable in practice
                continue;
            }
            string numberText = string.Join(' ', numbers.Select(n => n.ToString(CultureInfo.InvariantCulture)));
            string target = expr.Value.ToString(CultureInfo.InvariantCulture);
            string key = string.Join(',', numbers.OrderBy(n => n).Select(n => n.ToString(CultureInfo.InvariantCulture))) + "->" + target;
            return new TaskProblem(RegistryName, key, $"{numberText} -> {target}:", target, expr.Text + "=" + target, difficulty)
            {
                Extra = new Dictionary<string, object?> { ["numbers"] = numbers, ["target"] = expr.Value },
            };
        }
    }

    private static void Shuffle(long[] a, SplitMix64 random)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }

    // Combines random pairs until one expression is left; null when no operator is valid for a pair.
    private static Node? Combine(long[] numbers, string operators, SplitMix64 random)
    {
        var pool = numbers.Select(n => new Node(n, n.ToString(CultureInfo.InvariantCulture), 3, ' ')).ToList();
        while (pool.Count > 1)
        {
            int i = random.Next(pool.Count);
            Node left = pool[i]; pool.RemoveAt(i);
            int j = random.Next(pool.Count);
            Node right = pool[j]; pool.RemoveAt(j);
            var valid = operators.Where(op => op switch
            {
                '/' => right.Value > 1 && left.Value % right.Value == 0 || left.Value > 1 && right.Value % left.Value == 0,
                '*' => left.Value * right.Value <= 100_000,
                _ => true,
            }).ToArray();
            if (valid.Length == 0) return null;
            char op = valid[random.Next(valid.Length)];
            if ((op == '-' && right.Value > left.Value) || (op == '/' && !(right.Value > 1 && left.Value % right.Value == 0)))
                (left, right) = (right, left);
            long value = op switch { '+' => left.Value + right.Value, '-' => left.Value - right.Value, '*' => left.Value * right.Value, _ => left.Value / right.Value };
            int prec = op is '+' or '-' ? 1 : 2;
            string l = left.Precedence < prec ? "(" + left.Text + ")" : left.Text;
            bool rightParens = right.Precedence < prec || (right.Precedence == prec && op is '-' or '/');
            string r = rightParens ? "(" + right.Text + ")" : right.Text;
            pool.Add(new Node(value, l + op + r, prec, op));
        }
        return pool[0];
    }

    /// <summary>
    /// Checks a completion: the expression before the first '=' or line break must use each given
    /// number exactly once (integers, + - * / and the signs × ÷, parentheses, spaces) and evaluate
    /// exactly to the target (rational arithmetic, so 7/2*2 = 7). Returns why not, or null when correct.
    /// </summary>
    public static string? Check(IReadOnlyList<long> numbers, long target, string? completion)
    {
        ArgumentNullException.ThrowIfNull(numbers);
        if (string.IsNullOrWhiteSpace(completion)) return "the completion is empty";
        string text = completion;
        int cut = text.IndexOfAny(new[] { '=', '\n', '\r' });
        if (cut >= 0) text = text[..cut];
        var parser = new ExpressionParser(text);
        (long Num, long Den)? value;
        try { value = parser.Parse(); }
        catch (FormatException e) { return e.Message; }
        catch (OverflowException) { return "the expression overflows"; }
        if (value is null) return "division by zero";
        var used = parser.Numbers.OrderBy(n => n).ToArray();
        var given = numbers.OrderBy(n => n).ToArray();
        if (!used.SequenceEqual(given))
            return $"the expression uses {string.Join(" ", used)}, not each of {string.Join(" ", given)} exactly once";
        var (num, den) = value.Value;
        if (den != 1 || num != target) return $"the expression equals {num}{(den == 1 ? "" : "/" + den)}, not {target}";
        return null;
    }

    private sealed class ExpressionParser(string text)
    {
        private int _pos;
        public List<long> Numbers { get; } = new();

        public (long, long)? Parse()
        {
            var v = Sum();
            Skip();
            if (_pos < text.Length) throw new FormatException($"unexpected '{text[_pos]}' at position {_pos + 1}");
            if (Numbers.Count == 0) throw new FormatException("the expression has no numbers");
            return v;
        }

        private void Skip() { while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++; }

        private (long, long)? Sum()
        {
            var v = Product();
            while (true)
            {
                Skip();
                if (_pos >= text.Length || (text[_pos] != '+' && text[_pos] != '-' && text[_pos] != '−')) return v;
                char op = text[_pos++];
                var r = Product();
                if (v is null || r is null) { v = null; continue; }
                var (a, b) = v.Value; var (c, d) = r.Value;
                v = Reduce(checked(op == '+' ? a * d + c * b : a * d - c * b), checked(b * d));
            }
        }

        private (long, long)? Product()
        {
            var v = Atom();
            while (true)
            {
                Skip();
                if (_pos >= text.Length || "*/×÷x".IndexOf(text[_pos]) < 0) return v;
                char op = text[_pos++];
                var r = Atom();
                if (v is null || r is null) { v = null; continue; }
                var (a, b) = v.Value; var (c, d) = r.Value;
                if (op is '*' or '×' or 'x') v = Reduce(checked(a * c), checked(b * d));
                else v = c == 0 ? null : Reduce(checked(a * d), checked(b * c));
            }
        }

        private (long, long)? Atom()
        {
            Skip();
            if (_pos >= text.Length) throw new FormatException("the expression ends early");
            if (text[_pos] == '(')
            {
                _pos++;
                var v = Sum();
                Skip();
                if (_pos >= text.Length || text[_pos] != ')') throw new FormatException("a parenthesis is not closed");
                _pos++;
                return v;
            }
            int start = _pos;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
            if (start == _pos) throw new FormatException($"expected a number at position {start + 1}");
            long n = long.Parse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture);
            Numbers.Add(n);
            return (n, 1);
        }

        private static (long, long) Reduce(long num, long den)
        {
            if (den < 0) { num = -num; den = -den; }
            long g = Gcd(Math.Abs(num), den);
            return g == 0 ? (0, 1) : (num / g, den / g);
        }

        private static long Gcd(long a, long b) { while (b != 0) (a, b) = (b, a % b); return a; }
    }
}
