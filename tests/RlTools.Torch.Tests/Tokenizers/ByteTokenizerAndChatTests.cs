using RlTools.Core.Records;
using RlTools.Torch.Tokenizers;

namespace RlTools.Torch.Tests.Tokenizers;

/// <summary>Golden outputs of the byte tokenizer and the C# chat templates, written by hand.</summary>
public class ByteTokenizerAndChatTests
{
    [Fact]
    public void Byte_tokenizer_encodes_utf8_bytes()
    {
        var t = new ByteTokenizer();
        Assert.Equal([104, 195, 169], t.Encode("hé"));
        Assert.Equal([256, 104, 195, 169], t.Encode("hé", addSpecialTokens: true));
        Assert.Empty(t.Encode(""));
        Assert.Equal(259, t.VocabSize);
        Assert.Equal("hé", t.Decode(t.Encode("hé")));
    }

    [Fact]
    public void Byte_tokenizer_decodes_specials_and_skips_them()
    {
        var t = new ByteTokenizer();
        Assert.Equal("<bos>h<eos><pad>", t.Decode([256, 104, 257, 258]));
        Assert.Equal("h", t.Decode([256, 104, 257, 258], skipSpecialTokens: true));
        Assert.Equal("\uFFFD", t.Decode([195]));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Decode([300]));
    }

    private static readonly ChatMessage[] Chat = [new("system", "S"), new("user", " Hi \n")];

    [Fact]
    public void ChatML_renders_by_hand()
    {
        IChatTemplate t = ChatTemplates.Find("chatml")!;
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n Hi \n<|im_end|>\n<|im_start|>assistant\n", t.Render(Chat, true));
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n Hi \n<|im_end|>\n", t.Render(Chat, false));
        Assert.Equal("<|im_start|>assistant\n", t.Render([], true));
        Assert.Equal("", t.Render([], false));
    }

    [Fact]
    public void Llama3_renders_by_hand_with_trimmed_content()
    {
        IChatTemplate t = ChatTemplates.Find("Llama3")!;
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n", t.Render(Chat, true));
        Assert.Equal("<|begin_of_text|>", t.Render([], false));
    }

    [Fact]
    public void System_prompt_is_prepended_unless_the_chat_has_one()
    {
        ChatMessage[] user = [new("user", "Q")];
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplates.Render("ChatML", user, "Be brief."));
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n Hi \n<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplates.Render("ChatML", Chat, "ignored"));
        Assert.Same(user, ChatTemplates.WithSystemPrompt(user, ""));
    }

    [Fact]
    public void Unknown_template_names_list_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatTemplates.Render("Vicuna", []));
        Assert.Contains("ChatML", e.Message);
        Assert.Contains("Llama3", e.Message);
        Assert.Equal(["ChatML", "Llama3"], ChatTemplates.All.Select(t => t.Name));
    }
}
