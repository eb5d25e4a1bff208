using RlTools.Core.Records;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Training;

/// <summary>
/// Rollouts as padded tensors. Each row is prompt ++ completion, right-padded to the longest row (L):
/// <see cref="InputIds"/> and <see cref="AttentionMask"/> <c>[B,L]</c> (int64, 1 = real token). Completion-token
/// tensors are <c>[B,T]</c> with T the longest completion: <see cref="Targets"/> (token ids),
/// <see cref="Positions"/> (index into L of the logits that predict each completion token: |prompt| − 1 + t),
/// <see cref="Mask"/> (1 for real completion tokens, times the rollout's <c>LossMask</c>), and the per-token
/// inputs (behaviour and reference log-probs, advantages). <see cref="Expert"/> is <c>[B,1]</c>.
/// </summary>
public sealed class TrainingBatch
{
    public required Tensor InputIds { get; init; }
    public required Tensor AttentionMask { get; init; }
    public required Tensor Targets { get; init; }
    public required Tensor Positions { get; init; }
    public required Tensor Mask { get; init; }
    public required Tensor OldLogProbs { get; init; }
    public required Tensor RefLogProbs { get; init; }
    public required Tensor Advantages { get; init; }
    public required Tensor Expert { get; init; }
    /// <summary>Per-row extra tensor <c>[B,T]</c> (CalibRL: the expert's behaviour log-probs aligned by index; mask of where it exists).</summary>
    public Tensor? GuideLogProbs { get; init; }
    public Tensor? GuideMask { get; init; }
    /// <summary><c>[B,1]</c>: 1 when the rollout's reward exceeds the pass threshold (CalibRL), else 0.</summary>
    public Tensor? Pass { get; init; }

    /// <summary>
    /// Builds a batch. <paramref name="old"/>, <paramref name="reference"/>, <paramref name="advantages"/> and
    /// <paramref name="guide"/> give per-row, per-completion-token arrays (null entries are zeros).
    /// </summary>
    public static TrainingBatch Build(IReadOnlyList<Rollout> rows, int padId, Device device,
        IReadOnlyList<float[]?> old, IReadOnlyList<float[]?> reference, IReadOnlyList<float[]> advantages, IReadOnlyList<float[]?>? guide = null, double passThreshold = 0.1)
    {
        int b = rows.Count;
        int len = Math.Max(1, rows.Max(r => r.PromptTokens!.Length + r.CompletionLength));
        int t = Math.Max(1, rows.Max(r => r.CompletionLength));
        var ids = new long[b * len];
        var att = new long[b * len];
        var targets = new long[b * t];
        var pos = new long[b * t];
        var mask = new float[b * t];
        var oldA = new float[b * t];
        var refA = new float[b * t];
        var advA = new float[b * t];
        var expert = new float[b];
        var pass = new float[b];
        var guideA = guide is null ? null : new float[b * t];
        var guideM = guide is null ? null : new float[b * t];
        Array.Fill(ids, padId);
        for (int i = 0; i < b; i++)
        {
            var r = rows[i];
            int p = r.PromptTokens!.Length, c = r.CompletionLength;
            for (int j = 0; j < p; j++) { ids[i * len + j] = r.PromptTokens[j]; att[i * len + j] = 1; }
            for (int j = 0; j < c; j++) { ids[i * len + p + j] = r.CompletionTokens![j]; att[i * len + p + j] = 1; }
            expert[i] = r.IsExpert ? 1 : 0;
            pass[i] = r.Reward is double rw && rw > passThreshold ? 1 : 0;
            for (int j = 0; j < c; j++)
            {
                int k = i * t + j;
                targets[k] = r.CompletionTokens![j];
                pos[k] = p - 1 + j;
                mask[k] = r.LossMask is { } lm ? lm[j] : 1f;
                oldA[k] = old[i] is { } o ? o[j] : 0f;
                refA[k] = reference[i] is { } rf ? rf[j] : 0f;
                advA[k] = advantages[i][j];
                if (guide?[i] is { } g && j < g.Length) { guideA![k] = g[j]; guideM![k] = 1f; }
            }
        }
        Tensor F(float[] a, long cols) => torch.tensor(a, new long[] { b, cols }, device: device);
        Tensor L(long[] a, long cols) => torch.tensor(a, new long[] { b, cols }, device: device);
        return new TrainingBatch
        {
            InputIds = L(ids, len), AttentionMask = L(att, len), Targets = L(targets, t), Positions = L(pos, t),
            Mask = F(mask, t), OldLogProbs = F(oldA, t), RefLogProbs = F(refA, t), Advantages = F(advA, t),
            Expert = F(expert, 1), Pass = F(pass, 1),
            GuideLogProbs = guideA is null ? null : F(guideA, t), GuideMask = guideM is null ? null : F(guideM, t),
        };
    }
}

/// <summary>Per-token log-probabilities (and entropies) of completion tokens under a model.</summary>
public static class TokenLogProbs
{
    /// <summary>
    /// ℓ_{i,t} = log softmax(z_{i,P_i−1+t}/τ)[y_{i,t}] with τ the sampling temperature (as in generation), and
    /// optionally H_{i,t} = −Σ_v p_v log p_v of the same tempered distribution, for the batch's completion tokens
    /// (<see cref="TrainingBatch.Targets"/> at <see cref="TrainingBatch.Positions"/>, <c>[B,T]</c>). The logits come from
    /// <see cref="Models.ICausalLM.ForwardAt"/>, i.e. at the completion positions only.
    /// </summary>
    public static (Tensor LogProbs, Tensor? Entropy) Compute(Models.ICausalLM model, TrainingBatch batch, double temperature, bool entropy, bool entropyGrad)
    {
        var z = model.ForwardAt(batch.InputIds, batch.AttentionMask, batch.Positions);
        if (temperature != 1.0) z = z / temperature;
        var lsm = z.log_softmax(-1);
        var lp = lsm.gather(2, batch.Targets.unsqueeze(-1)).squeeze(-1);
        Tensor? h = null;
        if (entropy)
        {
            if (entropyGrad) h = -(lsm.exp() * lsm).sum(-1);
            else using (torch.no_grad()) { var d = lsm.detach(); h = -(d.exp() * d).sum(-1); }
        }
        return (lp, h);
    }
}
