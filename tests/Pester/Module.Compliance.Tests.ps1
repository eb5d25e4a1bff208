# Module-wide conventions, checked over Get-Command metadata and the built help, for every
# exported cmdlet: approved verb and Rl prefix, [OutputType], help (synopsis, description, every
# parameter described, at least one example that parses), a Pester file of its own, -WhatIf on
# writers, completers on name parameters, and no tensor ever declared as pipeline output.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Cmdlets = @(Get-Command -Module RlTools -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    $script:Approved = (Get-Verb).Verb
}

Describe 'The module' {
    It 'exports cmdlets (discovery found <_>)' -ForEach @($Cmdlets.Count) {
        $_ | Should -BeGreaterThan 0
        (Get-Command -Module RlTools -CommandType Cmdlet).Count | Should -Be $_
    }

    It 'keeps the engine and TorchSharp out of the default load context' {
        $null = Get-RlDevice
        $ts = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'TorchSharp' }
        $ts | Should -Not -BeNullOrEmpty
        foreach ($a in $ts) { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($a).Name | Should -Be 'RlTools.Engine' }
        $core = [RlTools.Core.Records.Rollout].Assembly
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($core).Name | Should -Be 'Default'
    }

    It 'uses no Write-Host and no Invoke-Expression in examples and module scripts' {
        $files = @(Get-ChildItem (Join-Path (Get-RlRepoRoot) 'examples'), (Join-Path (Get-RlRepoRoot) 'module') -Include *.ps1, *.psm1 -Recurse)
        foreach ($f in $files) {
            $ast = [System.Management.Automation.Language.Parser]::ParseFile($f.FullName, [ref] $null, [ref] $null)
            $calls = $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true) | ForEach-Object { $_.GetCommandName() }
            $calls | Where-Object { $_ -in 'Write-Host', 'Invoke-Expression', 'iex' } | Should -BeNullOrEmpty -Because $f.Name
        }
    }
}

Describe '<Name>' -ForEach $Cmdlets {
    BeforeAll {
        $script:Cmd = Get-Command $Name
        $script:Help = Get-Help $Name -Full
    }

    It 'uses an approved verb and the Rl noun prefix' {
        $Cmd.Verb | Should -BeIn $Approved
        $Cmd.Noun | Should -BeLikeExactly 'Rl*'
    }

    It 'declares [OutputType]' {
        $Cmd.OutputType.Count | Should -BeGreaterThan 0
    }

    It 'never declares a tensor as output' {
        foreach ($t in $Cmd.OutputType.Type | Where-Object { $_ }) {
            $t.FullName | Should -Not -Match 'TorchSharp'
            $t.GetProperties().PropertyType.FullName | Where-Object { $_ -match 'TorchSharp' } | Should -BeNullOrEmpty
        }
    }

    It 'has a synopsis and a description' {
        $Help.Synopsis | Should -Not -BeNullOrEmpty
        $Help.Synopsis | Should -Not -Match ([regex]::Escape($Name) + '\s*\[')
        ($Help.description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        $params = @($Cmd.Parameters.Keys | Where-Object { $_ -notin $Common })
        foreach ($p in $params) {
            $h = $Help.parameters.parameter | Where-Object name -EQ $p
            ($h.description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$p of $Name needs a description"
        }
    }

    It 'has at least one example, and every example parses' {
        $examples = @($Help.examples.example)
        $examples.Count | Should -BeGreaterThan 0
        foreach ($e in $examples) {
            $errors = $null
            $null = [System.Management.Automation.Language.Parser]::ParseInput($e.code, [ref] $null, [ref] $errors)
            $errors | Should -BeNullOrEmpty
            $e.code | Should -Match ([regex]::Escape($Name))
        }
    }

    It 'has its own Pester test file' {
        Join-Path (Get-RlRepoRoot) 'tests' 'Pester' "$Name.Tests.ps1" | Should -Exist
    }

    It 'supports -WhatIf when it writes' {
        if ($Cmd.Verb -in 'Export', 'Remove', 'Set', 'Save', 'Clear', 'Out') {
            $Cmd.Parameters.Keys | Should -Contain 'WhatIf'
        }
    }

    It 'offers tab completion on name parameters' {
        foreach ($p in $Cmd.Parameters.Values | Where-Object { $_.Name -in 'Estimator', 'Verifier', 'Loss', 'Task' }) {
            $p.Attributes.Where({ $_ -is [System.Management.Automation.ArgumentCompleterAttribute] -or $_ -is [System.Management.Automation.ValidateSetAttribute] }).Count |
                Should -BeGreaterThan 0 -Because "-$($p.Name) of $Name should complete"
        }
    }
}
