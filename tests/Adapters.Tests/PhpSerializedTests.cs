using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using CustomerService.AdapterKit.Php;
using Xunit;

namespace CustomerService.Adapters.Tests;

public class PhpSerializedTests
{
    private static string Json(string serialized, PhpUnserializeOptions? options = null) =>
        Encoding.UTF8.GetString(PhpSerialized.ToJson(Encoding.UTF8.GetBytes(serialized), options));

    [Fact]
    public void Every_record_PHP_generates_reads_as_the_JSON_PHP_encodes()
    {
        // json_encode with JSON_PARTIAL_OUTPUT_ON_ERROR writes 0 for INF and NAN; the reader does so when asked.
        var options = new PhpUnserializeOptions { NonFiniteFloats = NonFiniteFloatHandling.Zero };
        var records = PhpOracle.Records;
        Assert.True(records.Count >= 400, $"the oracle printed {records.Count} records");
        foreach (var record in records)
        {
            string ours = Encoding.UTF8.GetString(PhpSerialized.ToJson(record.Serialized, options));
            JsonAssert.Equal(record.Json, ours, $"record {record.Index}: {Encoding.UTF8.GetString(record.Serialized)}");
        }
    }

    [Fact]
    public void The_oracle_covers_what_it_is_meant_to()
    {
        var all = string.Join("\n", PhpOracle.Records.Select(r => Encoding.UTF8.GetString(r.Serialized)));
        foreach (var feature in new[] { "R:", "r:", "O:8:\"stdClass\"", "O:8:\"Customer\"", "\0*\0secret", "\0Customer\0pin",
                     "d:INF;", "d:NAN;", "d:-0;", "i:-9223372036854775808;", "王伟", "😀", "i:-" })
            Assert.Contains(feature, all);
    }

    [Theory]
    [InlineData("s:6:\"王伟\";", "\"王伟\"")]
    [InlineData("s:8:\"a\";b:1;c\";", "\"a\\\";b:1;c\"")]
    [InlineData("i:-9223372036854775808;", "-9223372036854775808")]
    [InlineData("i:+7;", "7")]
    [InlineData("d:.5;", "0.5")]
    [InlineData("d:5.;", "5")]
    [InlineData("d:1.0E+25;", "1e25")]
    [InlineData("d:1e400;", "\"INF\"")]
    [InlineData("b:0;", "false")]
    [InlineData("N;", "null")]
    [InlineData("a:0:{}", "[]")]
    [InlineData("O:8:\"stdClass\":0:{}", "{}")]
    [InlineData("a:2:{i:1;s:1:\"a\";i:0;s:1:\"b\";}", "{\"1\":\"a\",\"0\":\"b\"}")]
    [InlineData("a:2:{s:1:\"0\";s:1:\"a\";s:1:\"1\";s:1:\"b\";}", "[\"a\",\"b\"]")]
    [InlineData("a:3:{s:2:\"05\";i:1;s:2:\"-0\";i:2;s:2:\"-3\";i:3;}", "{\"05\":1,\"-0\":2,\"-3\":3}")]
    [InlineData("a:3:{i:0;s:1:\"x\";i:1;s:1:\"y\";i:0;s:1:\"z\";}", "[\"z\",\"y\"]")]
    [InlineData("O:8:\"stdClass\":2:{i:5;s:1:\"x\";s:1:\"a\";d:0.1;}", "{\"5\":\"x\",\"a\":0.1}")]
    [InlineData("S:4:\"\\41b\\5cc\";", "\"Ab\\\\c\"")]
    [InlineData("a:1:{S:1:\"\\30\";i:1;}", "[1]")]
    public void Reads_values_as_json_encode_writes_them(string serialized, string json) =>
        JsonAssert.Equal(json, Json(serialized));

    [Fact]
    public void Non_finite_floats_are_strings_by_default_and_null_or_zero_on_request()
    {
        const string input = "a:3:{i:0;d:INF;i:1;d:-INF;i:2;d:NAN;}";
        Assert.Equal("[\"INF\",\"-INF\",\"NAN\"]", Json(input));
        Assert.Equal("[null,null,null]", Json(input, new PhpUnserializeOptions { NonFiniteFloats = NonFiniteFloatHandling.Null }));
        Assert.Equal("[0,0,0]", Json(input, new PhpUnserializeOptions { NonFiniteFloats = NonFiniteFloatHandling.Zero }));
    }

    [Fact]
    public void Protected_and_private_properties_are_dropped_unless_asked_for()
    {
        const string input = "O:1:\"P\":3:{s:3:\"pub\";i:1;s:6:\"\0*\0pro\";i:2;s:6:\"\0P\0pri\";i:3;}";
        Assert.Equal("{\"pub\":1}", Json(input));
        var all = JsonNode.Parse(Json(input, new PhpUnserializeOptions { IncludeNonPublicProperties = true, ClassNameProperty = "@class" }))!;
        Assert.Equal("P", (string?)all["@class"]);
        Assert.Equal(2, (int?)all["\0*\0pro"]);
        Assert.Equal(3, (int?)all["\0P\0pri"]);
    }

    [Fact]
    public void Custom_serialized_objects_and_enums_are_read_as_data()
    {
        // C: payloads are the class's own format; nothing is instantiated and nothing inside is interpreted.
        var custom = JsonNode.Parse(Json("a:2:{i:0;C:11:\"ArrayObject\":21:{x:i:0;a:0:{};m:a:0:{}}i:1;E:11:\"Suit:Hearts\";}"))!;
        Assert.Equal("ArrayObject", (string?)custom[0]!["__php_class"]);
        Assert.Equal("x:i:0;a:0:{};m:a:0:{}", (string?)custom[0]!["__php_serialized"]);
        Assert.Equal("Suit:Hearts", (string?)custom[1]);
    }

    [Fact]
    public void References_repeat_the_value_and_recursion_becomes_null()
    {
        // r:2 is the object (value 2), R:3 the PHP reference to value 3 (the first element of the object).
        var json = JsonNode.Parse(Json("a:3:{i:0;O:8:\"stdClass\":1:{s:1:\"a\";s:3:\"one\";}i:1;r:2;i:2;R:3;}"))!;
        Assert.Equal("one", (string?)json[1]!["a"]);
        Assert.Equal("one", (string?)json[2]);
        // $a = [1]; $a[] = &$a; serialize($a)
        Assert.Equal("[1,[1,null]]", Json("a:2:{i:0;i:1;i:1;a:2:{i:0;i:1;i:1;R:3;}}"));
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_become_replacement_characters_or_use_the_configured_encoding()
    {
        var gb18030 = new byte[] { 0xD5, 0xC5, 0xC8, 0xFD }; // 张三
        var input = Encoding.ASCII.GetBytes("s:4:\"").Concat(gb18030).Concat("\";"u8.ToArray()).ToArray();
        Assert.Equal("\uFFFD\uFFFD\uFFFD\uFFFD", (string?)PhpSerialized.ToJsonNode(input));
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var options = new PhpUnserializeOptions { StringEncoding = Encoding.GetEncoding("GB18030") };
        Assert.Equal("张三", (string?)PhpSerialized.ToJsonNode(input, options));
    }

    [Fact]
    public void Trailing_whitespace_is_allowed_and_trailing_data_is_not_unless_asked()
    {
        Assert.Equal("1", Json("i:1;\r\n"));
        var error = Assert.Throws<PhpSerializationException>(() => Json("i:1;i:2;"));
        Assert.Equal(4, error.Offset);
        Assert.Equal("1", Json("i:1;i:2;", new PhpUnserializeOptions { AllowTrailingData = true }));
    }

    public static TheoryData<string, PhpSerializationError, long> Malformed => new()
    {
        { "", PhpSerializationError.Truncated, 0 },
        { "s:6:\"王", PhpSerializationError.Malformed, 2 },
        { "s:5:\"王伟\";", PhpSerializationError.Malformed, 10 },      // 6 bytes, 5 declared: no quote at byte 10
        { "s:7:\"王伟\";", PhpSerializationError.Malformed, 12 },      // 7 declared: the quote lands one byte late
        { "s:2147483648:\"abc\";", PhpSerializationError.Malformed, 2 },
        { "s:99999999999999999999:\"\";", PhpSerializationError.Malformed, 2 },
        { "a:2147483648:{i:0;N;}", PhpSerializationError.Malformed, 0 },
        { "O:8:\"stdClass\":2147483648:{}", PhpSerializationError.Malformed, 0 },
        { "C:3:\"Foo\":2147483648:{}", PhpSerializationError.Malformed, 10 },
        { "a:2:{i:0;N;}", PhpSerializationError.Malformed, 0 },             // 2 elements cannot fit in 7 bytes
        { "a:1:{i:0;N;i:1;N;}", PhpSerializationError.Malformed, 11 },
        { "a:1:{i:0;N;", PhpSerializationError.Truncated, 11 },
        { "a:1:{d:0.5;N;}", PhpSerializationError.Malformed, 5 },
        { "a:1:{i:0;R:5;}", PhpSerializationError.Malformed, 9 },
        { "a:1:{i:0;r:1;}", PhpSerializationError.Malformed, 9 },
        { "R:0;", PhpSerializationError.Malformed, 0 },
        { "i:9223372036854775808;", PhpSerializationError.Malformed, 2 },
        { "i:;", PhpSerializationError.Malformed, 2 },
        { "d:1e;", PhpSerializationError.Malformed, 4 },
        { "d:+INF;", PhpSerializationError.Malformed, 3 },
        { "b:2;", PhpSerializationError.Malformed, 2 },
        { "O:3:\"a b\":0:{}", PhpSerializationError.Malformed, 6 },
        { "E:5:\"Suit.\";", PhpSerializationError.Malformed, 5 },
        { "x:1;", PhpSerializationError.Malformed, 0 },
        { "hello world", PhpSerializationError.Malformed, 0 },
        { "\0\u0001\u0002", PhpSerializationError.Malformed, 0 },
        { "N", PhpSerializationError.Truncated, 1 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_input_is_a_clear_error_with_its_offset(string input, PhpSerializationError error, long offset)
    {
        var thrown = Assert.Throws<PhpSerializationException>(() => Json(input));
        Assert.Equal(error, thrown.Error);
        Assert.Equal(offset, thrown.Offset);
        Assert.Contains($"at byte {offset} of", thrown.Message);
    }

    [Fact]
    public void Every_truncation_of_a_record_is_an_error()
    {
        // A record of a few kilobytes with objects and references: every prefix is read, so the cost is quadratic.
        var record = PhpOracle.Records.Select(r => r.Serialized)
            .Where(s => s.Length < 3000 && s.AsSpan().IndexOf("R:"u8) >= 0 && s.AsSpan().IndexOf("O:"u8) >= 0)
            .MaxBy(s => s.Length)!;
        for (int length = 0; length < record.Length; length++)
        {
            var prefix = record.AsSpan(0, length).ToArray();
            var thrown = Assert.Throws<PhpSerializationException>(() => PhpSerialized.ToJson(prefix));
            Assert.InRange(thrown.Offset, 0, length);
        }
    }

    [Fact]
    public void Nesting_100000_deep_stops_at_the_depth_limit()
    {
        var thrown = Assert.Throws<PhpSerializationException>(() => PhpSerialized.ToJson(PhpHostileInputTests.HostileInput("deep arrays")));
        Assert.Equal(PhpSerializationError.LimitExceeded, thrown.Error);
        Assert.Equal(128 * "a:1:{i:0;".Length, thrown.Offset);
        Assert.Contains("deeper than 128", thrown.Message);
    }

    [Fact]
    public void Nesting_within_the_limit_reads()
    {
        const int depth = 128;
        var input = string.Concat(Enumerable.Repeat("a:1:{i:0;", depth - 1)) + "N;" + new string('}', depth - 1);
        var json = Json(input);
        Assert.Equal(new string('[', depth - 1) + "null" + new string(']', depth - 1), json);
    }
}
