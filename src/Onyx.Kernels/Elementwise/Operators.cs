using System.Runtime.Intrinsics;

namespace Onyx.Kernels.Elementwise;

/// <summary>
/// An elementwise y = f(x). <see cref="Invoke(T)"/> is the reference (and the test oracle); the
/// vector overloads are used by <see cref="Unary"/> only when <see cref="Vectorizable"/> is true.
/// </summary>
public interface IUnaryOperator<T> where T : struct
{
    /// <summary>True when the vector overloads are implemented (the JIT folds the check away).</summary>
    static virtual bool Vectorizable => false;

    T Invoke(T x);

    Vector256<T> Invoke(Vector256<T> x) => throw new NotSupportedException();

    Vector512<T> Invoke(Vector512<T> x) => throw new NotSupportedException();
}

/// <summary>An elementwise y = f(a, b) over one element type; vector overloads as in <see cref="IUnaryOperator{T}"/>.</summary>
public interface IBinaryOperator<T> where T : struct
{
    static virtual bool Vectorizable => false;

    T Invoke(T a, T b);

    Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => throw new NotSupportedException();

    Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => throw new NotSupportedException();
}

/// <summary>A scalar-only elementwise y = f(a, b) whose operand and result types may differ (comparisons, Pow, BitShift).</summary>
public interface IBinaryScalarOperator<TA, TB, TOut>
{
    TOut Invoke(TA a, TB b);
}

/// <summary>
/// Contiguous row loops of a binary op, the unit the broadcast walker calls: both operands rows,
/// or one of them a single repeated element.
/// </summary>
public interface IBinaryRows<TA, TB, TOut>
{
    void Same(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, Span<TOut> y);

    void ScalarA(TA a, ReadOnlySpan<TB> b, Span<TOut> y);

    void ScalarB(ReadOnlySpan<TA> a, TB b, Span<TOut> y);
}
