using System.Diagnostics;

namespace RlTools.Core.Verifiers.Math;

/// <summary>Thrown when a check runs out of its time or size budget; the verifier reports it as "not verified".</summary>
internal sealed class BudgetExceededException(string what) : Exception(what);

/// <summary>
/// A time and work budget for one check, polled in every parser and evaluator loop and recursion, so that no input (deep
/// nesting, huge powers, megabyte strings) can keep a check running past its deadline. Time is the checking thread's own
/// CPU time (<see cref="ThreadClock"/>): waiting for a core on a loaded machine does not count, so an input gets the same
/// result under any load (a wall-clock budget turned cheap checks into "not verified" when 40 builds shared two cores).
/// Two CPU deadlines: the soft one (the verifier's TimeBudgetMs) stops a check only once it has done real work
/// (<see cref="SoftMinSteps"/> polls); the hard one (<see cref="HardLimit"/>) stops any check. A wall-clock cap
/// (<see cref="WallCap"/>, at least 50 times the CPU limit) still bounds a check that is starved of CPU, so nothing hangs.
/// <see cref="Enter"/>/<see cref="Exit"/> bound the recursion depth.
/// </summary>
internal sealed class Budget
{
    public const int MaxDepth = 120;

    /// <summary>Polls after which the soft deadline applies.</summary>
    public const int SoftMinSteps = 4096;

    /// <summary>CPU-time limit that stops every check.</summary>
    public static readonly TimeSpan HardLimit = TimeSpan.FromMilliseconds(40);

    /// <summary>Wall-clock cap: a check starved of CPU still ends (2 s, or 50 times the CPU limit when that is more).</summary>
    public static TimeSpan WallCap(TimeSpan limit) => TimeSpan.FromSeconds(System.Math.Max(2.0, 50 * System.Math.Max(limit.TotalSeconds, HardLimit.TotalSeconds)));

    private readonly double _soft;
    private readonly double _hard;
    private readonly long _wall;
    private int _counter;
    private int _depth;

    public Budget(TimeSpan limit)
    {
        double now = ThreadClock.NowSeconds();
        _soft = now + limit.TotalSeconds;
        _hard = now + System.Math.Max(limit.TotalSeconds, HardLimit.TotalSeconds);
        _wall = Stopwatch.GetTimestamp() + (long)(System.Math.Min(WallCap(limit).TotalSeconds, 1e7) * Stopwatch.Frequency);
    }

    public static Budget Unlimited => new(TimeSpan.FromDays(1));

    public void Check()
    {
        if ((++_counter & 31) != 0) return;
        double now = ThreadClock.NowSeconds();
        if (now > _hard || (now > _soft && _counter > SoftMinSteps) || Stopwatch.GetTimestamp() > _wall)
            throw new BudgetExceededException("time budget exceeded");
    }

    public void Enter()
    {
        if (++_depth > MaxDepth) throw new BudgetExceededException("nesting too deep");
        Check();
    }

    public void Exit() => _depth--;
}
