using System.Diagnostics;

namespace RlTools.Core.Verifiers.Math;

/// <summary>Thrown when a check runs out of its time or size budget; the verifier reports it as "not verified".</summary>
internal sealed class BudgetExceededException(string what) : Exception(what);

/// <summary>
/// A time and work budget for one check, polled in every parser and evaluator loop and recursion,
/// so that no input (deep nesting, huge powers, megabyte strings) can keep a check running past
/// the deadline. <see cref="Enter"/>/<see cref="Exit"/> bound the recursion depth.
/// </summary>
internal sealed class Budget
{
    public const int MaxDepth = 120;
    private readonly long _deadline;
    private int _counter;
    private int _depth;

    public Budget(TimeSpan limit) => _deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);

    public static Budget Unlimited => new(TimeSpan.FromDays(1));

    public void Check()
    {
        if ((++_counter & 31) == 0 && Stopwatch.GetTimestamp() > _deadline)
            throw new BudgetExceededException("time budget exceeded");
    }

    public void Enter()
    {
        if (++_depth > MaxDepth) throw new BudgetExceededException("nesting too deep");
        Check();
    }

    public void Exit() => _depth--;
}
