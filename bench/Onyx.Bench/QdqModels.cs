using Google.Protobuf;
using Onnx;

namespace Onyx.Bench;

/// <summary>
/// Turns a float suite model into the QDQ form ONNX Runtime's static quantizer writes
/// (quantize_static, QuantFormat.QDQ, per_channel=True): every Conv reads DequantizeLinear(x_q) with
/// a per-tensor uint8 activation, DequantizeLinear of per-channel symmetric int8 weights (axis 0)
/// and an int32 bias with scale x_scale·w_scale; every Conv (or its Relu/Clip) output goes through
/// QuantizeLinear → DequantizeLinear. Activation scales are fixed by range instead of calibrated
/// (the bench measures speed): [0, 1] for the image, [0, 6] after Relu6, [0, 8] after Relu,
/// [-8, 8] elsewhere. Other ops (Add, pooling, the final Gemm) stay float between QDQ pairs, as
/// the quantizer leaves ops it is not told to quantize.
/// </summary>
internal static class QdqModels
{
    public static byte[] Quantize(byte[] floatModel)
    {
        var model = ModelProto.Parser.ParseFrom(floatModel);
        var g = model.Graph;
        var inits = g.Initializer.ToDictionary(t => t.Name);
        var producer = new Dictionary<string, NodeProto>();
        foreach (var n in g.Node) foreach (var o in n.Output) producer[o] = n;
        var consumers = new Dictionary<string, List<NodeProto>>();
        foreach (var n in g.Node)
            foreach (var i in n.Input)
            {
                if (!consumers.TryGetValue(i, out var l)) consumers[i] = l = [];
                l.Add(n);
            }

        var nodes = new List<NodeProto>();
        var qdq = new Dictionary<string, string>(); // float tensor -> its DQ output
        int id = 0;
        string Fresh(string p) => $"{p}_q{id++}";

        (float Scale, byte Zp) Range(string tensor)
        {
            if (g.Input.Any(v => v.Name == tensor)) return (1f / 255f, 0);
            if (producer.TryGetValue(tensor, out var p))
            {
                if (p.OpType == "Clip") return (6f / 255f, 0);
                if (p.OpType == "Relu") return (8f / 255f, 0);
            }
            return (8f / 128f, 128);
        }

        string ScalarF(float v) { var t = new TensorProto { Name = Fresh("s"), DataType = (int)TensorProto.Types.DataType.Float }; t.FloatData.Add(v); g.Initializer.Add(t); return t.Name; }
        string ScalarU8(byte v) { var t = new TensorProto { Name = Fresh("z"), DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom([v]) }; g.Initializer.Add(t); return t.Name; }

        // Q → DQ on a float tensor (once per tensor); returns the DQ output.
        string Dq(string tensor, List<NodeProto> into)
        {
            if (qdq.TryGetValue(tensor, out var d)) return d;
            var (scale, zp) = Range(tensor);
            string s = ScalarF(scale), z = ScalarU8(zp), q = Fresh(tensor + "_quant"), dq = Fresh(tensor + "_dequant");
            into.Add(Node("QuantizeLinear", [tensor, s, z], q));
            into.Add(Node("DequantizeLinear", [q, s, z], dq));
            qdq[tensor] = dq;
            return dq;
        }

        // Activations feeding a Conv are quantized where they are produced, so each Q sits right after its
        // producer; graph inputs first.
        var convInputs = new HashSet<string>(g.Node.Where(n => n.OpType == "Conv").Select(n => n.Input[0]));
        foreach (var v in g.Input) if (convInputs.Contains(v.Name)) Dq(v.Name, nodes);
        foreach (var n in g.Node)
        {
            if (n.OpType == "Conv")
            {
                var w = inits[n.Input[1]];
                int cout = (int)w.Dims[0], per = (int)(w.Dims.Aggregate(1L, (a, b) => a * b) / cout);
                var wf = Floats(w);
                var ws = new float[cout];
                var wq = new byte[wf.Length];
                for (int m = 0; m < cout; m++)
                {
                    float max = 1e-8f;
                    for (int i = 0; i < per; i++) max = Math.Max(max, Math.Abs(wf[m * per + i]));
                    ws[m] = max / 127f;
                    for (int i = 0; i < per; i++) wq[m * per + i] = (byte)(sbyte)Math.Clamp(MathF.Round(wf[m * per + i] / ws[m]), -127, 127);
                }
                string x = qdq[n.Input[0]];
                float xs = Range(n.Input[0]).Scale;
                var wqT = new TensorProto { Name = Fresh("wq"), DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(wq) };
                wqT.Dims.AddRange(w.Dims);
                var wsT = new TensorProto { Name = Fresh("ws"), DataType = (int)TensorProto.Types.DataType.Float };
                wsT.Dims.Add(cout); wsT.FloatData.AddRange(ws);
                var wzT = new TensorProto { Name = Fresh("wz"), DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(new byte[cout]) };
                wzT.Dims.Add(cout);
                g.Initializer.Add(wqT); g.Initializer.Add(wsT); g.Initializer.Add(wzT);
                string wdq = Fresh("w_dequant");
                var dqw = Node("DequantizeLinear", [wqT.Name, wsT.Name, wzT.Name], wdq);
                dqw.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
                nodes.Add(dqw);
                var inputs = new List<string> { x, wdq };
                if (n.Input.Count > 2 && n.Input[2].Length > 0)
                {
                    var bf = Floats(inits[n.Input[2]]);
                    var bq = new TensorProto { Name = Fresh("bq"), DataType = (int)TensorProto.Types.DataType.Int32 };
                    bq.Dims.Add(cout);
                    var bs = new TensorProto { Name = Fresh("bs"), DataType = (int)TensorProto.Types.DataType.Float };
                    bs.Dims.Add(cout);
                    for (int m = 0; m < cout; m++) { bs.FloatData.Add(xs * ws[m]); bq.Int32Data.Add((int)MathF.Round(bf[m] / (xs * ws[m]))); }
                    g.Initializer.Add(bq); g.Initializer.Add(bs);
                    string bdq = Fresh("b_dequant");
                    var dqb = Node("DequantizeLinear", [bq.Name, bs.Name], bdq);
                    dqb.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
                    nodes.Add(dqb);
                    inputs.Add(bdq);
                }
                n.Input.Clear();
                n.Input.AddRange(inputs);
                nodes.Add(n);
                // Conv output: quantized after its activation when one follows, else right here.
                bool act = consumers.TryGetValue(n.Output[0], out var cs) && cs.Count == 1 && cs[0].OpType is "Relu" or "Clip";
                if (!act) Requantize(n.Output[0]);
                continue;
            }
            nodes.Add(n);
            if (n.OpType is "Relu" or "Clip" && producer.TryGetValue(n.Input[0], out var p) && p.OpType == "Conv") Requantize(n.Output[0]);
            else if (n.Output.Any(convInputs.Contains)) foreach (var o in n.Output) if (convInputs.Contains(o)) Dq(o, nodes);
        }

        // Rewire: every consumer of a quantized float tensor reads its DQ output instead.
        var dqNodes = new HashSet<NodeProto>(nodes.Where(x => x.OpType is "QuantizeLinear"));
        foreach (var n in nodes)
        {
            if (dqNodes.Contains(n) || n.OpType == "DequantizeLinear") continue;
            for (int i = 0; i < n.Input.Count; i++)
                if (qdq.TryGetValue(n.Input[i], out var d)) n.Input[i] = d;
        }
        foreach (var o in g.Output) if (qdq.ContainsKey(o.Name)) throw new InvalidOperationException("graph outputs stay float");
        g.Node.Clear();
        g.Node.AddRange(nodes);
        // The float weights and biases the int8 copies replaced.
        var read = new HashSet<string>(nodes.SelectMany(x => x.Input));
        var unused = g.Initializer.Where(t => !read.Contains(t.Name)).ToList();
        foreach (var t in unused) g.Initializer.Remove(t);
        g.Name += "-int8";
        return model.ToByteArray();

        void Requantize(string tensor) => Dq(tensor, nodes);
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var n = new NodeProto { OpType = op, Name = output };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        return n;
    }

    private static float[] Floats(TensorProto t)
    {
        if (t.FloatData.Count > 0) return t.FloatData.ToArray();
        var b = t.RawData.ToByteArray();
        var f = new float[b.Length / 4];
        Buffer.BlockCopy(b, 0, f, 0, b.Length);
        return f;
    }
}
