using System.Globalization;
using System.Management.Automation;

namespace RlTools.Commands;

/// <summary>Export-RlPlot: line charts (PNG) of metrics from pipeline objects, e.g. Import-Csv metrics.csv.</summary>
[Cmdlet(VerbsData.Export, "RlPlot", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(FileInfo))]
public sealed class ExportRlPlotCommand : RlCmdlet
{
    private readonly List<PSObject> _rows = new();

    /// <summary>Rows with numeric properties (metrics records, Import-Csv rows, update results).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>PNG file to write.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>PNG file to write, taken as typed (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>Property plotted on the y axis; several give several lines.</summary>
    [Parameter(Mandatory = true)]
    public string[] Y { get; set; } = Array.Empty<string>();

    /// <summary>Property for the x axis (default: step).</summary>
    [Parameter]
    public string X { get; set; } = "step";

    /// <summary>Property whose distinct values become separate lines (e.g. estimator).</summary>
    [Parameter]
    public string? GroupBy { get; set; }

    /// <summary>Chart title (default: the y properties).</summary>
    [Parameter]
    public string? Title { get; set; }

    /// <summary>Image width in pixels.</summary>
    [Parameter]
    [ValidateRange(100, 10000)]
    public int Width { get; set; } = 800;

    /// <summary>Image height in pixels.</summary>
    [Parameter]
    [ValidateRange(100, 10000)]
    public int Height { get; set; } = 500;

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject != null) _rows.Add(InputObject);
    }

    protected override void EndProcessing()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        if (literal) Path = LiteralPath;
        string full = ResolveSinglePath(Path, literal);
        if (_rows.Count == 0)
            ThrowRlError("NoRowsToPlot", ErrorCategory.InvalidData, Path, "No rows reached Export-RlPlot. Pipe metric rows into it, e.g. Import-Csv metrics.csv | Export-RlPlot -Y reward -Path reward.png.");
        if (File.Exists(full) && !Force)
            ThrowRlError("FileExists", ErrorCategory.ResourceExists, Path, $"'{Path}' exists. Use -Force to overwrite it.");

        var names = new List<string>();
        var xs = new List<double[]>();
        var ys = new List<double[]>();
        IEnumerable<IGrouping<string, PSObject>> groups = GroupBy is null
            ? _rows.GroupBy(_ => "")
            : _rows.GroupBy(r => Convert.ToString(Property(r, GroupBy)?.Value, CultureInfo.InvariantCulture) ?? "");
        foreach (var group in groups)
        {
            foreach (string y in Y)
            {
                double[] xv = group.Select((r, i) => Number(r, X) is double d ? d : i).ToArray();
                double[] yv = group.Select(r => Number(r, y) ?? double.NaN).ToArray();
                if (yv.All(double.IsNaN))
                    ThrowRlError("NoNumericValues", ErrorCategory.InvalidData, y, $"No row has a numeric '{y}' property. Check the column name (found: {string.Join(", ", _rows[0].Properties.Select(p => p.Name))}).");
                names.Add(GroupBy is null ? y : Y.Length == 1 ? group.Key : group.Key + " " + y);
                xs.Add(xv);
                ys.Add(yv);
            }
        }
        if (!ShouldProcess(full, "Write plot")) return;
        try
        {
            Engine.SavePlot(full, Title ?? string.Join(", ", Y), X, Y.Length == 1 ? Y[0] : "value", names, xs, ys, Width, Height);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            ThrowRlError("PlotWriteFailed", ErrorCategory.WriteError, Path, $"Could not write '{Path}': {e.Message}", e);
        }
        WriteObject(new FileInfo(full));
    }

    /// <summary>
    /// The row's property of that name, case-insensitively and, failing that, ignoring underscores, so that the
    /// snake_case names of metrics files (kl_loss, response_length) find the record properties (KlLoss, ResponseLength).
    /// </summary>
    private static PSPropertyInfo? Property(PSObject row, string name)
    {
        if (row.Properties[name] is { } exact) return exact;
        string bare = name.Replace("_", "");
        return row.Properties.FirstOrDefault(p => string.Equals(p.Name.Replace("_", ""), bare, StringComparison.OrdinalIgnoreCase));
    }

    private static double? Number(PSObject row, string property)
    {
        object? value = Property(row, property)?.Value;
        if (value is null) return null;
        if (value is PSObject pso) value = pso.BaseObject;
        return value switch
        {
            double d => d,
            float f => f,
            int i => i,
            long l => l,
            bool b => b ? 1 : 0,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) => p,
            IConvertible c when value is not string => c.ToDouble(CultureInfo.InvariantCulture),
            _ => null,
        };
    }
}
