#requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suite (tests/Pester/*.Tests.ps1) in this fresh process and writes a summary
    (Passed, Failed, Skipped) as JSON for build.ps1. Tests tagged 'Slow' run only from Bench.
#>
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string] $Summary,
    [string] $Filter,
    # Run only the tests tagged 'Slow' (build.ps1 -Task Bench); without it they are excluded.
    [switch] $Slow
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force
$config = New-PesterConfiguration
$paths = Get-ChildItem (Join-Path $PSScriptRoot 'Pester') -Filter *.Tests.ps1
if ($Filter) { $paths = $paths | Where-Object { $_.Name -like "*$Filter*" } }
$config.Run.Path = @($paths.FullName)
$config.Run.PassThru = $true
if ($Slow) { $config.Filter.Tag = @('Slow') } else { $config.Filter.ExcludeTag = @('Slow') }
$config.Output.Verbosity = 'Normal'
$config.Should.ErrorAction = 'Continue'
$result = Invoke-Pester -Configuration $config
# Containers that failed to run (syntax errors, BeforeAll failures) count as failures.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount + $result.NotRunCount } |
    ConvertTo-Json | Set-Content $Summary
