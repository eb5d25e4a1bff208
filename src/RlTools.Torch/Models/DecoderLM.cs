using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

#pragma warning disable IDE1006 // field names are the Hugging Face parameter names (RegisterComponents uses them)

namespace RlTools.Torch.Models;

/// <summary>
/// The Qwen2 / Qwen2.5 / Qwen3 / Llama-3 decoder-only transformer:
/// <c>h = embed(x); per layer: h += o_proj(attn(rope(q), rope(k), v)) on RMSNorm(h); h += down(silu(gate(n)) * up(n))
/// on n = RMSNorm(h); logits = lm_head(RMSNorm(h))</c>, with grouped-query attention, rotary embeddings with the
/// config's θ (and Llama-3 frequency scaling), q/k/v bias as the config says, Qwen3's per-head q/k RMSNorm, and tied or
/// untied output embeddings. Parameter names equal Hugging Face's (<c>model.layers.0.self_attn.q_proj.weight</c>, …).
/// </summary>
public sealed class DecoderLM : nn.Module<Tensor, Tensor>, ICausalLM
{
    private readonly DecoderModel model;
    private readonly Linear? lm_head;

    /// <summary>Builds the architecture on <paramref name="device"/> in <paramref name="dtype"/>; weights initialised as Hugging Face does
    /// (normal(0, 0.02) for linear and embedding weights, zero biases, unit norms), from <paramref name="seed"/> when given.</summary>
    public DecoderLM(ModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32, long? seed = null) : base("DecoderLM")
    {
        config.Validate();
        Config = config.Clone();
        device ??= CPU;
        model = new DecoderModel(Config, device);
        if (!Config.TieWordEmbeddings) lm_head = nn.Linear(Config.HiddenSize, Config.VocabSize, hasBias: false, device: device);
        RegisterComponents();
        using (no_grad())
        {
            using var initScope = NewDisposeScope();
            using var gen = new Generator((ulong)(seed ?? Random.Shared.NextInt64()), device);
            foreach (var (name, p) in named_parameters())
            {
                if (name.EndsWith("norm.weight", StringComparison.Ordinal)) nn.init.ones_(p);
                else if (name.EndsWith(".bias", StringComparison.Ordinal)) nn.init.zeros_(p);
                else p.copy_(randn(p.shape, ScalarType.Float32, device, generator: gen).mul_(0.02)); // nn.init.normal_ ignores its generator in TorchSharp 0.107
            }
        }
        if (dtype != ScalarType.Float32) this.to(dtype);
        DType = dtype;
        Device = device;
        eval();
    }

    /// <summary>The architecture (a private copy).</summary>
    public ModelConfig Config { get; }

    /// <summary>Weight dtype.</summary>
    public ScalarType DType { get; private set; }

    /// <summary>Where the weights live.</summary>
    public Device Device { get; private set; }

    public long VocabSize => Config.VocabSize;

    public nn.Module Module => this;

    /// <inheritdoc/>
    public string DeviceName => Device.ToString();

    /// <inheritdoc/>
    public string DTypeName => Checkpoints.DTypes.Name(DType);

    /// <summary>A decoder of width ≤ 256 on the CPU: its matrices are too small to split across threads.</summary>
    public bool PrefersOneThread => Config.HiddenSize <= 256 && Device.type == DeviceType.CPU;

    /// <summary>Moves the weights (and future activations) to <paramref name="device"/> / <paramref name="dtype"/>.</summary>
    public void MoveTo(Device device, ScalarType dtype)
    {
        this.to(device);
        this.to(dtype);
        Device = device;
        DType = dtype;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds) => Forward(inputIds, null);

    /// <inheritdoc/>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null) => FullSequence(inputIds, attentionMask, null);

    /// <inheritdoc/>
    public Tensor ForwardAt(Tensor inputIds, Tensor attentionMask, Tensor positions) => FullSequence(inputIds, attentionMask, positions);

    /// <summary>A whole sequence without a cache, rotary positions counted over real tokens; logits at every position, or at <paramref name="at"/> <c>[B, P]</c> only.</summary>
    private Tensor FullSequence(Tensor inputIds, Tensor? attentionMask, Tensor? at)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], t = inputIds.shape[1];
        Tensor mask = attentionMask is null ? ones(b, t, ScalarType.Int64, inputIds.device) : attentionMask.to(ScalarType.Int64);
        Tensor rotary = (mask.cumsum(1) - 1).clamp_min(0);
        Tensor? hiddenAt = at?.unsqueeze(-1).expand(at.shape[0], at.shape[1], Config.HiddenSize);
        return Forward(inputIds, mask, rotary, null, lastOnly: false, allReal: false, hiddenAt).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One step of (possibly incremental) decoding: <paramref name="inputIds"/> <c>[B, T]</c> at rotary
    /// <paramref name="positions"/> <c>[B, T]</c>, <paramref name="attentionMask"/> <c>[B, T]</c> (1 real, 0 padding) for
    /// the new tokens. With a <paramref name="cache"/>, keys/values are appended to it and attention covers everything
    /// cached; no query attends to a padding key (a padding query attends only to itself, so no row is empty).
    /// Returns float32 logits <c>[B, T, V]</c>, or <c>[B, 1, V]</c> for the last position when <paramref name="lastOnly"/>.
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor positions, KvCache? cache, bool lastOnly)
        => Forward(inputIds, attentionMask, positions, cache, lastOnly, allReal: false);

    /// <summary>As above; <paramref name="allReal"/> promises that <paramref name="attentionMask"/> is all ones (no check, no mask bookkeeping).</summary>
    internal Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor positions, KvCache? cache, bool lastOnly, bool allReal, Tensor? hiddenAt = null)
    {
        using var scope = NewDisposeScope();
        Tensor h = Hidden(inputIds, attentionMask, positions, cache, allReal);
        long t = inputIds.shape[1];
        if (lastOnly && t > 1) h = h.narrow(1, t - 1, 1);
        else if (hiddenAt is not null) h = h.gather(1, hiddenAt);
        return Logits(h).MoveToOuterDisposeScope();
    }

    /// <summary>float32 logits for final-norm hidden states <paramref name="h"/> <c>[.., D]</c> (the output projection alone).</summary>
    internal Tensor Logits(Tensor h)
    {
        Tensor logits = Project.Apply(h, lm_head?.weight ?? model.embed_tokens.weight!, null);
        return logits.dtype != ScalarType.Float32 ? logits.to(ScalarType.Float32) : logits;
    }

    /// <summary>
    /// The final hidden states (after the last norm) <c>[B, T, D]</c> in the weight dtype, with the cache and masking rules
    /// of <see cref="Forward(Tensor, Tensor, Tensor, KvCache?, bool)"/>; <see cref="Logits"/> turns them into logits.
    /// </summary>
    internal Tensor Hidden(Tensor inputIds, Tensor attentionMask, Tensor positions, KvCache? cache, bool allReal)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], t = inputIds.shape[1];
        Device dev = inputIds.device;
        int start = cache?.Length ?? 0;
        Tensor? realNew = null;
        bool newPad = false;
        if (!allReal)
        {
            realNew = attentionMask.to(ScalarType.Bool);
            newPad = !realNew.all().item<bool>();
            // Right padding only (training batches): under a causal mask no real query can see a later padding key, so
            // the plain causal kernel is exact for every real position (padding positions' outputs are never used).
            if (newPad && cache is null && t > 1 && !realNew.narrow(1, 0, t - 1).logical_not().logical_and(realNew.narrow(1, 1, t - 1)).any().item<bool>())
                newPad = false;
        }
        bool anyPad = newPad || (cache?.HasPadding ?? false);
        Tensor? keyReal = null;
        if (cache is not null)
        {
            if (start + t > cache.Capacity)
                throw new InvalidOperationException($"The KV cache holds {cache.Capacity} positions; {start + t} are needed.");
            // KeyMask starts all true, so only steps with padding need writing.
            if (newPad) cache.KeyMask.narrow(1, start, t).copy_(realNew!);
            cache.HasPadding = anyPad;
            if (anyPad) keyReal = cache.KeyMask.narrow(1, 0, start + t);
        }
        else if (anyPad) keyReal = realNew;
        long s = start + t;

        // [B, 1, T, S] boolean: key index <= query index, and the key is a real token or the query itself. A whole
        // sequence without padding needs no mask tensor: attention runs libtorch's causal kernel (is_causal).
        Tensor? mask = null;
        bool causalKernel = !anyPad && t > 1 && start == 0;
        if (anyPad || (t > 1 && !causalKernel))
        {
            Tensor qIdx = arange(start, start + t, ScalarType.Int64, dev).unsqueeze(1);
            Tensor kIdx = arange(0, s, ScalarType.Int64, dev).unsqueeze(0);
            Tensor lower = kIdx.le(qIdx).unsqueeze(0);
            mask = keyReal is null ? lower.unsqueeze(1)
                : lower.logical_and(keyReal.unsqueeze(1).logical_or(kIdx.eq(qIdx).unsqueeze(0))).unsqueeze(1);
        }

        var (cos, sin) = Rotary(positions, dev);
        Tensor h = model.Forward(inputIds, cos, sin, mask, causalKernel, cache, start);
        if (cache is not null) cache.Length = (int)s;
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>A cache for <paramref name="batch"/> rows of up to <paramref name="capacity"/> positions, on this model's device and dtype.</summary>
    public KvCache NewCache(int batch, int capacity) => new(Config, batch, capacity, DType, Device);

    private float[]? invFreq;

    /// <summary>Inverse rotary frequencies θ^(-2i/d), with Llama-3 scaling when configured (computed in double, stored as float32).</summary>
    internal float[] InverseFrequencies()
    {
        if (invFreq is not null) return invFreq;
        int d = Config.HeadDim;
        var f = new float[d / 2];
        for (int i = 0; i < d / 2; i++)
        {
            double w = 1.0 / Math.Pow(Config.RopeTheta, 2.0 * i / d);
            if (Config.RopeScaling is { } r)
            {
                double lowWavelen = r.OriginalMaxPositionEmbeddings / r.LowFreqFactor;
                double highWavelen = r.OriginalMaxPositionEmbeddings / r.HighFreqFactor;
                double wavelen = 2 * Math.PI / w;
                if (wavelen > lowWavelen) w /= r.Factor;
                else if (wavelen >= highWavelen)
                {
                    double smooth = (r.OriginalMaxPositionEmbeddings / wavelen - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor);
                    w = (1 - smooth) * w / r.Factor + smooth * w;
                }
            }
            f[i] = (float)w;
        }
        return invFreq = f;
    }

    private Tensor? invFreqTensor;

    /// <summary>
    /// cos and signed sin <c>[B, 1, T, D]</c> for integer <paramref name="positions"/> <c>[B, T]</c>, in the weight dtype.
    /// The sin's first half is negated so that rotate_half(x)·sin = roll(x, D/2)·signedSin.
    /// </summary>
    private (Tensor Cos, Tensor Sin) Rotary(Tensor positions, Device dev)
    {
        if (invFreqTensor is null || invFreqTensor.device != dev)
        {
            invFreqTensor?.Dispose();
            float[] f = InverseFrequencies();
            var signed = new float[f.Length * 2];
            for (int i = 0; i < f.Length; i++) { signed[i] = f[i]; signed[i + f.Length] = f[i]; }
            invFreqTensor = tensor(signed, device: dev).DetachFromDisposeScope();
        }
        Tensor freqs = (positions.to(ScalarType.Float32).unsqueeze(-1) * invFreqTensor).unsqueeze(1); // [B, 1, T, D]
        Tensor cos = freqs.cos(), sin = freqs.sin();
        long half = Config.HeadDim / 2;
        sin.narrow(-1, 0, half).neg_();
        if (DType != ScalarType.Float32) { cos = cos.to(DType); sin = sin.to(DType); }
        return (cos, sin);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) invFreqTensor?.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The transformer body (<c>model.*</c>): embeddings, layers, final norm.</summary>
internal sealed class DecoderModel : nn.Module
{
    internal readonly Embedding embed_tokens;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RmsNorm norm;

    public DecoderModel(ModelConfig c, Device device) : base("model")
    {
        embed_tokens = nn.Embedding(c.VocabSize, c.HiddenSize, device: device);
        layers = new ModuleList<DecoderLayer>(Enumerable.Range(0, c.NumHiddenLayers).Select(i => new DecoderLayer(c, i, device)).ToArray());
        norm = new RmsNorm(c.HiddenSize, c.RmsNormEps, device);
        RegisterComponents();
    }

    public Tensor Forward(Tensor ids, Tensor cos, Tensor sin, Tensor? mask, bool causal, KvCache? cache, int start)
    {
        Tensor h = embed_tokens.forward(ids);
        foreach (DecoderLayer layer in layers) h = layer.Forward(h, cos, sin, mask, causal, cache, start);
        return norm.forward(h);
    }
}

internal sealed class DecoderLayer : nn.Module
{
    private readonly Attention self_attn;
    private readonly Mlp mlp;
    private readonly RmsNorm input_layernorm, post_attention_layernorm;

    public DecoderLayer(ModelConfig c, int index, Device device) : base($"layer{index}")
    {
        self_attn = new Attention(c, index, device);
        mlp = new Mlp(c, device);
        input_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps, device);
        post_attention_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps, device);
        RegisterComponents();
    }

    public Tensor Forward(Tensor h, Tensor cos, Tensor sin, Tensor? mask, bool causal, KvCache? cache, int start)
    {
        h = h + self_attn.Forward(input_layernorm.forward(h), cos, sin, mask, causal, cache, start);
        return h + mlp.forward(post_attention_layernorm.forward(h));
    }
}

internal sealed class Attention : nn.Module
{
    private readonly Linear q_proj, k_proj, v_proj, o_proj;
    private readonly RmsNorm? q_norm, k_norm;
    private readonly int heads, kvHeads, headDim, layer;

    public Attention(ModelConfig c, int layer, Device device) : base("self_attn")
    {
        heads = c.NumAttentionHeads; kvHeads = c.NumKeyValueHeads; headDim = c.HeadDim; this.layer = layer;
        q_proj = nn.Linear(c.HiddenSize, heads * headDim, hasBias: c.AttentionBias, device: device);
        k_proj = nn.Linear(c.HiddenSize, kvHeads * headDim, hasBias: c.AttentionBias, device: device);
        v_proj = nn.Linear(c.HiddenSize, kvHeads * headDim, hasBias: c.AttentionBias, device: device);
        o_proj = nn.Linear(heads * headDim, c.HiddenSize, hasBias: false, device: device);
        if (c.QkNorm)
        {
            q_norm = new RmsNorm(headDim, c.RmsNormEps, device);
            k_norm = new RmsNorm(headDim, c.RmsNormEps, device);
        }
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, bool causal, KvCache? cache, int start)
    {
        long b = x.shape[0], t = x.shape[1];
        Tensor q = Project.Apply(x, q_proj).view(b, t, heads, headDim);
        Tensor k = Project.Apply(x, k_proj).view(b, t, kvHeads, headDim);
        Tensor v = Project.Apply(x, v_proj).view(b, t, kvHeads, headDim).transpose(1, 2);
        if (q_norm is not null) { q = q_norm.forward(q); k = k_norm!.forward(k); }
        q = Rope(q.transpose(1, 2), cos, sin);
        k = Rope(k.transpose(1, 2), cos, sin);
        if (cache is not null)
        {
            cache.K[layer].narrow(2, start, t).copy_(k);
            cache.V[layer].narrow(2, start, t).copy_(v);
            k = cache.K[layer].narrow(2, 0, start + t);
            v = cache.V[layer].narrow(2, 0, start + t);
        }
        int rep = heads / kvHeads;
        Tensor o; // [B, heads, T, D]
        if (causal)
        {
            // The causal kernel needs one key row per query row, so shared KV heads are expanded (a copy of K and V).
            if (rep > 1)
            {
                long s = k.shape[2];
                k = k.unsqueeze(2).expand(b, kvHeads, rep, s, headDim).reshape(b, heads, s, headDim);
                v = v.unsqueeze(2).expand(b, kvHeads, rep, s, headDim).reshape(b, heads, s, headDim);
            }
            o = F.scaled_dot_product_attention(q, k, v, null, 0.0, true);
        }
        else
        {
            // Grouped-query attention without copying K/V: the `rep` query heads that share a KV head become extra query rows.
            Tensor? m = mask;
            if (rep > 1)
            {
                q = q.reshape(b, kvHeads, rep * t, headDim);
                if (m is not null && t > 1) m = m.repeat(1, 1, rep, 1);
            }
            o = F.scaled_dot_product_attention(q, k, v, m).reshape(b, heads, t, headDim);
        }
        return Project.Apply(o.transpose(1, 2).reshape(b, t, heads * headDim), o_proj);
    }

    /// <summary>
    /// x·cos + rotate_half(x)·sin with rotate_half(x) = [-x₂, x₁] over the two halves of the head dimension, computed as
    /// x·cos + roll(x, D/2)·signedSin where signedSin = [-sin₁, sin₂] (fewer operations per layer).
    /// </summary>
    private Tensor Rope(Tensor x, Tensor cos, Tensor signedSin) => x * cos + x.roll(headDim / 2, -1) * signedSin;
}

internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear gate_proj, up_proj, down_proj;

    public Mlp(ModelConfig c, Device device) : base("mlp")
    {
        gate_proj = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: false, device: device);
        up_proj = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: false, device: device);
        down_proj = nn.Linear(c.IntermediateSize, c.HiddenSize, hasBias: false, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Project.Apply(F.silu(Project.Apply(x, gate_proj)) * Project.Apply(x, up_proj), down_proj);
}

/// <summary>A linear projection: the decode kernel (<see cref="DecodeGemm"/>) for the skinny products of KV-cached decoding, BLAS otherwise.</summary>
internal static class Project
{
    public static Tensor Apply(Tensor x, Linear layer) => Apply(x, layer.weight!, layer.bias);

    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias)
        => DecodeGemm.Applies(x, weight, bias) ? DecodeGemm.Linear(x, weight, bias) : F.linear(x, weight, bias);
}

/// <summary>RMSNorm: <c>w · x / sqrt(mean(x²) + ε)</c>, computed in float32 and cast back (as Hugging Face does).</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;

    public RmsNorm(int size, double eps, Device device) : base("norm")
    {
        weight = new Parameter(ones(size, device: device));
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dtype == ScalarType.Float32)
            return weight * (x * (x.square().mean(new long[] { -1 }, keepdim: true) + eps).rsqrt());
        Tensor xf = x.to(ScalarType.Float32);
        Tensor n = xf * (xf.square().mean(new long[] { -1 }, keepdim: true) + eps).rsqrt();
        return weight * n.to(x.dtype);
    }
}

/// <summary>
/// Keys and values of every layer for incremental decoding: <c>[B, H_kv, capacity, D]</c> per layer, written in place,
/// plus which cached positions are real tokens (<see cref="KeyMask"/>). Lives outside any dispose scope; dispose it.
/// </summary>
public sealed class KvCache : IDisposable
{
    internal readonly Tensor[] K, V;
    internal readonly Tensor KeyMask;

    internal KvCache(ModelConfig c, int batch, int capacity, ScalarType dtype, Device device)
    {
        Capacity = capacity;
        K = new Tensor[c.NumHiddenLayers];
        V = new Tensor[c.NumHiddenLayers];
        for (int i = 0; i < K.Length; i++)
        {
            K[i] = zeros(new long[] { batch, c.NumKeyValueHeads, capacity, c.HeadDim }, dtype, device).DetachFromDisposeScope();
            V[i] = zeros(new long[] { batch, c.NumKeyValueHeads, capacity, c.HeadDim }, dtype, device).DetachFromDisposeScope();
        }
        KeyMask = ones(new long[] { batch, capacity }, ScalarType.Bool, device).DetachFromDisposeScope();
    }

    /// <summary>Positions the cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Positions written so far.</summary>
    public int Length { get; internal set; }

    /// <summary>Whether any cached position is padding (then every step needs a mask).</summary>
    public bool HasPadding { get; internal set; }

    public void Dispose()
    {
        foreach (Tensor t in K) t.Dispose();
        foreach (Tensor t in V) t.Dispose();
        KeyMask.Dispose();
    }
}
