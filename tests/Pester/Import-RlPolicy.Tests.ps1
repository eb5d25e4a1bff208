BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Source = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 8
    function New-Checkpoint {
        $dir = Join-Path (New-RlTestDirectory) 'ckpt'
        Export-RlPolicy -Policy $Source -Path $dir
        $dir
    }
}

Describe 'Import-RlPolicy' {
    It 'loads an exported checkpoint' {
        $dir = New-Checkpoint
        $p = Import-RlPolicy -Path $dir
        $p.GetType().FullName | Should -Be 'RlTools.Torch.Policy'
        $p.SourcePath | Should -Be $dir
        $p.ParameterCount | Should -Be $Source.ParameterCount
        $p.Frozen | Should -BeFalse
    }

    It 'marks -Frozen policies and converts with -DType' {
        $p = Import-RlPolicy (New-Checkpoint) -Frozen -DType bfloat16
        $p.Frozen | Should -BeTrue
        $p.DType | Should -Be 'bfloat16'
    }

    It 'reads a folder with wildcard characters in its name through -LiteralPath; a -Path that matches nothing is an error' {
        $dir = Join-Path (New-RlTestDirectory) 'ckpt[1]'
        Export-RlPolicy -Policy $Source -LiteralPath $dir
        (Import-RlPolicy -LiteralPath $dir).SourcePath | Should -Be $dir
        { Import-RlPolicy -Path (Join-Path (Split-Path $dir) 'none[0-9]') -ErrorAction Stop } | Should -Throw -ErrorId 'PathNotFound,RlTools.Commands.ImportRlPolicyCommand'
    }

    It 'refuses NaN weights unless -AllowNonFiniteWeights, and a FIFO in place of the weights without blocking' {
        $dir = New-Checkpoint
        $file = Join-Path $dir 'model.safetensors'
        $bytes = [IO.File]::ReadAllBytes($file)
        $headerLength = [BitConverter]::ToInt64($bytes, 0)
        [BitConverter]::GetBytes([float]::NaN).CopyTo($bytes, 8 + $headerLength) # the first value of the first tensor
        [IO.File]::WriteAllBytes($file, $bytes)
        $err = $null
        $p = Import-RlPolicy $dir -ErrorAction SilentlyContinue -ErrorVariable err
        $p | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'NonFiniteWeights,RlTools.Commands.ImportRlPolicyCommand'
        $err[0].Exception.Message | Should -Match 'AllowNonFiniteWeights'
        (Import-RlPolicy $dir -AllowNonFiniteWeights).ModelType | Should -Be 'qwen2'
        if (-not $IsWindows) {
            Remove-Item $file
            & mkfifo $file
            { Import-RlPolicy $dir -ErrorAction Stop } | Should -Throw -ErrorId 'NotARegularFile,RlTools.Commands.ImportRlPolicyCommand'
        }
    }

    It 'accepts folders from the pipeline' {
        $p = Get-Item (New-Checkpoint) | Import-RlPolicy
        $p.ModelType | Should -Be 'qwen2'
    }

    It 'formats as a table without tensors' {
        $text = Import-RlPolicy (New-Checkpoint) | Out-String
        $text | Should -Match 'qwen2'
        $text | Should -Match 'ByteTokenizer'
    }

    It 'names a missing folder' {
        { Import-RlPolicy (Join-Path ([IO.Path]::GetTempPath()) 'no-such-ckpt') -ErrorAction Stop } | Should -Throw -ErrorId 'CheckpointNotFound,RlTools.Commands.ImportRlPolicyCommand'
    }

    It 'names an unknown model_type' {
        $dir = New-Checkpoint
        $cfg = Get-Content (Join-Path $dir 'config.json') -Raw | ConvertFrom-Json
        $cfg.model_type = 'falcon'
        $cfg | ConvertTo-Json | Set-Content (Join-Path $dir 'config.json')
        { Import-RlPolicy $dir -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownModelType,RlTools.Commands.ImportRlPolicyCommand'
    }

    It 'names a truncated weights file and the file' {
        $dir = New-Checkpoint
        $file = Join-Path $dir 'model.safetensors'
        $bytes = [IO.File]::ReadAllBytes($file)
        [IO.File]::WriteAllBytes($file, $bytes[0..($bytes.Length - 100)])
        $err = $null
        $null = Import-RlPolicy $dir -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'TruncatedSafetensors,RlTools.Commands.ImportRlPolicyCommand'
        $err[0].Exception.Message | Should -Match 'model\.safetensors'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'names a shape that disagrees with config.json' {
        $dir = New-Checkpoint
        $cfg = Get-Content (Join-Path $dir 'config.json') -Raw | ConvertFrom-Json
        $cfg.hidden_size = 96
        $cfg | ConvertTo-Json | Set-Content (Join-Path $dir 'config.json')
        $err = $null
        $null = Import-RlPolicy $dir -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'TensorShapeMismatch,RlTools.Commands.ImportRlPolicyCommand'
        $err[0].TargetObject | Should -Match 'model\.embed_tokens\.weight'
    }

    It 'rejects an unknown device with a parameter error' {
        { Import-RlPolicy (New-Checkpoint) -Device tpu -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RlTools.Commands.ImportRlPolicyCommand'
    }
}

Describe 'Import-RlPolicy -Resume' {
    BeforeAll {
        $script:Threads = (Get-RlDevice).Threads
        $null = Get-RlDevice -Threads 1 # one thread: deterministic and fast for tiny tensors
        $script:Tok = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1 # tokenizes the batches only
        # A fixed batch: arithmetic demonstrations with alternating advantages (+1/-1).
        function Get-Batch([int] $Seed) {
            $i = 0
            New-RlDataset -Task ArithmeticFixed -Count 8 -Seed $Seed -WithSolution | ConvertTo-RlRollout -Policy $Tok |
                ForEach-Object { $_.Advantage = if ($i++ % 2) { 1.0 } else { -1.0 }; $_ }
        }
        function Invoke-Steps($Policy, [int[]] $Seeds) {
            foreach ($s in $Seeds) { $null = Get-Batch $s | Update-RlPolicy -Policy $Policy -LearningRate 1e-3 -MiniBatchSize 4 }
        }
        function Get-WeightBytes($Policy) {
            $dir = Join-Path (New-RlTestDirectory) 'w'
            Export-RlPolicy -Policy $Policy -Path $dir
            , [IO.File]::ReadAllBytes((Join-Path $dir 'model.safetensors'))
        }
    }
    AfterAll { $null = Get-RlDevice -Threads $script:Threads }

    It 'resumes an interrupted run bit for bit, and differs without -Resume' {
        # Uninterrupted: 3 update calls of 2 optimizer steps; checkpoint after step k = 2.
        $full = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1
        Invoke-Steps $full 1
        $ckpt = Join-Path (New-RlTestDirectory) 'ckpt'
        Export-RlPolicy -Policy $full -Path $ckpt -IncludeOptimizerState
        Join-Path $ckpt 'trainer_state.json' | Should -Exist
        Join-Path $ckpt 'optimizer.safetensors' | Should -Exist
        Invoke-Steps $full 2, 3

        $resumed = Import-RlPolicy $ckpt -Resume
        $resumed.Step | Should -Be 2
        Invoke-Steps $resumed 2, 3
        $resumed.Step | Should -Be 6

        $fresh = Import-RlPolicy $ckpt # same weights, no optimizer moments
        $fresh.Step | Should -Be 0
        Invoke-Steps $fresh 2, 3

        $expected = Get-WeightBytes $full
        $got = Get-WeightBytes $resumed
        $other = Get-WeightBytes $fresh
        $got.Length | Should -Be $expected.Length
        $got.GetType() | Should -Be ([byte[]])
        [Linq.Enumerable]::SequenceEqual($got, $expected) | Should -BeTrue
        [Linq.Enumerable]::SequenceEqual($other, $expected) | Should -BeFalse
        $full.Dispose(); $resumed.Dispose(); $fresh.Dispose()
    }

    It 'names a folder without trainer state' {
        $err = $null
        $p = Import-RlPolicy (New-Checkpoint) -Resume -ErrorAction SilentlyContinue -ErrorVariable err
        $p | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'TrainerStateNotFound,RlTools.Commands.ImportRlPolicyCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].Exception.Message | Should -Match 'IncludeOptimizerState'
    }

    It 'names a corrupt trainer state' {
        $p = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1
        Invoke-Steps $p 1
        $ckpt = Join-Path (New-RlTestDirectory) 'ckpt'
        Export-RlPolicy -Policy $p -Path $ckpt -IncludeOptimizerState
        Set-Content (Join-Path $ckpt 'trainer_state.json') '{ not json'
        { Import-RlPolicy $ckpt -Resume -ErrorAction Stop } | Should -Throw -ErrorId 'TrainerStateInvalid,RlTools.Commands.ImportRlPolicyCommand'
        $p.Dispose()
    }

    It 'refuses a trainer state with a negative step' {
        $p = New-RlPolicy -Config Tiny -Tokenizer Byte -Seed 1
        Invoke-Steps $p 1
        $ckpt = Join-Path (New-RlTestDirectory) 'ckpt'
        Export-RlPolicy -Policy $p -Path $ckpt -IncludeOptimizerState
        $json = Join-Path $ckpt 'trainer_state.json'
        (Get-Content $json -Raw) -replace '"Step":\s*\d+', '"Step": -5' | Set-Content $json
        $err = $null
        $null = Import-RlPolicy $ckpt -Resume -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'TrainerStateInvalid,RlTools.Commands.ImportRlPolicyCommand'
        $err[0].Exception.Message | Should -Match 'step is -5'
        $p.Dispose()
    }
}
