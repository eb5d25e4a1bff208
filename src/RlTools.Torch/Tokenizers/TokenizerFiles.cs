namespace RlTools.Torch.Tokenizers;

/// <summary>Loads the tokenizer of a Hugging Face checkpoint folder (tokenizer.json + tokenizer_config.json).</summary>
public static class TokenizerFiles
{
    /// <summary>Loads <c>tokenizer.json</c> (and <c>tokenizer_config.json</c> when present) from <paramref name="directory"/>.</summary>
    public static ITokenizer Load(string directory)
        => throw new NotSupportedException("Loading tokenizer.json is not implemented yet (the byte-level BPE tokenizer lands with it).");
}
