using System.Text;
using RlTools.Core.IO;

namespace RlTools.Core.Tests.IO;

public class JsonValuesTests
{
    [Fact]
    public void Parses_each_type_of_the_value_model()
    {
        var v = (Dictionary<string, object?>)JsonValues.Parse("""{"i":1,"d":1.0,"e":1e2,"s":"x","b":true,"n":null,"l":[1,"a"],"m":{"k":-3}}""")!;
        Assert.Equal(1L, Assert.IsType<long>(v["i"]));
        Assert.Equal(1.0, Assert.IsType<double>(v["d"]));
        Assert.Equal(100.0, Assert.IsType<double>(v["e"]));
        Assert.Equal("x", v["s"]);
        Assert.Equal(true, v["b"]);
        Assert.Null(v["n"]);
        Assert.Equal(new List<object?> { 1L, "a" }, v["l"]);
        Assert.Equal(-3L, ((Dictionary<string, object?>)v["m"]!)["k"]);
    }

    [Fact]
    public void Reads_Python_bare_non_finite_tokens_but_keeps_quoted_ones_as_text()
    {
        // json.dumps({"a": float("nan"), "b": float("-inf"), "c": "NaN and Infinity", "d": [float("inf")]})
        var v = (Dictionary<string, object?>)JsonValues.Parse("""{"a": NaN, "b": -Infinity, "c": "NaN and Infinity", "d": [Infinity], "e": "NaN"}""")!;
        Assert.True(double.IsNaN((double)v["a"]!));
        Assert.Equal(double.NegativeInfinity, v["b"]);
        Assert.Equal("NaN and Infinity", v["c"]);
        Assert.Equal(double.PositiveInfinity, ((List<object?>)v["d"]!)[0]);
        Assert.Equal("NaN", v["e"]);
    }

    [Theory]
    [InlineData(2.0, "2.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(1e300, "1E+300")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void Formats_doubles_shortest_and_typed(double d, string expected)
    {
        Span<byte> buf = stackalloc byte[40];
        int n = JsonValues.FormatDouble(d, buf);
        Assert.Equal(expected, Encoding.ASCII.GetString(buf[..n]));
        Assert.True(JsonValues.TryParse(expected, out object? back));
        Assert.True(JsonValues.SameDouble(d, Assert.IsType<double>(back)));
    }

    [Theory]
    [InlineData(0.1f, "0.1")]
    [InlineData(1f, "1")]
    [InlineData(float.Epsilon, "1E-45")]
    [InlineData(3.4028235E+38f, "3.4028235E+38")]
    public void Formats_floats_in_the_shortest_round_trip_form(float f, string expected)
    {
        Span<byte> buf = stackalloc byte[40];
        int n = JsonValues.FormatSingle(f, buf);
        Assert.Equal(expected, Encoding.ASCII.GetString(buf[..n]));
        Assert.Equal(f, float.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Quoting_bare_tokens_leaves_strings_alone_and_records_positions()
    {
        byte[] json = """{"s":"NaN \"Infinity\"","v":NaN,"w":-Infinity}"""u8.ToArray();
        byte[]? quoted = JsonValues.QuoteBareNonFinite(json, out var positions);
        Assert.NotNull(quoted);
        Assert.Equal("""{"s":"NaN \"Infinity\"","v":"NaN","w":"-Infinity"}""", Encoding.UTF8.GetString(quoted));
        Assert.Equal(2, positions.Count);
        Assert.Null(JsonValues.QuoteBareNonFinite("""{"s":"NaN"}"""u8, out _));
    }

    [Fact]
    public void Deep_equality_distinguishes_types_and_signed_zero()
    {
        Assert.True(JsonValues.DeepEquals(double.NaN, double.NaN));
        Assert.False(JsonValues.DeepEquals(0.0, -0.0));
        Assert.False(JsonValues.DeepEquals(1L, 1.0));
        Assert.True(JsonValues.DeepEquals(
            new Dictionary<string, object?> { ["a"] = 1L, ["b"] = new List<object?> { "x" } },
            new Dictionary<string, object?> { ["b"] = new List<object?> { "x" }, ["a"] = 1L }));
    }

    [Fact]
    public void Refuses_values_it_cannot_store()
    {
        var e = Assert.Throws<ArgumentException>(() => JsonValues.ToJson(new Dictionary<string, object?> { ["x"] = new object() }));
        Assert.Contains("System.Object", e.Message);
    }

    [Fact]
    public void Writes_other_clr_numbers_and_collections_as_the_model()
    {
        var hashtable = new System.Collections.Hashtable { ["k"] = 1 };
        string json = JsonValues.ToJson(new object?[] { 1, (short)2, 1.5f, 2.5m, hashtable, 'c' });
        Assert.Equal("""[1,2,1.5,2.5,{"k":1},"c"]""", json);
    }
}
