namespace RlTools.Core.Records;

/// <summary>
/// One optimizer step of <c>Update-RlPolicy</c>: the fixed metric set (see help
/// about_RlTools_Metrics). Loss-specific extras go into <see cref="Metrics"/>.
/// </summary>
public sealed class UpdateResult
{
    public int Step { get; set; }
    public double Loss { get; set; }
    public double PgLoss { get; set; }
    public double Kl { get; set; }
    public double Entropy { get; set; }
    public double ClipFrac { get; set; }
    public double ClipFracLower { get; set; }
    public double ApproxKl { get; set; }
    public double GradNorm { get; set; }
    public double Lr { get; set; }
    public long Tokens { get; set; }
    public double Seconds { get; set; }
    /// <summary>True when the step was skipped (non-finite loss or gradient); weights unchanged.</summary>
    public bool Skipped { get; set; }
    /// <summary>Why the step was skipped, if it was.</summary>
    public string? SkipReason { get; set; }
    public Dictionary<string, double> Metrics { get; set; } = new(StringComparer.Ordinal);
}
