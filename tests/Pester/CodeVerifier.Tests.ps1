# The Code verifier through the pipeline: Import-RlDataset -TestsField, Import-RlRollout | Measure-RlReward -Verifier Code,
# Test-RlAnswer -Verifier Code, Python and PowerShell programs. Limits are generous (the machine may be slow and loaded).
BeforeDiscovery {
    # Programs need python3 (.ci/run installs Debian's); where there is none, the tests that run one are skipped.
    $script:NoPython = -not ($IsLinux -and ((Test-Path /usr/bin/python3) -or (Test-Path /usr/local/bin/python3)))
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Fence = '```'
    function script:Block([string] $Lang, [string] $Code) { "Solution:`n$Fence$Lang`n$Code`n$Fence`n" }
}

Describe 'Code verifier' {
    It 'is listed by Get-RlVerifier with its sandbox parameters' {
        $v = Get-RlVerifier Code
        $v.Name | Should -Be 'Code'
        $v.Parameters.Name | Should -Contain 'TimeLimit'
        $v.Parameters.Name | Should -Contain 'MemoryMB'
        $v.Parameters.Name | Should -Contain 'Isolation'
    }

    It 'Import-RlDataset -TestsField puts the tests in Metadata.tests' {
        $rows = @(
            '{"text": "Square a number.", "test_list": ["assert sq(2) == 4", "assert sq(3) == 9"]}'
            '{"text": "Add.", "test_list": "{\"inputs\": [\"1 2\"], \"outputs\": [\"3\"]}"}'
        )
        Set-Content "$TestDrive/code.jsonl" $rows
        $p = Import-RlDataset "$TestDrive/code.jsonl" -PromptField text -TestsField test_list
        $p.Count | Should -Be 2
        @($p[0].Metadata['tests']).Count | Should -Be 2
        $p[0].Metadata.ContainsKey('test_list') | Should -BeFalse
        $p[1].Metadata['tests'] | Should -BeLike '*inputs*'
    }

    It 'reports a row without the tests column as InvalidDatasetRow' {
        Set-Content "$TestDrive/missing.jsonl" @('{"text": "a", "tests": "{}"}', '{"text": "b"}')
        $p = Import-RlDataset "$TestDrive/missing.jsonl" -PromptField text -TestsField tests -ErrorVariable errs -ErrorAction SilentlyContinue
        @($p).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidDatasetRow*'
        "$($errs[0])" | Should -BeLike '*tests*'
    }

    It 'scores rollouts through the pipeline in input order: correct 1, wrong 0, crashing 0, slow 0' -Skip:$NoPython {
        $tests = @{ inputs = @('2 3', '10 5'); outputs = @('5', '15') }
        $rows = @(
            @{ prompt_id = 'ok'; completion = (Block 'python' "a, b = map(int, input().split())`nprint(a + b)"); metadata = @{ tests = $tests } }
            @{ prompt_id = 'wrong'; completion = (Block 'python' "a, b = map(int, input().split())`nprint(a * b)"); metadata = @{ tests = $tests } }
            @{ prompt_id = 'crash'; completion = (Block 'python' "raise SystemExit(3)"); metadata = @{ tests = $tests } }
            @{ prompt_id = 'slow'; completion = (Block 'python' "while True: pass"); metadata = @{ tests = $tests } }
            @{ prompt_id = 'none'; completion = 'I cannot write code.'; metadata = @{ tests = $tests } }
        )
        $rows | ForEach-Object { $_ | ConvertTo-Json -Depth 5 -Compress } | Set-Content "$TestDrive/rollouts.jsonl"
        $scored = Import-RlRollout "$TestDrive/rollouts.jsonl" |
            Measure-RlReward -Verifier Code -Parameters @{ Code = @{ TimeLimit = 20 } } -ThrottleLimit 2
        $scored.PromptId | Should -Be @('ok', 'wrong', 'crash', 'slow', 'none')
        $scored.Reward | Should -Be @(1, 0, 0, 0, 0)
        $scored[0].Rewards['Code'] | Should -Be 1
    }

    It 'Test-RlAnswer -Verifier Code says which test failed and why' -Skip:$NoPython {
        $tests = '{"inputs": ["1", "2", "3"], "outputs": ["1", "4", "9"]}'
        $r = Test-RlAnswer -Verifier Code -Parameters @{ TimeLimit = 60; Partial = $true } -Answer $tests -Completion (Block 'python' "n = int(input())`nprint(n * n if n < 3 else 0)")
        $r.IsCorrect | Should -BeFalse
        $r.Score | Should -BeGreaterThan 0.66
        $r.Score | Should -BeLessThan 0.67
        $r.Reason | Should -BeLike '2/3 tests passed; test 3 failed: wrong output: expected "9", got "0"*'
        $r.Extracted | Should -BeLike '*n = int(input())*'
    }

    It 'runs PowerShell programs: stdin/stdout and a throwing test' {
        $p = @{ TimeLimit = 120; Language = 'PowerShell'; MaxProcesses = 256 }
        $io = Test-RlAnswer -Verifier Code -Parameters $p -Answer '{"inputs": ["21"], "outputs": ["42"]}' -Completion (Block 'powershell' '[int]([Console]::In.ReadLine()) * 2')
        if ($null -eq $io.Score -and $io.Reason -like '*cannot be reached by the run*') {
            # Root without namespaces runs programs as a uid of their own, which cannot enter the folder pwsh lives in
            # here (e.g. /root/.nuget): a missing capability of this machine, reported as such (about_RlCodeSandbox).
            Set-ItResult -Skipped -Because $io.Reason
            return
        }
        $io.IsCorrect | Should -BeTrue -Because $io.Reason
        $test = '{"test": "if ((Add-Two 2 3) -ne 5) { throw \"Add-Two 2 3 is not 5\" }"}'
        (Test-RlAnswer -Verifier Code -Parameters $p -Answer $test -Completion (Block 'pwsh' 'function Add-Two($a, $b) { $a + $b }')).IsCorrect | Should -BeTrue
        $bad = Test-RlAnswer -Verifier Code -Parameters $p -Answer $test -Completion (Block 'pwsh' 'function Add-Two($a, $b) { $a - $b }')
        $bad.IsCorrect | Should -BeFalse
        $bad.Reason | Should -BeLike '*error*'
    }

    It 'rejects a bad parameter with a clear error' {
        { Test-RlAnswer -Verifier Code -Parameters @{ Isolation = 'Docker' } -Answer '{}' -Completion 'x' } |
            Should -Throw -ErrorId 'InvalidVerifierParameter*'
    }
}
