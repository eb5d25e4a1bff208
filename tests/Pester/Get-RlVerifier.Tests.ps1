BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
}

Describe 'Get-RlVerifier' {
    It 'lists every verifier of the registry' {
        $all = @(Get-RlVerifier)
        $all.Name | Should -Be @('Math', 'ExactMatch', 'Numeric', 'Choice', 'Regex', 'Format', 'Length', 'Code', 'ScriptBlock')
        $all | ForEach-Object {
            $_ | Should -BeOfType ([RlTools.Core.Verifiers.VerifierInfo])
            $_.Description | Should -Not -BeNullOrEmpty
            $_.Source | Should -Not -BeNullOrEmpty
        }
    }

    It 'shows parameters with their defaults' {
        $len = Get-RlVerifier Length
        ($len.Parameters | Where-Object Name -EQ 'MaxLength').Default | Should -Be 20480
        ($len.Parameters | Where-Object Name -EQ 'Buffer').Default | Should -Be 4096
        $len.ParameterSummary | Should -Match 'Factor = 1'
        (Get-RlVerifier Math).Parameters.Name | Should -Contain 'Fallback'
    }

    It 'matches wildcards' {
        (Get-RlVerifier -Name *Match*, Num*).Name | Should -Be @('ExactMatch', 'Numeric')
    }

    It 'reports an unknown name' {
        Get-RlVerifier -Name Nope -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -Be 'VerifierNotFound,RlTools.Commands.GetRlVerifierCommand'
        $ev[0].Exception.Message | Should -Match 'Math'
    }

    It 'lists the same names tab completion offers' {
        $line = 'Measure-RlReward -Verifier '
        $completed = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completed | Should -Be (Get-RlVerifier).Name
    }
}
