using Onyx.Kernels.Elementwise;
using Xunit;

namespace Onyx.Kernels.Tests.Elementwise;

/// <summary>
/// The drivers against each operator's scalar Invoke (the oracle) for lengths 0..256 on every
/// forced path (emulated in software where the CPU lacks it), out of place and in place.
/// </summary>
public class ElementwiseDriverTests
{
    static ElementwiseDriverTests() => KernelIsa.EmulateAll = true;

    public static IEnumerable<object[]> Paths() => Enum.GetValues<IsaPath>().Select(p => new object[] { p });

    private static float[] Random(int seed, int n, float lo = -4, float hi = 4)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(lo + r.NextDouble() * (hi - lo));
        return x;
    }

    private static void Close(float expected, float actual, string what, int i, float rtol = 2e-6f)
    {
        if (float.IsNaN(expected) && float.IsNaN(actual)) return;
        if (!(MathF.Abs(expected - actual) <= rtol * MathF.Abs(expected) + 1e-7f))
            Assert.Fail($"{what}: element {i}: expected {expected}, got {actual}");
    }

    private static void CheckUnary<TOp>(IsaPath path, TOp op, float lo = -4, float hi = 4) where TOp : struct, IUnaryOperator<float>
    {
        for (int n = 0; n <= 256; n++)
        {
            float[] x = Random(n, n, lo, hi), y = new float[n];
            Unary.Invoke<float, TOp>(x, y, op, path);
            for (int i = 0; i < n; i++) Close(op.Invoke(x[i]), y[i], $"{typeof(TOp).Name} n={n}", i);
            Unary.Invoke<float, TOp>(x, x, op, path);
            Assert.Equal(y, x);
        }
    }

    private static void CheckBinary<TOp>(IsaPath path, TOp op) where TOp : struct, IBinaryOperator<float>
    {
        for (int n = 0; n <= 256; n++)
        {
            float[] a = Random(n, n), b = Random(n + 1000, n, 0.5f, 3), y = new float[n];
            Binary.Invoke<float, TOp>(a, b, y, op, path);
            for (int i = 0; i < n; i++) Close(op.Invoke(a[i], b[i]), y[i], $"{typeof(TOp).Name} n={n}", i);
            Binary.InvokeScalarA<float, TOp>(1.5f, b, y, op, path);
            for (int i = 0; i < n; i++) Close(op.Invoke(1.5f, b[i]), y[i], $"{typeof(TOp).Name} scalar a, n={n}", i);
            Binary.InvokeScalarB<float, TOp>(a, -0.75f, y, op, path);
            for (int i = 0; i < n; i++) Close(op.Invoke(a[i], -0.75f), y[i], $"{typeof(TOp).Name} scalar b, n={n}", i);
        }
    }

    [Theory, MemberData(nameof(Paths))]
    public void UnaryFloatOperatorsMatchTheirScalarOracle(IsaPath path)
    {
        CheckUnary(path, new ExpOperator<float>());
        CheckUnary(path, new LogOperator<float>(), 0.01f, 100);
        CheckUnary(path, new SqrtOperator<float>(), 0, 100);
        CheckUnary(path, new SigmoidOperator<float>(), -30, 30);
        CheckUnary(path, new SwishOperator<float>(1.5f));
        CheckUnary(path, new TanhOperator(), -10, 10);
        CheckUnary(path, new TanhOperator(), -0.3f, 0.3f);
        CheckUnary(path, new ErfFastOperator());
        CheckUnary(path, new GeluFastOperator(false));
        CheckUnary(path, new GeluFastOperator(true));
        CheckUnary(path, new ReluOperator<float>());
        CheckUnary(path, new LeakyReluOperator<float>(0.1f));
        CheckUnary(path, new HardSwishOperator<float>());
        CheckUnary(path, new HardSigmoidOperator<float>(0.2f, 0.5f));
        CheckUnary(path, new ThresholdedReluOperator<float>(1f));
        CheckUnary(path, new SoftsignOperator<float>());
        CheckUnary(path, new FloorOperator<float>());
        CheckUnary(path, new CeilOperator<float>());
        CheckUnary(path, new ClipOperator<float>(-1, 2));
        CheckUnary(path, new AbsOperator<float>());
        CheckUnary(path, new NegOperator<float>());
        CheckUnary(path, new ReciprocalOperator<float>(), 0.1f, 10);
        foreach (float e in new[] { 2f, 0.5f, 3f, 1f, -1f })
        {
            CheckUnary(path, new PowScalarOperator<float>(e), 0.1f, 10);
            Close(MathF.Pow(1.7f, e), new PowScalarOperator<float>(e).Invoke(1.7f), $"pow {e}", 0);
        }
    }

    [Theory, MemberData(nameof(Paths))]
    public void BinaryFloatOperatorsMatchTheirScalarOracle(IsaPath path)
    {
        CheckBinary(path, new AddOperator<float>());
        CheckBinary(path, new SubtractOperator<float>());
        CheckBinary(path, new MultiplyOperator<float>());
        CheckBinary(path, new DivideOperator<float>());
        CheckBinary(path, new MaxOperator<float>());
        CheckBinary(path, new MinOperator<float>());
        CheckBinary(path, new PReluOperator<float>());
    }

    [Theory, MemberData(nameof(Paths))]
    public void IntegerOperatorsAreExact(IsaPath path)
    {
        for (int n = 0; n <= 256; n++)
        {
            var r = new Random(n);
            int[] a = new int[n], b = new int[n], y = new int[n];
            for (int i = 0; i < n; i++) { a[i] = r.Next(-1000, 1000); b[i] = r.Next(1, 50); }
            Binary.Invoke<int, AddOperator<int>>(a, b, y, default, path);
            for (int i = 0; i < n; i++) Assert.Equal(a[i] + b[i], y[i]);
            Binary.InvokeScalarB<int, MultiplyOperator<int>>(a, 3, y, default, path);
            for (int i = 0; i < n; i++) Assert.Equal(a[i] * 3, y[i]);
            Binary.Invoke<int, DivideOperator<int>>(a, b, y, default, path);
            for (int i = 0; i < n; i++) Assert.Equal(a[i] / b[i], y[i]);
            Unary.Invoke<int, ClipOperator<int>>(a, y, new ClipOperator<int>(-10, 20), path);
            for (int i = 0; i < n; i++) Assert.Equal(Math.Clamp(a[i], -10, 20), y[i]);
            Unary.Invoke<int, AbsOperator<int>>(a, y, default, path);
            for (int i = 0; i < n; i++) Assert.Equal(Math.Abs(a[i]), y[i]);
            byte[] bits = new byte[n], not = new byte[n];
            for (int i = 0; i < n; i++) bits[i] = (byte)(a[i] & 1);
            Unary.Invoke<byte, LogicalNotOperator>(bits, not, default, path);
            for (int i = 0; i < n; i++) Assert.Equal(bits[i] == 0 ? 1 : 0, not[i]);
        }
    }

    [Fact]
    public void FastTranscendentalsAreAccurateAgainstDouble()
    {
        for (int i = -40000; i <= 40000; i++)
        {
            float x = i * 1e-4f;
            Close((float)Math.Tanh(x), new TanhOperator().Invoke(x), "tanh", i, 5e-7f);
            Close((float)Erf.Of(x), new ErfFastOperator().Invoke(x), "erf", i, 5e-7f);
        }
        Close(1.1283791671e-6f, new ErfFastOperator().Invoke(1e-6f), "erf tiny", 0);
        Assert.Equal(0.8427007929497149, Erf.Of(1), 1e-15);
        Assert.Equal(0.9953222650189527, Erf.Of(2), 1e-15);
        Assert.Equal(0.9999999845827421, Erf.Of(4), 1e-15);
    }

    [Fact]
    public void HalfIsComputedInFloat()
    {
        var x = new Half[300];
        for (int i = 0; i < x.Length; i++) x[i] = (Half)(i * 0.01f - 1.5f);
        var y = new Half[300];
        Unary.Invoke(x, y, new ExpOperator<float>());
        for (int i = 0; i < x.Length; i++) Assert.Equal((Half)MathF.Exp((float)x[i]), y[i]);
    }
}
