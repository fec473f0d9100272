using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Cpu.Cast;

/// <summary>Parses Cast's attributes: <c>to</c> (an int, or a type name in opset 1), <c>saturate</c>, <c>round_mode</c>.</summary>
internal static class CastAttributes
{
    public static DType ParseTo(KernelInfo info)
    {
        var a = info.Attributes.Get("to") ?? throw info.Invalid("required attribute 'to' is missing");
        if (a.Kind == AttributeKind.String)
        {
            string name = a.String.ToUpperInvariant();
            foreach (DType t in Enum.GetValues<DType>())
            {
                string onnx = t.OnnxName().ToUpperInvariant();
                if (onnx == name || (name == "FLOAT" && t == DType.Float32) || (name == "DOUBLE" && t == DType.Float64)) return t;
            }
            throw info.Invalid($"attribute 'to' names unknown type '{a.String}'");
        }
        var to = (DType)a.Int;
        if (!Enum.IsDefined(to) || to == DType.Undefined) throw info.Invalid($"attribute 'to' = {a.Int} is not a known element type");
        return to;
    }

    public static E8M0Rounding ParseRounding(KernelInfo info, string what)
    {
        string mode = info.Attributes.GetString("round_mode", "up");
        return mode switch
        {
            "up" => E8M0Rounding.Up,
            "down" => E8M0Rounding.Down,
            "nearest" => E8M0Rounding.Nearest,
            _ => throw info.Invalid($"{what}: round_mode must be 'up', 'down' or 'nearest', got '{mode}'"),
        };
    }

    public static void CheckSupported(KernelContext context, DType from, DType to)
    {
        if (from is DType.Complex64 or DType.Complex128 or DType.Undefined || to is DType.Complex64 or DType.Complex128)
            throw context.Error($"cannot cast {from.OnnxName()} to {to.OnnxName()}");
    }
}

/// <summary>ONNX <c>Cast</c>: converts every element to the type named by <c>to</c>.</summary>
[OnnxKernel("Cast", Since = 1)]
public sealed class CastKernel : IKernel
{
    private readonly DType _to;
    private readonly bool _saturate;
    private readonly E8M0Rounding _rounding;

    public CastKernel(KernelInfo info)
    {
        _to = CastAttributes.ParseTo(info);
        _saturate = info.Attributes.GetInt("saturate", 1) != 0;
        _rounding = CastAttributes.ParseRounding(info, "Cast");
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        CastAttributes.CheckSupported(context, x.DType, _to);
        if (x.DType == _to) { context.SetOutput(0, x); return; }
        Tensor y = context.Output(0, _to, x.Shape);
        ElementConvert.Convert(x, y, _saturate, _rounding);
    }
}

/// <summary>ONNX <c>CastLike</c>: Cast to the element type of the second input.</summary>
[OnnxKernel("CastLike", Since = 15)]
public sealed class CastLikeKernel : IKernel
{
    private readonly bool _saturate;
    private readonly E8M0Rounding _rounding;

    public CastLikeKernel(KernelInfo info)
    {
        _saturate = info.Attributes.GetInt("saturate", 1) != 0;
        _rounding = CastAttributes.ParseRounding(info, "CastLike");
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        DType to = context.Input(1).DType;
        CastAttributes.CheckSupported(context, x.DType, to);
        if (x.DType == to) { context.SetOutput(0, x); return; }
        Tensor y = context.Output(0, to, x.Shape);
        ElementConvert.Convert(x, y, _saturate, _rounding);
    }
}

/// <summary>ONNX <c>BitCast</c>: reinterprets the bits as another type of the same width.</summary>
[OnnxKernel("BitCast", Since = 26)]
public sealed class BitCastKernel : IKernel
{
    private readonly DType _to;

    public BitCastKernel(KernelInfo info)
    {
        _to = CastAttributes.ParseTo(info);
        if (_to == DType.String) throw info.Invalid("BitCast cannot produce strings");
    }

    private static int Bits(DType t) => t switch
    {
        DType.Int4 or DType.UInt4 or DType.Float4E2M1 => 4,
        DType.Int2 or DType.UInt2 => 2,
        DType.Bool => 8,
        _ => t.SizeOf() * 8,
    };

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        if (x.DType == DType.String) throw context.Error("BitCast input must not be a string tensor");
        if (Bits(x.DType) != Bits(_to))
            throw context.Error($"BitCast needs equal bit widths: input {x.DType.OnnxName()} has {Bits(x.DType)} bits, 'to' {_to.OnnxName()} has {Bits(_to)}");
        Tensor y = context.Output(0, _to, x.Shape);
        x.Bytes.CopyTo(y.Bytes);
        if (_to == DType.Bool)
            foreach (ref byte b in y.Bytes) b = b != 0 ? (byte)1 : (byte)0;
        else if (_to is DType.Int4 or DType.Int2)
        {
            var s = y.Span<sbyte>();
            for (int i = 0; i < s.Length; i++) s[i] = _to == DType.Int4 ? FloatFormats.WrapInt4(s[i]) : FloatFormats.WrapInt2(s[i]);
        }
        else if (_to is DType.UInt4 or DType.Float4E2M1 or DType.UInt2)
        {
            var s = y.Bytes;
            byte mask = _to == DType.UInt2 ? (byte)3 : (byte)0xF;
            for (int i = 0; i < s.Length; i++) s[i] &= mask;
        }
    }
}
