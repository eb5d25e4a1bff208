# Shared helpers for the Pester suite. Import in BeforeAll:
#   Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path

function Get-RlRepoRoot { $script:RepoRoot }

function Import-RlModuleForTest {
    Import-Module (Join-Path $script:RepoRoot 'RlTools.psd1') -Global -ErrorAction Stop
}

function New-RlTestDirectory {
    $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("rltools-test-" + [guid]::NewGuid().ToString('n'))
    New-Item -ItemType Directory -Path $dir -Force
}

Export-ModuleMember -Function Get-RlRepoRoot, Import-RlModuleForTest, New-RlTestDirectory
