using System.Numerics;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>How scatter ops combine an update with the existing element.</summary>
internal enum ScatterReduction { None, Add, Mul, Max, Min }

/// <summary>Per-element reduction for ScatterElements / ScatterND, for every numeric type (and bool/strings for None).</summary>
internal static unsafe class ScatterReductions
{
    public static ScatterReduction Parse(string s) => s switch
    {
        "none" => ScatterReduction.None,
        "add" => ScatterReduction.Add,
        "mul" => ScatterReduction.Mul,
        "max" => ScatterReduction.Max,
        "min" => ScatterReduction.Min,
        _ => throw new ArgumentException($"unknown reduction '{s}' (expected none, add, mul, max or min)"),
    };

    /// <summary>y[yi] = reduce(y[yi], u[ui]), or a plain copy for None.</summary>
    public static void Apply(Tensor y, long yi, Tensor u, long ui, long count, ScatterReduction r)
    {
        if (r == ScatterReduction.None) { Common.StridedCopy.CopyElements(u, ui, y, yi, count); return; }
        switch (y.DType)
        {
            case DType.Float32: Typed((float*)y.Pointer + yi, (float*)u.Pointer + ui, count, r); break;
            case DType.Float64: Typed((double*)y.Pointer + yi, (double*)u.Pointer + ui, count, r); break;
            case DType.Float16: Typed((Half*)y.Pointer + yi, (Half*)u.Pointer + ui, count, r); break;
            case DType.Int64: Typed((long*)y.Pointer + yi, (long*)u.Pointer + ui, count, r); break;
            case DType.Int32: Typed((int*)y.Pointer + yi, (int*)u.Pointer + ui, count, r); break;
            case DType.Int16: Typed((short*)y.Pointer + yi, (short*)u.Pointer + ui, count, r); break;
            case DType.Int8: Typed((sbyte*)y.Pointer + yi, (sbyte*)u.Pointer + ui, count, r); break;
            case DType.UInt64: Typed((ulong*)y.Pointer + yi, (ulong*)u.Pointer + ui, count, r); break;
            case DType.UInt32: Typed((uint*)y.Pointer + yi, (uint*)u.Pointer + ui, count, r); break;
            case DType.UInt16: Typed((ushort*)y.Pointer + yi, (ushort*)u.Pointer + ui, count, r); break;
            case DType.UInt8: Typed((byte*)y.Pointer + yi, (byte*)u.Pointer + ui, count, r); break;
            case DType.BFloat16:
            {
                var yp = (BFloat16*)y.Pointer + yi; var up = (BFloat16*)u.Pointer + ui;
                for (long i = 0; i < count; i++)
                {
                    float a = yp[i].ToFloat(), b = up[i].ToFloat();
                    yp[i] = BFloat16.FromFloat(r switch
                    {
                        ScatterReduction.Add => a + b,
                        ScatterReduction.Mul => a * b,
                        ScatterReduction.Max => MathF.Max(a, b),
                        _ => MathF.Min(a, b),
                    });
                }
                break;
            }
            case DType.Bool:
            {
                var yp = (byte*)y.Pointer + yi; var up = (byte*)u.Pointer + ui;
                for (long i = 0; i < count; i++)
                    yp[i] = r is ScatterReduction.Add or ScatterReduction.Max ? (byte)(yp[i] | up[i]) : (byte)(yp[i] & up[i]);
                break;
            }
            default: throw new NotSupportedException($"reduction on {y.DType.OnnxName()}");
        }
    }

    private static void Typed<T>(T* y, T* u, long count, ScatterReduction r) where T : unmanaged, INumber<T>
    {
        for (long i = 0; i < count; i++)
        {
            T a = y[i], b = u[i];
            y[i] = r switch
            {
                ScatterReduction.Add => a + b,
                ScatterReduction.Mul => a * b,
                ScatterReduction.Max => T.Max(a, b),
                _ => T.Min(a, b),
            };
        }
    }
}
