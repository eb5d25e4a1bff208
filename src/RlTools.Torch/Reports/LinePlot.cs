using RlTools.Core.IO;

namespace RlTools.Torch.Reports;

/// <summary>One named series of (x, y) points; NaN y values are gaps.</summary>
public sealed record PlotSeries(string Name, double[] X, double[] Y);

/// <summary>
/// Line charts of run metrics (reward, accuracy, entropy, KL, length per step) as PNG files,
/// drawn with ScottPlot. Written atomically (temp file + rename).
/// </summary>
public static class LinePlot
{
    /// <summary>Writes one chart with every series in <paramref name="series"/> to <paramref name="path"/>.</summary>
    public static void SavePng(string path, string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series, int width = 800, int height = 500)
    {
        using var plot = Build(title, xLabel, yLabel, series);
        byte[] png = plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }

    /// <summary>The chart <see cref="SavePng"/> draws; the caller disposes it.</summary>
    internal static ScottPlot.Plot Build(string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series)
    {
        if (series.Count == 0) throw new ArgumentException("There is nothing to plot: no series.", nameof(series));
        var plot = new ScottPlot.Plot();
        try
        {
            foreach (PlotSeries s in series)
            {
                if (s.X.Length != s.Y.Length) throw new ArgumentException($"Series '{s.Name}' has {s.X.Length} x values but {s.Y.Length} y values.", nameof(series));
                var scatter = plot.Add.Scatter(s.X, s.Y);
                scatter.LegendText = s.Name;
                scatter.MarkerSize = s.X.Length > 60 ? 0 : 4;
            }
            plot.Title(title);
            plot.XLabel(xLabel);
            plot.YLabel(yLabel);
            // Steps are whole numbers: no 2.5 ticks on a short run.
            if (series.All(s => s.X.All(x => !double.IsFinite(x) || x == Math.Floor(x))))
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            // The legend sits beside the data area, so it never hides the last points; one series needs none (ScottPlot
            // would draw one inside the data area for a series with a name).
            if (series.Count > 1) plot.ShowLegend(ScottPlot.Edge.Right);
            else plot.HideLegend();
            return plot;
        }
        catch
        {
            plot.Dispose();
            throw;
        }
    }
}
