using System.Management.Automation;

namespace RlTools.Commands;

/// <summary>ConvertFrom-RlTokens: token ids to text (one string per id array).</summary>
[Cmdlet(VerbsData.ConvertFrom, "RlTokens")]
[OutputType(typeof(string))]
public sealed class ConvertFromRlTokensCommand : TokenizerCmdletBase
{
    /// <summary>The token ids of one text. Rollout records bind their CompletionTokens by property name.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("CompletionTokens")]
    [AllowEmptyCollection]
    public int[] Ids { get; set; } = [];

    /// <summary>Leaves special tokens (BOS, EOS, &lt;|im_end|&gt; ...) out of the text.</summary>
    [Parameter]
    public SwitchParameter SkipSpecialTokens { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            WriteObject(TokenizerEngine.Decode(ResolvedTokenizer, Ids, SkipSpecialTokens.IsPresent));
        }
        catch (ArgumentOutOfRangeException e)
        {
            WriteRlError("TokenIdOutOfRange", ErrorCategory.InvalidData, Ids,
                $"{e.Message.Split(Environment.NewLine)[0]} Decode ids with the tokenizer that produced them.", e);
        }
    }
}
