BeforeDiscovery {
    $script:Cases = @(
        @{ Completion = 'The answer is \boxed{\frac{1}{2}}.'; Answer = '0.5'; Expected = $true }
        @{ Completion = 'The answer is \boxed{\frac{1}{3}}.'; Answer = '0.5'; Expected = $false }
        @{ Completion = "Janet makes 9 * 2 = 18 dollars.`n#### 18"; Answer = 'She sells 16-3-4=9 eggs, 9*2=18. #### 18'; Expected = $true }
        @{ Completion = '\boxed{x < 3}'; Answer = '(-\infty, 3)'; Expected = $true }
        @{ Completion = '\boxed{(-\infty, 3]}'; Answer = 'x < 3'; Expected = $false }
        @{ Completion = '\boxed{\{3, 1, 2\}}'; Answer = '\{1,2,3\}'; Expected = $true }
        @{ Completion = '\boxed{\begin{pmatrix}1&2\\3&4\end{pmatrix}}'; Answer = '\begin{bmatrix}1&2\\3&4\end{bmatrix}'; Expected = $true }
        @{ Completion = '\boxed{2\sqrt{3}}'; Answer = '\sqrt{12}'; Expected = $true }
        @{ Completion = '\boxed{30^\circ}'; Answer = '\frac{\pi}{6}'; Expected = $true }
        @{ Completion = '\boxed{2.999}'; Answer = '3'; Expected = $false }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
}

Describe 'Test-RlAnswer' {
    It 'has the expected number of data-driven cases' {
        $Cases.Count | Should -Be 10
    }

    It 'judges <Completion> against <Answer> as <Expected>' -ForEach $Cases {
        $r = Test-RlAnswer -Completion $Completion -Answer $Answer
        $r | Should -BeOfType ([RlTools.Core.Verifiers.AnswerCheck])
        $r.IsCorrect | Should -Be $Expected
        $r.Verifier | Should -Be 'Math'
        $r.Reason | Should -Not -BeNullOrEmpty
    }

    It 'returns what it extracted and both normalised sides' {
        $r = Test-RlAnswer 'So $x = \boxed{\dfrac{3}{4}}$.' '0.75'
        $r.Extracted | Should -Be '\dfrac{3}{4}'
        $r.ExtractedAnswer | Should -Be '0.75'
        $r.Normalized.Completion | Should -Be '(3)/(4)'
        $r.Normalized.Answer | Should -Be '0.75'
        $r.Score | Should -Be 1.0
        $r.Reason | Should -Match 'boxed'
    }

    It 'says when no answer was found' {
        $r = Test-RlAnswer -Completion 'Let me think about this carefully before I write anything down at all.' -Answer '5' -Parameters @{ Fallback = $false }
        $r.IsCorrect | Should -BeFalse
        $r.Reason | Should -Match 'no answer'
    }

    It 'does not apply without a gold answer' {
        $r = Test-RlAnswer -Completion '\boxed{5}' -Answer ''
        $r.IsCorrect | Should -BeNullOrEmpty
        $r.Score | Should -BeNullOrEmpty
    }

    It 'uses another verifier with parameters' {
        (Test-RlAnswer -Completion 'The answer is 3.1416' -Answer '3.14159' -Verifier Numeric -Parameters @{ RelativeTolerance = 1e-3 }).IsCorrect | Should -BeTrue
        (Test-RlAnswer -Completion 'The answer is 3.2' -Answer '3.14159' -Verifier Numeric -Parameters @{ RelativeTolerance = 1e-3 }).IsCorrect | Should -BeFalse
        (Test-RlAnswer -Completion 'I pick (C).' -Answer 'C' -Verifier Choice).IsCorrect | Should -BeTrue
    }

    It 'takes Completion and Answer from the pipeline by property name' {
        $r = [pscustomobject]@{ Completion = '#### 12'; Answer = '12' } | Test-RlAnswer
        $r.IsCorrect | Should -BeTrue
    }

    It 'stops on an unknown verifier with a clear error' {
        { Test-RlAnswer -Completion 1 -Answer 1 -Verifier Nope -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownVerifier,RlTools.Commands.TestRlAnswerCommand'
    }

    It 'stops on a bad parameter' {
        { Test-RlAnswer -Completion 1 -Answer 1 -Parameters @{ Fallbak = $true } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidVerifierParameter,RlTools.Commands.TestRlAnswerCommand'
    }

    It 'completes -Verifier through TabExpansion2' {
        $line = 'Test-RlAnswer -Verifier Num'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'Numeric'
    }

    It 'never throws on hostile input' {
        foreach ($c in @(('{' * 10000), ('\frac' * 3000), '\boxed{10^{10^{10^{10}}}}', ([string][char]0 * 100), ('\sqrt[' * 500))) {
            { Test-RlAnswer -Completion $c -Answer $c } | Should -Not -Throw
        }
    }
}
