using Onyx.Kernels.Elementwise;
using Xunit;

namespace Onyx.Kernels.Tests.Elementwise;

/// <summary>
/// Gelu (erf and tanh forms) on every path against the double-precision definition over [−8, 4], the far
/// negative tail and signed zeros included. The bound is A&amp;S 7.1.26's 1.5e-7 absolute erf error (scaled by
/// |x|/2, which the erf form's OnePlus uses at every x) plus 2e-6 relative.
/// </summary>
public class GeluAccuracyTests
{
    static GeluAccuracyTests() => KernelIsa.EmulateAll = true;

    public static IEnumerable<object[]> Cases() =>
        from p in Enum.GetValues<IsaPath>() from t in new[] { false, true } select new object[] { p, t };

    [Theory, MemberData(nameof(Cases))]
    public void MatchesDoubleDefinition(IsaPath path, bool tanh)
    {
        var op = new GeluFastOperator(tanh);
        const int n = 4001;
        float[] x = Enumerable.Range(0, n).Select(i => -8f + 12f * i / (n - 1)).Append(0f).Append(-0f).Append(1e-30f).ToArray();
        float[] y = new float[x.Length];
        Unary.Invoke<float, GeluFastOperator>(x, y, op, path);
        for (int i = 0; i < x.Length; i++)
        {
            double want = op.Invoke((double)x[i]);
            double tol = 2e-6 * Math.Abs(want) + 1e-7 * Math.Abs(x[i]) + 1e-37;
            if (!(Math.Abs(y[i] - want) <= tol)) Assert.Fail($"gelu(tanh={tanh}) x={x[i]}: expected {want}, got {y[i]}");
            Assert.Equal(op.Invoke(x[i]) >= 0, y[i] >= 0);
        }
    }
}
