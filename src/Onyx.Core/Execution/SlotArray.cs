using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Onyx.Tensors;

namespace Onyx.Core.Execution;

/// <summary>
/// Stores into the executor's value arrays without the covariant array-store check. Storing a
/// Tensor into an <c>OnnxValue?[]</c> otherwise goes through the runtime's type-check helper on
/// every store (measured: ~15% of a Run of 50 tiny Adds). Skipping it is sound only for arrays
/// whose runtime type is exactly <c>OnnxValue[]</c>, which every array passed here is
/// (<see cref="RequireExact"/> guards the one public entry).
/// </summary>
internal static class SlotArray
{
    /// <summary>array[index] = value, bounds-checked, with no covariance check.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(OnnxValue?[] array, int index, OnnxValue? value)
    {
        if ((uint)index >= (uint)array.Length) ThrowIndex(index, array.Length);
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), index) = value;
    }

    /// <summary>Rejects a covariant array (a Tensor[] typed as OnnxValue[]), into which <see cref="Store"/> could put a non-tensor.</summary>
    public static void RequireExact(OnnxValue?[] array, string name)
    {
        if (array.GetType() != typeof(OnnxValue[]))
            throw new ArgumentException($"must be an OnnxValue[] exactly, got {array.GetType().Name}", name);
    }

    private static void ThrowIndex(int index, int length) =>
        throw new IndexOutOfRangeException($"slot {index} of {length}");
}
