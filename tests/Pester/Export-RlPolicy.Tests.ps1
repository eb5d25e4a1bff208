BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Policy = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 5
}

Describe 'Export-RlPolicy' {
    It 'writes the Hugging Face layout' {
        $dir = Join-Path (New-RlTestDirectory) 'ckpt'
        $out = Export-RlPolicy -Policy $Policy -Path $dir -PassThru
        $out | Should -BeOfType ([System.IO.DirectoryInfo])
        foreach ($f in 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer_config.json') { Join-Path $dir $f | Should -Exist }
        $cfg = Get-Content (Join-Path $dir 'config.json') -Raw | ConvertFrom-Json
        $cfg.model_type | Should -Be 'qwen2'
        $cfg.architectures | Should -Be 'Qwen2ForCausalLM'
        $cfg.vocab_size | Should -Be 259
    }

    It 'round-trips through Import-RlPolicy with identical rollouts' {
        $dir = Join-Path (New-RlTestDirectory) 'ckpt'
        $Policy | Export-RlPolicy $dir
        $back = Import-RlPolicy $dir
        $p = [RlTools.Core.Records.PromptRecord]@{ Id = 'a'; Prompt = 'round trip' }
        $x = $p | Invoke-RlRollout -Policy $Policy -MaxTokens 12 -Seed 9
        $y = $p | Invoke-RlRollout -Policy $back -MaxTokens 12 -Seed 9
        $y.CompletionTokens | Should -Be $x.CompletionTokens
        $y.Logprobs | Should -Be $x.Logprobs
    }

    It 'refuses to overwrite without -Force, and replaces with it' {
        $dir = Join-Path (New-RlTestDirectory) 'ckpt'
        Export-RlPolicy -Policy $Policy -Path $dir
        { Export-RlPolicy -Policy $Policy -Path $dir -ErrorAction Stop } | Should -Throw -ErrorId 'CheckpointExists,RlTools.Commands.ExportRlPolicyCommand'
        Set-Content (Join-Path $dir 'stale.txt') 'x'
        Export-RlPolicy -Policy $Policy -Path $dir -Force
        Join-Path $dir 'stale.txt' | Should -Not -Exist
        Join-Path $dir 'model.safetensors' | Should -Exist
    }

    It 'writes nothing with -WhatIf' {
        $dir = Join-Path (New-RlTestDirectory) 'ckpt'
        Export-RlPolicy -Policy $Policy -Path $dir -WhatIf
        $dir | Should -Not -Exist
    }

    It 'refuses a file as the target' {
        $file = Join-Path (New-RlTestDirectory) 'file.txt'
        Set-Content $file 'x'
        { Export-RlPolicy -Policy $Policy -Path $file -ErrorAction Stop } | Should -Throw -ErrorId 'PathIsFile,RlTools.Commands.ExportRlPolicyCommand'
    }
}
