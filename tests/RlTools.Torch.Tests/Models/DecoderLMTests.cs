using RlTools.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace RlTools.Torch.Tests.Models;

public class DecoderLMTests
{
    public static TheoryData<string, bool, bool, bool> Architectures => new()
    {
        { "qwen2", true, true, false },   // q/k/v bias, tied embeddings
        { "qwen3", false, false, false }, // q/k norm, untied
        { "llama", false, false, true },  // untied, llama3 rope scaling
        { "llama", true, true, false },   // attention_bias on llama
    };

    private static ModelConfig ConfigFor(string type, bool tie, bool bias, bool scaling)
        => TestModels.Config(type, tie, bias, scaling ? new RopeScaling(4, 1, 4, 16) : null);

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Logits_equal_a_direct_computation(string type, bool tie, bool bias, bool scaling)
    {
        using var model = TestModels.Random(ConfigFor(type, tie, bias, scaling), seed: 7);
        var reference = new ReferenceDecoder(model);
        int[] ids = TestModels.Tokens(11, 37, 3);
        double[][] expected = reference.Logits(ids);
        using var scope = NewDisposeScope();
        float[] got = model.Forward(tensor(ids.Select(x => (long)x).ToArray(), new long[] { 1, ids.Length })).data<float>().ToArray();
        double maxAbs = expected.SelectMany(r => r).Max(Math.Abs);
        Assert.True(maxAbs > 0.5, $"logits too small to test anything ({maxAbs})");
        for (int t = 0; t < ids.Length; t++)
            for (int v = 0; v < 37; v++)
                Assert.True(Math.Abs(got[t * 37 + v] - expected[t][v]) <= 1e-5 * Math.Max(1, Math.Abs(expected[t][v])),
                    $"logit [{t},{v}]: engine {got[t * 37 + v]}, direct {expected[t][v]}");
    }

    [Fact]
    public void Parameter_names_follow_hugging_face()
    {
        using var qwen3 = new DecoderLM(TestModels.Config("qwen3", tie: false), seed: 1);
        var names = qwen3.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Contains("model.embed_tokens.weight", names);
        Assert.Contains("model.layers.1.self_attn.q_proj.weight", names);
        Assert.Contains("model.layers.0.self_attn.q_norm.weight", names);
        Assert.Contains("model.layers.0.self_attn.k_norm.weight", names);
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", names);
        Assert.Contains("model.layers.0.input_layernorm.weight", names);
        Assert.Contains("model.layers.0.post_attention_layernorm.weight", names);
        Assert.Contains("model.norm.weight", names);
        Assert.Contains("lm_head.weight", names);
        Assert.DoesNotContain("model.layers.0.self_attn.q_proj.bias", names);
        Assert.Equal(qwen3.Config.ParameterCount(), qwen3.parameters().Sum(p => p.numel()));

        using var qwen2 = new DecoderLM(TestModels.Config("qwen2", tie: true, bias: true), seed: 1);
        var n2 = qwen2.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Contains("model.layers.0.self_attn.v_proj.bias", n2);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", n2);
        Assert.DoesNotContain("lm_head.weight", n2);
        Assert.DoesNotContain("model.layers.0.self_attn.q_norm.weight", n2);
        Assert.Equal(qwen2.Config.ParameterCount(), qwen2.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Left_padded_rows_equal_the_rows_alone()
    {
        using var model = TestModels.Random(ConfigFor("qwen2", true, true, false), seed: 11);
        int[][] rows = { TestModels.Tokens(9, 37, 1), TestModels.Tokens(4, 37, 2), TestModels.Tokens(1, 37, 3) };
        int len = 9;
        var ids = new long[3 * len];
        var mask = new long[3 * len];
        for (int r = 0; r < 3; r++)
            for (int j = 0; j < rows[r].Length; j++) { ids[r * len + len - rows[r].Length + j] = rows[r][j]; mask[r * len + len - rows[r].Length + j] = 1; }
        using var scope = NewDisposeScope();
        float[] batched = model.Forward(tensor(ids, new long[] { 3, len }), tensor(mask, new long[] { 3, len })).data<float>().ToArray();
        Assert.DoesNotContain(batched, float.IsNaN);
        for (int r = 0; r < 3; r++)
        {
            float[] alone = model.Forward(tensor(rows[r].Select(x => (long)x).ToArray(), new long[] { 1, rows[r].Length })).data<float>().ToArray();
            int off = len - rows[r].Length;
            for (int t = 0; t < rows[r].Length; t++)
                for (int v = 0; v < 37; v++)
                    Assert.Equal(alone[t * 37 + v], batched[(r * len + off + t) * 37 + v], 1e-5f);
        }
    }

    [Fact]
    public void Logits_at_positions_equal_the_full_forward_gathered_and_so_do_their_gradients()
    {
        using var model = TestModels.Random(ConfigFor("qwen2", true, true, false), seed: 4);
        using var scope = NewDisposeScope();
        // Two rows, the second right-padded (as training batches are); positions pick what predicts completion tokens.
        Tensor ids = tensor(TestModels.Tokens(16, 37, 5).Select(x => (long)x).ToArray(), new long[] { 2, 8 });
        Tensor mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, new long[] { 2, 8 });
        Tensor pos = tensor(new long[] { 2, 3, 4, 6, 1, 2, 3, 4 }, new long[] { 2, 4 });
        Tensor weights = randn(2, 4, 37);
        (float[] Logits, float[] Grad) Run(bool at)
        {
            model.zero_grad();
            Tensor z = at ? model.ForwardAt(ids, mask, pos)
                : model.Forward(ids, mask).gather(1, pos.unsqueeze(-1).expand(2, 4, 37));
            (z * weights).sum().backward();
            var g = model.named_parameters().First(p => p.name == "model.embed_tokens.weight").parameter.grad!;
            return (z.detach().data<float>().ToArray(), g.data<float>().ToArray());
        }
        var full = Run(at: false);
        var gathered = Run(at: true);
        Assert.Equal(2 * 4 * 37, gathered.Logits.Length);
        for (int i = 0; i < full.Logits.Length; i++) Assert.Equal(full.Logits[i], gathered.Logits[i], 1e-5f);
        Assert.Contains(full.Grad, x => x != 0);
        for (int i = 0; i < full.Grad.Length; i++) Assert.Equal(full.Grad[i], gathered.Grad[i], 1e-4f);
        model.zero_grad();
        // The right-padded row's real positions equal the row alone (padding after a row never reaches it).
        float[] padded = model.Forward(ids, mask).detach().data<float>().ToArray();
        float[] alone = model.Forward(ids.narrow(0, 1, 1).narrow(1, 0, 5)).detach().data<float>().ToArray();
        for (int t = 0; t < 5; t++)
            for (int v = 0; v < 37; v++) Assert.Equal(alone[t * 37 + v], padded[(8 + t) * 37 + v], 1e-5f);
    }

    [Fact]
    public void Incremental_decoding_with_the_cache_equals_the_full_forward()
    {
        using var model = TestModels.Random(ConfigFor("qwen3", false, false, false), seed: 5);
        int[] ids = TestModels.Tokens(10, 37, 9);
        using var scope = NewDisposeScope();
        float[] full = model.Forward(tensor(ids.Select(x => (long)x).ToArray(), new long[] { 1, 10 })).data<float>().ToArray();
        using var cache = model.NewCache(1, 10);
        // Prefill 6 tokens, then 4 one at a time.
        Tensor pre = model.Forward(tensor(ids.Take(6).Select(x => (long)x).ToArray(), new long[] { 1, 6 }), ones(1, 6, ScalarType.Int64),
            arange(0, 6, ScalarType.Int64).unsqueeze(0), cache, lastOnly: false);
        float[] p = pre.data<float>().ToArray();
        for (int i = 0; i < 6 * 37; i++) Assert.Equal(full[i], p[i], 1e-5f);
        for (int t = 6; t < 10; t++)
        {
            float[] step = model.Forward(tensor(new long[] { ids[t] }, new long[] { 1, 1 }), ones(1, 1, ScalarType.Int64),
                tensor(new long[] { t }, new long[] { 1, 1 }), cache, lastOnly: true).data<float>().ToArray();
            for (int v = 0; v < 37; v++) Assert.Equal(full[t * 37 + v], step[v], 1e-5f);
        }
        Assert.Equal(10, cache.Length);
    }

    [Fact]
    public void Bfloat16_weights_give_logits_close_to_float32()
    {
        using var model = TestModels.Random(ConfigFor("qwen2", true, true, false), seed: 2, std: 0.1);
        int[] ids = TestModels.Tokens(8, 37, 4);
        using var scope = NewDisposeScope();
        Tensor input = tensor(ids.Select(x => (long)x).ToArray(), new long[] { 1, 8 });
        float[] f32 = model.Forward(input).data<float>().ToArray();
        model.MoveTo(CPU, ScalarType.BFloat16);
        Tensor logits = model.Forward(input);
        Assert.Equal(ScalarType.Float32, logits.dtype);
        float[] bf = logits.data<float>().ToArray();
        double maxDiff = f32.Zip(bf, (a, b) => Math.Abs(a - b)).Max(), scale = f32.Max(Math.Abs);
        Assert.True(maxDiff < 0.05 * scale + 0.02, $"bf16 differs by {maxDiff} (scale {scale})");
        Assert.True(maxDiff > 0, "bf16 should not be bit-identical to float32");
    }
}

public class DecoderLMInitTests
{
    [Fact]
    public void The_seed_fixes_the_initial_weights()
    {
        using var a = new DecoderLM(ModelConfig.Preset("Tiny"), seed: 3);
        using var b = new DecoderLM(ModelConfig.Preset("Tiny"), seed: 3);
        using var c = new DecoderLM(ModelConfig.Preset("Tiny"), seed: 4);
        var pa = a.named_parameters().ToDictionary(x => x.name, x => x.parameter.data<float>().ToArray());
        foreach (var (name, p) in b.named_parameters()) Assert.Equal(pa[name], p.data<float>().ToArray());
        Assert.NotEqual(pa["model.embed_tokens.weight"], c.named_parameters().First(x => x.name == "model.embed_tokens.weight").parameter.data<float>().ToArray());
        // normal(0, 0.02): the sample standard deviation of the 16,576 embedding weights is close to 0.02.
        double[] e = pa["model.embed_tokens.weight"].Select(x => (double)x).ToArray();
        double mean = e.Average(), sd = Math.Sqrt(e.Sum(x => (x - mean) * (x - mean)) / e.Length);
        Assert.InRange(sd, 0.019, 0.021);
        Assert.All(pa["model.norm.weight"], x => Assert.Equal(1f, x));
        Assert.All(pa["model.layers.0.self_attn.q_proj.bias"], x => Assert.Equal(0f, x));
    }
}

public class DecoderLMTrainingTests
{
    [Fact]
    public void Gradients_flow_to_every_weight_and_stay_finite_with_left_padding()
    {
        using var model = TestModels.Random(TestModels.Config("qwen3", tie: true, bias: true), seed: 4, std: 0.2);
        model.train();
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 0, 0, 5, 6, 7, 1, 2, 3, 4, 5 }, new long[] { 2, 5 });
        var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, new long[] { 2, 5 });
        Tensor logp = model.Forward(ids, mask).log_softmax(-1);
        // Mean log-prob of the next real token, over real positions only.
        Tensor target = ids.narrow(1, 1, 4).unsqueeze(-1);
        Tensor lp = logp.narrow(1, 0, 4).gather(-1, target).squeeze(-1) * mask.narrow(1, 0, 4).to(ScalarType.Float32);
        (-lp.sum()).backward();
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.NotNull(p.grad);
            float[] g = p.grad!.data<float>().ToArray();
            Assert.DoesNotContain(g, x => !float.IsFinite(x));
            if (!name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("q_proj") || name.Contains("v_proj"))
                Assert.Contains(g, x => x != 0); // k_proj.bias has an exactly-zero gradient (softmax is shift-invariant)
        }
    }
}
