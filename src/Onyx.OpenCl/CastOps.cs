using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenCl;

/// <summary>
/// ONNX Cast / CastLike between the device types (float32, float16, float64, int64, int32, bool). Casts within a
/// storage class are free (int32↔int64, float64→float32, float16→float32 re-label the buffer; float64 lives as
/// float32 on the device, which is exact for float32→float64), except float→float16 in float32 storage, which rounds
/// to the nearest half (vstore_half_rte). float→int truncates toward zero, NaN gives 0; a value outside the int32 range
/// raises the run's error flag. Anything→bool is (x != 0).
/// </summary>
internal sealed class CastOp(Node n) : GpuOp(n)
{
    /// <summary>The target type of a Cast node (its 'to' attribute); null for CastLike or an unsupported type.</summary>
    public static DType? Target(Node n) =>
        n.OpType == "Cast" && n.Attributes.GetInt("to", 0) is var to && Enum.IsDefined(typeof(DType), (int)to) && DeviceTypes.IsSupported((DType)(int)to)
            ? (DType)(int)to : null;

    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        DType to = Node.OpType == "CastLike" ? e.Get(Node.Inputs[1]).Type : Target(Node) ?? throw Fail($"unsupported target type {Node.Attributes.GetInt("to", 0)}");
        e.Values[Out] = Cast(e, x, to);
    }

    private DevTensor Cast(GpuExec e, DevTensor x, DType to)
    {
        bool roundToHalf = to == DType.Float16 && x.Type != DType.Float16 && !e.HalfStorage;
        if (x.IsInt == DeviceTypes.IsInt(to) && to != DType.Bool && !roundToHalf) return x.WithType(to);
        var y = e.Alloc(x.Shape, to);
        if (y.Length == 0) return y;
        if (DeviceTypes.IsInt(to))
        {
            if (x.IsInt) e.Launch1("cast_i2b", y.Length, x, y, y.Length);
            else e.Launch1("cast_f2i", y.Length, x, y, y.Length, to == DType.Bool ? 1 : 0, e.ErrorFlag(this));
        }
        else if (x.IsInt) e.Launch1("cast_i2f", y.Length, x, y, y.Length, roundToHalf ? 1 : 0);
        else e.Launch1("round_half", y.Length, x, y, y.Length);
        return y;
    }

    public override Exception FlagError(int value) =>
        Fail($"value {BitConverter.Int32BitsToSingle(value)} does not fit the device's 32-bit integer tensors");
}

/// <summary>
/// ONNX Shape (with opset-15 start/end) and Size: the device tensor's shape is known on the host, so the result is a small
/// int64 tensor created with its host copy; consumers that read shapes (Reshape, Slice, …) never wait for the device.
/// </summary>
internal sealed class ShapeOp(Node n) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var s = e.Get(Node.Inputs[0]).Shape;
        if (Node.OpType == "Size")
        {
            e.Values[Out] = e.Ints([Tensor.ElementCount(s)], [], DType.Int64);
            return;
        }
        int r = s.Length;
        long start = Node.Attributes.GetInt("start", 0), end = Node.Attributes.GetInt("end", r);
        if (start < 0) start += r;
        if (end < 0) end += r;
        start = Math.Clamp(start, 0, r);
        end = Math.Clamp(end, start, r);
        e.Values[Out] = e.Ints(s[(int)start..(int)end], [(int)(end - start)], DType.Int64);
    }
}

/// <summary>ONNX ConstantOfShape: a float fill kernel, or (integer value) a host-known int tensor.</summary>
internal sealed class ConstantOfShapeOp(Node n, IConstants c) : GpuOp(n)
{
    private readonly Tensor _value = n.Attributes.GetTensor("value") ?? Tensor.Scalar(0f);

    public override void Run(GpuExec e)
    {
        var shape = Array.ConvertAll(Ints(e, c, 0) ?? [], v => checked((int)v));
        if (shape.Any(d => d < 0)) throw Fail($"negative dimension in [{string.Join(",", shape)}]");
        if (DeviceTypes.IsInt(_value.DType))
        {
            var v = new int[Tensor.ElementCount(shape)];
            Array.Fill(v, DeviceTypes.ToInt32(_value, Node.Name)[0]);
            e.Values[Out] = e.Ints(v, shape, _value.DType);
            return;
        }
        var y = e.Alloc(shape, DType.Float32);
        e.Launch1("fill", y.Length, y, y.Length, (float)_value.ToDoubleArray()[0]);
        e.Values[Out] = y;
    }
}
