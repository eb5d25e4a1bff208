using System.Diagnostics;
using System.Management.Automation;
using RlTools.Core.IO;

namespace RlTools.Commands;

/// <summary>One rate-limited progress bar: nothing for the first half second, then at most four updates a second, Completed at the end.</summary>
internal sealed class ProgressReporter(Cmdlet cmdlet, int activityId, string activity)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _last = -1;
    private bool _shown;

    /// <summary>Reports progress; <paramref name="fraction"/> &lt; 0 when the total is unknown.</summary>
    public void Tick(double fraction, long count, string what)
    {
        long ms = _clock.ElapsedMilliseconds;
        if (ms < 500 || ms - _last < 250) return;
        _last = ms;
        _shown = true;
        var record = new ProgressRecord(activityId, activity, $"{count:N0} {what}")
        {
            PercentComplete = fraction >= 0 ? (int)Math.Clamp(fraction * 100, 0, 100) : -1,
        };
        cmdlet.WriteProgress(record);
    }

    public void Complete()
    {
        if (_shown) cmdlet.WriteProgress(new ProgressRecord(activityId, activity, "done") { RecordType = ProgressRecordType.Completed });
        _shown = false;
    }
}

internal static class DataCmdletSupport
{
    /// <summary>Values that PowerShell puts into maps (PSObject wrappers, PSCustomObject) as plain values for the writers.</summary>
    public static object? UnwrapPowerShell(object value)
    {
        if (value is not PSObject ps) return value;
        if (ps.BaseObject is PSCustomObject)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (PSPropertyInfo p in ps.Properties) map[p.Name] = p.Value;
            return map;
        }
        return ps.BaseObject;
    }

    /// <summary>A bad line or row as a non-terminating ErrorRecord: stable id, InvalidData, the location as target.</summary>
    public static ErrorRecord RecordError(RecordFormatException e, string errorId)
        => new(new InvalidDataException(e.Message, e), errorId, ErrorCategory.InvalidData, new RecordLocation(e.File, e.Line, e.Field));
}
