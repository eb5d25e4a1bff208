BeforeDiscovery {
    # Each bad-input case: content, parameters, the line and field the error must name.
    $script:BadRows = @(
        @{ Name = 'bad JSON'; Text = "{""question"":""ok1"",""answer"":""#### 1""}`n{oops`n{""question"":""ok2"",""answer"":""#### 2""}"; Params = @{}; Line = 2; Field = $null }
        @{ Name = 'missing prompt column'; Text = "{""question"":""ok1"",""answer"":""#### 1""}`n{""answer"":""#### 9""}`n{""question"":""ok2"",""answer"":""#### 2""}"; Params = @{ PromptField = 'question' }; Line = 2; Field = 'question' }
        @{ Name = 'missing answer column'; Text = "{""question"":""ok1"",""answer"":""#### 1""}`n{""question"":""q""}`n{""question"":""ok2"",""answer"":""#### 2""}"; Params = @{ AnswerField = 'answer' }; Line = 2; Field = 'answer' }
        @{ Name = 'no #### marker'; Text = "{""question"":""ok1"",""answer"":""#### 1""}`n{""question"":""q"",""answer"":""42""}`n{""question"":""ok2"",""answer"":""#### 2""}"; Params = @{ AnswerExtract = 'Gsm8k' }; Line = 2; Field = 'answer' }
        @{ Name = 'no boxed answer'; Text = "{""question"":""ok1"",""answer"":""\\boxed{1}""}`n{""question"":""q"",""answer"":""\\boxed{2""}`n{""question"":""ok2"",""answer"":""\\boxed{3}""}"; Params = @{ AnswerExtract = 'Boxed' }; Line = 2; Field = 'answer' }
        @{ Name = 'malformed chat'; Text = "{""question"":""ok1""}`n{""question"":[{""role"":""user""}]}`n{""question"":""ok2""}"; Params = @{}; Line = 2; Field = 'question' }
        @{ Name = 'prompt of the wrong type'; Text = "{""question"":""ok1""}`n{""question"":{""a"":1}}`n{""question"":""ok2""}"; Params = @{}; Line = 2; Field = 'question' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
}

Describe 'Import-RlDataset' {
    It 'covers every bad-input case (discovery found <_>)' -ForEach @($BadRows.Count) {
        $_ | Should -Be 7
    }

    It 'reads GSM8K as published and keeps only the final number' {
        $lines = @(
            '{"question": "Natalia sold clips to 48 of her friends in April...", "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72"}'
            '{"question": "Weng earns $12 an hour...", "answer": "... = <<1000+72=1,072>>\n#### 1,072"}'
        )
        Set-Content "$TestDrive/gsm8k.jsonl" $lines
        $p = Import-RlDataset "$TestDrive/gsm8k.jsonl" -PromptField question -AnswerField answer -AnswerExtract Gsm8k
        $p.Count | Should -Be 2
        $p[0] | Should -BeOfType ([RlTools.Core.Records.PromptRecord])
        $p[0].Prompt | Should -BeLike 'Natalia sold clips*'
        $p.Answer | Should -Be @('72', '1072')
        $p.Id | Should -Be @('gsm8k:0', 'gsm8k:1')
    }

    It 'reads MATH and keeps the last boxed answer with nested braces' {
        Set-Content "$TestDrive/math.jsonl" '{"problem": "Find x.", "level": "Level 5", "type": "Algebra", "solution": "First \\boxed{1}, then $x = \\boxed{\\frac{\\sqrt{3}}{2}}$.", "unique_id": "test/algebra/7.json"}'
        $p = Import-RlDataset "$TestDrive/math.jsonl" -AnswerExtract Boxed
        $p.Prompt | Should -Be 'Find x.'
        $p.Answer | Should -Be '\frac{\sqrt{3}}{2}'
        $p.Id | Should -Be 'test/algebra/7.json'
        @($p.Metadata.Keys) | Should -Be @('level', 'type')
    }

    It 'accepts a messages column as the prompt' {
        Set-Content "$TestDrive/chat.jsonl" '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}], "answer": "4"}'
        $p = Import-RlDataset "$TestDrive/chat.jsonl"
        $p.Messages.Count | Should -Be 2
        $p.Messages[0].Role | Should -Be 'system'
        $p.Prompt | Should -Be 'What is 2+2?'
        $p.Answer | Should -Be '4'
    }

    It 'reads CSV datasets, a chat cell included' {
        Set-Content "$TestDrive/d.csv" @('id,prompt,answer,source', '7,"[{""role"":""user"",""content"":""hi""}]",x,web', '8,plain text,y,')
        $p = Import-RlDataset "$TestDrive/d.csv"
        $p.Id | Should -Be @('7', '8')
        $p[0].Prompt | Should -Be 'hi'
        $p[0].Metadata['source'] | Should -Be 'web'
        $p[1].Prompt | Should -Be 'plain text'
    }

    It 'reads Parquet datasets' {
        $rows = 1..3 | ForEach-Object { $r = New-SmallRollout "id$_"; $r.Prompt = "q$_"; $r.Answer = "The answer is \boxed{$_}"; $r }
        $rows | Export-RlRollout "$TestDrive/ds.parquet"
        $p = Import-RlDataset "$TestDrive/ds.parquet" -PromptField prompt -AnswerField answer -IdField prompt_id -AnswerExtract Boxed
        $p.Id | Should -Be @('id1', 'id2', 'id3')
        $p.Answer | Should -Be @('1', '2', '3')
    }

    It 'gives the same ids on every import' {
        Set-Content "$TestDrive/ids.jsonl" @('{"prompt":"a"}', '{"prompt":"b"}')
        (Import-RlDataset "$TestDrive/ids.jsonl").Id | Should -Be (Import-RlDataset "$TestDrive/ids.jsonl").Id
    }

    It 'reports a bad row (<Name>) with file, line and field, and the others still flow' -ForEach $BadRows {
        $path = Join-Path $TestDrive 'bad.jsonl'
        Set-Content $path $Text -NoNewline
        $out = Import-RlDataset $path @Params -ErrorVariable errs -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 2
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'InvalidDatasetRow,RlTools.Commands.ImportRlDatasetCommand'
        $errs[0].TargetObject.File | Should -Be $path
        $errs[0].TargetObject.Line | Should -Be $Line
        $errs[0].TargetObject.Field | Should -Be $Field
        $errs[0].Exception.Message | Should -BeLike "$path`:$Line`:*"
    }

    It 'halts at the first bad row with -ErrorAction Stop' {
        Set-Content "$TestDrive/stop.jsonl" @('{"prompt":"a"}', 'oops', '{"prompt":"c"}')
        { Import-RlDataset "$TestDrive/stop.jsonl" -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDatasetRow,RlTools.Commands.ImportRlDatasetCommand'
    }

    It 'reports a missing file' {
        $null = Import-RlDataset "$TestDrive/none.jsonl" -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PathNotFound,*'
    }

    It 'shows prompts as a table' {
        Set-Content "$TestDrive/view.jsonl" ('{"id":"v1","prompt":"' + ('long prompt ' * 20) + '","answer":"42"}')
        $text = Import-RlDataset "$TestDrive/view.jsonl" | Format-Table | Out-String
        $text | Should -Match 'id\s+prompt\s+answer'
        $text | Should -Match 'v1\s+long prompt'
    }
}
