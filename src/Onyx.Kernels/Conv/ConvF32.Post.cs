using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>ConvF32's post activations for the paths whose stores compute only Relu/Clip/LeakyRelu.</summary>
public sealed unsafe partial class ConvF32
{
    /// <summary>
    /// y = post(y) over every output plane when <paramref name="act"/> has a post activation (HardSwish,
    /// Sigmoid, Swish, ...; <see cref="GemmEpilogue.HasPost"/>), planes split between the pool's threads.
    /// The Winograd and direct few-tap paths call it after storing with <see cref="GemmEpilogue.WithoutPost"/>:
    /// their tiles interleave output channels, so a per-tile pass would touch each cache line many times.
    /// </summary>
    private void ApplyPost(in ConvGeometry g, float* y, in GemmEpilogue act, IntraOpPool? pool)
    {
        if (!act.HasPost) return;
        var body = new PostBody { Y = y, Planes = g.Batch * OutChannels, Size = g.OutSize, Act = act, Isa = _isa };
        body.Parts = IntraOpPool.PartsFor(pool, body.Planes, (long)body.Planes * body.Size >= 1 << 15);
        IntraOpPool.RunParts(pool, body.Parts, ref body);
    }

    private struct PostBody : IParallelBody
    {
        public float* Y;
        public int Planes, Size, Parts;
        public GemmEpilogue Act;
        public IsaPath Isa;

        public readonly void Invoke(int index)
        {
            var (p0, p1) = IntraOpPool.Share(Planes, index, Parts);
            if (p1 > p0) Activations.ApplyTile(Y + (nint)p0 * Size, Size, p1 - p0, Size, Act, Isa);
        }
    }
}
