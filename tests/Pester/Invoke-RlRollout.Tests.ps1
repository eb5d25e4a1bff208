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
}
