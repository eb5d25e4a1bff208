namespace RlTools.Torch.Tokenizers;

/// <summary>Text to token ids and back. Implementations: Hugging Face byte-level BPE, and a byte tokenizer for tiny models.</summary>
public interface ITokenizer
{
    /// <summary>Token ids of <paramref name="text"/>; special-token strings in the text map to their ids.</summary>
    int[] Encode(string text, bool addSpecialTokens = false);

    /// <summary>The text of <paramref name="ids"/>; special tokens left out when <paramref name="skipSpecialTokens"/>.</summary>
    string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false);

    /// <summary>Number of ids, including added/special tokens.</summary>
    int VocabSize { get; }

    /// <summary>End-of-sequence id (generation stops on it), if any.</summary>
    int? EosTokenId { get; }

    /// <summary>Padding id, if any (else use EOS).</summary>
    int? PadTokenId { get; }

    /// <summary>Beginning-of-sequence id, if any.</summary>
    int? BosTokenId { get; }
}
