# A new user's first hour (issue #20), as they meet it: a GSM8K-style file whose answer column has a
# name Import-RlDataset does not guess, prompts piped where rollouts belong, and the README pipeline's
# metrics.csv plotted with Export-RlPlot.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Threads = (Get-RlDevice).Threads
    $null = Get-RlDevice -Threads 1
    $script:Policy = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1
    # GSM8K-style rows; the gold answer sits in 'final', which is not one of the guessed answer columns.
    $script:Data = Join-Path $TestDrive 'train.jsonl'
    Set-Content $Data @(
        '{"question": "What is 2 + 3?", "final": "5", "source": "hand"}'
        '{"question": "What is 4 + 4?", "final": "8", "source": "hand"}'
    )
}

AfterAll {
    $script:Policy.Dispose()
    $null = Get-RlDevice -Threads $script:Threads
}

Describe 'No gold answer, no word (item 1)' {
    It 'Import-RlDataset warns when no row has an answer and names the columns it found' {
        $prompts = @(Import-RlDataset $Data -WarningVariable warn -WarningAction SilentlyContinue)
        $prompts.Count | Should -Be 2
        $prompts.Answer | Should -Be @($null, $null)
        @($warn).Count | Should -Be 1
        $warn[0].Message | Should -Match "'train.jsonl'"
        $warn[0].Message | Should -Match 'final, source'
        $warn[0].Message | Should -Match '-AnswerField final'
    }

    It 'stays quiet when the answer column is named' {
        $prompts = @(Import-RlDataset $Data -AnswerField final -WarningVariable warn)
        $prompts.Answer | Should -Be @('5', '8')
        @($warn).Count | Should -Be 0
    }

    It 'warns when the named answer column is empty in every row' {
        $empty = Join-Path $TestDrive 'empty.csv'
        Set-Content $empty @('question,final', 'What is 1 + 1?,')
        $null = Import-RlDataset $empty -AnswerField final -WarningVariable warn -WarningAction SilentlyContinue
        @($warn).Count | Should -Be 1
        $warn[0].Message | Should -Match "column 'final' is empty in every row"
    }

    It 'does not warn for code tasks, which carry tests instead of a gold answer' {
        $code = Join-Path $TestDrive 'mbpp.jsonl'
        Set-Content $code '{"text": "Write add(a, b).", "test_list": ["assert add(1, 2) == 3"]}'
        $tasks = @(Import-RlDataset $code -PromptField text -TestsField test_list -WarningVariable warn)
        $tasks.Count | Should -Be 1
        $tasks[0].Metadata['tests'] | Should -Not -BeNullOrEmpty
        @($warn).Count | Should -Be 0
        # ...while the same file without -TestsField still gets the warning that names its columns.
        $null = Import-RlDataset $code -PromptField text -WarningVariable warn -WarningAction SilentlyContinue
        @($warn).Count | Should -Be 1
        $warn[0].Message | Should -Match 'test_list'
    }

    It 'Measure-RlReward -Verifier Math reports each rollout that has no gold answer' {
        $rollouts = @(Import-RlDataset $Data -WarningAction SilentlyContinue | Invoke-RlRollout -Policy $Policy -GroupSize 2 -MaxTokens 4 -Seed 1)
        $scored = @($rollouts | Measure-RlReward -Verifier Math -ErrorVariable err -ErrorAction SilentlyContinue)
        $scored.Count | Should -Be 4
        $scored.Reward | Should -Be @($null, $null, $null, $null)
        @($err).Count | Should -Be 4
        $err[0].FullyQualifiedErrorId | Should -Be 'NoGoldAnswer,RlTools.Commands.MeasureRlRewardCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject | Should -Be $scored[0]
        $err[0].Exception.Message | Should -Match 'has no gold answer, so Math cannot score it'
        $err[0].Exception.Message | Should -Match '-AnswerField'

        # ...and Measure-RlAdvantage no longer only says to run Measure-RlReward "first".
        $null = $scored | Measure-RlAdvantage -Estimator GRPO -ErrorVariable adv -ErrorAction SilentlyContinue
        @($adv).Count | Should -Be 4
        $adv[0].Exception.Message | Should -Match 'Measure-RlReward did run on it, but none of its components \(Math\) applied'
    }

    It 'names an unusable gold answer and the reason' {
        $r = [RlTools.Core.Records.Rollout]::new()
        $r.PromptId = 'p'; $r.Completion = 'The answer is 5.'; $r.Answer = 'n/a'
        $null = $r | Measure-RlReward -Verifier Numeric -ErrorVariable err -ErrorAction SilentlyContinue
        @($err).Count | Should -Be 1
        $err[0].Exception.Message | Should -Match "Numeric cannot use its gold answer 'n/a' \(the gold answer is not a number\)"
    }

    It 'reports nothing for verifiers that need no answer' {
        $r = [RlTools.Core.Records.Rollout]::new()
        $r.PromptId = 'p'; $r.Completion = 'no answer here'
        $scored = $r | Measure-RlReward -Verifier Regex -Parameters @{ Regex = @{ Pattern = 'answer' } } -ErrorVariable err
        @($err).Count | Should -Be 0
        $scored.Reward | Should -Be 1
    }
}

Describe 'Prompts piped where rollouts are expected (item 2)' {
    BeforeAll {
        $script:Prompts = @(Import-RlDataset $Data -AnswerField final)
    }

    It '<Name> stops with one error that says to run Invoke-RlRollout first' -ForEach @(
        @{ Name = 'Measure-RlReward'; Class = 'MeasureRlRewardCommand'; Run = { $Prompts | Measure-RlReward -Verifier Math } }
        @{ Name = 'Measure-RlAdvantage'; Class = 'MeasureRlAdvantageCommand'; Run = { $Prompts | Measure-RlAdvantage -Estimator GRPO } }
        @{ Name = 'Update-RlPolicy'; Class = 'UpdateRlPolicyCommand'; Run = { $Prompts | Update-RlPolicy -Policy $Policy } }
    ) {
        $Error.Clear()
        $caught = $null
        try { $null = & $Run } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -Be "PromptNotRollout,RlTools.Commands.$Class"
        $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $caught.Exception.Message | Should -Match "$Name takes rollouts, and these are prompt records"
        $caught.Exception.Message | Should -Match 'Invoke-RlRollout -Policy'
        # One error for the whole input, not one binding error per prompt.
        $Error.Count | Should -Be 1
    }

    It 'reports other objects that are not rollouts and scores the rest' {
        $r = [RlTools.Core.Records.Rollout]::new()
        $r.PromptId = 'p'; $r.Completion = '#### 5'; $r.Answer = '5'
        $scored = @('not a rollout', $r | Measure-RlReward -Verifier Math -ErrorVariable err -ErrorAction SilentlyContinue)
        $scored.Count | Should -Be 1
        $scored[0].Reward | Should -Be 1
        @($err).Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'NotARollout,RlTools.Commands.MeasureRlRewardCommand'
        $err[0].Exception.Message | Should -Match 'got a System.String'
    }

    It 'still converts a hashtable with rollout fields, as binding did' {
        $scored = @{ PromptId = 'h'; Completion = '#### 7'; Answer = '7' } | Measure-RlReward -Verifier Math
        $scored | Should -BeOfType ([RlTools.Core.Records.Rollout])
        $scored.Reward | Should -Be 1
    }
}

Describe 'Metrics that plot (item 3)' {
    It 'the README pipeline writes a metrics.csv whose reward and kl_loss columns Export-RlPlot draws' {
        $reference = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 2
        $csv = Join-Path $TestDrive 'runs' 'metrics.csv'
        $null = New-Item -ItemType Directory (Split-Path $csv) -Force
        $prompts = Import-RlDataset $Data -PromptField question -AnswerField final
        $batches = foreach ($step in 1..2) {
            $prompts | Invoke-RlRollout -Policy $Policy -GroupSize 4 -MaxTokens 6 -Seed $step |
                Measure-RlReward -Verifier Math | Measure-RlAdvantage -Estimator GRPO |
                Tee-Object -Variable rollouts |
                Update-RlPolicy -Policy $Policy -Reference $reference -KLCoefficient 0.1 -Loss PPO -ClipHigh 0.28 | Export-Csv $csv -Append
            , @($rollouts)
        }
        $reference.Dispose()

        $rows = @(Import-Csv $csv)
        $rows.Count | Should -Be 2
        $columns = $rows[0].PSObject.Properties.Name
        foreach ($c in 'Step', 'Loss', 'KlLoss', 'EntropyLoss', 'ExpertLoss', 'Reward', 'Accuracy', 'ResponseLength') { $columns | Should -Contain $c }
        $columns | Should -Not -Contain 'Metrics'
        foreach ($i in 0, 1) {
            # Batch statistics computed here from the rollouts the step trained on.
            $b = $batches[$i]
            [double] $rows[$i].Reward | Should -BeLessThan ((($b.Reward | Measure-Object -Average).Average) + 1e-9)
            [double] $rows[$i].Reward | Should -BeGreaterThan ((($b.Reward | Measure-Object -Average).Average) - 1e-9)
            [double] $rows[$i].Accuracy | Should -Be (@($b | Where-Object Reward -EQ 1).Count / $b.Count)
            [double] $rows[$i].ResponseLength | Should -Be (($b.CompletionLength | Measure-Object -Average).Average)
            [double] $rows[$i].KlLoss | Should -BeGreaterThan 0
        }

        $png = Import-Csv $csv | Export-RlPlot -Y reward -Path (Join-Path $TestDrive 'reward.png')
        $png.Length | Should -BeGreaterThan 0
        $png = Import-Csv $csv | Export-RlPlot -Y reward, kl_loss -Path (Join-Path $TestDrive 'both.png')
        $png.Length | Should -BeGreaterThan 0
    }
}

Describe 'Help that shows defaults (item 5)' {
    It 'Get-Help -Parameter shows the code''s default of <Command> -<Parameter>: <Expected>' -ForEach @(
        @{ Command = 'Update-RlPolicy'; Parameter = 'Loss'; Expected = 'PPO' }
        @{ Command = 'Update-RlPolicy'; Parameter = 'Epochs'; Expected = '1' }
        @{ Command = 'Update-RlPolicy'; Parameter = 'KLEstimator'; Expected = 'k3' }
        @{ Command = 'Update-RlPolicy'; Parameter = 'SparseMaskSetting'; Expected = '128, 128, 200' }
        @{ Command = 'Import-RlDataset'; Parameter = 'Format'; Expected = 'Auto' }
        @{ Command = 'Export-RlPlot'; Parameter = 'X'; Expected = 'step' }
        @{ Command = 'Export-RlPlot'; Parameter = 'Width'; Expected = '800' }
        @{ Command = 'Export-RlPlot'; Parameter = 'Force'; Expected = 'False' }
    ) {
        (Get-Help $Command -Parameter $Parameter).defaultValue | Should -BeExactly $Expected
    }

    It 'shows the stated default where the code decides later: <Command> -<Parameter>' -ForEach @(
        @{ Command = 'Update-RlPolicy'; Parameter = 'ClipHigh'; Pattern = "^the loss's own \(0\.2 for PPO" }
        @{ Command = 'Update-RlPolicy'; Parameter = 'MiniBatchSize'; Pattern = '^all of them' }
    ) {
        (Get-Help $Command -Parameter $Parameter).defaultValue | Should -Match $Pattern
    }

    It 'shows a default for every parameter the code initialises' {
        $missing = foreach ($cmd in Get-Command -Module RlTools -CommandType Cmdlet) {
            $instance = [Activator]::CreateInstance($cmd.ImplementingType)
            foreach ($p in $cmd.Parameters.Values | Where-Object { -not $_.SwitchParameter }) {
                $prop = $instance.PSObject.Properties[$p.Name]
                if (-not $prop) { continue }
                $v = $prop.Value
                $set = $null -ne $v -and -not ($v -is [ValueType] -and $v -eq [Activator]::CreateInstance($v.GetType())) -and -not ($v -is [array] -and $v.Count -eq 0) -and $v -ne ''
                if ($set -and (Get-Help $cmd.Name -Parameter $p.Name).defaultValue -in $null, '', 'None') { "$($cmd.Name) -$($p.Name)" }
            }
        }
        $missing | Should -BeNullOrEmpty
    }

    It 'renders about_RlTools_Estimators as about-topic text, not Markdown' {
        $text = (Get-Help about_RlTools_Estimators | Out-String -Width 200)
        $lines = $text -split '\r?\n'
        ($lines | Where-Object { $_ } | Select-Object -First 1).Trim() | Should -Be 'TOPIC'
        $lines | Should -Contain 'SHORT DESCRIPTION'
        $lines | Should -Contain 'LONG DESCRIPTION'
        $text | Should -Not -Match '(?m)^#'
        $text | Should -Not -Match '`'
        $lines | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        # The generated estimator sections (doc comments) are rendered too: a sub-heading, then wrapped text.
        $text | Should -Match '(?m)^  GRPO \(\w+ level; arXiv 2402\.03300\)\s*$'
        $text | Should -Match 'Schulman'
    }
}

Describe 'Readable tables (item 6)' {
    BeforeAll {
        # The text of one column of a one-row table: the characters under its header, line by line.
        function Get-ColumnText([string] $Table, [string] $Header, [string] $Next) {
            $lines = @($Table -split '\r?\n')
            $at = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match "^Name\s" })
            $start = $lines[$at].IndexOf($Header)
            $end = if ($Next) { $lines[$at].IndexOf($Next) } else { [int]::MaxValue }
            $parts = foreach ($l in $lines[($at + 2)..($lines.Count - 1)]) {
                if ($l.Length -gt $start) { $l.Substring($start, [math]::Min($l.Length, $end) - $start).Trim() }
            }
            @($parts | Where-Object { $_ }) -join ' '
        }
        function ConvertTo-Words([string] $Text) { @($Text -split '\s+' | Where-Object { $_ }) -join ' ' }
    }

    It 'Get-RlAdvantageEstimator fits 120 columns and keeps every whole summary' {
        $text = Get-RlAdvantageEstimator | Out-String -Width 120
        ($text -split '\r?\n' | Where-Object { $_.TrimEnd().Length -gt 120 }) | Should -BeNullOrEmpty
        foreach ($e in Get-RlAdvantageEstimator) {
            Get-ColumnText ($e | Out-String -Width 120) 'Summary' | Should -BeExactly (ConvertTo-Words $e.Summary) -Because $e.Name
        }
    }

    It 'Get-RlPolicyLoss fits 120 columns and keeps every parameter list and summary whole' {
        $text = Get-RlPolicyLoss | Out-String -Width 120
        ($text -split '\r?\n' | Where-Object { $_.TrimEnd().Length -gt 120 }) | Should -BeNullOrEmpty
        foreach ($l in Get-RlPolicyLoss) {
            $one = $l | Out-String -Width 120
            Get-ColumnText $one 'Parameters' 'Summary' | Should -BeExactly (ConvertTo-Words ($l.Parameters -join ', ')) -Because $l.Name
            Get-ColumnText $one 'Summary' | Should -BeExactly (ConvertTo-Words $l.Summary) -Because $l.Name
        }
    }

    It 'a rollout table shows control characters of a completion as U+FFFD, never raw (no escape sequences reach the terminal)' {
        # A byte-level policy samples any byte: ESC, NUL, backspace arrive in completions from the first step.
        $r = [RlTools.Core.Records.Rollout]::new()
        $r.PromptId = 'p'; $r.Completion = "a`e[2Jb`nc`0d`be"; $r.Prompt = "q`e?"; $r.Answer = '5'
        $text = $r | Out-String -Width 120
        $text | Should -Not -Match '[\x00-\x08\x0B-\x0C\x0E-\x1F\x7F]'
        $text | Should -Match ('a' + [char]0xFFFD + '\[2Jb c' + [char]0xFFFD + 'd' + [char]0xFFFD + 'e')
        $p = [RlTools.Core.Records.PromptRecord]::new()
        $p.Id = 'p'; $p.Prompt = "q`e[1m?"; $p.Answer = "4`a"
        $text = $p | Out-String -Width 120
        $text | Should -Not -Match '[\x00-\x08\x0B-\x0C\x0E-\x1F\x7F]'
        $text | Should -Match ('q' + [char]0xFFFD + '\[1m\?')
    }

    It 'an update result prints rounded numbers within 120 columns' {
        $r = [RlTools.Core.Records.UpdateResult]::new()
        $r.Step = 3; $r.Loss = 0.123456789; $r.PgLoss = -0.0000123456; $r.Kl = 1.23456789e-5; $r.Entropy = 2.718281828
        $r.GradNorm = 12.3456789; $r.Lr = 1e-6; $r.Tokens = 1234; $r.Reward = 0.333333333; $r.Accuracy = 0.333333333; $r.ResponseLength = 17.123456
        $text = $r | Out-String -Width 120
        ($text -split '\r?\n' | Where-Object { $_.TrimEnd().Length -gt 120 }) | Should -BeNullOrEmpty
        $text | Should -Match '0\.1235'
        $text | Should -Match '2\.718\b'
        $text | Should -Match '1E-06'
        $text | Should -Not -Match '\d\.\d{5,}'
    }
}

Describe 'Progress and small things (items 7, 8)' {
    It 'Update-RlPolicy reports progress from its first step' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($Manifest)
                    Import-Module $Manifest
                    $policy = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1
                    $rows = foreach ($i in 0..3) {
                        $r = [RlTools.Core.Records.Rollout]::new()
                        $r.PromptId = 'p'; $r.SampleIndex = $i; $r.PromptTokens = [int[]](1, 2, 3); $r.CompletionTokens = [int[]](4, 5); $r.Advantage = $i - 1.5
                        $r
                    }
                    $rows | Update-RlPolicy -Policy $policy -MiniBatchSize 2
                }).AddArgument((Join-Path (Get-RlRepoRoot) 'RlTools.psd1'))
            $out = $ps.Invoke()
            $out.Count | Should -Be 2
            $records = @($ps.Streams.Progress | Where-Object Activity -EQ 'Update-RlPolicy')
            $records[0].StatusDescription | Should -Match '^step 1 of 2: 4 rollouts'
            $records[-1].RecordType | Should -Be 'Completed'
        }
        finally { $ps.Dispose() }
    }

    It 'Measure-RlReward reports progress while a slow verifier scores the batch' {
        $ps = [powershell]::Create()
        try {
            # Each score takes at least 300 ms, so the second is done past the reporter's first 500 ms
            # whatever the machine: a lower bound on elapsed time, not a threshold on speed.
            $null = $ps.AddScript({
                    param($Manifest)
                    Import-Module $Manifest
                    $rows = foreach ($i in 0..3) {
                        $r = [RlTools.Core.Records.Rollout]::new()
                        $r.PromptId = 'p'; $r.SampleIndex = $i; $r.Completion = "answer $i"; $r.Answer = '1'
                        $r
                    }
                    $rows | Measure-RlReward -Verifier ScriptBlock -ScriptBlock { Start-Sleep -Milliseconds 300; 1 }
                }).AddArgument((Join-Path (Get-RlRepoRoot) 'RlTools.psd1'))
            $out = $ps.Invoke()
            $out.Count | Should -Be 4
            $records = @($ps.Streams.Progress | Where-Object Activity -EQ 'Measure-RlReward')
            $running = @($records | Where-Object RecordType -NE 'Completed')
            $running.Count | Should -BeGreaterThan 0
            $running[0].StatusDescription | Should -Match '^[1-4] rollouts scored$'
            $running[0].PercentComplete | Should -BeGreaterThan 0
            $records[-1].RecordType | Should -Be 'Completed'
        }
        finally { $ps.Dispose() }
    }

    It 'error messages carry no .NET parameter names such as (Parameter ''value'')' {
        # RlTools.Core throws ArgumentException(message, nameof(value)) for an estimator parameter of the wrong type.
        $err = $null
        New-RlAdvantageEstimator GRPO -Parameters @{ Epsilon = 'abc' } -ErrorAction SilentlyContinue -ErrorVariable err
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidEstimatorParameter,*'
        $err[0].Exception.Message | Should -Match "Epsilon.*'abc'"
        $err[0].Exception.Message | Should -Not -Match '\(Parameter '''
    }

    It '-Tokenizer Bytes suggests Byte, and Byte completes' {
        { New-RlPolicy -Config Tiny -Tokenizer Bytes } | Should -Throw "*Did you mean 'Byte'*"
        { ConvertTo-RlTokens -Tokenizer bytes -Text 'hi' } | Should -Throw "*Did you mean 'Byte'*"
        $line = 'New-RlPolicy -Config Tiny -Tokenizer By'
        (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Contain 'Byte'
    }
}
