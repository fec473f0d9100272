using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.ObjectDetection;

/// <summary>
/// ONNX <c>NonMaxSuppression</c> (10, 11): per batch and class, greedily keeps the highest-scoring
/// boxes above score_threshold, suppressing those with IoU strictly greater than iou_threshold.
/// Output [num_selected, 3] of (batch, class, box).
/// </summary>
[OnnxKernel("NonMaxSuppression", Since = 10)]
public sealed class NonMaxSuppressionKernel : IKernel
{
    private readonly bool _center;

    public NonMaxSuppressionKernel(KernelInfo info) => _center = info.Attributes.GetInt("center_point_box", 0) != 0;

    public void Execute(KernelContext context)
    {
        Tensor boxesT = context.Input(0), scoresT = context.Input(1);
        if (boxesT.Rank != 3 || boxesT.Shape[2] != 4) throw context.Error($"boxes must be [batches, boxes, 4], got {boxesT.ShapeString}");
        if (scoresT.Rank != 3 || scoresT.Shape[0] != boxesT.Shape[0] || scoresT.Shape[2] != boxesT.Shape[1])
            throw context.Error($"scores must be [{boxesT.Shape[0]}, classes, {boxesT.Shape[1]}], got {scoresT.ShapeString}");
        long maxPerClass = context.OptionalInput(2) is { Length: > 0 } m ? m.ToInt64Array()[0] : 0;
        float iouThreshold = context.OptionalInput(3) is { Length: > 0 } it ? (float)it.ToDoubleArray()[0] : 0f;
        Tensor? stT = context.OptionalInput(4);
        float? scoreThreshold = stT is { Length: > 0 } ? (float)stT.ToDoubleArray()[0] : null;
        int batches = boxesT.Shape[0], n = boxesT.Shape[1], classes = scoresT.Shape[1];
        ReadOnlySpan<float> boxesIn = Nn.NnFloat.Read(boxesT), scores = Nn.NnFloat.Read(scoresT);

        // Corners as (y1, x1, y2, x2) with min/max ordered.
        var corners = new float[boxesIn.Length];
        for (int i = 0; i < boxesIn.Length; i += 4)
        {
            float a, b, c, d;
            if (_center)
            {
                float xc = boxesIn[i], yc = boxesIn[i + 1], w = boxesIn[i + 2], h = boxesIn[i + 3];
                a = yc - h / 2; b = xc - w / 2; c = yc + h / 2; d = xc + w / 2;
            }
            else { a = boxesIn[i]; b = boxesIn[i + 1]; c = boxesIn[i + 2]; d = boxesIn[i + 3]; }
            corners[i] = MathF.Min(a, c); corners[i + 1] = MathF.Min(b, d);
            corners[i + 2] = MathF.Max(a, c); corners[i + 3] = MathF.Max(b, d);
        }
        var selected = new List<(int b, int c, int i)>();
        var order = new List<int>(n);
        var kept = new List<int>();
        if (maxPerClass > 0)
        {
            for (int b = 0; b < batches; b++)
                for (int c = 0; c < classes; c++)
                {
                    int sOff = (b * classes + c) * n;
                    order.Clear();
                    for (int i = 0; i < n; i++)
                        if (scoreThreshold is not float st || scores[sOff + i] > st) order.Add(i);
                    var sc = scores.Slice(sOff, n).ToArray();
                    order.Sort((x, y) => { int r = sc[y].CompareTo(sc[x]); return r != 0 ? r : x.CompareTo(y); });
                    kept.Clear();
                    foreach (int i in order)
                    {
                        if (kept.Count >= maxPerClass) break;
                        bool keep = true;
                        foreach (int j in kept)
                            if (Iou(corners, (b * n + i) * 4, (b * n + j) * 4) > iouThreshold) { keep = false; break; }
                        if (keep) { kept.Add(i); selected.Add((b, c, i)); }
                    }
                }
        }
        Tensor y = context.Output(0, DType.Int64, [selected.Count, 3]);
        var ys = y.Span<long>();
        for (int k = 0; k < selected.Count; k++)
        {
            ys[3 * k] = selected[k].b; ys[3 * k + 1] = selected[k].c; ys[3 * k + 2] = selected[k].i;
        }
    }

    private static float Iou(float[] c, int p, int q)
    {
        float areaP = (c[p + 2] - c[p]) * (c[p + 3] - c[p + 1]);
        float areaQ = (c[q + 2] - c[q]) * (c[q + 3] - c[q + 1]);
        if (areaP <= 0 || areaQ <= 0) return 0;
        float ih = MathF.Min(c[p + 2], c[q + 2]) - MathF.Max(c[p], c[q]);
        float iw = MathF.Min(c[p + 3], c[q + 3]) - MathF.Max(c[p + 1], c[q + 1]);
        if (ih <= 0 || iw <= 0) return 0;
        float inter = ih * iw;
        return inter / (areaP + areaQ - inter);
    }
}
