using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Conv;
using Onyx.Kernels.Gemm;
using Xunit;

namespace Onyx.Kernels.Tests.Conv;

public unsafe class SmallMapStoreTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (int positions in new[] { 1, 7, 16, 17, 36, 49, 196 })
            foreach (int channels in new[] { 16, 48 })
                foreach (var act in new[] { FusedActivation.None, FusedActivation.Relu, FusedActivation.Clip, FusedActivation.LeakyRelu })
                {
                    yield return [positions, channels, act, false, true];
                    yield return [positions, channels, act, true, false];
                }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void VectorTransposeMatchesScalar(int positions, int channels, FusedActivation activation, bool accumulate, bool withBias)
    {
        if (!Avx512F.IsSupported) return; // the vector store needs AVX-512 hardware (no emulation for MaskLoad/permutes here)
        var rnd = new Random(positions * 97 + channels);
        var ct = ConvF32Tests.Random(rnd, positions * channels);
        var bias = ConvF32Tests.Random(rnd, channels);
        var y0 = ConvF32Tests.Random(rnd, positions * channels);
        // Guard lanes after y catch masked-store overruns.
        var expected = y0.Concat(new float[16]).ToArray();
        var actual = y0.Concat(new float[16]).ToArray();
        var act = new GemmEpilogue { Activation = activation, Min = -0.25f, Max = 0.5f, Alpha = 0.1f };
        fixed (float* pc = ct, pb = bias, pe = expected, pa = actual)
        {
            SmallMapStore.Scalar(pc, positions, channels, pe, withBias ? pb : null, act, accumulate);
            SmallMapStore.Vector(pc, positions, channels, pa, withBias ? pb : null, act, accumulate);
        }
        Assert.Equal(expected, actual);
    }
}
