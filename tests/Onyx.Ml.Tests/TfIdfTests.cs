using Xunit;
using static Onyx.Ml.Tests.MlOracle;
using DT = Onnx.TensorProto.Types.DataType;

namespace Onyx.Ml.Tests;

/// <summary>TfIdfVectorizer (default ONNX domain) in IDF and TFIDF modes against ONNX Runtime (the backend suite covers only TF).</summary>
public class TfIdfTests
{
    [Theory]
    [InlineData("TF")]
    [InlineData("IDF")]
    [InlineData("TFIDF")]
    public void IntegerPoolWithWeights(string mode)
    {
        var x = new Feed("X", new long[] { 1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8 }, [2, 6]);
        Check(Model("TfIdfVectorizer", "", [x], [("Y", DT.Float)], 1,
            A("mode", mode), A("min_gram_length", 1L), A("max_gram_length", 2L), A("max_skip_count", 1L),
            A("ngram_counts", new long[] { 0, 4 }), A("ngram_indexes", new long[] { 0, 1, 2, 3, 4, 5, 6 }),
            A("pool_int64s", new long[] { 2, 3, 5, 4, 5, 6, 7, 8, 6, 7 }),
            A("weights", new[] { 0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 3.5f })), x);
    }

    [Fact]
    public void StringPool()
    {
        var x = new Feed("X", new[] { "a", "b", "a", "c", "b", "a" }, [6]);
        Check(Model("TfIdfVectorizer", "", [x], [("Y", DT.Float)], 1,
            A("mode", "TFIDF"), A("min_gram_length", 1L), A("max_gram_length", 2L), A("max_skip_count", 0L),
            A("ngram_counts", new long[] { 0, 2 }), A("ngram_indexes", new long[] { 0, 1, 2 }),
            A("pool_strings", new[] { "a", "b", "b", "a" }), A("weights", new[] { 1f, 2f, 3f })), x);
    }
}
