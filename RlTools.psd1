@{
    # The module is built into out/RlTools by 'dotnet pwsh ./build.ps1 -Task Build'.
    RootModule           = 'out/RlTools/RlTools.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0f3f0e-5a3c-4c53-9d7e-3a1f2b7c9e41'
    Author               = 'RlTools contributors'
    CompanyName          = 'RlTools'
    Copyright            = '(c) RlTools contributors. MIT License.'
    Description          = 'RLVR post-training of language models from the shell: rollouts, reward verification, advantage estimation and policy updates over TorchSharp, one stage per cmdlet.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    # Loaded before the cmdlets so the record types ([RlTools.Core.Records.Rollout], ...) resolve by name right after import.
    RequiredAssemblies   = @('out/RlTools/RlTools.Core.dll')
    FormatsToProcess     = @('out/RlTools/RlTools.Format.ps1xml')
    # Every binary cmdlet of the module; the compliance tests check each one.
    CmdletsToExport      = '*'
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('RL', 'RLVR', 'GRPO', 'PPO', 'TorchSharp', 'LLM')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
