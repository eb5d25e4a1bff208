using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>Which producer Invoke-RlRollout runs (plain values only: the cmdlet side never touches Torch types).</summary>
internal enum RolloutMode { Sample, Continue, Probe, Tree }

/// <summary>The open rollout stage's settings, as the cmdlet collected them (PolicyEngine turns them into engine requests).</summary>
internal sealed class RolloutPowers
{
    public RolloutMode Mode { get; init; }
    public bool Dedup { get; init; } = true;

    // Probe
    public string CutAt { get; init; } = "LowProbability";
    public double ProbeThreshold { get; init; } = 0.9;
    public int ProbeInterval { get; init; } = 1;
    public string StepDelimiter { get; init; } = ".\n\n";
    public int[] CutPositions { get; init; } = [];
    public int ProbeSamples { get; init; } = 4;
    public string? ProbeSuffix { get; init; }
    public bool ProbeAnswer { get; init; }

    // Tree
    public int[] Branching { get; init; } = [];
    public int SegmentTokens { get; init; } = 100;

    // Hint: per prompt the reference text (or null), the ratio per prompt (or one for all), the hinted samples per prompt
    public IReadOnlyList<string?>? HintTexts { get; init; }
    public IReadOnlyList<double>? HintRatios { get; init; }
    public double HintRatio { get; init; }
    public int? HintSamples { get; init; }

    // HAPO adaptive temperature
    public bool AdaptiveTemperature { get; init; }
    public double TemperatureTau { get; init; } = 0.05;
    public double EntropyPivot { get; init; } = 0.8;
    public IReadOnlyList<Rollout>? EntropyBaseline { get; init; }

    // VERL effective rank
    public bool EffectiveRank { get; init; }
    public int RankStride { get; init; } = 40;
    public int RankWindow { get; init; } = 512;
}
