#requires -Version 7.4
<#
.SYNOPSIS
    Converts the module's markdown help sources (module/en-US/<Cmdlet>.md) to MAML
    (<Destination>/RlTools.dll-Help.xml), the only help format binary cmdlets can have.

.DESCRIPTION
    platyPS is not available here, so this is our own small converter. The markdown follows
    platyPS's layout, so the sources stay portable:

        # Verb-RlNoun
        ## SYNOPSIS            one paragraph
        ## DESCRIPTION         paragraphs
        ## EXAMPLES            ### Example N: title, a ```powershell fence, then remarks
        ## PARAMETERS          ### -Name, then its description (a ```yaml block, if any, is ignored)
        ## INPUTS / OUTPUTS    ### TypeName, then a description
        ## NOTES               paragraphs
        ## RELATED LINKS       [text](uri) lines

    Syntax, parameter types, positions, pipeline input and mandatory flags come from the
    imported module's own metadata (Get-Command), so they cannot drift from the code. Default
    values come from the code too: a new instance of each cmdlet class holds its parameters'
    initial values (Get-RlParameterDefault). A parameter whose initial value is empty (null, 0,
    $false) usually means "not given: decided later" (the loss's own clip width, all rollouts in one
    mini-batch); for those the help takes the default the description states ("Default: ...",
    "Default X.", "(default X)"), else shows the empty value. A description may pin the default with a
    line "Default value: ..." (for values that depend on the machine, such as the processor count).
    Also renders module/en-US/about_*.md as about_*.help.txt in the about-topic text layout
    (TOPIC, SHORT DESCRIPTION, LONG DESCRIPTION, ... with indented, wrapped text; no Markdown); in
    about_RlTools_Estimators the marker line '<!-- estimators: ... -->' first becomes one section per
    registered estimator, written from its doc comment in -CoreDocs (so adding an estimator needs no
    hand-written help).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $Source,
    [Parameter(Mandatory)] [string] $Destination,
    # RlTools.Core's XML documentation: the estimators' doc comments fill about_RlTools_Estimators.
    [string] $CoreDocs
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function ConvertFrom-HelpMarkdown([string] $Path) {
    $doc = [ordered]@{ Name = ''; Synopsis = ''; Description = ''; Examples = @(); Parameters = @{}; Inputs = @(); Outputs = @(); Notes = ''; Links = @() }
    $section = ''; $sub = $null; $buffer = [System.Collections.Generic.List[string]]::new()
    $flush = {
        $text = ($buffer -join "`n").Trim()
        $buffer.Clear()
        switch ($section) {
            'SYNOPSIS' { $doc.Synopsis = $text }
            'DESCRIPTION' { $doc.Description = $text }
            'NOTES' { $doc.Notes = $text }
            'RELATED LINKS' { $doc.Links = @([regex]::Matches($text, '\[([^\]]+)\]\(([^)]*)\)') | ForEach-Object { @{ Text = $_.Groups[1].Value; Uri = $_.Groups[2].Value } }) }
            'EXAMPLES' {
                if ($null -ne $sub) {
                    $m = [regex]::Match($text, '(?s)```(?:powershell|ps1|pwsh)?\s*\n(.*?)\n```')
                    $code = if ($m.Success) { $m.Groups[1].Value.TrimEnd() } else { '' }
                    $remarks = if ($m.Success) { $text.Remove($m.Index, $m.Length).Trim() } else { $text }
                    $doc.Examples += @{ Title = $sub; Code = $code; Remarks = $remarks }
                }
            }
            'PARAMETERS' {
                if ($null -ne $sub) {
                    $doc.Parameters[$sub.TrimStart('-')] = ([regex]::Replace($text, '(?s)```yaml.*?```', '')).Trim()
                }
            }
            { $_ -in 'INPUTS', 'OUTPUTS' } {
                if ($null -ne $sub) { $doc[$section.Substring(0, 1) + $section.Substring(1).ToLowerInvariant()] += @{ Type = $sub; Description = $text } }
            }
        }
    }
    $inFence = $false
    foreach ($line in Get-Content $Path) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^# (\S+)') { $doc.Name = $Matches[1]; continue }
        if (-not $inFence -and $line -match '^## (.+)$') { & $flush; $section = $Matches[1].Trim().ToUpperInvariant(); $sub = $null; continue }
        if (-not $inFence -and $line -match '^### (.+)$') { & $flush; $sub = $Matches[1].Trim(); continue }
        $buffer.Add($line)
    }
    & $flush
    return $doc
}

function ConvertTo-Paras([System.Xml.XmlWriter] $w, [string] $text) {
    $paras = @($text -split "\n\s*\n" | Where-Object { $_.Trim() })
    if ($paras.Count -eq 0) { $paras = @('') }
    foreach ($p in $paras) { $w.WriteElementString('maml', 'para', $NsMaml, (($p -split "\n" | ForEach-Object Trim) -join ' ')) }
}

function Format-DefaultValue($value) {
    if ($null -eq $value) { return $null }
    if ($value -is [bool]) { return "`$$($value.ToString().ToLowerInvariant())" }
    if ($value -is [string]) { return $(if ($value) { $value } else { $null }) }
    if ($value -is [System.Collections.IEnumerable]) {
        $items = @($value | ForEach-Object { Format-DefaultValue $_ })
        return $(if ($items.Count) { $items -join ', ' } else { $null })
    }
    if ($value -is [System.IFormattable]) { return $value.ToString($null, [System.Globalization.CultureInfo]::InvariantCulture) }
    return [string] $value
}

# The default a parameter's description states, if it does: a pinned "Default value: X" line, "X (default)",
# "(default X)", "(X, the default)", a sentence "Default: X." / "Default X.", or "When omitted, X.".
function Get-StatedDefault([string] $description) {
    if ($description -match '(?m)^Default value:\s*(.+?)\s*$') { return $Matches[1] }
    $flat = ($description -split '\s*\n\s*') -join ' '
    $sentence = '((?:[^.(]|\([^)]*\)|\.\d)+?)\.(?:\s|$)'
    foreach ($pattern in @('(?<![\w-])([\w.+-]+) \(default[;)]', '\(default:?\s+([^;)]+)[;)]', '\(([^(),;]+),? the default\)',
            "(?:^|[.;]\s+)Default(?::| is)?\s+$sentence", "(?:^|[.;]\s+)When omitted, $sentence")) {
        if ($flat -cmatch $pattern) { return $Matches[1].Trim() }
    }
    return $null
}

# A parameter's default for the help: the code's initial value (see the synopsis), else the stated one.
function Get-RlParameterDefault($instance, $param, [string] $description) {
    if ($param.SwitchParameter) { return 'False' }
    $pinned = if ($description -match '(?m)^Default value:\s*(.+?)\s*$') { $Matches[1] }
    if ($pinned) { return $pinned }
    $value = if ($null -ne $instance -and $instance.PSObject.Properties[$param.Name]) { $instance.($param.Name) }
    $empty = $null -eq $value -or ($value -is [ValueType] -and -not ($value -is [enum]) -and $value -eq [Activator]::CreateInstance($value.GetType()))
    $formatted = Format-DefaultValue $value
    if (-not $empty -and $null -ne $formatted) { return $formatted }
    $stated = Get-StatedDefault $description
    if ($stated) { return $stated }
    if ($null -ne $formatted) { return $formatted }
    return 'None'
}

function Write-Parameter([System.Xml.XmlWriter] $w, $param, $setParam, [string] $description, $instance) {
    $isSwitch = $param.SwitchParameter
    $pipeline = @()
    if ($setParam.ValueFromPipeline) { $pipeline += 'ByValue' }
    if ($setParam.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
    $w.WriteStartElement('command', 'parameter', $NsCommand)
    $w.WriteAttributeString('required', $setParam.IsMandatory.ToString().ToLowerInvariant())
    $w.WriteAttributeString('variableLength', 'true')
    $w.WriteAttributeString('globbing', 'false')
    $w.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
    $w.WriteAttributeString('position', $(if ($setParam.Position -ge 0) { [string]($setParam.Position) } else { 'named' }))
    $w.WriteAttributeString('aliases', $(if ($param.Aliases.Count) { $param.Aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('maml', 'name', $NsMaml, $param.Name)
    $w.WriteStartElement('maml', 'description', $NsMaml); ConvertTo-Paras $w ($description -replace '(?m)^Default value:.*$', '').Trim(); $w.WriteEndElement()
    if (-not $isSwitch) {
        $w.WriteStartElement('command', 'parameterValue', $NsCommand)
        $w.WriteAttributeString('required', 'true'); $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($param.ParameterType.Name); $w.WriteEndElement()
    }
    $w.WriteStartElement('dev', 'type', $NsDev); $w.WriteElementString('maml', 'name', $NsMaml, $param.ParameterType.FullName); $w.WriteEndElement()
    $w.WriteElementString('dev', 'defaultValue', $NsDev, (Get-RlParameterDefault $instance $param $description))
    $w.WriteEndElement()
}

$module = Import-Module $ModuleManifest -PassThru -Force
$null = New-Item -ItemType Directory -Path $Destination -Force
$NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$target = Join-Path $Destination 'RlTools.dll-Help.xml'
$temp = "$target.tmp"
$w = [System.Xml.XmlWriter]::Create($temp, $settings)
$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh'); $w.WriteAttributeString('schema', 'maml')
$w.WriteAttributeString('xmlns', 'maml', $null, 'http://schemas.microsoft.com/maml/2004/10')
$w.WriteAttributeString('xmlns', 'command', $null, 'http://schemas.microsoft.com/maml/dev/command/2004/10')
$w.WriteAttributeString('xmlns', 'dev', $null, 'http://schemas.microsoft.com/maml/dev/2004/10')
$missing = @()
foreach ($cmd in Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name) {
    $md = Join-Path $Source "$($cmd.Name).md"
    if (-not (Test-Path $md)) { $missing += $cmd.Name; continue }
    $doc = ConvertFrom-HelpMarkdown $md
    $instance = try { [Activator]::CreateInstance($cmd.ImplementingType) } catch { $null }
    $w.WriteStartElement('command', 'command', $NsCommand)
    $w.WriteStartElement('command', 'details', $NsCommand)
    $w.WriteElementString('command', 'name', $NsCommand, $cmd.Name)
    $w.WriteElementString('command', 'verb', $NsCommand, $cmd.Verb)
    $w.WriteElementString('command', 'noun', $NsCommand, $cmd.Noun)
    $w.WriteStartElement('maml', 'description', $NsMaml); ConvertTo-Paras $w $doc.Synopsis; $w.WriteEndElement()
    $w.WriteEndElement()
    $w.WriteStartElement('maml', 'description', $NsMaml); ConvertTo-Paras $w $doc.Description; $w.WriteEndElement()

    $w.WriteStartElement('command', 'syntax', $NsCommand)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $NsCommand)
        $w.WriteElementString('maml', 'name', $NsMaml, $cmd.Name)
        foreach ($sp in $set.Parameters | Where-Object { $_.Name -notin $common }) {
            $param = $cmd.Parameters[$sp.Name]
            $desc = if ($doc.Parameters.ContainsKey($sp.Name)) { $doc.Parameters[$sp.Name] } else { '' }
            Write-Parameter $w $param $sp $desc $instance
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $NsCommand)
    foreach ($param in $cmd.Parameters.Values | Where-Object { $_.Name -notin $common } | Sort-Object Name) {
        $sp = $cmd.ParameterSets.Parameters | Where-Object Name -EQ $param.Name | Select-Object -First 1
        $desc = if ($doc.Parameters.ContainsKey($param.Name)) { $doc.Parameters[$param.Name] } else { '' }
        Write-Parameter $w $param $sp $desc $instance
    }
    $w.WriteEndElement()

    foreach ($kind in @(@{ List = 'inputTypes'; Item = 'inputType'; Data = $doc.Inputs }, @{ List = 'returnValues'; Item = 'returnValue'; Data = $doc.Outputs })) {
        $w.WriteStartElement('command', $kind.List, $NsCommand)
        foreach ($entry in $kind.Data) {
            $w.WriteStartElement('command', $kind.Item, $NsCommand)
            $w.WriteStartElement('dev', 'type', $NsDev); $w.WriteElementString('maml', 'name', $NsMaml, $entry.Type); $w.WriteEndElement()
            $w.WriteStartElement('maml', 'description', $NsMaml); ConvertTo-Paras $w $entry.Description; $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    if ($doc.Notes) {
        $w.WriteStartElement('maml', 'alertSet', $NsMaml); $w.WriteStartElement('maml', 'alert', $NsMaml)
        ConvertTo-Paras $w $doc.Notes
        $w.WriteEndElement(); $w.WriteEndElement()
    }
    $w.WriteStartElement('command', 'examples', $NsCommand)
    foreach ($ex in $doc.Examples) {
        $w.WriteStartElement('command', 'example', $NsCommand)
        $w.WriteElementString('maml', 'title', $NsMaml, "-------------------------- $($ex.Title) --------------------------")
        $w.WriteElementString('dev', 'code', $NsDev, $ex.Code)
        $w.WriteStartElement('dev', 'remarks', $NsDev); ConvertTo-Paras $w $ex.Remarks; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteStartElement('command', 'relatedLinks', $NsCommand)
    foreach ($link in $doc.Links) {
        $w.WriteStartElement('maml', 'navigationLink', $NsMaml)
        $w.WriteElementString('maml', 'linkText', $NsMaml, $link.Text); $w.WriteElementString('maml', 'uri', $NsMaml, $link.Uri)
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Dispose()
Move-Item $temp $target -Force
if ($missing) { Write-Warning "No help source for: $($missing -join ', '). Add module/en-US/<Cmdlet>.md." }

# A doc-comment node as plain text: <c>/<see> inline, <para> and list items as their own lines.
function ConvertFrom-DocNode([System.Xml.XmlNode] $Node) {
    $sb = [System.Text.StringBuilder]::new()
    foreach ($n in $Node.ChildNodes) {
        if ($n.NodeType -eq 'Text' -or $n.NodeType -eq 'CDATA') { $null = $sb.Append(($n.Value -replace '\s+', ' ')); continue }
        if ($n.NodeType -ne 'Element') { continue }
        switch ($n.Name) {
            'para' { $null = $sb.Append("`n").Append((ConvertFrom-DocNode $n).Trim()).Append("`n") }
            'item' { $null = $sb.Append("`n- ").Append((ConvertFrom-DocNode $n).Trim()) }
            'see' {
                $ref = $n.GetAttribute('cref'); if (-not $ref) { $ref = $n.GetAttribute('langword') }
                $null = $sb.Append(($ref -replace '^[A-Z]:', '' -split '\.')[-1])
            }
            default { $null = $sb.Append((ConvertFrom-DocNode $n)) }
        }
    }
    $sb.ToString()
}

function Get-EstimatorSections([string] $DocsPath) {
    [xml] $docs = Get-Content $DocsPath -Raw
    $members = @{}
    foreach ($m in $docs.doc.members.member) { $members[$m.name] = $m }
    $registry = [RlTools.Core.Advantages.AdvantageEstimatorRegistry]
    $out = [System.Collections.Generic.List[string]]::new()
    foreach ($name in $registry::Names) {
        $estimator = $registry::Create($name)
        $member = $members['T:' + $estimator.GetType().FullName]
        if (-not $member) { throw "No doc comment for estimator $name ($($estimator.GetType().FullName)) in $DocsPath; document the class." }
        $text = (ConvertFrom-DocNode $member.summary) -split "`n" | ForEach-Object { $_.Trim() } | Where-Object { $_ }
        $out.Add("### $name ($($estimator.Level) level; arXiv $($estimator.ArxivId))")
        # Each line is a paragraph or list item of its own (blank-separated, so the text rendering keeps them apart).
        foreach ($line in $text) { $out.Add($line); $out.Add('') }
        $parameters = @($estimator.Parameters | ForEach-Object { $_.ToString() })
        if ($parameters) { $out.Add('Parameters: ' + ($parameters -join ', ') + '.') }
        $out.Add('')
    }
    $out -join "`n"
}

# Markdown inline marks as plain text: `code` -> code, **b** / *i* -> b / i, [text](uri) -> text (uri).
function ConvertFrom-InlineMarkdown([string] $text) {
    $text = [regex]::Replace($text, '\[([^\]]+)\]\(([^)]+)\)', '$1 ($2)')
    $text = [regex]::Replace($text, '`([^`]*)`', '$1')
    $text = [regex]::Replace($text, '\*\*([^*]+)\*\*', '$1')
    return [regex]::Replace($text, '(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])', '$1')
}

# Words of $text wrapped to $width columns: the first line after $first, the others after $rest.
function Format-Wrapped([string] $text, [string] $first, [string] $rest, [int] $width = 80) {
    $lines = [System.Collections.Generic.List[string]]::new()
    $line = $first
    $fresh = $true
    foreach ($word in $text -split '\s+' | Where-Object { $_ }) {
        if (-not $fresh -and ($line.Length + 1 + $word.Length) -gt $width) { $lines.Add($line); $line = $rest; $fresh = $true }
        $line += $(if ($fresh) { $word } else { " $word" })
        $fresh = $false
    }
    if (-not $fresh) { $lines.Add($line) }
    return $lines
}

# An about_*.md (# about_Name, ## SECTION, ### sub-heading, paragraphs, "- " lists, ``` fences) in the layout
# Get-Help shows for about topics: section names in capitals at the margin, text indented 4 and wrapped at 80
# columns, sub-headings indented 2, list items with a hanging indent, code indented 8 as written.
function ConvertTo-AboutText([string] $Markdown) {
    $out = [System.Collections.Generic.List[string]]::new()
    $para = [System.Collections.Generic.List[string]]::new()
    $bullet = $false
    $fence = $false
    $flush = {
        if ($para.Count) {
            $text = ConvertFrom-InlineMarkdown ($para -join ' ')
            if ($bullet) { foreach ($l in Format-Wrapped $text '    - ' '      ') { $out.Add($l) } }
            else { foreach ($l in Format-Wrapped $text '    ' '    ') { $out.Add($l) } }
            $para.Clear()
        }
    }
    $blank = { if ($out.Count -and $out[$out.Count - 1] -ne '') { $out.Add('') } }
    foreach ($line in $Markdown -split '\r?\n') {
        if ($line -match '^```') {
            & $flush; $bullet = $false
            if (-not $fence) { & $blank }
            $fence = -not $fence
            if (-not $fence) { $out.Add('') }
            continue
        }
        if ($fence) { $out.Add(('        ' + $line).TrimEnd()); continue }
        if ($line -match '^# (\S+)') { & $flush; $out.Add('TOPIC'); $out.Add("    $($Matches[1])"); $out.Add(''); continue }
        if ($line -match '^## (.+)$') { & $flush; $bullet = $false; & $blank; $out.Add($Matches[1].Trim().ToUpperInvariant()); continue }
        if ($line -match '^###+ (.+)$') { & $flush; $bullet = $false; & $blank; $out.Add('  ' + (ConvertFrom-InlineMarkdown $Matches[1].Trim())); continue }
        if ($line -match '^\s*$') { & $flush; $bullet = $false; & $blank; continue }
        if ($line -match '^\s*[-*] (.*)$') { & $flush; $bullet = $true; $para.Add($Matches[1]); continue }
        $para.Add($line.Trim())
    }
    & $flush
    while ($out.Count -and $out[$out.Count - 1] -eq '') { $out.RemoveAt($out.Count - 1) }
    return ($out -join [Environment]::NewLine) + [Environment]::NewLine
}

# about_ topics: the generated sections filled in, then rendered as about-topic text, the layout PowerShell expects.
foreach ($about in Get-ChildItem $Source -Filter 'about_*.md') {
    $text = Get-Content $about.FullName -Raw
    if ($text -match '<!-- estimators:[^>]*-->') {
        if (-not $CoreDocs) { throw "$($about.Name) asks for the generated estimator sections; pass -CoreDocs (RlTools.Core.xml)." }
        $generated = Get-EstimatorSections $CoreDocs
        $text = $text -replace '<!-- estimators:[^>]*-->', { $generated }
    }
    Set-Content -LiteralPath (Join-Path $Destination ($about.BaseName + '.help.txt')) -Value (ConvertTo-AboutText $text) -NoNewline -Encoding utf8NoBOM
}
