using SkiaSharp;

namespace Onyx.Cli.Ocr;

/// <summary>A rotated rectangle: center, side lengths and the unit direction of the <see cref="Width"/> side.</summary>
public readonly record struct RotatedRect(double CenterX, double CenterY, double Width, double Height, double AxisX, double AxisY)
{
    public double Area => Width * Height;

    /// <summary>The four corners (unordered: center ± half-sides).</summary>
    public SKPoint[] Corners()
    {
        double ux = AxisX * Width / 2, uy = AxisY * Width / 2;
        double vx = -AxisY * Height / 2, vy = AxisX * Height / 2;
        return
        [
            new((float)(CenterX - ux - vx), (float)(CenterY - uy - vy)),
            new((float)(CenterX + ux - vx), (float)(CenterY + uy - vy)),
            new((float)(CenterX + ux + vx), (float)(CenterY + uy + vy)),
            new((float)(CenterX - ux + vx), (float)(CenterY - uy + vy)),
        ];
    }

    /// <summary>The rectangle grown by <paramref name="distance"/> on every side.</summary>
    public RotatedRect Grow(double distance) => this with { Width = Width + 2 * distance, Height = Height + 2 * distance };
}

/// <summary>Convex hull and minimum-area rectangle (cv2.convexHull / cv2.minAreaRect equivalents).</summary>
public static class Geometry
{
    /// <summary>Andrew's monotone chain; returns the hull counter-clockwise (in y-down pixel space: clockwise on screen) without repeating the first point.</summary>
    public static List<(double X, double Y)> ConvexHull(List<(double X, double Y)> points)
    {
        var pts = new List<(double X, double Y)>(points);
        pts.Sort((a, b) => a.X != b.X ? a.X.CompareTo(b.X) : a.Y.CompareTo(b.Y));
        int n = pts.Count;
        if (n < 3)
            return pts.Distinct().ToList();
        var hull = new (double X, double Y)[2 * n];
        int k = 0;
        for (int i = 0; i < n; i++)
        {
            while (k >= 2 && Cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) k--;
            hull[k++] = pts[i];
        }
        for (int i = n - 2, t = k + 1; i >= 0; i--)
        {
            while (k >= t && Cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) k--;
            hull[k++] = pts[i];
        }
        return hull.Take(k - 1).ToList();
    }

    static double Cross((double X, double Y) o, (double X, double Y) a, (double X, double Y) b) =>
        (a.X - o.X) * (b.Y - o.Y) - (a.Y - o.Y) * (b.X - o.X);

    /// <summary>
    /// The minimum-area enclosing rectangle of a convex hull: one of its sides lies on a hull edge
    /// (rotating calipers). Degenerate hulls (one or two points) give zero-height rectangles.
    /// </summary>
    public static RotatedRect MinAreaRect(List<(double X, double Y)> hull)
    {
        if (hull.Count == 0)
            return default;
        if (hull.Count == 1)
            return new RotatedRect(hull[0].X, hull[0].Y, 0, 0, 1, 0);
        RotatedRect best = default;
        double bestArea = double.PositiveInfinity;
        for (int i = 0; i < hull.Count; i++)
        {
            var a = hull[i];
            var b = hull[(i + 1) % hull.Count];
            double ex = b.X - a.X, ey = b.Y - a.Y;
            double len = Math.Sqrt(ex * ex + ey * ey);
            if (len < 1e-12) continue;
            ex /= len; ey /= len;
            double minU = double.PositiveInfinity, maxU = double.NegativeInfinity;
            double minV = double.PositiveInfinity, maxV = double.NegativeInfinity;
            foreach (var p in hull)
            {
                double u = p.X * ex + p.Y * ey;
                double v = -p.X * ey + p.Y * ex;
                if (u < minU) minU = u;
                if (u > maxU) maxU = u;
                if (v < minV) minV = v;
                if (v > maxV) maxV = v;
            }
            double area = (maxU - minU) * (maxV - minV);
            if (area < bestArea - 1e-9)
            {
                bestArea = area;
                double cu = (minU + maxU) / 2, cv = (minV + maxV) / 2;
                // Back from (u, v) to (x, y): x = u*ex - v*ey, y = u*ey + v*ex.
                best = new RotatedRect(cu * ex - cv * ey, cu * ey + cv * ex, maxU - minU, maxV - minV, ex, ey);
            }
        }
        return best;
    }

    /// <summary>
    /// Orders four corners as PaddleOCR's get_mini_boxes does: sort by x; of the two leftmost the upper one
    /// is top-left and the other bottom-left, of the two rightmost the upper one is top-right.
    /// Returns [top-left, top-right, bottom-right, bottom-left].
    /// </summary>
    public static SKPoint[] OrderCorners(SKPoint[] corners)
    {
        var pts = corners.OrderBy(p => p.X).ToArray();
        SKPoint tl, bl, tr, br;
        if (pts[1].Y > pts[0].Y) { tl = pts[0]; bl = pts[1]; } else { tl = pts[1]; bl = pts[0]; }
        if (pts[3].Y > pts[2].Y) { tr = pts[2]; br = pts[3]; } else { tr = pts[3]; br = pts[2]; }
        return [tl, tr, br, bl];
    }

    public static float Distance(SKPoint a, SKPoint b) => SKPoint.Distance(a, b);
}
