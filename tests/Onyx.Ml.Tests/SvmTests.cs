using Xunit;
using static Onyx.Ml.Tests.MlOracle;
using DT = Onnx.TensorProto.Types.DataType;

namespace Onyx.Ml.Tests;

/// <summary>SVMClassifier and SVMRegressor against ONNX Runtime.</summary>
public class SvmTests
{
    private static readonly Feed X = new("X", new[] { 0.5f, -1.2f, 3.3f, 0.0f, -2.5f, 1.1f, 0.7f, 4.2f, 1.9f, -0.3f, -3.1f, 2.2f }, [4, 3]);
    private static readonly float[] Sv = [1f, 0f, 0.5f, -1f, 2f, 0f, 0.3f, 0.3f, 0.3f, 2f, -1f, 1f, 0f, 0f, 1f];

    [Theory]
    [InlineData("RBF", "NONE")]
    [InlineData("LINEAR", "NONE")]
    [InlineData("POLY", "NONE")]
    [InlineData("SIGMOID", "SOFTMAX")]
    public void SvcThreeClasses(string kernel, string transform) =>
        Check(Model("SVMClassifier", [X], [("Y", DT.Int64), ("Z", DT.Float)], 1,
            A("kernel_type", kernel), A("kernel_params", new[] { 0.3f, 0.1f, 2f }),
            A("vectors_per_class", new long[] { 2, 2, 1 }), A("support_vectors", Sv),
            A("coefficients", new[] { 0.5f, -0.2f, 0.7f, 0.1f, -0.4f, 0.3f, 0.2f, -0.6f, 0.9f, -0.1f }),
            A("rho", new[] { 0.1f, -0.2f, 0.05f }), A("classlabels_ints", new long[] { 7, 8, 9 }),
            A("post_transform", transform)), X);

    [Fact]
    public void SvcThreeClassesWithProbabilities() =>
        Check(Model("SVMClassifier", [X], [("Y", DT.Int64), ("Z", DT.Float)], 1,
            A("kernel_type", "RBF"), A("kernel_params", new[] { 0.3f, 0f, 0f }),
            A("vectors_per_class", new long[] { 2, 2, 1 }), A("support_vectors", Sv),
            A("coefficients", new[] { 0.5f, -0.2f, 0.7f, 0.1f, -0.4f, 0.3f, 0.2f, -0.6f, 0.9f, -0.1f }),
            A("rho", new[] { 0.1f, -0.2f, 0.05f }), A("prob_a", new[] { -1.5f, -2f, -0.7f }), A("prob_b", new[] { 0.1f, -0.1f, 0.2f }),
            A("classlabels_ints", new long[] { 7, 8, 9 })), X);

    [Theory]
    [InlineData("NONE")]
    [InlineData("LOGISTIC")]
    public void SvcBinary(string transform) =>
        Check(Model("SVMClassifier", [X], [("Y", DT.String), ("Z", DT.Float)], 1,
            A("kernel_type", "RBF"), A("kernel_params", new[] { 0.3f, 0f, 0f }),
            A("vectors_per_class", new long[] { 2, 3 }), A("support_vectors", Sv),
            A("coefficients", new[] { 0.5f, -0.2f, 0.7f, -0.1f, -0.4f }),
            A("rho", new[] { 0.1f }), A("classlabels_strings", new[] { "a", "b" }), A("post_transform", transform)), X);

    [Fact]
    public void LinearMode() =>
        Check(Model("SVMClassifier", [X], [("Y", DT.Int64), ("Z", DT.Float)], 1,
            A("coefficients", new[] { 0.5f, -0.2f, 0.7f, 0.1f, -0.4f, 0.3f, 0.2f, -0.6f, 0.9f }),
            A("rho", new[] { 0.1f }), A("kernel_params", new[] { 0f, 0f, 0f }), A("classlabels_ints", new long[] { 1, 2, 3 })), X);

    [Theory]
    [InlineData("RBF", 0L)]
    [InlineData("POLY", 0L)]
    [InlineData("RBF", 1L)]
    public void Regressor(string kernel, long oneClass) =>
        Check(Model("SVMRegressor", [X], [("Y", DT.Float)], 1,
            A("kernel_type", kernel), A("kernel_params", new[] { 0.3f, 0.1f, 2f }), A("n_supports", 5L),
            A("support_vectors", Sv), A("coefficients", new[] { 0.5f, -0.2f, 0.7f, 0.1f, -0.4f }),
            A("rho", new[] { 0.1f }), A("one_class", oneClass)), X);

    [Fact]
    public void RegressorLinear() =>
        Check(Model("SVMRegressor", [X], [("Y", DT.Float)], 1,
            A("coefficients", new[] { 0.5f, -0.2f, 0.7f }), A("rho", new[] { 0.1f }), A("kernel_params", new[] { 0f, 0f, 0f })), X);
}
