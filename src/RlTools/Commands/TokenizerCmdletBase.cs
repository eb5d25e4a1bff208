using System.Management.Automation;

namespace RlTools.Commands;

/// <summary>Shared -Tokenizer handling for the token cmdlets.</summary>
public abstract class TokenizerCmdletBase : RlCmdlet
{
    /// <summary>A policy (its tokenizer), 'Byte', or the path of a Hugging Face tokenizer folder or tokenizer.json.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(TokenizerNameCompleter))]
    [ValidateNotNull]
    public object Tokenizer { get; set; } = null!;

    /// <summary>The resolved tokenizer (an RlTools.Torch ITokenizer, held as object; see TokenizerEngine).</summary>
    private protected object ResolvedTokenizer { get; private set; } = null!;

    protected override void BeginProcessing()
    {
        object value = Tokenizer is PSObject pso ? pso.BaseObject : Tokenizer;
        try
        {
            ResolvedTokenizer = TokenizerEngine.Resolve(value, ResolveFileSystemPath);
        }
        catch (TokenizerEngine.TokenizerArgumentException e)
        {
            ThrowRlError(e.ErrorId, e.Category, Tokenizer, e.Message, e.InnerException);
        }
    }
}
