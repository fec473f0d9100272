using System.Runtime.InteropServices;
using Onyx.Kernels.Gemm;

namespace Onyx.Kernels.Conv;

/// <summary>
/// ConvF32's filter layouts, made on first use. The constructor only copies the raw weights; the first
/// Forward that needs a layout packs it: the GEMM broadcast operand (<see cref="PackedMatrixA"/> per group)
/// for the im2col/pointwise paths, the vector operand (W^T, <see cref="PackedMatrixB"/>) for the small-map,
/// pixel-major 1x1 and 16 x 16 tile paths, nothing for depthwise 1-D/2-D (its kernel reads the raw weights). Once a packed layout exists the
/// raw copy is freed (depthwise keeps it), so a layer whose shapes are fixed holds exactly one copy of its
/// filter; a second layout is rebuilt from the first only if a later call takes another path (a large-map 1x1
/// layer, given panels at load where its strides are unknown, adds W^T on its first call).
/// Builds take a lock; the hot path is one volatile read. A published layout is never freed before Dispose.
/// </summary>
public sealed unsafe partial class ConvF32
{
    private readonly Lock _gate = new();
    private float* _raw;
    private PackedMatrixA[]? _packed;
    private PackedMatrixB[]? _transposed;

    /// <summary>Tests: which copies of the filter this conv holds now.</summary>
    internal (bool Raw, bool Packed, bool Transposed) Held => (_raw != null, Volatile.Read(ref _packed) != null, Volatile.Read(ref _transposed) != null);

    /// <summary>
    /// Packs now the layout that calls with <paramref name="outSize"/> output positions per image will use
    /// (null when unknown: the usual GEMM layout), so a session that knows its shapes at load does not pay
    /// for packing in its first Run. <paramref name="depthOne"/>: the input has one depth slice (1-D/2-D),
    /// where a depthwise layer reads the raw weights and needs no layout.
    /// </summary>
    public void PackFor(int? outSize, bool depthOne)
    {
        if (IsDepthwise && KD == 1 && depthOne) return;
        int outPer = OutChannels / Group, k = InPerGroup * KD * KH * KW;
        // The 16 x 16 tile paths (large-map 1x1 layers, the RGB stem) build their W^T from the panels on first use:
        // their choice needs the strides and the output width, and a strided 1x1 layer (ResNet's downsampling, up to
        // 8 MB of filter) needs the panels.
        if (outSize is int positions && (Transposed(positions, outPer, k) || PointwiseDirect(positions, outPer, k))) TransposedFilters();
        else PackedFilters();
    }

    /// <summary>The filter as GEMM broadcast operands, one per group (packed on first use).</summary>
    private PackedMatrixA[] PackedFilters() => Volatile.Read(ref _packed) ?? BuildPacked();

    /// <summary>The filter as GEMM vector operands W^T, one per group (packed on first use).</summary>
    private PackedMatrixB[] TransposedFilters() => Volatile.Read(ref _transposed) ?? BuildTransposed();

    private PackedMatrixA[] BuildPacked()
    {
        lock (_gate)
        {
            if (_packed is { } raced) return raced;
            int outPer = OutChannels / Group, k = InPerGroup * KD * KH * KW;
            var made = new PackedMatrixA[Group];
            BuildEach((grp, w) => made[grp] = new PackedMatrixA((float*)w, k, false, outPer, k, _isa));
            Volatile.Write(ref _packed, made);
            ReleaseRaw();
            return made;
        }
    }

    private PackedMatrixB[] BuildTransposed()
    {
        lock (_gate)
        {
            if (_transposed is { } raced) return raced;
            int outPer = OutChannels / Group, k = InPerGroup * KD * KH * KW;
            var made = new PackedMatrixB[Group];
            BuildEach((grp, w) => made[grp] = new PackedMatrixB((float*)w, k, true, k, outPer, _isa));
            Volatile.Write(ref _transposed, made);
            ReleaseRaw();
            return made;
        }
    }

    /// <summary>
    /// Calls <paramref name="pack"/> with each group's raw [M/g, K] weights: the raw copy while it lives,
    /// else unpacked from the layout that exists (both are k-major panels of R rows, zero-padded). Under _gate.
    /// </summary>
    private void BuildEach(Action<int, nint> pack)
    {
        int outPer = OutChannels / Group, k = InPerGroup * KD * KH * KW;
        if (_raw != null)
        {
            for (int grp = 0; grp < Group; grp++) pack(grp, (nint)(_raw + (nint)grp * outPer * k));
            return;
        }
        // Native scratch, freed at once: a managed copy would sit in the large-object heap until a GC.
        float* w = (float*)NativeMemory.Alloc((nuint)Math.Max(1L, (long)outPer * k), sizeof(float));
        try
        {
            for (int grp = 0; grp < Group; grp++)
            {
                float* src;
                int r;
                if (_packed is { } pa) { src = pa[grp].Data; r = pa[grp].MR; }
                else { src = _transposed![grp].Data; r = _transposed[grp].NR; }
                for (int i = 0; i < outPer; i++)
                    for (int p = 0; p < k; p++)
                        w[(nint)i * k + p] = src[(nint)(i / r) * k * r + (nint)p * r + i % r];
                pack(grp, (nint)w);
            }
        }
        finally
        {
            NativeMemory.Free(w);
        }
    }

    /// <summary>Frees the raw weights once a packed layout holds them, unless the depthwise kernel reads them. Under _gate.</summary>
    private void ReleaseRaw()
    {
        if (IsDepthwise) return;
        NativeMemory.AlignedFree(_raw);
        _raw = null;
    }

    /// <summary>Frees the raw copy and every packed layout.</summary>
    public void Dispose()
    {
        FreeRaw();
        if (_packed is { } a) foreach (var p in a) p.Dispose();
        if (_transposed is { } b) foreach (var p in b) p.Dispose();
        DisposeWinograd();
        GC.SuppressFinalize(this);
    }

    private void FreeRaw()
    {
        float* p = _raw;
        _raw = null;
        if (p != null) NativeMemory.AlignedFree(p);
    }

    /// <summary>Frees the raw copy if nobody disposed this (the packed layouts have their own finalizers).</summary>
    ~ConvF32() => FreeRaw();
}
