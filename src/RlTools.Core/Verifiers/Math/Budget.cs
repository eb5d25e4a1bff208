using System.Diagnostics;

namespace RlTools.Core.Verifiers.Math;

/// <summary>Thrown when a check runs out of its time or size budget; the verifier reports it as "not verified".</summary>
internal sealed class BudgetExceededException(string what) : Exception(what);

/// <summary>
/// A time and work budget for one check, polled in every parser and evaluator loop and recursion,
/// so that no input (deep nesting, huge powers, megabyte strings) can keep a check running past
/// the deadline. Two deadlines: the soft one (the verifier's TimeBudgetMs) stops a check only once it
/// has done real work (<see cref="SoftMinSteps"/> polls), so a garbage-collection pause or a
/// descheduled thread does not turn a cheap check into a false "incorrect"; the hard one
/// (<see cref="HardLimit"/>) stops any check. <see cref="Enter"/>/<see cref="Exit"/> bound the recursion depth.
/// </summary>
internal sealed class Budget
{
    public const int MaxDepth = 120;

    /// <summary>Polls after which the soft deadline applies.</summary>
    public const int SoftMinSteps = 4096;

    /// <summary>Wall-clock limit that stops every check.</summary>
    public static readonly TimeSpan HardLimit = TimeSpan.FromMilliseconds(40);

    private readonly long _soft;
    private readonly long _hard;
    private int _counter;
    private int _depth;

    public Budget(TimeSpan limit)
    {
        long now = Stopwatch.GetTimestamp();
        _soft = now + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        _hard = now + (long)(System.Math.Max(limit.TotalSeconds, HardLimit.TotalSeconds) * Stopwatch.Frequency);
    }

    public static Budget Unlimited => new(TimeSpan.FromDays(1));

    public void Check()
    {
        if ((++_counter & 31) != 0) return;
        long now = Stopwatch.GetTimestamp();
        if (now > _hard || (now > _soft && _counter > SoftMinSteps))
            throw new BudgetExceededException("time budget exceeded");
    }

    public void Enter()
    {
        if (++_depth > MaxDepth) throw new BudgetExceededException("nesting too deep");
        Check();
    }

    public void Exit() => _depth--;
}
