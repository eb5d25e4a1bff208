BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    # RlTools.Core loads on first use; a cmdlet call makes its types resolvable by name.
    $null = Get-RlVerifier

    function New-TestRollout([string] $Completion, [string] $Answer, [string] $Id = 'p1', [int] $Index = 0, [int[]] $Tokens) {
        $r = [RlTools.Core.Records.Rollout]::new()
        $r.PromptId = $Id; $r.SampleIndex = $Index; $r.Completion = $Completion; $r.Answer = $Answer
        if ($Tokens) { $r.CompletionTokens = $Tokens }
        $r
    }

}

Describe 'Measure-RlReward' {
    BeforeAll {
    if (-not ('RlTestWeightController' -as [type])) {
        Add-Type -ReferencedAssemblies ([RlTools.Core.Records.Rollout].Assembly.Location), 'System.Runtime', 'System.Collections', 'System.Linq' -TypeDefinition @'
using System.Collections.Generic;
using System.Linq;
using RlTools.Core.Records;
using RlTools.Core.Rewards;
public sealed class RlTestWeightController : IRewardWeighting
{
    public string Name => "test";
    public List<string> AskedFor = new List<string>();
    public List<int> ObservedCounts = new List<int>();
    public List<double?> ObservedRewards = new List<double?>();
    public double[] Next = new double[] { 2.0, 0.5 };
    public IReadOnlyList<double> GetWeights(IReadOnlyList<string> components) { AskedFor.AddRange(components); return Next; }
    public void Observe(IReadOnlyList<Rollout> batch) { ObservedCounts.Add(batch.Count); ObservedRewards.AddRange(batch.Select(r => r.Reward)); }
}
'@
    }
    }

    It 'scores with Math by default and passes the same objects through' {
        $a = New-TestRollout 'So the answer is \boxed{\frac{1}{2}}.' '0.5'
        $b = New-TestRollout '#### 7' '8' -Index 1
        $out = @($a, $b | Measure-RlReward)
        $out.Count | Should -Be 2
        [object]::ReferenceEquals($out[0], $a) | Should -BeTrue
        $out[0].Reward | Should -Be 1.0
        $out[0].Rewards['Math'] | Should -Be 1.0
        $out[1].Reward | Should -Be 0.0
        $out[1].Rewards['Math'] | Should -Be 0.0
    }

    It 'combines several verifiers with weights' {
        $r = New-TestRollout '<think>2+2</think><answer>4</answer>' '4'
        $out = $r | Measure-RlReward -Verifier Math, Format -Weight 1.0, 0.25
        $out.Rewards['Math'] | Should -Be 1.0
        $out.Rewards['Format'] | Should -Be 1.0
        $out.Reward | Should -Be 1.25
        $bad = New-TestRollout 'The answer is 5, no tags' '4'
        $o2 = $bad | Measure-RlReward -Verifier Math, Format -Weight 1.0, 0.25
        $o2.Reward | Should -Be 0.0
    }

    It 'leaves null components out of the sum (not counted as 0)' {
        # No gold answer: Math does not apply (null); Length applies.
        $r = New-TestRollout 'x' $null -Tokens (1..10)
        $out = $r | Measure-RlReward -Verifier Math, Length -Weight 5, 1 -Parameters @{ Length = @{ MaxLength = 8; Buffer = 4 } } -ErrorAction SilentlyContinue -ErrorVariable err
        # ...and says so (one NoGoldAnswer error), without stopping the scoring.
        @($err).Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NoGoldAnswer,*'
        $out.Rewards.ContainsKey('Math') | Should -BeTrue
        $out.Rewards['Math'] | Should -BeNullOrEmpty
        # E = 8 - 4 = 4; penalty = -(10 - 4) / 4 * 1 = -1.5
        $out.Rewards['Length'] | Should -Be -1.5
        $out.Reward | Should -Be -1.5
    }

    It 'gives a null reward when every component is null' {
        $r = New-TestRollout 'x' $null
        ($r | Measure-RlReward -Verifier Math -ErrorVariable err -ErrorAction SilentlyContinue).Reward | Should -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be 'NoGoldAnswer,RlTools.Commands.MeasureRlRewardCommand'
    }

    It 'counts the answers that came from the last-number fallback' {
        $rows = @(
            New-TestRollout 'I computed a lot and found 42 in the end somewhere along the way of the long text' '42' -Index 0  # fallback, rewarded
            New-TestRollout 'I computed a lot and found 41 in the end somewhere along the way of the long text' '42' -Index 1  # fallback, wrong
            New-TestRollout 'The answer is \boxed{42}' '42' -Index 2   # marked answer
        )
        $null = $rows | Measure-RlReward -Verifier Math, Numeric -InformationVariable info
        $math = @($info | Where-Object { $_.MessageData.Verifier -eq 'Math' })
        $math.Count | Should -Be 1
        $math[0].Tags | Should -Contain 'RewardFallback'
        $math[0].MessageData.Rollouts | Should -Be 3
        $math[0].MessageData.FallbackAnswers | Should -Be 2
        $math[0].MessageData.FallbackRewarded | Should -Be 1
        "$($math[0].MessageData)" | Should -Match '2 of 3 answers came from the fallback \(the last number, math span or relation of a completion without an answer marker\); 1 of them rewarded\. If the prompts ask for a marked answer, turn it off'
        ($info | Where-Object { $_.MessageData.Verifier -eq 'Numeric' }).MessageData.FallbackAnswers | Should -Be 2
        $null = $rows | Measure-RlReward -Verifier Math -Parameters @{ Math = @{ Fallback = $false } } -InformationVariable off
        $off.MessageData.FallbackAnswers | Should -Be 0
        "$($off.MessageData)" | Should -Not -Match 'turn it off'
    }

    It 'passes per-verifier parameters through -Parameters' {
        $r = New-TestRollout 'I computed a lot and found 42 in the end somewhere along the way of the long text' '42'
        ($r | Measure-RlReward -Verifier Math).Rewards['Math'] | Should -Be 1.0
        ($r | Measure-RlReward -Verifier Math -Parameters @{ Math = @{ Fallback = $false } }).Rewards['Math'] | Should -Be 0.0
    }

    It 'runs a script-block verifier with the rollout in $_' {
        $a = New-TestRollout 'sorry, the answer is 3' '3'
        $b = New-TestRollout '3' '3' -Index 1
        $out = @($a, $b | Measure-RlReward -Verifier Math -ScriptBlock { if ($_.Completion -match 'sorry') { -0.5 } else { $null } } -Weight 1, 2)
        $out[0].Rewards['ScriptBlock'] | Should -Be -0.5
        $out[0].Reward | Should -Be 0.0     # 1*1 + 2*(-0.5)
        $out[1].Rewards['ScriptBlock'] | Should -BeNullOrEmpty
        $out[1].Reward | Should -Be 1.0
    }

    It 'places the script-block component where -Verifier lists it' {
        $r = New-TestRollout '#### 3' '3'
        $out = $r | Measure-RlReward -Verifier ScriptBlock, Math -ScriptBlock { 0.5 } -Weight 4, 1
        $out.Rewards['ScriptBlock'] | Should -Be 0.5
        $out.Reward | Should -Be 3.0   # 4 * 0.5 + 1 * 1
    }

    It 'reports a failing script block and leaves its component out' {
        $r = New-TestRollout '3' '3'
        $out = $r | Measure-RlReward -ScriptBlock { throw 'boom' } -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'ScriptBlockVerifierFailed,*'
        $out.Reward | Should -BeNullOrEmpty
    }

    It 'stops a script block that runs past -ScriptBlockTimeout and keeps going' {
        # Runs in its own runspace with a generous wait, so a regression fails here instead of hanging the suite. The endless
        # record is stopped after 10 s; the quick one needs milliseconds of its own 10 s.
        $ps = [powershell]::Create()
        try {
            $manifest = Join-Path (Get-RlRepoRoot) 'RlTools.psd1'
            $null = $ps.AddScript(@"
Import-Module '$manifest'
`$a = [RlTools.Core.Records.Rollout]::new(); `$a.PromptId = 'slow'; `$a.Completion = 'x'
`$b = [RlTools.Core.Records.Rollout]::new(); `$b.PromptId = 'fast'; `$b.Completion = 'y'
`$a, `$b | Measure-RlReward -ScriptBlock { if (`$_.PromptId -eq 'slow') { while (`$true) { } } else { 0.25 } } -ScriptBlockTimeout 10 -ErrorAction SilentlyContinue -ErrorVariable +script:ev
`$script:ev | ForEach-Object FullyQualifiedErrorId
"@)
            $handle = $ps.BeginInvoke()
            $handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromMinutes(5)) | Should -BeTrue -Because 'the endless script block must be stopped'
            $out = @($ps.EndInvoke($handle))
            $rollouts = @($out | Where-Object { $_ -is [RlTools.Core.Records.Rollout] })
            $rollouts.PromptId | Should -Be @('slow', 'fast')
            $rollouts[0].Reward | Should -BeNullOrEmpty
            $rollouts[1].Reward | Should -Be 0.25
            $out | Where-Object { $_ -is [string] } | Should -BeLike 'ScriptBlockVerifierTimeout,*'
        } finally { $ps.Dispose() }
    }

    It 'keeps a break inside the script block to that call, and sees the caller''s variables' {
        $bonus = 0.75
        $r = New-TestRollout '3' '3'
        $loops = 0
        foreach ($i in 1..2) {
            $loops++
            $out = $r | Measure-RlReward -ScriptBlock { if ($_.Completion -eq '3') { break } } -ErrorAction SilentlyContinue
            $out.Rewards['ScriptBlock'] | Should -BeNullOrEmpty
        }
        $loops | Should -Be 2
        ($r | Measure-RlReward -ScriptBlock { $bonus }).Reward | Should -Be 0.75
    }

    It 'emits in input order when verifying in parallel' {
        $in = foreach ($i in 0..199) { New-TestRollout "#### $i" "$(if ($i % 3) { $i } else { $i + 1 })" -Index $i }
        $out = @($in | Measure-RlReward -ThrottleLimit 4)
        $out.Count | Should -Be 200
        for ($i = 0; $i -lt 200; $i++) {
            $out[$i].SampleIndex | Should -Be $i
            $out[$i].Reward | Should -Be $(if ($i % 3) { 1.0 } else { 0.0 })
        }
    }

    It 'uses a weight controller: GetWeights per batch, Observe after scoring' {
        $c = [RlTestWeightController]::new()
        $rs = @((New-TestRollout '<think>t</think><answer>4</answer>' '4'), (New-TestRollout '<answer>5</answer>' '4' -Index 1), (New-TestRollout '#### 4' '4' -Index 2))
        $out = @($rs | Measure-RlReward -Verifier Math, Format -WeightController $c -BatchSize 2)
        $c.AskedFor -join ',' | Should -Be 'Math,Format,Math,Format'
        $c.ObservedCounts -join ',' | Should -Be '2,1'
        $out[0].Reward | Should -Be 2.5    # 2*1 + 0.5*1
        $out[1].Reward | Should -Be 0.0    # wrong answer, no think block
        $out[2].Reward | Should -Be 2.0
        $c.ObservedRewards[0] | Should -Be 2.5
    }

    It 'rejects a controller that returns the wrong number of weights' {
        $c = [RlTestWeightController]::new(); $c.Next = [double[]] @(1.0)
        { New-TestRollout '1' '1' | Measure-RlReward -Verifier Math, Format -WeightController $c -ErrorAction Stop } |
            Should -Throw -ErrorId 'WeightCountMismatch,RlTools.Commands.MeasureRlRewardCommand'
    }

    It 'stops on an unknown verifier name and lists the valid ones' {
        $err = $null
        try { New-TestRollout '1' '1' | Measure-RlReward -Verifier Maths -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'UnknownVerifier,RlTools.Commands.MeasureRlRewardCommand'
        $err.Exception.Message | Should -Match 'Math, ExactMatch, Numeric'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'Maths'
    }

    It 'rejects a weight count that does not match the components' {
        { New-TestRollout '1' '1' | Measure-RlReward -Verifier Math, Format -Weight 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'WeightCountMismatch,RlTools.Commands.MeasureRlRewardCommand'
    }

    It 'rejects unknown verifier parameters with the valid names' {
        $err = $null
        try { New-TestRollout '1' '1' | Measure-RlReward -Verifier Length -Parameters @{ Length = @{ MaxLen = 5 } } -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidVerifierParameter,RlTools.Commands.MeasureRlRewardCommand'
        $err.Exception.Message | Should -Match 'MaxLength'
    }

    It 'rejects parameters for a verifier that is not used' {
        { New-TestRollout '1' '1' | Measure-RlReward -Verifier Math -Parameters @{ Length = @{ MaxLength = 5; Buffer = 1 } } -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParametersForUnusedVerifier,RlTools.Commands.MeasureRlRewardCommand'
    }

    It 'completes verifier names through TabExpansion2' {
        $line = 'Measure-RlReward -Verifier Ma'
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names | Should -Contain 'Math'
        $line2 = 'Measure-RlReward -Verifier Math, Le'
        (TabExpansion2 -inputScript $line2 -cursorColumn $line2.Length).CompletionMatches.CompletionText | Should -Contain 'Length'
    }

    It 'survives hostile completions' {
        $big = 'x' * 1MB + '\boxed{' * 1000
        $rs = @((New-TestRollout $big '5'), (New-TestRollout '\boxed{10^{10^{10^{10}}}}' '5' -Index 1), (New-TestRollout ('(' * 5000) '5' -Index 2))
        $out = @($rs | Measure-RlReward -Verifier Math, Format, Length -Parameters @{ Length = @{ MaxLength = 100; Buffer = 10; Unit = 'Characters' } })
        $out.Count | Should -Be 3
        $out | ForEach-Object { $_.Rewards['Math'] | Should -Be 0.0 }
    }
}
