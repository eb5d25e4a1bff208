using RlTools.Torch.Reports;

namespace RlTools.Torch.Tests.Reports;

public class LinePlotTests
{
    private static double[] Ramp(int n) => Enumerable.Range(1, n).Select(i => (double)i).ToArray();

    /// <summary>Major tick positions of the bottom axis after drawing the chart at the default size.</summary>
    private static double[] BottomTicks(ScottPlot.Plot plot)
    {
        plot.GetImageBytes(800, 500, ScottPlot.ImageFormat.Png);
        return plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Position).ToArray();
    }

    [Fact]
    public void A_three_step_run_gets_whole_number_step_ticks()
    {
        // Without integer ticks, three steps across 800 pixels are labelled 1, 1.5, 2, 2.5, 3.
        using var plot = LinePlot.Build("reward", "step", "value", [new PlotSeries("reward", Ramp(3), [0.1, 0.4, 0.2])]);
        var ticks = BottomTicks(plot);
        Assert.True(ticks.Length >= 2, $"ticks: {string.Join(", ", ticks)}");
        Assert.All(ticks, t => Assert.Equal(Math.Round(t), t));
    }

    [Fact]
    public void Fractional_x_values_keep_fractional_ticks()
    {
        using var plot = LinePlot.Build("loss", "epoch", "value", [new PlotSeries("loss", [0.5, 1.0, 1.5], [1, 2, 3])]);
        Assert.Contains(BottomTicks(plot), t => t != Math.Round(t));
    }

    [Fact]
    public void Several_series_get_a_legend_outside_the_data_area()
    {
        using var plot = LinePlot.Build("metrics", "step", "value",
            [new PlotSeries("reward", Ramp(4), [0, 1, 0, 1]), new PlotSeries("kl_loss", Ramp(4), [0.1, 0.2, 0.3, 0.4])]);
        Assert.False(plot.Legend.IsVisible);
        Assert.Contains(plot.Axes.GetPanels(), p => p is ScottPlot.Panels.LegendPanel);
    }

    [Fact]
    public void One_series_needs_no_legend()
    {
        using var plot = LinePlot.Build("reward", "step", "value", [new PlotSeries("reward", Ramp(4), [0, 1, 0, 1])]);
        Assert.False(plot.Legend.IsVisible);
        Assert.DoesNotContain(plot.Axes.GetPanels(), p => p is ScottPlot.Panels.LegendPanel);
    }

    [Fact]
    public void No_series_or_mismatched_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => LinePlot.Build("t", "x", "y", []));
        Assert.Throws<ArgumentException>(() => LinePlot.Build("t", "x", "y", [new PlotSeries("a", [1, 2], [1])]));
    }
}
