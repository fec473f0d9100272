using Onnx;
using Xunit;
using static Onyx.Ml.Tests.MlOracle;
using DT = Onnx.TensorProto.Types.DataType;

namespace Onyx.Ml.Tests;

/// <summary>Each ai.onnx.ml op against ONNX Runtime on a small model built in code.</summary>
public class MlOpsTests
{
    private static readonly float[] X34 = [0.5f, -1.2f, 3.3f, 0.0f, -2.5f, 1.1f, 0.7f, 4.2f, 1.9f, -0.3f, -3.1f, 2.2f];
    private static Feed X => new("X", X34, [3, 4]);
    private static readonly (string, DT?)[] LabelScores = [("Y", DT.Int64), ("Z", DT.Float)];

    [Theory]
    [InlineData("NONE")]
    [InlineData("SOFTMAX")]
    [InlineData("LOGISTIC")]
    [InlineData("SOFTMAX_ZERO")]
    public void LinearClassifierMulticlass(string transform) =>
        Check(Model("LinearClassifier", [X], LabelScores, 1,
            A("coefficients", new[] { 0.1f, 0.2f, -0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f, 0.9f, 0.1f, 0.2f, 0.3f }),
            A("intercepts", new[] { 0.1f, -0.2f, 0.3f }),
            A("classlabels_ints", new long[] { 10, 20, 30 }),
            A("post_transform", transform)), X);

    [Theory]
    [InlineData("NONE")]
    [InlineData("LOGISTIC")]
    public void LinearClassifierBinaryWithTwoLabels(string transform) =>
        Check(Model("LinearClassifier", [X], [("Y", DT.String), ("Z", DT.Float)], 1,
            A("coefficients", new[] { 0.1f, 0.2f, -0.3f, 0.4f }),
            A("intercepts", new[] { 0.05f }),
            A("classlabels_strings", new[] { "no", "yes" }),
            A("post_transform", transform)), X);

    [Theory]
    [InlineData("NONE", 1)]
    [InlineData("NONE", 2)]
    [InlineData("SOFTMAX", 2)]
    public void LinearRegressor(string transform, int targets) =>
        Check(Model("LinearRegressor", [X], [("Y", DT.Float)], 1,
            A("coefficients", targets == 1 ? new[] { 0.1f, 0.2f, -0.3f, 0.4f } : new[] { 0.1f, 0.2f, -0.3f, 0.4f, 1f, 2f, 3f, 4f }),
            A("intercepts", targets == 1 ? new[] { 0.5f } : new[] { 0.5f, -0.5f }),
            A("targets", (long)targets),
            A("post_transform", transform)), X);

    [Theory]
    [InlineData("MAX")]
    [InlineData("L1")]
    [InlineData("L2")]
    public void Normalizer(string norm) =>
        Check(Model("Normalizer", [X], [("Y", DT.Float)], 1, A("norm", norm)), X);

    [Fact]
    public void Scaler() =>
        Check(Model("Scaler", [X], [("Y", DT.Float)], 1,
            A("offset", new[] { 0.1f, 0.2f, 0.3f, 0.4f }), A("scale", new[] { 2f, 3f, 4f, 5f })), X);

    [Fact]
    public void ScalerDoubleInputSingleOffset()
    {
        var x = new Feed("X", X34.Select(v => (double)v).ToArray(), [3, 4]);
        Check(Model("Scaler", [x], [("Y", DT.Float)], 1, A("offset", new[] { 1f }), A("scale", new[] { 0.5f })), x);
    }

    [Fact]
    public void Binarizer() => Check(Model("Binarizer", [X], [("Y", DT.Float)], 1, A("threshold", 0.6f)), X);

    [Fact]
    public void ImputerFloats()
    {
        var x = new Feed("X", new[] { 1f, float.NaN, 3f, float.NaN, 5f, 6f }, [2, 3]);
        Check(Model("Imputer", [x], [("Y", DT.Float)], 1,
            A("imputed_value_floats", new[] { 10f, 20f, 30f }), A("replaced_value_float", float.NaN)), x);
    }

    [Fact]
    public void ImputerInt64()
    {
        var x = new Feed("X", new long[] { 1, -1, 3, -1, 5, 6 }, [2, 3]);
        Check(Model("Imputer", [x], [("Y", DT.Int64)], 1,
            A("imputed_value_int64s", new long[] { 99 }), A("replaced_value_int64", -1L)), x);
    }

    [Fact]
    public void OneHotEncoderInts()
    {
        var x = new Feed("X", new long[] { 1, 3, 7, 2 }, [2, 2]);
        Check(Model("OneHotEncoder", [x], [("Y", DT.Float)], 1, A("cats_int64s", new long[] { 1, 2, 3 }), A("zeros", 1L)), x);
    }

    [Fact]
    public void OneHotEncoderStrings()
    {
        var x = new Feed("X", new[] { "a", "c", "z" }, [1, 3]);
        Check(Model("OneHotEncoder", [x], [("Y", DT.Float)], 1, A("cats_strings", new[] { "a", "b", "c" })), x);
    }

    [Fact]
    public void CategoryMapperStringToInt()
    {
        var x = new Feed("X", new[] { "cat", "dog", "bird", "cat" }, [4]);
        Check(Model("CategoryMapper", [x], [("Y", DT.Int64)], 1,
            A("cats_strings", new[] { "cat", "dog" }), A("cats_int64s", new long[] { 1, 2 }), A("default_int64", 7L)), x);
    }

    [Fact]
    public void CategoryMapperIntToString()
    {
        var x = new Feed("X", new long[] { 2, 1, 5 }, [3]);
        Check(Model("CategoryMapper", [x], [("Y", DT.String)], 1,
            A("cats_strings", new[] { "cat", "dog" }), A("cats_int64s", new long[] { 1, 2 }), A("default_string", "?")), x);
    }

    [Fact]
    public void FeatureVectorizer()
    {
        var a = new Feed("A", new[] { 1f, 2f, 3f, 4f }, [2, 2]);
        var b = new Feed("B", new[] { 5f, 6f, 7f, 8f, 9f, 10f }, [2, 3]);
        Check(Model("FeatureVectorizer", [a, b], [("Y", DT.Float)], 1, A("inputdimensions", new long[] { 2, 3 })), a, b);
    }

    [Fact]
    public void ArrayFeatureExtractor()
    {
        var y = new Feed("I", new long[] { 3, 0 }, [2]);
        Check(Model("ArrayFeatureExtractor", [X, y], [("Z", DT.Float)], 1), X, y);
    }

    [Fact]
    public void LabelEncoderStringToInt()
    {
        var x = new Feed("X", new[] { "a", "b", "q" }, [3]);
        Check(Model("LabelEncoder", [x], [("Y", DT.Int64)], 2,
            A("keys_strings", new[] { "a", "b" }), A("values_int64s", new long[] { 5, 6 }), A("default_int64", 42L)), x);
    }

    [Fact]
    public void LabelEncoderIntToFloat()
    {
        var x = new Feed("X", new long[] { 1, 2, 9, 1 }, [2, 2]);
        Check(Model("LabelEncoder", [x], [("Y", DT.Float)], 2,
            A("keys_int64s", new long[] { 1, 2 }), A("values_floats", new[] { 0.5f, 1.5f }), A("default_float", -3f)), x);
    }

    [Fact]
    public void LabelEncoderFloatToString()
    {
        var x = new Feed("X", new[] { 1.5f, 2f, 9f }, [3]);
        Check(Model("LabelEncoder", [x], [("Y", DT.String)], 2,
            A("keys_floats", new[] { 1.5f, 2f }), A("values_strings", new[] { "x", "y" })), x);
    }

    [Fact]
    public void LabelEncoderV4DoubleTensors()
    {
        var x = new Feed("X", new[] { 1.0, 2.0, 3.5 }, [3]);
        Check(Model("LabelEncoder", [x], [("Y", DT.Double)], 4,
            A("keys_tensor", T([1.0, 2.0])), A("values_tensor", T([10.0, 20.0])), A("default_tensor", T([-1.0]))), x);
    }

    private static AttributeProto[] Forest(string prefix, long[] ids, float[] weights) =>
    [
        // Tree 0: x0 <= 0.5 ? (x1 <= 0 ? L1 : L2) : L3 ; tree 1: x2 < 1 ? L1 : L2
        A("nodes_treeids", new long[] { 0, 0, 0, 0, 0, 1, 1, 1 }),
        A("nodes_nodeids", new long[] { 0, 1, 2, 3, 4, 0, 1, 2 }),
        A("nodes_featureids", new long[] { 0, 1, 0, 0, 0, 2, 0, 0 }),
        A("nodes_modes", new[] { "BRANCH_LEQ", "BRANCH_LEQ", "LEAF", "LEAF", "LEAF", "BRANCH_LT", "LEAF", "LEAF" }),
        A("nodes_values", new[] { 0.5f, 0f, 0, 0, 0, 1f, 0, 0 }),
        A("nodes_truenodeids", new long[] { 1, 2, 0, 0, 0, 1, 0, 0 }),
        A("nodes_falsenodeids", new long[] { 4, 3, 0, 0, 0, 2, 0, 0 }),
        A(prefix + "_treeids", new long[] { 0, 0, 0, 1, 1 }.Take(ids.Length).ToArray()),
        A(prefix + "_nodeids", new long[] { 2, 3, 4, 1, 2 }.Take(ids.Length).ToArray()),
        A(prefix + "_ids", ids),
        A(prefix + "_weights", weights),
    ];

    [Theory]
    [InlineData("SUM")]
    [InlineData("AVERAGE")]
    [InlineData("MIN")]
    [InlineData("MAX")]
    public void TreeEnsembleRegressor(string aggregate) =>
        Check(Model("TreeEnsembleRegressor", [X], [("Y", DT.Float)], 3,
            [.. Forest("target", [0, 1, 0, 1, 0], [1f, 2f, 3f, 4f, 5f]), A("n_targets", 2L), A("aggregate_function", aggregate),
             A("base_values", new[] { 0.5f, -0.5f })]), X);

    [Theory]
    [InlineData("NONE")]
    [InlineData("SOFTMAX")]
    [InlineData("LOGISTIC")]
    public void TreeEnsembleClassifierMulticlass(string transform) =>
        Check(Model("TreeEnsembleClassifier", [X], LabelScores, 3,
            [.. Forest("class", [0, 1, 2, 1, 2], [0.3f, 0.6f, 0.9f, 0.2f, 0.4f]), A("classlabels_int64s", new long[] { 4, 5, 6 }),
             A("post_transform", transform)]), X);

    [Theory]
    [InlineData("NONE")]
    [InlineData("LOGISTIC")]
    public void TreeEnsembleClassifierBinaryMixedWeights(string transform) =>
        Check(Model("TreeEnsembleClassifier", [X], LabelScores, 3,
            [.. Forest("class", [0, 0, 0, 0, 0], [-0.3f, 0.6f, -0.9f, 0.2f, -0.4f]), A("classlabels_int64s", new long[] { 0, 1 }),
             A("post_transform", transform)]), X);

    [Theory]
    [InlineData("NONE")]
    [InlineData("LOGISTIC")]
    public void TreeEnsembleClassifierBinaryPositiveWeights(string transform) =>
        Check(Model("TreeEnsembleClassifier", [X], [("Y", DT.String), ("Z", DT.Float)], 3,
            [.. Forest("class", [1, 1, 1, 1, 1], [0.3f, 0.6f, 0.2f, 0.1f, 0.4f]), A("classlabels_strings", new[] { "neg", "pos" }),
             A("post_transform", transform)]), X);

    [Theory]
    [InlineData(1L, 0L)]
    [InlineData(0L, 0L)]
    [InlineData(2L, 0L)]
    [InlineData(3L, 0L)]
    [InlineData(1L, 1L)]
    [InlineData(1L, 2L)]
    public void TreeEnsembleV5(long aggregate, long transform)
    {
        var x = new Feed("X", new[] { 1.2f, 3.4f, -0.12f, 1.66f, 4.14f, 1.77f }, [3, 2]);
        // Two trees: the spec's single tree, plus a stump on feature 1 (x1 < 2 ? leaf 4 : leaf 5).
        Check(Model("TreeEnsemble", [x], [("Y", DT.Float)], 5,
            A("n_targets", 2L), A("aggregate_function", aggregate), A("post_transform", transform), A("tree_roots", new long[] { 0, 3 }),
            A("nodes_modes", Bytes([0, 0, 0, 1])), A("nodes_featureids", new long[] { 0, 0, 0, 1 }),
            A("nodes_splits", T([3.14, 1.2, 4.2, 2.0], DT.Float)),
            A("nodes_truenodeids", new long[] { 1, 0, 1, 4 }), A("nodes_trueleafs", new long[] { 0, 1, 1, 1 }),
            A("nodes_falsenodeids", new long[] { 2, 2, 3, 5 }), A("nodes_falseleafs", new long[] { 0, 1, 1, 1 }),
            A("leaf_targetids", new long[] { 0, 1, 0, 1, 0, 1 }), A("leaf_weights", T([5.23, 12.12, -12.23, 7.21, 0.5, -0.25], DT.Float))), x);
    }

    [Fact]
    public void ZipMapIntKeys()
    {
        var x = new Feed("X", new[] { 0.1f, 0.9f, 0.7f, 0.3f }, [2, 2]);
        var r = RunOnyx(Model("ZipMap", [x], [("Z", null)], 1, A("classlabels_int64s", new long[] { 3, 8 })), x);
        var seq = Assert.IsType<Onyx.Tensors.SequenceValue>(r[0]);
        Assert.Equal(2, seq.Items.Count);
        var m = Assert.IsType<Onyx.Tensors.MapValue>(seq.Items[1]);
        Assert.Equal(new long[] { 3, 8 }, m.Keys.ToInt64Array());
        Assert.Equal(new[] { 0.7f, 0.3f }, m.Values.ToArray<float>());
    }
}
