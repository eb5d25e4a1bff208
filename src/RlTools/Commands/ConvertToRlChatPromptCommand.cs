using System.Collections;
using System.Management.Automation;
using RlTools.Core.Chat;
using RlTools.Core.Chat.Jinja;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>ConvertTo-RlChatPrompt: renders chats as prompt text with a model's own Jinja chat template (as transformers does), a registered template (ChatML, Llama3) or a script block.</summary>
[Cmdlet(VerbsData.ConvertTo, "RlChatPrompt", DefaultParameterSetName = PipelineSet)]
[OutputType(typeof(string))]
public sealed class ConvertToRlChatPromptCommand : RlCmdlet
{
    private const string PipelineSet = "InputObject";
    private const string MessagesSet = "Messages";

    /// <summary>One chat: messages with role and content (ChatMessage, hashtables or objects).</summary>
    [Parameter(Mandatory = true, ParameterSetName = MessagesSet)]
    public object[] Messages { get; set; } = [];

    /// <summary>Chats from the pipeline: a PromptRecord (its messages, else its prompt as a user turn), a string (one user turn), or an array of messages.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PipelineSet)]
    [AllowEmptyString]
    public object InputObject { get; set; } = null!;

    /// <summary>
    /// A model folder, tokenizer_config.json or .jinja file (the model's own Jinja chat template, rendered as transformers
    /// renders it), a registered template name (ChatML, Llama3), or a script block { param($Messages, $AddGenerationPrompt) ... }.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(ChatTemplateCompleter))]
    [ValidateNotNull]
    public object Template { get; set; } = null!;

    /// <summary>A system message put first when the chat has none.</summary>
    [Parameter]
    public string? SystemPrompt { get; set; }

    /// <summary>Ends the text with the header of an assistant turn, ready for generation.</summary>
    [Parameter]
    public SwitchParameter AddGenerationPrompt { get; set; }

    /// <summary>Tool definitions (OpenAI function schemas as hashtables or objects), passed to a model template as <c>tools</c>.</summary>
    [Parameter]
    public object[]? Tools { get; set; }

    /// <summary>Extra template variables for a model template, e.g. @{ enable_thinking = $false }; they override the special tokens.</summary>
    [Parameter]
    public IDictionary? Variables { get; set; }

    private object _template = null!;

    protected override void BeginProcessing()
    {
        _template = ResolveChatTemplate(this, Template, nameof(Template));
        if ((Tools is not null || Variables is not null) && _template is not HfChatTemplate)
            ThrowRlError("ModelTemplateRequired", ErrorCategory.InvalidArgument, Template,
                "-Tools and -Variables reach only a model's own Jinja template: pass -Template a model folder or its tokenizer_config.json.");
    }

    /// <summary>Resolves a -Template/-ChatTemplate argument, stopping the command with a clear error when it cannot.</summary>
    internal static object ResolveChatTemplate(PSCmdlet cmdlet, object template, string parameter)
    {
        try
        {
            return ChatPromptRenderer.Resolve(template, path =>
            {
                try { return cmdlet.GetUnresolvedProviderPathFromPSPath(path); }
                catch (Exception e) when (e is PSArgumentException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSNotSupportedException) { return path; }
            });
        }
        catch (FileNotFoundException e)
        {
            cmdlet.ThrowTerminatingError(NewError("ChatTemplateNotFound", ErrorCategory.ObjectNotFound, template,
                $"{e.Message} Use a registered name, a model folder (with tokenizer_config.json or chat_template.jinja), or a script block {{ param($Messages, $AddGenerationPrompt) ... }}."));
        }
        catch (InvalidDataException e)
        {
            cmdlet.ThrowTerminatingError(NewError("ChatTemplateInvalid", ErrorCategory.InvalidData, template, e.Message, e));
        }
        catch (ArgumentException e)
        {
            cmdlet.ThrowTerminatingError(NewError("ChatTemplateTypeInvalid", ErrorCategory.InvalidArgument, template, $"-{parameter}: {e.Message}", e));
        }
        return null!;
    }

    protected override void ProcessRecord()
    {
        object input = ParameterSetName == MessagesSet ? Messages : InputObject;
        if (_template is HfChatTemplate model)
        {
            try
            {
                WriteObject(ChatPromptRenderer.RenderModel(model, input, SystemPrompt, AddGenerationPrompt.IsPresent, Tools, Variables));
            }
            catch (ArgumentException e)
            {
                WriteRlError("ChatMessageInvalid", ErrorCategory.InvalidData, input, e.Message, e);
            }
            catch (JinjaException e)
            {
                WriteRlError("ChatTemplateFailed", ErrorCategory.InvalidData, input,
                    $"The chat template of '{model.Origin}' raised {e.Kind}: {e.Message} Check the messages (roles, order, tool calls) against what this model's template accepts.", e);
            }
            return;
        }
        List<ChatMessage> chat;
        try
        {
            chat = ChatPromptRenderer.ToMessages(input);
        }
        catch (ArgumentException e)
        {
            WriteRlError("ChatMessageInvalid", ErrorCategory.InvalidData, input, e.Message, e);
            return;
        }
        try
        {
            WriteObject(ChatPromptRenderer.Render(_template, chat, SystemPrompt, AddGenerationPrompt.IsPresent));
        }
        catch (RuntimeException e)
        {
            WriteRlError("ChatTemplateScriptFailed", ErrorCategory.InvalidOperation, Template,
                $"The chat template script block failed: {e.Message} Fix the script block; it receives the messages (ChatMessage[]) and a bool.", e);
        }
    }
}
