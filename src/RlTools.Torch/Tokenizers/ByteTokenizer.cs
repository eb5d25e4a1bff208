using System.Text;

namespace RlTools.Torch.Tokenizers;

/// <summary>
/// UTF-8 byte tokenizer for tiny models: ids 0..255 are bytes, then BOS (256), EOS (257), PAD (258).
/// Decoding joins the bytes and decodes UTF-8 (invalid sequences become U+FFFD).
/// </summary>
public sealed class ByteTokenizer : ITokenizer
{
    public const int Bos = 256, Eos = 257, Pad = 258;

    public int VocabSize => 259;
    public int? EosTokenId => Eos;
    public int? PadTokenId => Pad;
    public int? BosTokenId => Bos;

    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int offset = addSpecialTokens ? 1 : 0;
        var ids = new int[bytes.Length + offset];
        if (addSpecialTokens) ids[0] = Bos;
        for (int i = 0; i < bytes.Length; i++) ids[i + offset] = bytes[i];
        return ids;
    }

    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>(ids.Count);
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            if (id is >= 0 and < 256) { bytes.Add((byte)id); continue; }
            if (bytes.Count > 0) { sb.Append(Encoding.UTF8.GetString(bytes.ToArray())); bytes.Clear(); }
            if (!skipSpecialTokens)
                sb.Append(id switch { Bos => "<bos>", Eos => "<eos>", Pad => "<pad>", _ => throw new ArgumentOutOfRangeException(nameof(ids), id, "not a byte-tokenizer id (0..258)") });
            else if (id is not (Bos or Eos or Pad))
                throw new ArgumentOutOfRangeException(nameof(ids), id, "not a byte-tokenizer id (0..258)");
        }
        if (bytes.Count > 0) sb.Append(Encoding.UTF8.GetString(bytes.ToArray()));
        return sb.ToString();
    }
}
