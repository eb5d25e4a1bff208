namespace RlTools.Core.Records;

/// <summary>What <c>Measure-RlPolicy</c> reports for one evaluation of a policy on a dataset.</summary>
public sealed class EvaluationResult
{
    /// <summary>Number of prompts evaluated.</summary>
    public int Prompts { get; set; }
    /// <summary>Samples drawn per prompt (n).</summary>
    public int Samples { get; set; }
    /// <summary>Whether decoding was greedy (temperature 0).</summary>
    public bool Greedy { get; set; }
    /// <summary>The verifier that judged correctness.</summary>
    public string Verifier { get; set; } = "";
    /// <summary>pass@1: the mean over prompts of c/n (with greedy decoding and n = 1, plain accuracy).</summary>
    public double PassAt1 { get; set; }
    /// <summary>Unbiased pass@k (Chen et al. 2021) for each requested k ≤ n.</summary>
    public Dictionary<int, double> PassAtK { get; set; } = new();
    /// <summary>Mean reward over all samples (the verifier's score; samples it did not apply to are left out).</summary>
    public double? MeanReward { get; set; }
    /// <summary>Mean completion length in tokens.</summary>
    public double MeanLength { get; set; }
    /// <summary>Fraction of samples that stopped on EOS or a stop string (the rest hit the token limit).</summary>
    public double StopRate { get; set; }
    /// <summary>Wall-clock seconds for sampling and verification.</summary>
    public double Seconds { get; set; }
}
