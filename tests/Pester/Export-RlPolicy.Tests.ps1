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

    It 'writes nothing with -IncludeOptimizerState -WhatIf' {
        $trained = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 5
        $batch = New-RlDataset -Task ArithmeticFixed -Count 4 -Seed 1 -WithSolution | ConvertTo-RlRollout -Policy $trained |
            ForEach-Object { $_.Advantage = 1.0; $_ }
        $null = $batch | Update-RlPolicy -Policy $trained -LearningRate 1e-3
        $dir = Join-Path (New-RlTestDirectory) 'ckpt'
        Export-RlPolicy -Policy $trained -Path $dir -IncludeOptimizerState -WhatIf
        $dir | Should -Not -Exist
        Export-RlPolicy -Policy $trained -Path $dir -IncludeOptimizerState
        foreach ($f in 'model.safetensors', 'trainer_state.json', 'optimizer.safetensors') { Join-Path $dir $f | Should -Exist }
        (Get-Content (Join-Path $dir 'trainer_state.json') -Raw | ConvertFrom-Json).Step | Should -Be 1
        Get-ChildItem (Split-Path $dir) | Should -HaveCount 1 # no temporary folder left beside it
        $trained.Dispose()
    }

    It 'warns and writes weights only when the policy has no trainer state' {
        $dir = Join-Path (New-RlTestDirectory) 'ckpt'
        $warn = $null
        Export-RlPolicy -Policy $Policy -Path $dir -IncludeOptimizerState -WarningVariable warn -WarningAction SilentlyContinue
        $warn | Should -HaveCount 1
        "$($warn[0])" | Should -Match 'no trainer state'
        Join-Path $dir 'model.safetensors' | Should -Exist
        Join-Path $dir 'trainer_state.json' | Should -Not -Exist
    }

    It 'recovers from an export killed between its two renames: <Next> puts the previous checkpoint back, nothing is left beside it' -ForEach @(
        @{ Next = 'Import-RlPolicy' }, @{ Next = 'Export-RlPolicy without -Force' }, @{ Next = 'Export-RlPolicy -Force' }) {
        # issue #18 item 11. The on-disk state that `kill -9` between the renames of Export-RlPolicy -Force leaves
        # (AtomicFile.WriteDirectory): the target renamed to .<name>.<id>.old, the new checkpoint complete in
        # .<name>.<id>.tmp, the dead writer's lock file .<name>.<id>.lock, and no folder at the target.
        $dir = Join-Path (New-RlTestDirectory) 'ckpt'
        $parent = Split-Path $dir
        Export-RlPolicy -Policy $Policy -Path $dir
        $before = (Get-FileHash (Join-Path $dir 'model.safetensors')).Hash
        $other = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 6
        Export-RlPolicy -Policy $other -Path (Join-Path $parent '.ckpt.0123abcd.tmp')
        Move-Item $dir (Join-Path $parent '.ckpt.0123abcd.old')
        Set-Content (Join-Path $parent '.ckpt.0123abcd.lock') ''
        $dir | Should -Not -Exist
        switch ($Next) {
            'Import-RlPolicy' {
                $p = Import-RlPolicy $dir
                $p.ModelType | Should -Be 'qwen2'
                $p.Dispose()
                (Get-FileHash (Join-Path $dir 'model.safetensors')).Hash | Should -Be $before
            }
            'Export-RlPolicy without -Force' {
                # the previous checkpoint is back at the target, so it is not overwritten without -Force
                { Export-RlPolicy -Policy $other -Path $dir -ErrorAction Stop } | Should -Throw -ErrorId 'CheckpointExists,RlTools.Commands.ExportRlPolicyCommand'
                (Get-FileHash (Join-Path $dir 'model.safetensors')).Hash | Should -Be $before
            }
            'Export-RlPolicy -Force' {
                Export-RlPolicy -Policy $other -Path $dir -Force
                (Get-FileHash (Join-Path $dir 'model.safetensors')).Hash | Should -Not -Be $before
            }
        }
        @(Get-ChildItem $parent -Force).Name | Should -Be @('ckpt') # no .tmp, .old or .lock left beside it
        $other.Dispose()
    }

    It 'refuses a file as the target' {
        $file = Join-Path (New-RlTestDirectory) 'file.txt'
        Set-Content $file 'x'
        { Export-RlPolicy -Policy $Policy -Path $file -ErrorAction Stop } | Should -Throw -ErrorId 'PathIsFile,RlTools.Commands.ExportRlPolicyCommand'
    }
}
