def kernel(vec, width, mr, nvec, name):
    nr = width*nvec
    L=[]
    L.append(f"    /// <summary>{mr}x{nr} micro-kernel: C[rows x {nr}] (op)= alpha * A-panel * B-strip, epilogue on request. Rows = <typeparamref name=\"R\"/> (1..{mr}).")
    L.append(f"    /// B step k is the {nr} floats at b + k*ldb: ldb = {nr} for a packed strip, the row length when B is read in place (1x1 conv input).</summary>")
    L.append(f"    public static void {name}<R>(float* a, float* b, nint ldb, float* c, nint ldc, nint kc, float alpha, int flags, float* biasRow, float* biasCol, float lo, float hi, float slope) where R : struct, IRowCount")
    L.append("    {")
    for r in range(mr):
        L.append("        " + " ".join(f"{vec}<float> c{r}_{j} = default;" for j in range(nvec)))
    def step(indent, ao, bo, second=False):
        for j in range(nvec):
            L.append(f"{indent}{vec}<float> b{j} = {vec}.LoadUnsafe(ref *(b + {bo}{j*width}));")
        L.append(f"{indent}{vec}<float> t;")
        for r in range(mr):
            body = f"t = {vec}.Create(a[{ao + r}]); " + " ".join(f"c{r}_{j} = {vec}.FusedMultiplyAdd(t, b{j}, c{r}_{j});" for j in range(nvec))
            if r == 0 and second:
                # One row (GEMV-like): the odd k steps feed row 1's idle accumulators, doubling the
                # independent FMA chains; they are summed after the loop.
                alt = f"t = {vec}.Create(a[{ao}]); " + " ".join(f"c1_{j} = {vec}.FusedMultiplyAdd(t, b{j}, c1_{j});" for j in range(nvec))
                L.append(f"{indent}if (R.Count == 1) {{ {alt} }} else {{ {body} }}")
            elif r == 0:
                L.append(indent + body)
            else:
                L.append(f"{indent}if (R.Count > {r}) {{ {body} }}")
    # Two k steps per iteration: halves the loop overhead (pointer bumps, compare, branch).
    # Touch the C tile early: its rows are ldc apart, so without this the final load misses stall the store.
    L.append("        if (Sse.IsSupported && (flags & GemmFlags.Accumulate) != 0)")
    L.append("        {")
    for r in range(mr):
        pf = f"Sse.Prefetch0(c + {r} * ldc); Sse.Prefetch0(c + {r} * ldc + {nr - 1});"
        L.append("            " + (pf if r == 0 else f"if (R.Count > {r}) {{ {pf} }}"))
    L.append("        }")
    L.append("        nint k = 0;")
    L.append("        for (; k + 1 < kc; k += 2)")
    L.append("        {")
    L.append("            {")
    step("                ", 0, "")
    L.append("            }")
    L.append("            {")
    step("                ", mr, "ldb + ", second=True)
    L.append("            }")
    L.append(f"            a += {2*mr};")
    L.append("            b += 2 * ldb;")
    L.append("        }")
    L.append("        if (k < kc)")
    L.append("        {")
    step("            ", 0, "")
    L.append("        }")
    L.append("        if (R.Count == 1) { " + " ".join(f"c0_{j} += c1_{j};" for j in range(nvec)) + " }")
    L.append(f"        {vec}<float> va = {vec}.Create(alpha), vlo = {vec}.Create(lo), vhi = {vec}.Create(hi), vs = {vec}.Create(slope);")
    L.append(f"        " + " ".join(f"{vec}<float> bc{j} = default;" for j in range(nvec)))
    L.append(f"        if ((flags & GemmFlags.BiasCol) != 0) {{ " + " ".join(f"bc{j} = {vec}.LoadUnsafe(ref *(biasCol + {j*width}));" for j in range(nvec)) + " }")
    for r in range(mr):
        args = ", ".join(f"c{r}_{j}" for j in range(nvec))
        call = f"Store{nvec}(c + {r} * ldc, {args}, flags, va, biasRow, {r}, bc0, bc1, vlo, vhi, vs);" if nvec==2 else None
        if r == 0: L.append("        " + call)
        else: L.append(f"        if (R.Count > {r}) {call}")
    L.append("    }")
    L.append("")
    # store helper
    L.append("    [MethodImpl(MethodImplOptions.AggressiveInlining)]")
    L.append(f"    private static void Store2(float* c, {vec}<float> x0, {vec}<float> x1, int flags, {vec}<float> va, float* biasRow, int r, {vec}<float> bc0, {vec}<float> bc1, {vec}<float> vlo, {vec}<float> vhi, {vec}<float> vs)")
    L.append("    {")
    L.append("        x0 *= va; x1 *= va;")
    L.append(f"        if ((flags & GemmFlags.Accumulate) != 0) {{ x0 += {vec}.LoadUnsafe(ref *c); x1 += {vec}.LoadUnsafe(ref *(c + {width})); }}")
    L.append(f"        if ((flags & GemmFlags.BiasRow) != 0) {{ {vec}<float> br = {vec}.Create(biasRow[r]); x0 += br; x1 += br; }}")
    L.append("        if ((flags & GemmFlags.BiasCol) != 0) { x0 += bc0; x1 += bc1; }")
    L.append(f"        if ((flags & GemmFlags.Clamp) != 0) {{ x0 = {vec}.Min({vec}.Max(x0, vlo), vhi); x1 = {vec}.Min({vec}.Max(x1, vlo), vhi); }}")
    L.append(f"        if ((flags & GemmFlags.Leaky) != 0) {{ x0 = {vec}.ConditionalSelect({vec}.LessThan(x0, {vec}<float>.Zero), x0 * vs, x0); x1 = {vec}.ConditionalSelect({vec}.LessThan(x1, {vec}<float>.Zero), x1 * vs, x1); }}")
    L.append(f"        x0.StoreUnsafe(ref *c); x1.StoreUnsafe(ref *(c + {width}));")
    L.append("    }")
    return "\n".join(L)

def file(cls, vec, width, mr, name, summary):
    return f"""// Generated from one template for every row count; edit bench/Onyx.Kernels.Bench/gen_gemm_kernels.py, not the copies.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Gemm;

/// <summary>{summary}</summary>
internal static unsafe class {cls}
{{
    public const int MR = {mr};
    public const int NR = {width*2};

{kernel(vec, width, mr, 2, name)}
}}
"""
import os
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "Onyx.Kernels", "Gemm")
open(os.path.join(root, "GemmKernelV512.cs"),"w").write(file("GemmKernelV512","Vector512",16,12,"Kernel12x32",
 "AVX-512 FP32 GEMM micro-kernel: 12 rows x 32 columns, 24 zmm accumulators, 2 B vectors and one broadcast (MLAS's AVX-512 tile)."))
open(os.path.join(root, "GemmKernelV256.cs"),"w").write(file("GemmKernelV256","Vector256",8,6,"Kernel6x16",
 "AVX2+FMA FP32 GEMM micro-kernel: 6 rows x 16 columns, 12 ymm accumulators, 2 B vectors and one broadcast (15 of 16 ymm)."))
