# Smoke runs of every example with -Tiny: they finish, write the documented CSV columns and valid PNGs.
BeforeDiscovery {
    $script:Examples = @(Get-ChildItem (Join-Path $PSScriptRoot '..' '..' 'examples') -Filter *.ps1 | ForEach-Object { @{ Name = $_.BaseName; Path = $_.FullName } })
}
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Dir = New-RlTestDirectory
    $script:Columns = @{
        'train-arithmetic'   = @('step', 'phase', 'reward', 'heldout_accuracy', 'entropy', 'kl', 'response_length', 'loss', 'grad_norm', 'seconds')
        'compare-estimators' = @('Estimator', 'Step', 'Reward', 'HeldoutAccuracy', 'Entropy', 'Kl', 'ResponseLength', 'Seconds')
    }
    function Test-Png([string] $Path) {
        $b = [System.IO.File]::ReadAllBytes($Path)
        $b.Length | Should -BeGreaterThan 1000
        ($b[0..7] -join ',') | Should -Be '137,80,78,71,13,10,26,10'
        [System.Text.Encoding]::ASCII.GetString($b, 12, 4) | Should -Be 'IHDR'
    }
}
AfterAll { Remove-Item $Dir -Recurse -Force -ErrorAction Ignore }

Describe 'examples' {
    It 'has the examples the README names (found <_>)' -ForEach @($Examples.Count) {
        $_ | Should -BeGreaterOrEqual 2
    }
}

Describe 'examples/<Name>.ps1 -Tiny' -ForEach $Examples {
    It 'runs and writes metrics.csv with the documented columns and valid PNG plots' {
        $out = Join-Path $Dir $Name
        $log = & dotnet pwsh -NoProfile -NonInteractive -File $Path -Tiny -OutputDirectory $out 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($log | Out-String)
        $csv = Join-Path $out 'metrics.csv'
        $csv | Should -Exist
        $rows = @(Import-Csv $csv)
        $rows.Count | Should -BeGreaterThan 0
        foreach ($c in $Columns[$Name]) { $rows[0].PSObject.Properties.Name | Should -Contain $c }
        $pngs = @(Get-ChildItem $out -Filter *.png)
        $pngs.Count | Should -BeGreaterThan 0
        foreach ($p in $pngs) { Test-Png $p.FullName }
        if ($Name -eq 'train-arithmetic') {
            ($log | Select-Object -Last 1) | Should -Match '^demo: sft_accuracy=\d\.\d{3} rl_accuracy=\d\.\d{3} seconds=\d+ seed=\d+$'
            Join-Path $out 'checkpoint' 'config.json' | Should -Exist
        }
    }
}
