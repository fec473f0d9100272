using SkiaSharp;

namespace Onyx.Cli.Ocr;

/// <summary>
/// DB (differentiable binarization) post-processing of the detection probability map, following
/// PaddleOCR's ppocr/postprocess/db_postprocess.py (score_mode "fast", no dilation) and the
/// box filtering of tools/infer/predict_det.py.
/// </summary>
public sealed class DbPostProcessor
{
    /// <summary>Pixels with probability above this are text.</summary>
    public float Threshold { get; init; } = 0.3f;

    /// <summary>Boxes whose mean probability is below this are dropped.</summary>
    public float BoxThreshold { get; init; } = 0.6f;

    /// <summary>How far boxes are grown: offset = area * ratio / perimeter.</summary>
    public float UnclipRatio { get; init; } = 1.5f;

    public int MaxCandidates { get; init; } = 1000;

    /// <summary>Smallest short side of a candidate rectangle, in map pixels.</summary>
    public int MinSize { get; init; } = 3;

    /// <summary>
    /// Finds text boxes in a <paramref name="mapWidth"/> x <paramref name="mapHeight"/> probability map and
    /// scales them to the original image size.
    /// </summary>
    public List<TextBox> Process(ReadOnlySpan<float> prob, int mapWidth, int mapHeight, int imageWidth, int imageHeight)
    {
        if (prob.Length < mapWidth * mapHeight)
            throw new ArgumentException($"Probability map has {prob.Length} values, expected {mapWidth}x{mapHeight}.", nameof(prob));
        var bitmap = new bool[mapWidth * mapHeight];
        for (int i = 0; i < bitmap.Length; i++)
            bitmap[i] = prob[i] > Threshold;

        var boxes = new List<TextBox>();
        var labels = new int[bitmap.Length];
        var stack = new Stack<int>();
        int candidates = 0;
        // Regions are visited in raster order of their first pixel, as cv2.findContours reports them (reversed).
        for (int start = 0; start < bitmap.Length && candidates < MaxCandidates; start++)
        {
            if (!bitmap[start] || labels[start] != 0) continue;
            candidates++;
            var points = CollectRegion(bitmap, labels, candidates, start, mapWidth, mapHeight, stack);
            var hull = Geometry.ConvexHull(points);
            var rect = Geometry.MinAreaRect(hull);
            if (Math.Min(rect.Width, rect.Height) < MinSize) continue;

            SKPoint[] quad = Geometry.OrderCorners(rect.Corners());
            float score = BoxScore(prob, mapWidth, mapHeight, quad);
            if (score < BoxThreshold) continue;

            // Unclip: offsetting a rectangle by d (round joins) and taking the minimum-area rectangle of the
            // result gives the rectangle grown by d on every side.
            double perimeter = 2 * (rect.Width + rect.Height);
            double distance = rect.Area * UnclipRatio / perimeter;
            var grown = rect.Grow(distance);
            if (Math.Min(grown.Width, grown.Height) < MinSize + 2) continue;

            SKPoint[] corners = Geometry.OrderCorners(grown.Corners());
            float sx = (float)imageWidth / mapWidth, sy = (float)imageHeight / mapHeight;
            for (int i = 0; i < 4; i++)
            {
                float x = Math.Clamp(MathF.Round(corners[i].X * sx, MidpointRounding.ToEven), 0, imageWidth);
                float y = Math.Clamp(MathF.Round(corners[i].Y * sy, MidpointRounding.ToEven), 0, imageHeight);
                // predict_det.filter_tag_det_res clips to the last pixel.
                corners[i] = new SKPoint(Math.Min(x, imageWidth - 1), Math.Min(y, imageHeight - 1));
            }
            int w = (int)Geometry.Distance(corners[0], corners[1]);
            int h = (int)Geometry.Distance(corners[0], corners[3]);
            if (w <= 3 || h <= 3) continue;
            boxes.Add(new TextBox(corners, score));
        }
        return boxes;
    }

    /// <summary>
    /// Labels the 8-connected region containing <paramref name="start"/> and returns the pixel centers of its
    /// leftmost and rightmost pixel on every row (enough for the convex hull).
    /// </summary>
    static List<(double X, double Y)> CollectRegion(bool[] bitmap, int[] labels, int label, int start, int width, int height, Stack<int> stack)
    {
        var rowMin = new Dictionary<int, (int Min, int Max)>();
        labels[start] = label;
        stack.Push(start);
        while (stack.Count > 0)
        {
            int idx = stack.Pop();
            int y = idx / width, x = idx - y * width;
            rowMin[y] = rowMin.TryGetValue(y, out var mm) ? (Math.Min(mm.Min, x), Math.Max(mm.Max, x)) : (x, x);
            for (int dy = -1; dy <= 1; dy++)
            {
                int ny = y + dy;
                if ((uint)ny >= (uint)height) continue;
                for (int dx = -1; dx <= 1; dx++)
                {
                    int nx = x + dx;
                    if ((uint)nx >= (uint)width) continue;
                    int n = ny * width + nx;
                    if (bitmap[n] && labels[n] == 0)
                    {
                        labels[n] = label;
                        stack.Push(n);
                    }
                }
            }
        }
        var points = new List<(double X, double Y)>(rowMin.Count * 2);
        foreach (var (y, (min, max)) in rowMin)
        {
            points.Add((min, y));
            if (max != min) points.Add((max, y));
        }
        return points;
    }

    /// <summary>Mean probability over the pixels whose centers lie inside the quadrilateral (box_score_fast).</summary>
    static float BoxScore(ReadOnlySpan<float> prob, int width, int height, SKPoint[] quad)
    {
        float minX = quad.Min(p => p.X), maxX = quad.Max(p => p.X);
        float minY = quad.Min(p => p.Y), maxY = quad.Max(p => p.Y);
        int x0 = Math.Clamp((int)MathF.Floor(minX), 0, width - 1), x1 = Math.Clamp((int)MathF.Ceiling(maxX), 0, width - 1);
        int y0 = Math.Clamp((int)MathF.Floor(minY), 0, height - 1), y1 = Math.Clamp((int)MathF.Ceiling(maxY), 0, height - 1);
        double sum = 0;
        int count = 0;
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                if (!InsideConvexQuad(quad, x, y)) continue;
                sum += prob[y * width + x];
                count++;
            }
        }
        return count == 0 ? 0f : (float)(sum / count);
    }

    static bool InsideConvexQuad(SKPoint[] q, float x, float y)
    {
        bool anyPos = false, anyNeg = false;
        for (int i = 0; i < 4; i++)
        {
            SKPoint a = q[i], b = q[(i + 1) & 3];
            float cross = (b.X - a.X) * (y - a.Y) - (b.Y - a.Y) * (x - a.X);
            // Half a pixel of tolerance on the boundary, like fillPoly's inclusive edges.
            float len = MathF.Sqrt((b.X - a.X) * (b.X - a.X) + (b.Y - a.Y) * (b.Y - a.Y));
            if (cross > 0.5f * len) anyPos = true;
            else if (cross < -0.5f * len) anyNeg = true;
            if (anyPos && anyNeg) return false;
        }
        return true;
    }
}
