BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
}

Describe 'New-RlPolicy' {
    It 'makes a Tiny byte-tokenizer policy' {
        $p = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1
        $p.GetType().FullName | Should -Be 'RlTools.Torch.Policy'
        $p.ModelType | Should -Be 'qwen2'
        $p.VocabSize | Should -Be 259
        $p.TokenizerName | Should -Be 'ByteTokenizer'
        $p.Device | Should -Be 'cpu'
        $p.DType | Should -Be 'float32'
        $p.ParameterCount | Should -BeGreaterThan 10000
        $p.Frozen | Should -BeFalse
        $p.Step | Should -Be 0
    }

    It 'is reproducible with -Seed and differs without it' {
        $prompt = [RlTools.Core.Records.PromptRecord]@{ Id = 'x'; Prompt = 'abc' }
        $a = $prompt | Invoke-RlRollout -Policy (New-RlPolicy Tiny -Seed 3) -MaxTokens 8 -Temperature 0
        $b = $prompt | Invoke-RlRollout -Policy (New-RlPolicy Tiny -Seed 3) -MaxTokens 8 -Temperature 0
        $c = $prompt | Invoke-RlRollout -Policy (New-RlPolicy Tiny -Seed 4) -MaxTokens 8 -Temperature 0
        $a.Logprobs | Should -Be $b.Logprobs
        ($a.Logprobs -join ',') | Should -Not -Be ($c.Logprobs -join ',')
    }

    It 'builds from a hashtable of config.json keys, taking vocab_size from the tokenizer' {
        $p = New-RlPolicy -Config @{ model_type = 'qwen3'; hidden_size = 32; intermediate_size = 48; num_hidden_layers = 1; num_attention_heads = 4; num_key_value_heads = 2; head_dim = 8 } -Seed 2
        $p.ModelType | Should -Be 'qwen3'
        $p.VocabSize | Should -Be 259
    }

    It 'builds from a config.json path' {
        $dir = New-RlTestDirectory
        @{ model_type = 'llama'; hidden_size = 32; intermediate_size = 64; num_hidden_layers = 1; num_attention_heads = 2; vocab_size = 300 } |
            ConvertTo-Json | Set-Content (Join-Path $dir 'config.json')
        $p = New-RlPolicy -Config (Join-Path $dir 'config.json') -Seed 1
        $p.ModelType | Should -Be 'llama'
        $p.VocabSize | Should -Be 300
    }

    It 'makes bfloat16 weights with -DType' {
        (New-RlPolicy Tiny -Seed 1 -DType bfloat16).DType | Should -Be 'bfloat16'
    }

    It 'names an unknown preset' {
        { New-RlPolicy -Config Huge -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownModelPreset,RlTools.Commands.NewRlPolicyCommand'
    }

    It 'names an unknown model_type' {
        { New-RlPolicy -Config @{ model_type = 'gpt2'; hidden_size = 8 } -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownModelType,RlTools.Commands.NewRlPolicyCommand'
    }

    It 'refuses a config whose vocabulary is smaller than the tokenizer' {
        { New-RlPolicy -Config @{ model_type = 'llama'; hidden_size = 8; intermediate_size = 8; num_hidden_layers = 1; num_attention_heads = 2; vocab_size = 100 } -ErrorAction Stop } |
            Should -Throw -ErrorId 'TokenizerVocabTooLarge,RlTools.Commands.NewRlPolicyCommand'
    }

    It 'reports a missing tokenizer folder' {
        { New-RlPolicy Tiny -Tokenizer (Join-Path ([IO.Path]::GetTempPath()) 'no-such-tokenizer-dir') -ErrorAction Stop } | Should -Throw -ErrorId 'PathNotFound,RlTools.Commands.NewRlPolicyCommand'
    }

    It 'completes preset names' {
        $r = TabExpansion2 -inputScript 'New-RlPolicy -Config Ti' -cursorColumn 23
        $r.CompletionMatches.CompletionText | Should -Contain 'Tiny'
    }
}
