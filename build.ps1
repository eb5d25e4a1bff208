#requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates and benchmarks RlTools.

.DESCRIPTION
    Build  compiles the solution and lays out the module in out/RlTools:
             out/RlTools/RlTools.dll, RlTools.Core.dll (+ its dependencies)   default load context
             out/RlTools/Dependencies/  RlTools.Torch, TorchSharp, natives     isolated load context
             out/RlTools/en-US/RlTools.dll-Help.xml                             built from module/en-US/*.md
           The checkout's RlTools.psd1 points at that folder, so after Build
           'Import-Module ./RlTools.psd1' works from the checkout.
    Test   Build, then the xunit projects and the Pester suite; prints 'N passed, N failed, N skipped'.
    Demo   Build, then examples/train-arithmetic.ps1 (the embedded end-to-end RLVR run).
    Bench  Build, then every bench/*.bench.ps1 (slow; figures go to bench/RESULTS.md by hand).

.PARAMETER Task
    Build, Test, Demo or Bench.

.PARAMETER Configuration
    Release (default) or Debug.

.PARAMETER TorchBackend
    cpu (default), cuda-linux or cuda-windows: which TorchSharp bundle the engine uses.

.PARAMETER Filter
    Test only: a Pester tag or file-name fragment to run a subset (xunit is skipped when given).

.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench')]
    [string] $Task = 'Build',
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',
    [ValidateSet('cpu', 'cuda-linux', 'cuda-windows')]
    [string] $TorchBackend = 'cpu',
    [string] $Filter,
    [switch] $SkipBuild
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$Out = Join-Path $Root 'out' 'RlTools'
$PesterVersion = '5.7.1'

function Write-Step([string] $Message) { Write-Information "==> $Message" -InformationAction Continue }

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "'$File $($Arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-RuntimeIdentifier {
    $arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture.ToString().ToLowerInvariant()
    if ($IsWindows) { return "win-$arch" }
    if ($IsMacOS) { return "osx-$arch" }
    return "linux-$arch"
}

function Invoke-Build {
    Write-Step "dotnet build ($Configuration, TorchSharp backend $TorchBackend)"
    Invoke-Native dotnet @('build', (Join-Path $Root 'RlTools.sln'), '-c', $Configuration, "-p:RlTorchBackend=$TorchBackend", '-nologo', '-v', 'q', '-clp:ErrorsOnly')

    $deps = Join-Path $Out 'Dependencies'
    Write-Step "Laying out $Out"
    if (Test-Path $Out) { Remove-Item $Out -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $deps -Force

    # Engine and everything it needs, natives flattened for this platform (and patched, see README).
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src' 'RlTools.Torch' 'RlTools.Torch.csproj'), '-c', $Configuration,
        '-r', (Get-RuntimeIdentifier), '--self-contained', 'false', "-p:RlTorchBackend=$TorchBackend", '-o', $deps, '-nologo', '-v', 'q', '-clp:ErrorsOnly')

    # Module root: the cmdlet assembly, the records assembly and the records' own dependencies.
    $moduleBin = Join-Path $Root 'src' 'RlTools' 'bin' $Configuration 'net10.0'
    $coreBin = Join-Path $Root 'src' 'RlTools.Core' 'bin' $Configuration 'net10.0'
    Copy-Item (Join-Path $moduleBin 'RlTools.dll') $Out
    $coreDeps = Get-Content (Join-Path $coreBin 'RlTools.Core.deps.json') -Raw | ConvertFrom-Json -AsHashtable
    foreach ($target in $coreDeps.targets.Values) {
        foreach ($lib in $target.Values) {
            if ($lib.ContainsKey('runtime')) {
                foreach ($asset in $lib.runtime.Keys) {
                    $name = Split-Path $asset -Leaf
                    Copy-Item (Join-Path $moduleBin $name) $Out -ErrorAction SilentlyContinue
                    if (-not (Test-Path (Join-Path $Out $name))) { Copy-Item (Join-Path $coreBin $name) $Out }
                }
            }
        }
    }
    # Assemblies that live in the root resolve in the default context; drop their copies behind the bridge.
    Get-ChildItem $Out -Filter *.dll | ForEach-Object { Remove-Item (Join-Path $deps $_.Name) -ErrorAction SilentlyContinue }
    Get-ChildItem $deps -Filter '*.pdb' | Remove-Item
    # Each area keeps its views in module/<Area>.Format.ps1xml; the module loads them merged as one file.
    [xml] $merged = '<?xml version="1.0" encoding="utf-8"?><Configuration><ViewDefinitions /></Configuration>'
    foreach ($file in Get-ChildItem (Join-Path $Root 'module') -Filter '*.Format.ps1xml' | Sort-Object Name) {
        [xml] $part = Get-Content $file.FullName -Raw
        foreach ($view in $part.Configuration.ViewDefinitions.View) { $null = $merged.Configuration['ViewDefinitions'].AppendChild($merged.ImportNode($view, $true)) }
    }
    $merged.Save((Join-Path $Out 'RlTools.Format.ps1xml'))

    # A self-contained copy of the manifest, so out/RlTools can be copied into $env:PSModulePath as is.
    (Get-Content (Join-Path $Root 'RlTools.psd1') -Raw) -replace 'out/RlTools/', '' | Set-Content (Join-Path $Out 'RlTools.psd1') -NoNewline

    # Binary cmdlets find MAML only in <module base>/<culture>/: the checkout's en-US/ (generated,
    # git-ignored) serves 'Import-Module ./RlTools.psd1', out/RlTools/en-US/ serves the packaged copy.
    Write-Step 'Building MAML help from module/en-US/*.md'
    Invoke-Native dotnet @('pwsh', '-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'build' 'Build-Help.ps1'),
        '-ModuleManifest', (Join-Path $Out 'RlTools.psd1'), '-Source', (Join-Path $Root 'module' 'en-US'), '-Destination', (Join-Path $Out 'en-US'),
        '-CoreDocs', (Join-Path $coreBin 'RlTools.Core.xml'))
    $rootHelp = Join-Path $Root 'en-US'
    if (Test-Path $rootHelp) { Remove-Item $rootHelp -Recurse -Force }
    Copy-Item (Join-Path $Out 'en-US') $rootHelp -Recurse
}

function Get-PesterManifest {
    Invoke-Native dotnet @('restore', (Join-Path $Root 'build' 'pester' 'pester.csproj'), '-nologo', '-v', 'q')
    $line = (& dotnet nuget locals global-packages --list) -join "`n"
    $packages = ($line -replace '^global-packages:\s*', '').Trim()
    $manifest = Join-Path $packages 'pester' $PesterVersion 'tools' 'Pester.psd1'
    if (-not (Test-Path $manifest)) { throw "Pester $PesterVersion was not restored to $packages." }
    return $manifest
}

function Get-TrxCounts([string] $Directory) {
    $counts = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
    foreach ($trx in Get-ChildItem $Directory -Filter *.trx -Recurse) {
        [xml] $doc = Get-Content $trx.FullName -Raw
        $c = $doc.TestRun.ResultSummary.Counters
        $counts.Passed += [int] $c.passed
        $counts.Failed += [int] $c.failed + [int] $c.error + [int] $c.timeout + [int] $c.aborted
        $counts.Skipped += [int] $c.notExecuted
    }
    return $counts
}

function Invoke-Test {
    & (Join-Path $Root 'tests' 'fixtures' 'Install-NpmFixtures.ps1')
    $results = Join-Path $Root 'TestResults'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    $total = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }

    if (-not $Filter) {
        foreach ($project in Get-ChildItem (Join-Path $Root 'tests') -Filter *.Tests.csproj -Recurse) {
            Write-Step "xunit: $($project.BaseName)"
            $dir = Join-Path $results $project.BaseName
            & dotnet test $project.FullName -c $Configuration --no-build -nologo --logger "trx;LogFileName=$($project.BaseName).trx" --results-directory $dir -- RunConfiguration.TreatNoTestsAsError=false | Out-Host
            $counts = Get-TrxCounts $dir
            if ($LASTEXITCODE -ne 0 -and $counts.Failed -eq 0) { $counts.Failed = 1; Write-Warning "$($project.BaseName): test host failed without a result file." }
            foreach ($k in @($total.Keys)) { $total[$k] += $counts[$k] }
        }
    }

    Write-Step 'Pester'
    $pesterOut = Join-Path $results 'pester.json'
    $null = New-Item -ItemType Directory -Path $results -Force
    & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tests' 'Invoke-RlPester.ps1') -PesterManifest (Get-PesterManifest) -Summary $pesterOut -Filter "$Filter" | Out-Host
    if (Test-Path $pesterOut) {
        $p = Get-Content $pesterOut -Raw | ConvertFrom-Json
        $total.Passed += $p.Passed; $total.Failed += $p.Failed; $total.Skipped += $p.Skipped
    } else {
        Write-Warning 'Pester did not write a summary.'
        $total.Failed += 1
    }
    return $total
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' {
        if (-not $SkipBuild) { Invoke-Build }
        $t = Invoke-Test
        "$($t.Passed) passed, $($t.Failed) failed, $($t.Skipped) skipped"
        if ($t.Failed -gt 0) { exit 1 }
    }
    'Demo' {
        if (-not $SkipBuild) { Invoke-Build }
        & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'examples' 'train-arithmetic.ps1')
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    'Bench' {
        if (-not $SkipBuild) { Invoke-Build }
        Write-Step 'Pester: tests tagged Slow'
        $slowOut = Join-Path $Root 'TestResults' 'pester-slow.json'
        $null = New-Item -ItemType Directory -Path (Split-Path $slowOut) -Force
        & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tests' 'Invoke-RlPester.ps1') -PesterManifest (Get-PesterManifest) -Summary $slowOut -Slow | Out-Host
        $slow = Get-Content $slowOut -Raw | ConvertFrom-Json
        "slow tests: $($slow.Passed) passed, $($slow.Failed) failed"
        if ($slow.Failed -gt 0) { throw 'A Slow-tagged test failed.' }
        foreach ($bench in Get-ChildItem (Join-Path $Root 'bench') -Filter *.bench.ps1) {
            Write-Step "bench: $($bench.Name)"
            & dotnet pwsh -NoProfile -NonInteractive -File $bench.FullName
            if ($LASTEXITCODE -ne 0) { throw "$($bench.Name) failed." }
        }
    }
}
