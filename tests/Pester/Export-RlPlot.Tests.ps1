BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Dir = New-RlTestDirectory

    function Get-PngSize([string] $Path) {
        $b = [System.IO.File]::ReadAllBytes($Path)
        # PNG signature, then the IHDR chunk: width and height as big-endian uint32 at bytes 16..23.
        $sig = [byte[]](0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A)
        for ($i = 0; $i -lt 8; $i++) { if ($b[$i] -ne $sig[$i]) { throw "not a PNG: $Path" } }
        [System.Text.Encoding]::ASCII.GetString($b, 12, 4) | Should -Be 'IHDR'
        $w = ([int]$b[16] -shl 24) -bor ([int]$b[17] -shl 16) -bor ([int]$b[18] -shl 8) -bor $b[19]
        $h = ([int]$b[20] -shl 24) -bor ([int]$b[21] -shl 16) -bor ([int]$b[22] -shl 8) -bor $b[23]
        [pscustomobject]@{ Width = $w; Height = $h; Bytes = $b.Length }
    }
}
AfterAll { Remove-Item $Dir -Recurse -Force -ErrorAction Ignore }

Describe 'Export-RlPlot' {
    It 'writes a valid PNG of the requested size from CSV rows' {
        $csv = Join-Path $Dir 'metrics.csv'
        1..20 | ForEach-Object { [pscustomobject]@{ step = $_; reward = [math]::Sin($_ / 3); kl = $_ / 100 } } | Export-Csv $csv
        $file = Import-Csv $csv | Export-RlPlot -Y reward, kl -Path (Join-Path $Dir 'm.png') -Width 640 -Height 360
        $file | Should -BeOfType ([System.IO.FileInfo])
        $size = Get-PngSize $file.FullName
        $size.Width | Should -Be 640
        $size.Height | Should -Be 360
        $size.Bytes | Should -BeGreaterThan 2000
    }

    It 'draws one line per group with -GroupBy' {
        $rows = foreach ($e in 'GRPO', 'RLOO') { 1..10 | ForEach-Object { [pscustomobject]@{ step = $_; acc = $_ / 10; estimator = $e } } }
        $file = $rows | Export-RlPlot -Y acc -GroupBy estimator -Path (Join-Path $Dir 'g.png')
        (Get-PngSize $file.FullName).Width | Should -Be 800
    }

    It 'refuses to overwrite without -Force and keeps the old file' {
        $path = Join-Path $Dir 'keep.png'
        Set-Content $path 'old'
        { 1..3 | ForEach-Object { [pscustomobject]@{ step = $_; r = $_ } } | Export-RlPlot -Y r -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'FileExists,RlTools.Commands.ExportRlPlotCommand'
        Get-Content $path | Should -Be 'old'
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $Dir 'whatif.png'
        1..3 | ForEach-Object { [pscustomobject]@{ step = $_; r = $_ } } | Export-RlPlot -Y r -Path $path -WhatIf
        $path | Should -Not -Exist
    }

    It 'names the column when no row has a numeric value' {
        { 1..3 | ForEach-Object { [pscustomobject]@{ step = $_; r = 'x' } } | Export-RlPlot -Y nope -Path (Join-Path $Dir 'n.png') -ErrorAction Stop } |
            Should -Throw -ErrorId 'NoNumericValues,RlTools.Commands.ExportRlPlotCommand'
    }

    It 'reports an empty pipeline clearly' {
        { @() | Export-RlPlot -Y r -Path (Join-Path $Dir 'e.png') -ErrorAction Stop } |
            Should -Throw -ErrorId 'NoRowsToPlot,RlTools.Commands.ExportRlPlotCommand'
    }
}
