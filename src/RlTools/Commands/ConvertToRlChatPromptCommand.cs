using System.Management.Automation;
using RlTools.Core.Records;

namespace RlTools.Commands;

/// <summary>ConvertTo-RlChatPrompt: renders chats as prompt text with a chat template (ChatML, Llama3 or a script block).</summary>
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

    /// <summary>A registered template name (ChatML, Llama3) or a script block { param($Messages, $AddGenerationPrompt) ... } returning the text.</summary>
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

    private object _template = null!;

    protected override void BeginProcessing()
    {
        object t = Template is PSObject pso ? pso.BaseObject : Template;
        if (t is string name)
        {
            string? canonical = TokenizerEngine.FindChatTemplate(name);
            if (canonical is null)
                ThrowRlError("ChatTemplateNotFound", ErrorCategory.ObjectNotFound, name,
                    $"Unknown chat template '{name}'. Use one of {string.Join(", ", TokenizerEngine.ChatTemplateNames().Select(x => x.Name))}, or a script block {{ param($Messages, $AddGenerationPrompt) ... }}.");
            _template = canonical!;
        }
        else if (t is ScriptBlock) _template = t;
        else
            ThrowRlError("ChatTemplateTypeInvalid", ErrorCategory.InvalidArgument, Template,
                $"-Template takes a template name or a script block; got {t.GetType().FullName}.");
    }

    protected override void ProcessRecord()
    {
        object input = ParameterSetName == MessagesSet ? Messages : InputObject;
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
