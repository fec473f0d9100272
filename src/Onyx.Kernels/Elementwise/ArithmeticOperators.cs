using System.Numerics;
using System.Runtime.Intrinsics;

namespace Onyx.Kernels.Elementwise;

/// <summary>y = a + b (integers wrap).</summary>
public readonly struct AddOperator<T> : IBinaryOperator<T> where T : struct, INumber<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T a, T b) => a + b;
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a + b;
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a + b;
}

/// <summary>y = a - b (integers wrap).</summary>
public readonly struct SubtractOperator<T> : IBinaryOperator<T> where T : struct, INumber<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T a, T b) => a - b;
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a - b;
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a - b;
}

/// <summary>y = a * b (integers wrap).</summary>
public readonly struct MultiplyOperator<T> : IBinaryOperator<T> where T : struct, INumber<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T a, T b) => a * b;
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a * b;
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a * b;
}

/// <summary>y = a / b; integer division truncates toward zero.</summary>
public readonly struct DivideOperator<T> : IBinaryOperator<T> where T : struct, INumber<T>
{
    // Integer vector division has no hardware instruction; the scalar loop is as fast.
    public static bool Vectorizable => VMath.IsFloatOrDouble<T>();
    public T Invoke(T a, T b) => a / b;
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a / b;
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a / b;
}

/// <summary>y = max(a, b); NaN propagates for floats.</summary>
public readonly struct MaxOperator<T> : IBinaryOperator<T> where T : struct, INumber<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T a, T b) => T.Max(a, b);
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);
}

/// <summary>y = min(a, b); NaN propagates for floats.</summary>
public readonly struct MinOperator<T> : IBinaryOperator<T> where T : struct, INumber<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T a, T b) => T.Min(a, b);
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => Vector512.Min(a, b);
}

/// <summary>PRelu: y = a &lt; 0 ? a * slope : a.</summary>
public readonly struct PReluOperator<T> : IBinaryOperator<T> where T : struct, INumber<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T a, T slope) => a < T.Zero ? a * slope : a;
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> s) => Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256<T>.Zero), a * s, a);
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> s) => Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512<T>.Zero), a * s, a);
}

/// <summary>Integer Mod with fmod=0: the remainder takes the divisor's sign (Python's %).</summary>
public readonly struct FloorModOperator<T> : IBinaryOperator<T> where T : struct, IBinaryInteger<T>
{
    public T Invoke(T a, T b)
    {
        T r = a % b;
        if (r != T.Zero && (T.IsNegative(r) != T.IsNegative(b))) r += b;
        return r;
    }
}

/// <summary>Mod with fmod=1: C fmod, the remainder takes the dividend's sign.</summary>
public readonly struct TruncModOperator<T> : IBinaryOperator<T> where T : struct, INumber<T>
{
    public T Invoke(T a, T b) => a % b;
}

/// <summary>Pow with base and exponent of any numeric types, computed in double and cast to the base type.</summary>
public readonly struct PowOperator<TA, TB> : IBinaryScalarOperator<TA, TB, TA> where TA : INumberBase<TA> where TB : INumberBase<TB>
{
    public TA Invoke(TA a, TB b)
    {
        double r = Math.Pow(double.CreateTruncating(a), double.CreateTruncating(b));
        return TA.CreateSaturating(r);
    }
}

/// <summary>Integer power by squaring (exact for int32/int64 with wrap-around).</summary>
public readonly struct IntPowOperator<T> : IBinaryOperator<T> where T : struct, IBinaryInteger<T>
{
    public T Invoke(T a, T b)
    {
        if (T.IsNegative(b)) return a == T.One ? T.One : (a == -T.One ? (T.IsEvenInteger(b) ? T.One : -T.One) : T.Zero);
        T r = T.One;
        while (b != T.Zero)
        {
            if (T.IsOddInteger(b)) r *= a;
            a *= a;
            b >>= 1;
        }
        return r;
    }
}

/// <summary>BitShift: a &lt;&lt; b or a &gt;&gt; b on unsigned integers; shifting by the width or more gives 0.</summary>
public readonly struct ShiftOperator<T>(bool left) : IBinaryOperator<T> where T : struct, IBinaryInteger<T>, IUnsignedNumber<T>
{
    public T Invoke(T a, T b)
    {
        int bits = a.GetByteCount() * 8;
        if (b >= T.CreateTruncating(bits)) return T.Zero;
        int s = int.CreateTruncating(b);
        return left ? a << s : a >>> s;
    }
}

/// <summary>y = a &amp; b.</summary>
public readonly struct BitAndOperator<T> : IBinaryOperator<T> where T : struct, IBinaryInteger<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T a, T b) => a & b;
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a & b;
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a & b;
}

/// <summary>y = a | b.</summary>
public readonly struct BitOrOperator<T> : IBinaryOperator<T> where T : struct, IBinaryInteger<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T a, T b) => a | b;
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a | b;
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a | b;
}

/// <summary>y = a ^ b.</summary>
public readonly struct BitXorOperator<T> : IBinaryOperator<T> where T : struct, IBinaryInteger<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T a, T b) => a ^ b;
    public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a ^ b;
    public Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a ^ b;
}

/// <summary>y = ~x.</summary>
public readonly struct BitNotOperator<T> : IUnaryOperator<T> where T : struct, IBinaryInteger<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => ~x;
    public Vector256<T> Invoke(Vector256<T> x) => ~x;
    public Vector512<T> Invoke(Vector512<T> x) => ~x;
}

/// <summary>Logical not on bool bytes (0/1): y = x ^ 1.</summary>
public readonly struct LogicalNotOperator : IUnaryOperator<byte>
{
    public static bool Vectorizable => true;
    public byte Invoke(byte x) => (byte)(x == 0 ? 1 : 0);
    public Vector256<byte> Invoke(Vector256<byte> x) => Vector256.Equals(x, Vector256<byte>.Zero) & Vector256<byte>.One;
    public Vector512<byte> Invoke(Vector512<byte> x) => Vector512.Equals(x, Vector512<byte>.Zero) & Vector512<byte>.One;
}

/// <summary>Comparison of two numbers giving a bool; Kind picks the relation.</summary>
public readonly struct CompareOperator<T>(CompareKind kind) : IBinaryScalarOperator<T, T, bool> where T : INumber<T>
{
    public bool Invoke(T a, T b) => kind switch
    {
        CompareKind.Equal => a == b,
        CompareKind.Less => a < b,
        CompareKind.LessOrEqual => a <= b,
        CompareKind.Greater => a > b,
        _ => a >= b,
    };
}

/// <summary>The relation a <see cref="CompareOperator{T}"/> tests.</summary>
public enum CompareKind { Equal, Less, LessOrEqual, Greater, GreaterOrEqual }

/// <summary>Logical And/Or/Xor of bools.</summary>
public readonly struct LogicalOperator(LogicalKind kind) : IBinaryScalarOperator<bool, bool, bool>
{
    public bool Invoke(bool a, bool b) => kind switch
    {
        LogicalKind.And => a & b,
        LogicalKind.Or => a | b,
        _ => a ^ b,
    };
}

/// <summary>Which logical op a <see cref="LogicalOperator"/> computes.</summary>
public enum LogicalKind { And, Or, Xor }
