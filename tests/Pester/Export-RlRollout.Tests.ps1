BeforeDiscovery {
    $script:Formats = @(
        @{ Format = 'Jsonl'; Ext = 'jsonl' }
        @{ Format = 'Csv'; Ext = 'csv' }
        @{ Format = 'Parquet'; Ext = 'parquet' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
}

Describe 'Export-RlRollout' {
    It 'writes to a name with wildcard characters through -LiteralPath; a -Path with wildcards must match one file' {
        $target = Join-Path $TestDrive 'out[1].jsonl'
        (New-SmallRollout 'w' 0) | Export-RlRollout -LiteralPath $target
        Test-Path -LiteralPath $target | Should -BeTrue
        { (New-SmallRollout 'w' 0) | Export-RlRollout (Join-Path $TestDrive 'new[2].jsonl') -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathNotFound,RlTools.Commands.ExportRlRolloutCommand'
        Test-Path -LiteralPath (Join-Path $TestDrive 'new[2].jsonl') | Should -BeFalse
    }

    It 'covers the three formats (discovery found <_>)' -ForEach @($Formats.Count) {
        $_ | Should -Be 3
    }

    Context '<Format>' -ForEach $Formats {
        It 'round-trips every field type semantically' {
            $path = "$TestDrive/full.$Ext"
            $rollouts = @((New-FullRollout), (New-SmallRollout 'b' 1))
            $rollouts[1].Extra['judge'] = $null  # CSV columns are fixed by the first rollout
            $rollouts[1].Extra['numeric_text'] = ''
            $rollouts[1].Extra['score'] = [double]::NaN
            $rollouts[1].Extra['count'] = [long]-1
            $rollouts | Export-RlRollout $path
            $back = @(Import-RlRollout $path)
            $back.Count | Should -Be 2
            Get-RolloutDifference $rollouts[0] $back[0] | Should -BeNullOrEmpty
            Get-RolloutDifference $rollouts[1] $back[1] | Should -BeNullOrEmpty
        }

        It 'refuses to overwrite without -Force, and -Force replaces' {
            $path = "$TestDrive/keep.$Ext"
            New-SmallRollout 'old' | Export-RlRollout $path
            { New-SmallRollout 'new' | Export-RlRollout $path -ErrorAction Stop } | Should -Throw -ErrorId 'FileExists,RlTools.Commands.ExportRlRolloutCommand'
            (Import-RlRollout $path).PromptId | Should -Be 'old'
            New-SmallRollout 'new' | Export-RlRollout $path -Force
            (Import-RlRollout $path).PromptId | Should -Be 'new'
        }

        It 'appends to an existing file and creates a missing one' {
            $path = "$TestDrive/append.$Ext"
            @((New-SmallRollout 'a'), (New-SmallRollout 'b')) | Export-RlRollout $path -Append
            New-SmallRollout 'c' | Export-RlRollout $path -Append
            @(Import-RlRollout $path).PromptId | Should -Be @('a', 'b', 'c')
        }

        It 'leaves the previous file untouched when the pipeline fails midway' {
            $path = "$TestDrive/safe.$Ext"
            New-SmallRollout 'old' | Export-RlRollout $path
            $before = Get-FileHash $path
            { & { New-SmallRollout 'n1'; New-SmallRollout 'n2'; throw 'generator failed' } | Export-RlRollout $path -Force } | Should -Throw '*generator failed*'
            { & { New-SmallRollout 'n1'; throw 'generator failed' } | Export-RlRollout $path -Append } | Should -Throw '*generator failed*'
            (Get-FileHash $path).Hash | Should -Be $before.Hash
            @(Get-ChildItem $TestDrive -Force -Filter '*.tmp').Count | Should -Be 0
        }

        It 'writes nothing with -WhatIf' {
            $path = "$TestDrive/whatif.$Ext"
            New-SmallRollout 'x' | Export-RlRollout $path -WhatIf
            $path | Should -Not -Exist
        }

        It 'reports a rollout it cannot write, writes the others, and halts with -ErrorAction Stop' {
            $path = "$TestDrive/partial.$Ext"
            $bad = New-SmallRollout 'bad'
            $bad.Metadata['sb'] = [System.Text.StringBuilder]::new('not storable')
            @((New-SmallRollout 'a'), $bad, (New-SmallRollout 'c')) | Export-RlRollout $path -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'RolloutNotWritable,RlTools.Commands.ExportRlRolloutCommand'
            $errs[0].TargetObject.PromptId | Should -Be 'bad'
            @(Import-RlRollout $path).PromptId | Should -Be @('a', 'c')
            { @((New-SmallRollout 'z'), $bad) | Export-RlRollout $path -Force -ErrorAction Stop } | Should -Throw -ErrorId 'RolloutNotWritable,RlTools.Commands.ExportRlRolloutCommand'
            @(Import-RlRollout $path).PromptId | Should -Be @('a', 'c')
        }

        It 'writes PowerShell values in maps as their plain equivalents' {
            $path = "$TestDrive/ps.$Ext"
            $r = New-SmallRollout 'ps'
            $r.Metadata['int'] = 5
            $r.Metadata['array'] = @(1, 'a', $true)
            $r.Metadata['hash'] = @{ k = 1.5 }
            $r.Metadata['object'] = [pscustomobject]@{ name = 'n'; n = 2 }
            $r | Export-RlRollout $path
            $m = (Import-RlRollout $path).Metadata
            $m['int'] | Should -BeOfType ([long])
            $m['array'][0] | Should -Be 1
            $m['array'][2] | Should -BeTrue
            $m['hash']['k'] | Should -Be 1.5
            $m['object']['name'] | Should -Be 'n'
            $m['object']['n'] | Should -Be 2
        }
    }

    It 'refuses an unknown extension unless -Format is given' {
        { New-SmallRollout 'x' | Export-RlRollout "$TestDrive/out.txt" -ErrorAction Stop } | Should -Throw -ErrorId 'FormatNotInferred,RlTools.Commands.ExportRlRolloutCommand'
        New-SmallRollout 'x' | Export-RlRollout "$TestDrive/out.txt" -Format Jsonl
        (Import-RlRollout "$TestDrive/out.txt" -Format Jsonl).PromptId | Should -Be 'x'
    }

    It 'refuses to append to a CSV or Parquet file that is not a rollout file' {
        Set-Content "$TestDrive/foreign.csv" "a,b`n1,2"
        { New-SmallRollout 'x' | Export-RlRollout "$TestDrive/foreign.csv" -Append -ErrorAction Stop } | Should -Throw -ErrorId 'AppendSchemaMismatch,RlTools.Commands.ExportRlRolloutCommand'
        Get-Content "$TestDrive/foreign.csv" | Should -Be @('a,b', '1,2')
        Set-Content "$TestDrive/foreign.parquet" 'not parquet'
        { New-SmallRollout 'x' | Export-RlRollout "$TestDrive/foreign.parquet" -Append -ErrorAction Stop } | Should -Throw -ErrorId 'ExportFailed,RlTools.Commands.ExportRlRolloutCommand'
    }

    It 'reports a CSV rollout whose extra field has no column' {
        $a = New-SmallRollout 'a'
        $b = New-SmallRollout 'b'
        $b.Extra['new_field'] = 1
        @($a, $b) | Export-RlRollout "$TestDrive/cols.csv" -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].Exception.Message | Should -Match "new_field"
        @(Import-RlRollout "$TestDrive/cols.csv").PromptId | Should -Be @('a')
    }

    It 'writes JSONL that Python json.loads reads with NaN and Infinity as floats' -Skip:(-not (Get-Command python3 -ErrorAction Ignore)) {
        New-FullRollout | Export-RlRollout "$TestDrive/py.jsonl"
        $code = 'import json,math,sys; r=json.loads(open(sys.argv[1],encoding="utf-8").readline()); print(math.isnan(r["logprobs"][1]), r["advantage"], type(r["metadata"]["double"]).__name__, r["metadata"]["text"], r["prompt"][-1] == "\U0001F600")'
        python3 -c $code "$TestDrive/py.jsonl" | Should -Be 'True -inf float NaN True'
    }
}
