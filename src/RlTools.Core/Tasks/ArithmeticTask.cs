using RlTools.Core;
using System.Globalization;

namespace RlTools.Core.Tasks;

/// <summary>
/// Multi-digit integer arithmetic: prompts like <c>12+34=</c> with the gold answer <c>46</c> — short,
/// so a tiny byte-level policy can learn it on a CPU. The difficulty knob sets the operand size and the
/// operators:
/// <list type="table">
/// <item><term>1</term><description>1 digit, +</description></item>
/// <item><term>2</term><description>2 digits, + (default; the demo's 2-digit addition)</description></item>
/// <item><term>3</term><description>2 digits, + −</description></item>
/// <item><term>4</term><description>3 digits, + −</description></item>
/// <item><term>5</term><description>2 digits, + − ×</description></item>
/// <item><term>6</term><description>3 digits, + − ×</description></item>
/// <item><term>7</term><description>4 digits, + − ×</description></item>
/// <item><term>8</term><description>5 digits, + − ×</description></item>
/// </list>
/// Operands are uniform in [0, 10^d − 1]; subtraction puts the larger operand first (answers are never
/// negative); the second factor of a product has ⌈d/2⌉ digits. The operator is drawn uniformly. The
/// answer is the exact integer in invariant-culture digits; the completion is the answer itself.
/// <para>
/// The fixed-width variant (<c>ArithmeticFixed</c>) zero-pads operands to d digits and the
/// demonstration to the widest possible result (<c>07+45=</c>, demonstration <c>052</c>): every
/// digit then has a fixed position, which a tiny model learns far faster (the carry becomes the
/// first digit). The gold answer stays the plain integer (<c>52</c>); the Math verifier compares
/// numbers, so <c>052</c> is judged correct. Both variants share the held-out split: the split hashes
/// the task family and the unpadded expression, so a problem held out in one is held out in the other.
/// </para>
/// </summary>
public sealed class ArithmeticTask : IVerifiableTask
{
    /// <summary>Registry name.</summary>
    public const string RegistryName = "Arithmetic";

    /// <summary>Registry name of the fixed-width variant.</summary>
    public const string FixedWidthName = "ArithmeticFixed";

    private readonly bool _fixedWidth;

    /// <summary>Plain (<c>12+34=</c>) or fixed-width (<c>12+34=</c> padded, e.g. <c>07+45=</c> / <c>052</c>).</summary>
    public ArithmeticTask(bool fixedWidth = false) => _fixedWidth = fixedWidth;

    private static readonly (int Digits, string Operators)[] Levels =
    {
        (1, "+"), (2, "+"), (2, "+-"), (3, "+-"), (2, "+-*"), (3, "+-*"), (4, "+-*"), (5, "+-*"),
    };

    public string Name => _fixedWidth ? FixedWidthName : RegistryName;
    public string Description => _fixedWidth
        ? "Integer arithmetic with zero-padded operands and results, e.g. '07+45=' (answer 52, demonstration 052); difficulty = digits and operators."
        : "Integer arithmetic prompts such as '12+34=' (answer 46); difficulty = digits and operators.";
    public int MinDifficulty => 1;
    public int MaxDifficulty => Levels.Length;
    public int DefaultDifficulty => 2;

    public string DescribeDifficulty(int difficulty)
    {
        var (d, ops) = Level(difficulty);
        return $"{d} digit{(d == 1 ? "" : "s")}, operators {string.Join(" ", ops.ToCharArray())}";
    }

    private static (int Digits, string Operators) Level(int difficulty)
    {
        if (difficulty < 1 || difficulty > Levels.Length) throw new ArgumentOutOfRangeException(nameof(difficulty), $"Arithmetic difficulty is 1 to {Levels.Length}.");
        return Levels[difficulty - 1];
    }

    public TaskProblem Sample(SplitMix64 random, int difficulty)
    {
        var (digits, ops) = Level(difficulty);
        char op = ops[random.Next(ops.Length)];
        long max = Pow10(digits);
        long a = random.Next(0, max);
        long b = random.Next(0, op == '*' ? Pow10((digits + 1) / 2) : max);
        if (op == '-' && b > a) (a, b) = (b, a);
        long answer = op switch { '+' => a + b, '-' => a - b, _ => a * b };
        string expression = string.Create(CultureInfo.InvariantCulture, $"{a}{op}{b}");
        string text = answer.ToString(CultureInfo.InvariantCulture);
        string prompt = expression + "=", solution = text;
        if (_fixedWidth)
        {
            int bDigits = op == '*' ? (digits + 1) / 2 : digits;
            int resultDigits = op switch { '+' => digits + 1, '-' => digits, _ => digits + bDigits };
            prompt = string.Create(CultureInfo.InvariantCulture, $"{a.ToString("D" + digits, CultureInfo.InvariantCulture)}{op}{b.ToString("D" + bDigits, CultureInfo.InvariantCulture)}=");
            solution = answer.ToString("D" + resultDigits, CultureInfo.InvariantCulture);
        }
        return new TaskProblem(RegistryName, expression, prompt, text, solution, difficulty)
        {
            Extra = new Dictionary<string, object?> { ["operator"] = op.ToString(), ["operands"] = new[] { a, b } },
        };
    }

    private static long Pow10(int d)
    {
        long p = 1;
        for (int i = 0; i < d; i++) p *= 10;
        return p;
    }
}
