using System.Numerics;
using Onyx.Kernels.Elementwise;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>A generic action over one numeric element type, so a kernel writes its type switch once.</summary>
internal interface INumericVisitor
{
    void Visit<T>() where T : unmanaged, INumber<T>;
}

/// <summary>The type switch at the kernel boundary, shared by the math kernels.</summary>
internal static class NumericDispatch
{
    /// <summary>Calls <c>Visit&lt;T&gt;</c> for the integer types; false for any other type.</summary>
    public static bool Integer<TV>(DType t, ref TV v) where TV : struct, INumericVisitor
    {
        switch (t)
        {
            case DType.Int8: v.Visit<sbyte>(); return true;
            case DType.Int16: v.Visit<short>(); return true;
            case DType.Int32: v.Visit<int>(); return true;
            case DType.Int64: v.Visit<long>(); return true;
            case DType.UInt8: v.Visit<byte>(); return true;
            case DType.UInt16: v.Visit<ushort>(); return true;
            case DType.UInt32: v.Visit<uint>(); return true;
            case DType.UInt64: v.Visit<ulong>(); return true;
            default: return false;
        }
    }

    /// <summary>Float32/Float64 and the integers; Half when <paramref name="half"/> (computed with Half's own float-widening operators).</summary>
    public static bool Numeric<TV>(DType t, ref TV v, bool half = true) where TV : struct, INumericVisitor
    {
        switch (t)
        {
            case DType.Float32: v.Visit<float>(); return true;
            case DType.Float64: v.Visit<double>(); return true;
            case DType.Float16 when half: v.Visit<Half>(); return true;
            default: return Integer(t, ref v);
        }
    }
}

/// <summary>BFloat16 ↔ float32 tensor conversion for the rare paths that compute bfloat16 through a float copy.</summary>
internal static class BFloat16Tensors
{
    public static Tensor ToFloat(Tensor x)
    {
        var f = Tensor.Allocate(DType.Float32, x.Shape, zero: false);
        Widen.ToSingle(x.Span<BFloat16>(), f.Span<float>());
        return f;
    }

    public static void Store(Tensor f, Tensor y)
    {
        Widen.ToBFloat16(f.Span<float>(), y.Span<BFloat16>());
        GC.KeepAlive(f);
    }
}
