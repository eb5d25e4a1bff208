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
