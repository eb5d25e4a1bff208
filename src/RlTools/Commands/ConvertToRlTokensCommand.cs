using System.Management.Automation;

namespace RlTools.Commands;

/// <summary>ConvertTo-RlTokens: text to token ids (one int[] per input string).</summary>
[Cmdlet(VerbsData.ConvertTo, "RlTokens")]
[OutputType(typeof(int[]))]
public sealed class ConvertToRlTokensCommand : TokenizerCmdletBase
{
    /// <summary>The text to encode; special-token strings in it (e.g. &lt;|im_start|&gt;) map to their ids.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [AllowEmptyString]
    public string[] Text { get; set; } = [];

    /// <summary>Adds the tokenizer's own special tokens (e.g. a BOS from the post-processor; the Byte tokenizer's BOS).</summary>
    [Parameter]
    public SwitchParameter AddSpecialTokens { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string text in Text)
        {
            int[] ids;
            try { ids = TokenizerEngine.Encode(ResolvedTokenizer, text ?? "", AddSpecialTokens.IsPresent); }
            catch (TokenizerEngine.TokenizerArgumentException e)
            {
                WriteRlError(e.ErrorId, e.Category, text, e.Message, e.InnerException);
                continue;
            }
            WriteObject(ids, enumerateCollection: false);
        }
    }
}
