BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
}

Describe 'Get-RlDevice' {
    It 'reports the libtorch version the engine loaded' {
        $d = Get-RlDevice
        $d | Should -BeOfType ([RlTools.Core.Records.DeviceInfo])
        $d.LibTorchVersion | Should -Match '^2\.\d+'
        $d.TorchSharpVersion | Should -Match '^0\.\d+'
        $d.Backend | Should -BeIn 'cpu', 'cuda-linux', 'cuda-windows'
        $d.Threads | Should -BeGreaterThan 0
        $d.CudaAvailable | Should -BeOfType ([bool])
        $d.LoadContext | Should -Be 'RlTools.Engine'
        $d.Check | Should -BeNullOrEmpty
    }

    It 'reports CUDA devices only when CUDA is available' {
        $d = Get-RlDevice
        if (-not $d.CudaAvailable) { $d.CudaDeviceCount | Should -Be 0; $d.DefaultDevice | Should -Be 'cpu' }
        else { $d.CudaDeviceCount | Should -BeGreaterThan 0 }
    }

    It 'sets the libtorch thread count with -Threads' {
        $before = (Get-RlDevice).Threads
        try { (Get-RlDevice -Threads 1).Threads | Should -Be 1 }
        finally { $null = Get-RlDevice -Threads $before }
    }

    It 'rejects a thread count out of range with a parameter error' {
        { Get-RlDevice -Threads 0 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RlTools.Commands.GetRlDeviceCommand'
    }

    It 'runs a matmul and autograd in a fresh pwsh (the libstdc++ step worked)' {
        $script = "Import-Module '$(Join-Path (Get-RlRepoRoot) 'RlTools.psd1')'; (Get-RlDevice -Check).Check"
        $out = & dotnet pwsh -NoProfile -NonInteractive -Command $script
        $LASTEXITCODE | Should -Be 0
        ($out | Select-Object -Last 1) | Should -Be 'passed'
    }

    It 'bounds the OpenMP spin unless the user chose a policy (fresh pwsh)' {
        $root = Join-Path (Get-RlRepoRoot) 'RlTools.psd1'
        $default = & dotnet pwsh -NoProfile -NonInteractive -Command "`$env:OMP_WAIT_POLICY = `$null; `$env:GOMP_SPINCOUNT = `$null; Import-Module '$root'; `"`$env:OMP_WAIT_POLICY|`$env:GOMP_SPINCOUNT`""
        ($default | Select-Object -Last 1) | Should -Be '|10000'
        $chosen = & dotnet pwsh -NoProfile -NonInteractive -Command "`$env:OMP_WAIT_POLICY = 'PASSIVE'; `$env:GOMP_SPINCOUNT = `$null; Import-Module '$root'; `"`$env:OMP_WAIT_POLICY|`$env:GOMP_SPINCOUNT`""
        ($chosen | Select-Object -Last 1) | Should -Be 'PASSIVE|'
    }
}
