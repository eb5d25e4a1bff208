namespace RlTools.Core.Records;

/// <summary>
/// One optimizer step of <c>Update-RlPolicy</c>. Every metric is a plain property (no nested map), so
/// <c>Export-Csv</c> writes one column per metric and <c>Import-Csv | Export-RlPlot -Y reward, kl_loss</c> plots them.
/// </summary>
public sealed class UpdateResult
{
    public int Step { get; set; }
    /// <summary>Total objective of the step.</summary>
    public double Loss { get; set; }
    /// <summary>The policy-gradient term.</summary>
    public double PgLoss { get; set; }
    /// <summary>The KL term as it enters the loss (before the coefficient); 0 without -KLCoefficient.</summary>
    public double KlLoss { get; set; }
    /// <summary>The entropy term as it enters the loss (before the coefficient); 0 without -EntropyCoefficient.</summary>
    public double EntropyLoss { get; set; }
    /// <summary>The expert (SFT) term of hybrid objectives; 0 otherwise.</summary>
    public double ExpertLoss { get; set; }
    /// <summary>KL-Cov's share of tokens it penalised (verl's metric); null for losses that single out no tokens.</summary>
    public double? SelectedFrac { get; set; }
    public double Kl { get; set; }
    public double Entropy { get; set; }
    public double ClipFrac { get; set; }
    public double ClipFracLower { get; set; }
    public double ApproxKl { get; set; }
    public double GradNorm { get; set; }
    public double Lr { get; set; }
    public long Tokens { get; set; }
    public double Seconds { get; set; }
    /// <summary>Mean reward of the batch's on-policy rollouts (null when none has a reward).</summary>
    public double? Reward { get; set; }
    /// <summary>Share of rewards equal to 1 when every reward of the batch is 0 or 1; null otherwise.</summary>
    public double? Accuracy { get; set; }
    /// <summary>Mean completion length in tokens of the batch's on-policy rollouts.</summary>
    public double? ResponseLength { get; set; }
    /// <summary>True when the step was skipped (non-finite loss or gradient); weights unchanged.</summary>
    public bool Skipped { get; set; }
    /// <summary>Why the step was skipped, if it was.</summary>
    public string? SkipReason { get; set; }
}
