using System.Collections;
using RlTools.Torch.Models;

namespace RlTools.Torch.Tests.Models;

public class ModelConfigTests
{
    private static string Write(string json)
    {
        string path = Path.Combine(Path.GetTempPath(), "rlcfg-" + Guid.NewGuid().ToString("n") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Parses_a_qwen2_config_json()
    {
        string path = Write("""
        {"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","hidden_size":896,"intermediate_size":4864,"num_hidden_layers":24,
         "num_attention_heads":14,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":1000000.0,"max_position_embeddings":32768,
         "vocab_size":151936,"tie_word_embeddings":true,"torch_dtype":"bfloat16","eos_token_id":151643,"bos_token_id":151643}
        """);
        var c = ModelConfig.Load(path);
        Assert.Equal("qwen2", c.ModelType);
        Assert.Equal(64, c.HeadDim); // hidden_size / heads when head_dim is absent
        Assert.True(c.AttentionBias); // qwen2 always has q/k/v bias
        Assert.Equal(1e6, c.RopeTheta);
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal(151643, c.EosTokenId);
        // Qwen2.5-0.5B has 494,032,768 parameters.
        Assert.Equal(494_032_768L, c.ParameterCount());
        Assert.Equal(c.ParameterCount(), ModelConfig.Preset("Qwen2.5-0.5B").ParameterCount());
    }

    [Fact]
    public void Parses_llama3_rope_scaling_and_eos_lists()
    {
        string path = Write("""
        {"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2,
         "vocab_size":300,"rope_theta":500000.0,"eos_token_id":[128001,128008],"attention_bias":false,
         "rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192,"rope_type":"llama3"}}
        """);
        var c = ModelConfig.Load(path);
        Assert.Equal(new RopeScaling(32, 1, 4, 8192), c.RopeScaling);
        Assert.Equal(128001, c.EosTokenId);
        Assert.False(c.AttentionBias);
        Assert.False(c.TieWordEmbeddings);
    }

    [Fact]
    public void Round_trips_through_json()
    {
        var c = TestModels.Config("qwen3", tie: false, bias: true, new RopeScaling(8, 1, 4, 64));
        var back = ModelConfig.Load(Write(c.ToJson()));
        Assert.Equal(c.ToJson(), back.ToJson());
    }

    [Fact]
    public void Builds_from_a_hashtable()
    {
        var c = ModelConfig.FromMap(new Hashtable { ["model_type"] = "llama", ["hidden_size"] = 32, ["intermediate_size"] = 64, ["num_hidden_layers"] = 1, ["num_attention_heads"] = 4, ["vocab_size"] = 50 });
        Assert.Equal(4, c.NumKeyValueHeads);
        Assert.Equal(8, c.HeadDim);
    }

    [Theory]
    [InlineData("""{"model_type":"gpt2","hidden_size":8}""", "UnknownModelType")]
    [InlineData("""{"hidden_size":8}""", "ConfigMissingField")]
    [InlineData("""{"model_type":"qwen2","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":3,"num_key_value_heads":2,"vocab_size":5}""", "ConfigInvalidValue")]
    [InlineData("""{"model_type":"llama","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":5,"rope_scaling":{"type":"yarn","factor":4}}""", "UnsupportedRopeScaling")]
    [InlineData("""{"model_type": """, "ConfigInvalidJson")]
    public void Bad_configs_get_clear_errors(string json, string id)
    {
        string path = Write(json);
        var e = Assert.Throws<ModelConfigException>(() => ModelConfig.Load(path));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(path, e.File);
    }

    [Fact]
    public void Unknown_presets_are_named()
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelConfig.Preset("Huge"));
        Assert.Equal("UnknownModelPreset", e.ErrorId);
        Assert.Contains("Tiny", e.Message);
    }
}
