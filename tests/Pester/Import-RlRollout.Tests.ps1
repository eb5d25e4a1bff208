BeforeDiscovery {
    # Each bad-input case: file name, content, the line and field the error must name.
    $script:BadCases = @(
        @{ Name = 'not JSON'; File = 'a.jsonl'; Text = "{""prompt_id"":""ok1""}`nnot json`n{""prompt_id"":""ok2""}"; Line = 2; Field = $null }
        @{ Name = 'not an object'; File = 'b.jsonl'; Text = "{""prompt_id"":""ok1""}`n[1,2]`n{""prompt_id"":""ok2""}"; Line = 2; Field = $null }
        @{ Name = 'wrong type'; File = 'c.jsonl'; Text = "{""prompt_id"":""ok1""}`n{""sample_index"":""x""}`n{""prompt_id"":""ok2""}"; Line = 2; Field = 'sample_index' }
        @{ Name = 'bad array item'; File = 'd.jsonl'; Text = "{""prompt_id"":""ok1""}`n{""logprobs"":[1,true]}`n{""prompt_id"":""ok2""}"; Line = 2; Field = 'logprobs' }
        @{ Name = 'truncated line'; File = 'e.jsonl'; Text = "{""prompt_id"":""ok1""}`n{""prompt_id"":""x"",""logprobs"":[1,`n{""prompt_id"":""ok2""}"; Line = 2; Field = 'logprobs' }
        @{ Name = 'CSV bad number'; File = 'f.csv'; Text = "prompt_id,reward`nok1,1`nx,high`nok2,2"; Line = 3; Field = 'reward' }
        @{ Name = 'CSV cell count'; File = 'g.csv'; Text = "prompt_id,reward`nok1,1`nx,1,2`nok2,2"; Line = 3; Field = $null }
        @{ Name = 'CSV bad JSON cell'; File = 'h.csv'; Text = "prompt_id,metadata`nok1,{}`nx,""{oops""`nok2,{}"; Line = 3; Field = 'metadata' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
}

Describe 'Import-RlRollout' {
    It 'covers every bad-input case (discovery found <_>)' -ForEach @($BadCases.Count) {
        $_ | Should -Be 8
    }

    It 'reads a JSONL line with every field type' {
        $line = '{"prompt_id":"p1","sample_index":2,"prompt":"2+2?","answer":"4","completion":"4","finish_reason":"stop","prompt_tokens":[1,2],"completion_tokens":[3],"logprobs":[-0.5,NaN],"entropies":[Infinity],"ref_logprobs":null,"values":[0.25],"reward":1.0,"rewards":{"math":1,"fmt":null},"baseline_reward":0.5,"advantage":-Infinity,"token_advantages":[0.1],"is_expert":true,"step":7,"metadata":{"k":[1,2.0,"x"]},"run":{"seed":3}}'
        Set-Content "$TestDrive/one.jsonl" $line
        $r = Import-RlRollout "$TestDrive/one.jsonl"
        $r | Should -BeOfType ([RlTools.Core.Records.Rollout])
        $r.PromptId | Should -Be 'p1'
        $r.SampleIndex | Should -Be 2
        $r.PromptTokens | Should -Be @(1, 2)
        $r.Logprobs[0] | Should -Be -0.5
        [float]::IsNaN($r.Logprobs[1]) | Should -BeTrue
        $r.Entropies[0] | Should -Be ([float]::PositiveInfinity)
        $r.RefLogprobs | Should -BeNullOrEmpty
        $r.Rewards['math'] | Should -Be 1.0
        $r.Rewards.ContainsKey('fmt') | Should -BeTrue
        $r.Rewards['fmt'] | Should -BeNullOrEmpty
        $r.Advantage | Should -Be ([double]::NegativeInfinity)
        $r.IsExpert | Should -BeTrue
        $r.Step | Should -Be 7
        $r.Metadata['k'][0] | Should -BeOfType ([long])
        $r.Metadata['k'][1] | Should -BeOfType ([double])
        $r.Extra['run']['seed'] | Should -Be 3
    }

    It 'reports a bad record (<Name>) with file, line and field, and the others still flow' -ForEach $BadCases {
        $path = Join-Path $TestDrive $File
        Set-Content $path $Text -NoNewline
        $out = Import-RlRollout $path -ErrorVariable errs -ErrorAction SilentlyContinue
        @($out).PromptId | Should -Be @('ok1', 'ok2')
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'InvalidRolloutRecord,RlTools.Commands.ImportRlRolloutCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errs[0].TargetObject.File | Should -Be $path
        $errs[0].TargetObject.Line | Should -Be $Line
        $errs[0].TargetObject.Field | Should -Be $Field
        $errs[0].Exception.Message | Should -BeLike "$path`:$Line`:*"
    }

    It 'reports a file that is not Parquet' {
        Set-Content "$TestDrive/bad.parquet" 'plain text'
        $null = Import-RlRollout "$TestDrive/bad.parquet" -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidRolloutRecord,*'
        $errs[0].Exception.Message | Should -Match 'not a readable Parquet file'
    }

    It 'halts at the first bad record with -ErrorAction Stop' {
        Set-Content "$TestDrive/stop.jsonl" "{""prompt_id"":""ok1""}`n{""step"":""x""}`n{""prompt_id"":""ok2""}"
        $seen = [System.Collections.Generic.List[object]]::new()
        { Import-RlRollout "$TestDrive/stop.jsonl" -ErrorAction Stop | ForEach-Object { $seen.Add($_) } } |
            Should -Throw -ErrorId 'InvalidRolloutRecord,RlTools.Commands.ImportRlRolloutCommand'
        $seen.Count | Should -Be 1
    }

    It 'reports a missing file, a folder and an unknown extension, and reads the other paths' {
        Set-Content "$TestDrive/good.jsonl" '{"prompt_id":"g"}'
        Set-Content "$TestDrive/data.txt" '{"prompt_id":"t"}'
        $out = Import-RlRollout "$TestDrive/missing.jsonl", $TestDrive, "$TestDrive/data.txt", "$TestDrive/good.jsonl" -ErrorVariable errs -ErrorAction SilentlyContinue
        @($out).PromptId | Should -Be @('g')
        @($errs.FullyQualifiedErrorId | ForEach-Object { $_.Split(',')[0] }) | Should -Be @('PathNotFound', 'PathIsDirectory', 'FormatNotInferred')
        (Import-RlRollout "$TestDrive/data.txt" -Format Jsonl).PromptId | Should -Be 't'
    }

    It 'expands wildcards and takes files from Get-ChildItem' {
        $dir = New-Item -ItemType Directory "$TestDrive/many"
        1..3 | ForEach-Object { Set-Content (Join-Path $dir "s$_.jsonl") "{""prompt_id"":""p$_""}" }
        (Import-RlRollout (Join-Path $dir '*.jsonl')).Count | Should -Be 3
        (Get-ChildItem $dir -Filter *.jsonl | Import-RlRollout).Count | Should -Be 3
    }

    It 'reads what Python json.dumps writes, NaN included' -Skip:(-not (Get-Command python3 -ErrorAction Ignore)) {
        $py = 'import json,sys; print(json.dumps({"prompt_id": "py", "sample_index": 1, "logprobs": [float("nan"), -0.25], "reward": float("-inf"), "metadata": {"x": [1, 2.5]}, "note": "é"}))'
        python3 -c $py | Set-Content "$TestDrive/py.jsonl"
        $r = Import-RlRollout "$TestDrive/py.jsonl"
        [float]::IsNaN($r.Logprobs[0]) | Should -BeTrue
        $r.Reward | Should -Be ([double]::NegativeInfinity)
        $r.Extra['note'] | Should -Be 'é'
    }

    It 'shows rate-limited progress on a long file and completes it' {
        $path = "$TestDrive/long.jsonl"
        $line = '{"prompt_id":"p","sample_index":0,"logprobs":[-0.5,-0.25,-0.125,-1.5,-2.5,-3.5,-4.5,-5.5],"metadata":{"k":1}}'
        [System.IO.File]::WriteAllLines($path, [string[]]::new(300000).ForEach({ $line }))
        # A fresh runspace collects the progress stream (the current one sends it to the host).
        $ps = [powershell]::Create()
        try {
            $manifest = Join-Path (Get-RlRepoRoot) 'RlTools.psd1'
            $null = $ps.AddScript("`$ProgressPreference = 'Continue'; Import-Module '$manifest'; Import-RlRollout '$path' | Measure-Object | ForEach-Object Count")
            $count = $ps.Invoke()
            $count | Should -Be 300000
            $progress = @($ps.Streams.Progress | Where-Object Activity -Like 'Import-RlRollout*')
            $progress.Count | Should -BeGreaterThan 0
            # At most four updates a second, after the first half second.
            $progress.Count | Should -BeLessThan 200
            $progress[-1].RecordType | Should -Be 'Completed'
            @($progress | Where-Object { $_.RecordType -eq 'Processing' -and $_.PercentComplete -ge 0 }).Count | Should -BeGreaterThan 0
        } finally { $ps.Dispose() }
    }

    It 'reads a file with wildcard characters in its name through -LiteralPath, and a -Path that matches nothing is an error' {
        $dir = Join-Path $TestDrive 'wild'
        $null = New-Item -ItemType Directory $dir
        '{"prompt_id":"literal"}' | Set-Content -LiteralPath (Join-Path $dir 'run[1].jsonl')
        '{"prompt_id":"decoy"}' | Set-Content -LiteralPath (Join-Path $dir 'run1.jsonl')
        (Import-RlRollout -LiteralPath (Join-Path $dir 'run[1].jsonl')).PromptId | Should -Be 'literal'
        (Get-ChildItem -LiteralPath $dir | Where-Object Name -EQ 'run[1].jsonl' | Import-RlRollout).PromptId | Should -Be 'literal'
        (Import-RlRollout -PSPath (Join-Path $dir 'run[1].jsonl')).PromptId | Should -Be 'literal'
        $out = Import-RlRollout (Join-Path $dir 'nothing[0-9].jsonl') -ErrorVariable errs -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'PathNotFound,RlTools.Commands.ImportRlRolloutCommand'
        $errs[0].Exception.Message | Should -BeLike '*-LiteralPath*'
        { Import-RlRollout -LiteralPath (Join-Path $dir 'run[2].jsonl') -ErrorAction Stop } | Should -Throw -ErrorId 'PathNotFound,RlTools.Commands.ImportRlRolloutCommand'
    }

    It 'never lets an empty pipeline replace an existing file (Import of nothing into Export -Force)' {
        $target = Join-Path $TestDrive 'keep.jsonl'
        (New-SmallRollout 'kept' 0) | Export-RlRollout $target
        $before = Get-FileHash $target
        Import-RlRollout (Join-Path $TestDrive 'none[1].jsonl') -ErrorAction SilentlyContinue |
            Export-RlRollout $target -Force -ErrorVariable errs -ErrorAction SilentlyContinue
        (Get-FileHash $target).Hash | Should -Be $before.Hash
        $errs.FullyQualifiedErrorId | Should -Contain 'NoRolloutsReceived,RlTools.Commands.ExportRlRolloutCommand'
        @(Get-ChildItem $TestDrive -Filter '*.tmp*').Count | Should -Be 0
    }

    It 'shows rollouts as a table with a truncated completion' {
        $r = New-SmallRollout 'view' 1
        $r.Completion = 'x' * 200
        $r.Reward = 0.5
        $text = $r | Format-Table | Out-String
        $text | Should -Match 'prompt_id\s+sample_index\s+reward\s+advantage\s+completion'
        $text | Should -Match 'view\s+1\s+0.5'
        $text | Should -Not -Match ('x' * 60)
    }
}
