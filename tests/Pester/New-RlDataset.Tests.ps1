BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
}

Describe 'New-RlDataset' {
    It 'completes -Task from the registry' {
        (TabExpansion2 -inputScript 'New-RlDataset -Task ' -cursorColumn 20).CompletionMatches.CompletionText | Should -Be @('Arithmetic', 'ArithmeticFixed', 'Countdown')
        (TabExpansion2 -inputScript 'New-RlDataset -Task co' -cursorColumn 22).CompletionMatches.CompletionText | Should -Be 'Countdown'
    }

    It 'emits prompt records with right answers for 2-digit addition by default' {
        $d = New-RlDataset -Task Arithmetic
        $d.Count | Should -Be 100
        $d | Should -BeOfType ([RlTools.Core.Records.PromptRecord])
        # Collect what is wrong and assert once (Should in a loop is slow).
        $wrong = foreach ($r in $d) {
            if ($r.Prompt -notmatch '^(\d{1,2})\+(\d{1,2})=$') { "bad prompt $($r.Prompt)"; continue }
            if ([long] $r.Answer -ne [long] $Matches[1] + [long] $Matches[2]) { "wrong answer $($r.Prompt)$($r.Answer)" }
            if ($r.Id -ne 'Arithmetic:' + $r.Prompt.TrimEnd('=')) { "bad id $($r.Id)" }
            if ($r.Metadata['split'] -ne 'Train' -or $r.Metadata['difficulty'] -ne 2) { "bad metadata $($r.Id)" }
        }
        $wrong | Should -BeNullOrEmpty
        @($d.Id | Sort-Object -Unique).Count | Should -Be 100
    }

    It 'covers subtraction and multiplication at higher difficulty' {
        $d = New-RlDataset Arithmetic 200 -Seed 3 -Difficulty 6
        $wrong = foreach ($r in $d) {
            if ($r.Prompt -notmatch '^(\d+)([-+*])(\d+)=$') { "bad prompt $($r.Prompt)"; continue }
            $a = [long] $Matches[1]; $b = [long] $Matches[3]
            $expected = switch ($Matches[2]) { '+' { $a + $b } '-' { $a - $b } '*' { $a * $b } }
            if ([long] $r.Answer -ne $expected) { "wrong answer $($r.Prompt)$($r.Answer)" }
        }
        $wrong | Should -BeNullOrEmpty
        ($d.Metadata.operator | Sort-Object -Unique) | Should -Be @('-', '*', '+')
    }

    It 'is deterministic by seed' {
        (New-RlDataset Arithmetic 20 -Seed 5).Prompt | Should -Be (New-RlDataset Arithmetic 20 -Seed 5).Prompt
        (New-RlDataset Arithmetic 20 -Seed 5).Prompt | Should -Not -Be (New-RlDataset Arithmetic 20 -Seed 6).Prompt
    }

    It 'never puts a held-out problem in a training set' {
        $train = foreach ($s in 1..3) { (New-RlDataset Arithmetic 1000 -Seed $s).Id }
        $test = (New-RlDataset Arithmetic 300 -Seed 1 -Split Test).Id
        $test.Count | Should -Be 300
        $held = [System.Collections.Generic.HashSet[string]]::new([string[]] $test)
        @($train | Where-Object { $held.Contains($_) }).Count | Should -Be 0
        $held.Count | Should -Be 300
        (New-RlDataset Arithmetic 1 -Split Test).Metadata['split'] | Should -Be 'Test'
    }

    It 'adds the demonstration completion with -WithSolution' {
        $r = New-RlDataset Arithmetic 5 -WithSolution
        foreach ($x in $r) { $x.Metadata['solution'] | Should -Be $x.Answer }
        (New-RlDataset Arithmetic 1).Metadata.ContainsKey('solution') | Should -BeFalse
    }

    It 'generates solvable Countdown puzzles whose solutions check' {
        $d = New-RlDataset Countdown 50 -Seed 2 -Difficulty 5 -WithSolution
        $wrong = foreach ($r in $d) {
            $numbers = [long[]] $r.Metadata['numbers']
            if ($numbers.Count -ne 4) { "not 4 numbers: $($r.Prompt)" }
            if ($r.Prompt -ne "$($numbers -join ' ') -> $($r.Answer):") { "bad prompt $($r.Prompt)" }
            $why = [RlTools.Core.Tasks.CountdownTask]::Check($numbers, [long] $r.Answer, $r.Metadata['solution'])
            if ($why) { "solution $($r.Metadata['solution']) of $($r.Prompt) fails: $why" }
            if (-not [RlTools.Core.Tasks.CountdownTask]::Check($numbers, [long] $r.Answer, $r.Answer)) { "the bare target passes for $($r.Prompt)" }
        }
        $wrong | Should -BeNullOrEmpty
        $d.Count | Should -Be 50
    }

    It 'emits nothing for -Count 0' {
        @(New-RlDataset Countdown 0).Count | Should -Be 0
    }

    It 'reports an unknown task, a difficulty out of range and an exhausted problem space' {
        { New-RlDataset -Task Sudoku -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownTask,RlTools.Commands.NewRlDatasetCommand'
        { New-RlDataset -Task Arithmetic -Difficulty 9 -ErrorAction Stop } | Should -Throw -ErrorId 'DifficultyOutOfRange,RlTools.Commands.NewRlDatasetCommand'
        { New-RlDataset -Task Arithmetic -Difficulty 1 -Count 100 -ErrorAction Stop } | Should -Throw -ErrorId 'TaskSpaceExhausted,RlTools.Commands.NewRlDatasetCommand'
    }
}
