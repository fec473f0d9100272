using Onyx.Core.Execution;
using Onyx.Cpu.Nn;
using Onyx.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Onyx.Cpu.Rnn;

/// <summary>The shared time loop of RNN, GRU and LSTM: input projections for all steps, then one cell per step.</summary>
internal static class RecurrentDriver
{
    /// <summary>Input projection X·Wᵀ + Wb for every (t, b), [seq*batch, gates*hidden].</summary>
    public static float[] Project(float[] x, ReadOnlySpan<float> w, ReadOnlySpan<float> wb, int rows, int gh, int input)
    {
        var r = new float[rows * gh];
        RnnSetup.MatMulTransB(x, w, r, rows, gh, input);
        if (!wb.IsEmpty)
            for (int i = 0; i < rows; i++) TensorPrimitives.Add(r.AsSpan(i * gh, gh), wb, r.AsSpan(i * gh, gh));
        return r;
    }

    public static void CheckWeights(KernelContext context, Tensor w, Tensor r, int dirs, int gates, int hidden, int input)
    {
        if (w.Rank != 3 || w.Shape[0] != dirs || w.Shape[1] != gates * hidden || w.Shape[2] != input)
            throw context.Error($"W has shape {w.ShapeString}, expected [{dirs},{gates * hidden},{input}]");
        if (r.Rank != 3 || r.Shape[0] != dirs || r.Shape[1] != gates * hidden || r.Shape[2] != hidden)
            throw context.Error($"R has shape {r.ShapeString}, expected [{dirs},{gates * hidden},{hidden}]");
    }
}

/// <summary>ONNX <c>RNN</c> (1-22): Ht = f(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb).</summary>
[OnnxKernel("RNN", Since = 1)]
public sealed class RnnKernel : IKernel
{
    private readonly RnnSetup _s;
    private readonly RnnActivation[] _act;

    public RnnKernel(KernelInfo info)
    {
        _s = new RnnSetup(info);
        _act = RnnActivation.Parse(info, ["Tanh"], _s.Directions);
    }

    public void Execute(KernelContext context)
    {
        Tensor xT = context.Input(0), wT = context.Input(1), rT = context.Input(2);
        NnFloat.Require(context, xT, "X");
        float[] x = _s.ReadX(xT, out int seq, out int batch, out int input);
        int h = _s.Hidden > 0 ? _s.Hidden : rT.Shape[2], dirs = _s.Directions;
        RecurrentDriver.CheckWeights(context, wT, rT, dirs, 1, h, input);
        ReadOnlySpan<float> w = NnFloat.Read(wT), r = NnFloat.Read(rT);
        Tensor? bT = context.OptionalInput(3);
        ReadOnlySpan<float> bias = bT is null ? default : NnFloat.Read(bT);
        int[] lens = _s.SequenceLengths(context, context.OptionalInput(4), seq, batch);
        float[] hState = _s.ReadState(context.OptionalInput(5), batch);
        var y = new float[seq * dirs * batch * h];
        var gAll = new float[batch * h];
        for (int d = 0; d < dirs; d++)
        {
            bool reverse = d == 1 || _s.ReverseOnly;
            ReadOnlySpan<float> wd = w.Slice(d * h * input, h * input), rd = r.Slice(d * h * h, h * h);
            ReadOnlySpan<float> wb = bias.IsEmpty ? default : bias.Slice(d * 2 * h, h);
            ReadOnlySpan<float> rb = bias.IsEmpty ? default : bias.Slice(d * 2 * h + h, h);
            float[] xw = RecurrentDriver.Project(x, wd, wb, seq * batch, h, input);
            Span<float> hd = hState.AsSpan(d * batch * h, batch * h);
            for (int step = 0; step < seq; step++)
            {
                RnnSetup.MatMulTransB(hd, rd, gAll, batch, h, h);
                for (int b = 0; b < batch; b++)
                {
                    if (step >= lens[b]) continue;
                    int t = reverse ? lens[b] - 1 - step : step;
                    Span<float> hb = hd.Slice(b * h, h);
                    Span<float> g = gAll.AsSpan(b * h, h);
                    TensorPrimitives.Add(g, xw.AsSpan((t * batch + b) * h, h), g);
                    if (!rb.IsEmpty) TensorPrimitives.Add(g, rb, g);
                    _s.ClipInPlace(g);
                    _act[d].Apply(g);
                    g.CopyTo(hb);
                    g.CopyTo(y.AsSpan(((t * dirs + d) * batch + b) * h, h));
                }
            }
        }
        _s.WriteOutputs(context, xT.DType, y, seq, batch, (1, hState));
    }
}

/// <summary>ONNX <c>GRU</c> (1-22): gates z, r, h; linear_before_reset picks where the reset gate applies.</summary>
[OnnxKernel("GRU", Since = 1)]
public sealed class GruKernel : IKernel
{
    private readonly RnnSetup _s;
    private readonly RnnActivation[] _act;
    private readonly bool _lbr;

    public GruKernel(KernelInfo info)
    {
        _s = new RnnSetup(info);
        _act = RnnActivation.Parse(info, ["Sigmoid", "Tanh"], _s.Directions);
        _lbr = info.Attributes.GetInt("linear_before_reset", 0) != 0;
    }

    public void Execute(KernelContext context)
    {
        Tensor xT = context.Input(0), wT = context.Input(1), rT = context.Input(2);
        NnFloat.Require(context, xT, "X");
        float[] x = _s.ReadX(xT, out int seq, out int batch, out int input);
        int h = _s.Hidden > 0 ? _s.Hidden : rT.Shape[2], dirs = _s.Directions;
        RecurrentDriver.CheckWeights(context, wT, rT, dirs, 3, h, input);
        ReadOnlySpan<float> w = NnFloat.Read(wT), r = NnFloat.Read(rT);
        Tensor? bT = context.OptionalInput(3);
        ReadOnlySpan<float> bias = bT is null ? default : NnFloat.Read(bT);
        int[] lens = _s.SequenceLengths(context, context.OptionalInput(4), seq, batch);
        float[] hState = _s.ReadState(context.OptionalInput(5), batch);
        var y = new float[seq * dirs * batch * h];
        var zrAll = new float[batch * 2 * h];
        var hhAll = new float[batch * h];
        var rh = new float[h];
        for (int d = 0; d < dirs; d++)
        {
            bool reverse = d == 1 || _s.ReverseOnly;
            RnnActivation f = _act[d * 2], gAct = _act[d * 2 + 1];
            ReadOnlySpan<float> wd = w.Slice(d * 3 * h * input, 3 * h * input), rd = r.Slice(d * 3 * h * h, 3 * h * h);
            ReadOnlySpan<float> wb = bias.IsEmpty ? default : bias.Slice(d * 6 * h, 3 * h);
            ReadOnlySpan<float> rb = bias.IsEmpty ? default : bias.Slice(d * 6 * h + 3 * h, 3 * h);
            float[] xw = RecurrentDriver.Project(x, wd, wb, seq * batch, 3 * h, input);
            ReadOnlySpan<float> rzr = rd.Slice(0, 2 * h * h), rH = rd.Slice(2 * h * h, h * h);
            Span<float> hd = hState.AsSpan(d * batch * h, batch * h);
            for (int step = 0; step < seq; step++)
            {
                RnnSetup.MatMulTransB(hd, rzr, zrAll, batch, 2 * h, h);
                if (_lbr) RnnSetup.MatMulTransB(hd, rH, hhAll, batch, h, h);
                for (int b = 0; b < batch; b++)
                {
                    if (step >= lens[b]) continue;
                    int t = reverse ? lens[b] - 1 - step : step;
                    Span<float> hb = hd.Slice(b * h, h);
                    Span<float> zr = zrAll.AsSpan(b * 2 * h, 2 * h), hh = hhAll.AsSpan(b * h, h);
                    ReadOnlySpan<float> xg = xw.AsSpan((t * batch + b) * 3 * h, 3 * h);
                    TensorPrimitives.Add(zr, xg.Slice(0, 2 * h), zr);
                    if (!rb.IsEmpty) TensorPrimitives.Add(zr, rb.Slice(0, 2 * h), zr);
                    _s.ClipInPlace(zr);
                    f.Apply(zr);
                    Span<float> z = zr.Slice(0, h), rg = zr.Slice(h, h);
                    if (_lbr)
                    {
                        if (!rb.IsEmpty) TensorPrimitives.Add(hh, rb.Slice(2 * h, h), hh);
                        TensorPrimitives.Multiply(hh, rg, hh);
                    }
                    else
                    {
                        TensorPrimitives.Multiply(rg, hb, rh);
                        RnnSetup.MatMulTransB(rh, rH, hh, 1, h, h);
                        if (!rb.IsEmpty) TensorPrimitives.Add(hh, rb.Slice(2 * h, h), hh);
                    }
                    TensorPrimitives.Add(hh, xg.Slice(2 * h, h), hh);
                    _s.ClipInPlace(hh);
                    gAct.Apply(hh);
                    // H = (1 - z) * hh + z * H = hh + z * (H - hh)
                    for (int i = 0; i < h; i++) hb[i] = hh[i] + z[i] * (hb[i] - hh[i]);
                    hb.CopyTo(y.AsSpan(((t * dirs + d) * batch + b) * h, h));
                }
            }
        }
        _s.WriteOutputs(context, xT.DType, y, seq, batch, (1, hState));
    }
}

/// <summary>ONNX <c>LSTM</c> (1-22): gates i, o, f, c with optional peepholes P (i, o, f) and input_forget coupling.</summary>
[OnnxKernel("LSTM", Since = 1)]
public sealed class LstmKernel : IKernel
{
    private readonly RnnSetup _s;
    private readonly RnnActivation[] _act;
    private readonly bool _inputForget;

    public LstmKernel(KernelInfo info)
    {
        _s = new RnnSetup(info);
        _act = RnnActivation.Parse(info, ["Sigmoid", "Tanh", "Tanh"], _s.Directions);
        _inputForget = info.Attributes.GetInt("input_forget", 0) != 0;
    }

    public void Execute(KernelContext context)
    {
        Tensor xT = context.Input(0), wT = context.Input(1), rT = context.Input(2);
        NnFloat.Require(context, xT, "X");
        float[] x = _s.ReadX(xT, out int seq, out int batch, out int input);
        int h = _s.Hidden > 0 ? _s.Hidden : rT.Shape[2], dirs = _s.Directions;
        RecurrentDriver.CheckWeights(context, wT, rT, dirs, 4, h, input);
        ReadOnlySpan<float> w = NnFloat.Read(wT), r = NnFloat.Read(rT);
        Tensor? bT = context.OptionalInput(3);
        ReadOnlySpan<float> bias = bT is null ? default : NnFloat.Read(bT);
        int[] lens = _s.SequenceLengths(context, context.OptionalInput(4), seq, batch);
        float[] hState = _s.ReadState(context.OptionalInput(5), batch);
        float[] cState = _s.ReadState(context.OptionalInput(6), batch);
        Tensor? pT = context.OptionalInput(7);
        ReadOnlySpan<float> peep = pT is null ? default : NnFloat.Read(pT);
        var y = new float[seq * dirs * batch * h];
        var gAll = new float[batch * 4 * h];
        for (int d = 0; d < dirs; d++)
        {
            bool reverse = d == 1 || _s.ReverseOnly;
            RnnActivation f = _act[d * 3], g = _act[d * 3 + 1], hAct = _act[d * 3 + 2];
            ReadOnlySpan<float> wd = w.Slice(d * 4 * h * input, 4 * h * input), rd = r.Slice(d * 4 * h * h, 4 * h * h);
            ReadOnlySpan<float> wb = bias.IsEmpty ? default : bias.Slice(d * 8 * h, 4 * h);
            ReadOnlySpan<float> rb = bias.IsEmpty ? default : bias.Slice(d * 8 * h + 4 * h, 4 * h);
            ReadOnlySpan<float> pd = peep.IsEmpty ? default : peep.Slice(d * 3 * h, 3 * h);
            float[] xw = RecurrentDriver.Project(x, wd, wb, seq * batch, 4 * h, input);
            Span<float> hd = hState.AsSpan(d * batch * h, batch * h);
            for (int step = 0; step < seq; step++)
            {
                RnnSetup.MatMulTransB(hd, rd, gAll, batch, 4 * h, h);
                for (int b = 0; b < batch; b++)
                {
                    if (step >= lens[b]) continue;
                    int t = reverse ? lens[b] - 1 - step : step;
                    Span<float> hb = hd.Slice(b * h, h);
                    Span<float> cb = cState.AsSpan((d * batch + b) * h, h);
                    Span<float> gates = gAll.AsSpan(b * 4 * h, 4 * h);
                    TensorPrimitives.Add(gates, xw.AsSpan((t * batch + b) * 4 * h, 4 * h), gates);
                    if (!rb.IsEmpty) TensorPrimitives.Add(gates, rb, gates);
                    Span<float> gi = gates.Slice(0, h), go = gates.Slice(h, h), gf = gates.Slice(2 * h, h), gc = gates.Slice(3 * h, h);
                    if (!pd.IsEmpty)
                    {
                        for (int k = 0; k < h; k++) { gi[k] += pd[k] * cb[k]; gf[k] += pd[2 * h + k] * cb[k]; }
                    }
                    _s.ClipInPlace(gi); _s.ClipInPlace(gf); _s.ClipInPlace(gc);
                    f.Apply(gi);
                    if (_inputForget) for (int k = 0; k < h; k++) gf[k] = 1 - gi[k];
                    else f.Apply(gf);
                    g.Apply(gc);
                    for (int k = 0; k < h; k++) cb[k] = gf[k] * cb[k] + gi[k] * gc[k];
                    if (!pd.IsEmpty) for (int k = 0; k < h; k++) go[k] += pd[h + k] * cb[k];
                    _s.ClipInPlace(go);
                    f.Apply(go);
                    cb.CopyTo(gc);
                    hAct.Apply(gc);
                    TensorPrimitives.Multiply(go, gc, hb);
                    hb.CopyTo(y.AsSpan(((t * dirs + d) * batch + b) * h, h));
                }
            }
        }
        _s.WriteOutputs(context, xT.DType, y, seq, batch, (1, hState), (2, cState));
    }
}
