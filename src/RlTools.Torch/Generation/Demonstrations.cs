using RlTools.Core.Records;

namespace RlTools.Torch.Generation;

/// <summary>
/// Expert (demonstration) rollouts: a prompt and a given completion, tokenized exactly as
/// <see cref="RolloutEngine"/> tokenizes prompts (same template, special tokens added) and with the
/// tokenizer's EOS appended to the completion, so that SFT teaches the policy to stop where the
/// demonstration stops. Marked <see cref="Rollout.IsExpert"/>; no reward, log-probs or advantage.
/// </summary>
public static class Demonstrations
{
    /// <summary>One expert rollout per prompt with its completion text.</summary>
    public static List<Rollout> Tokenize(Policy policy, IReadOnlyList<(PromptRecord Prompt, string Completion)> pairs,
        string? systemPrompt = null, Func<IReadOnlyList<ChatMessage>, string>? chatTemplate = null, bool appendEos = true)
    {
        var template = chatTemplate ?? RolloutEngine.PlainTemplate;
        var rows = new List<Rollout>(pairs.Count);
        foreach (var (prompt, completion) in pairs)
        {
            string text = template(RolloutEngine.Messages(prompt, systemPrompt));
            int[] promptIds = policy.Tokenizer.Encode(text, addSpecialTokens: true);
            if (promptIds.Length == 0) throw new PromptException(prompt.Id, $"Prompt '{prompt.Id}' encodes to no tokens; give it some text.");
            int[] completionIds = policy.Tokenizer.Encode(completion, addSpecialTokens: false);
            if (appendEos && policy.Tokenizer.EosTokenId is int eos) completionIds = [.. completionIds, eos];
            if (completionIds.Length == 0) throw new PromptException(prompt.Id, $"The demonstration for '{prompt.Id}' is empty; give it a completion.");
            rows.Add(new Rollout
            {
                PromptId = prompt.Id,
                Prompt = text,
                Answer = prompt.Answer,
                Completion = completion,
                FinishReason = "stop",
                PromptTokens = promptIds,
                CompletionTokens = completionIds,
                IsExpert = true,
                Step = policy.Step,
                Metadata = new Dictionary<string, object?>(prompt.Metadata, StringComparer.Ordinal),
            });
        }
        return rows;
    }
}
