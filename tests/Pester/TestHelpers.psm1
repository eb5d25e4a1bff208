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

# The engine's model behind a policy (internal to RlTools.Torch: users see the policy's metadata only).
function Get-RlPolicyModel($Policy) {
    $Policy.GetType().GetProperty('Model', [Reflection.BindingFlags]'NonPublic, Instance').GetValue($Policy)
}

Export-ModuleMember -Function Get-RlRepoRoot, Import-RlModuleForTest, New-RlTestDirectory, Get-RlPolicyModel
