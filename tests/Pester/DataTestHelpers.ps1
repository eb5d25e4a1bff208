# Shared fixtures for the data cmdlet tests (dot-sourced in BeforeAll).

# A rollout that uses every field type, with the awkward values each format must keep.
function New-FullRollout {
    $r = [RlTools.Core.Records.Rollout]::new()
    $r.PromptId = 'gsm8k:7 "q", ü'
    $r.SampleIndex = 3
    $r.Prompt = "Line one`nline two, ""quoted"", tab`t 漢字 😀"
    $r.Answer = ''
    $r.Completion = "  lead, comma`r`n CRLF "
    $r.FinishReason = 'length'
    $r.PromptTokens = [int[]](1, -2, [int]::MaxValue, [int]::MinValue)
    $r.CompletionTokens = [int[]]@()
    $r.Logprobs = [float[]](-0.1, [float]::NaN, [float]::NegativeInfinity, [float]::Epsilon, [float]::MaxValue, ([float]1 / 3))
    $r.Entropies = [float[]]([float]::PositiveInfinity, 0)
    $r.RefLogprobs = $null
    $r.PromptLogprobs = [float[]](-2.5, [float]::NaN, -0.0, [float]::NegativeInfinity)
    $r.Values = [float[]](1e-40)
    $r.Reward = 0.1 + 0.2
    $r.Rewards = [System.Collections.Generic.Dictionary[string, System.Nullable[double]]]::new()
    $r.Rewards['math'] = 1.0
    $r.Rewards['format'] = $null
    $r.Rewards['nan'] = [double]::NaN
    $r.BaselineReward = -0.0
    $r.Advantage = [double]::NegativeInfinity
    $r.TokenAdvantages = [float[]](0.5, -0.5)
    $r.LossMask = [float[]](1, 0, 0.25)
    $r.IsExpert = $true
    $r.Temperatures = [float[]](1.05, 0.95)
    $r.NodeId = 'gsm8k:7/0/"1"'
    $r.ParentId = 'gsm8k:7/0'
    $r.Depth = 1
    $r.CutPositions = [int[]](0, 3)
    $r.IsProbe = $true
    $r.IsHint = $true
    $r.HintRatio = 0.25
    $r.EffectiveRank = 3.5
    $r.EffectiveRankVelocity = -0.0
    $r.EffectiveRankAcceleration = [double]::NaN
    $r.Step = 12
    $nested = [System.Collections.Generic.Dictionary[string, object]]::new()
    $nested['deep'] = $true
    $list = [System.Collections.Generic.List[object]]::new()
    $list.Add([long]1); $list.Add('two'); $list.Add(3.5); $list.Add($null)
    $r.Metadata['int'] = [long]42
    $r.Metadata['double'] = 2.0
    $r.Metadata['nan'] = [double]::NaN
    $r.Metadata['text'] = 'NaN'
    $r.Metadata['none'] = $null
    $r.Metadata['list'] = $list
    $r.Metadata['map'] = $nested
    $r.Extra['judge'] = 'gpt'
    $r.Extra['numeric_text'] = '5'
    $r.Extra['score'] = 0.75
    $r.Extra['count'] = [long]3
    $r
}

function New-SmallRollout([string] $Id, [int] $Index = 0) {
    [RlTools.Core.Records.Rollout]@{ PromptId = $Id; SampleIndex = $Index; Prompt = 'p'; Completion = 'c' }
}

function Get-RolloutDifference($Expected, $Actual) {
    [RlTools.Core.IO.RolloutEquality]::Difference($Expected, $Actual)
}
