BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
}

Describe 'New-RlDataset' {
    It 'completes -Task from the registry' {
        (TabExpansion2 -inputScript 'New-RlDataset -Task ' -cursorColumn 20).CompletionMatches.CompletionText | Should -Be @('Arithmetic', 'Countdown')
        (TabExpansion2 -inputScript 'New-RlDataset -Task co' -cursorColumn 22).CompletionMatches.CompletionText | Should -Be 'Countdown'
    }

    It 'emits prompt records with right answers for 2-digit addition by default' {
        $d = New-RlDataset -Task Arithmetic
        $d.Count | Should -Be 100
        $d | Should -BeOfType ([RlTools.Core.Records.PromptRecord])
        foreach ($r in $d) {
            $r.Prompt -match '^(\d{1,2})\+(\d{1,2})=$' | Should -BeTrue
            [long] $r.Answer | Should -Be ([long] $Matches[1] + [long] $Matches[2])
            $r.Id | Should -Be ('Arithmetic:' + $r.Prompt.TrimEnd('='))
            $r.Metadata['split'] | Should -Be 'Train'
            $r.Metadata['difficulty'] | Should -Be 2
        }
        @($d.Id | Sort-Object -Unique).Count | Should -Be 100
    }

    It 'covers subtraction and multiplication at higher difficulty' {
        $d = New-RlDataset Arithmetic 200 -Seed 3 -Difficulty 6
        foreach ($r in $d) {
            $r.Prompt -match '^(\d+)([-+*])(\d+)=$' | Should -BeTrue
            $a = [long] $Matches[1]; $b = [long] $Matches[3]
            $expected = switch ($Matches[2]) { '+' { $a + $b } '-' { $a - $b } '*' { $a * $b } }
            [long] $r.Answer | Should -Be $expected
        }
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
        foreach ($r in $d) {
            $numbers = [long[]] $r.Metadata['numbers']
            $numbers.Count | Should -Be 4
            $r.Prompt | Should -Be ("$($numbers -join ' ') -> $($r.Answer):")
            [RlTools.Core.Tasks.CountdownTask]::Check($numbers, [long] $r.Answer, $r.Metadata['solution']) | Should -BeNullOrEmpty
            [RlTools.Core.Tasks.CountdownTask]::Check($numbers, [long] $r.Answer, $r.Answer) | Should -Not -BeNullOrEmpty
        }
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
