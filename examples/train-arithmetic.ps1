#requires -Version 7.4
<#
.SYNOPSIS
    The main job (placeholder until the end-to-end RLVR demo lands): checks that the Torch engine
    loads in this session and computes a matmul and a backward pass correctly.
#>
[CmdletBinding()]
param([switch] $Tiny)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '..' 'RlTools.psd1')
$device = Get-RlDevice -Check
$device | Format-List LibTorchVersion, Backend, Threads, CudaAvailable, Check
if ($device.Check -ne 'passed') { throw "Engine self-check failed: $($device.Check)" }
