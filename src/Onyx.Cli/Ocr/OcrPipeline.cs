using Onyx.Cli.Imaging;
using SkiaSharp;

namespace Onyx.Cli.Ocr;

/// <summary>Files and settings of the PP-OCR pipeline.</summary>
public sealed record OcrOptions
{
    public required string DetModelPath { get; init; }
    public required string RecModelPath { get; init; }
    public required string KeysPath { get; init; }
    public string? ClsModelPath { get; init; }

    /// <summary>Run the 0°/180° direction classifier on each crop (PaddleOCR's use_angle_cls).</summary>
    public bool UseAngleClassifier { get; init; }

    /// <summary>The longer side of the detection input is limited to this (det_limit_side_len, type "max").</summary>
    public int DetLimitSideLength { get; init; } = 960;

    public DbPostProcessor PostProcessor { get; init; } = new();

    public int RecBatchSize { get; init; } = 6;
    public int RecHeight { get; init; } = 48;
    public int RecMinWidth { get; init; } = 320;
    public int ClsWidth { get; init; } = 192;
    public float ClsThreshold { get; init; } = 0.9f;

    /// <summary>Lines recognized with a lower confidence are dropped (drop_score).</summary>
    public float DropScore { get; init; } = 0.5f;

    /// <summary>The standard layout: models/ppocr/ under <paramref name="modelsDir"/>.</summary>
    public static OcrOptions FromModelsDirectory(string modelsDir, bool useAngleClassifier = false)
    {
        string dir = Path.Combine(modelsDir, "ppocr");
        return new OcrOptions
        {
            DetModelPath = Path.Combine(dir, "ch_PP-OCRv4_det_infer.onnx"),
            RecModelPath = Path.Combine(dir, "ch_PP-OCRv4_rec_infer.onnx"),
            ClsModelPath = Path.Combine(dir, "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
            KeysPath = Path.Combine(dir, "ppocr_keys_v1.txt"),
            UseAngleClassifier = useAngleClassifier,
        };
    }
}

/// <summary>
/// PP-OCRv4 text detection + recognition, following PaddleOCR's tools/infer/predict_system.py:
/// detect boxes (DB), sort them in reading order, crop and rectify each, optionally fix 180° rotation,
/// recognize (CTC) in batches of similar aspect ratio, drop low-confidence lines.
/// </summary>
public sealed class OcrPipeline : IDisposable
{
    // ImageNet statistics; PaddleOCR applies them to OpenCV's BGR channel order, and so do we.
    static readonly float[] DetMean = [0.485f, 0.456f, 0.406f];
    static readonly float[] DetStd = [0.229f, 0.224f, 0.225f];

    readonly OcrOptions _options;
    readonly IOcrModelRunner _det;
    readonly IOcrModelRunner _rec;
    readonly IOcrModelRunner? _cls;
    readonly CtcDecoder _decoder;

    public OcrPipeline(OcrOptions options, OcrRunnerFactory factory)
    {
        _options = options;
        _decoder = CtcDecoder.FromKeyFile(options.KeysPath);
        _det = factory(options.DetModelPath);
        _rec = factory(options.RecModelPath);
        if (options.UseAngleClassifier)
        {
            if (options.ClsModelPath is null)
                throw new ArgumentException("UseAngleClassifier needs ClsModelPath.", nameof(options));
            _cls = factory(options.ClsModelPath);
        }
    }

    public CtcDecoder Decoder => _decoder;

    public OcrResult Run(string imagePath)
    {
        var timings = new OcrTimings();
        var clock = new StageClock();
        var image = RgbImage.Load(imagePath);
        clock.Lap(timings, OcrTimings.Decode);
        return Run(image, timings, clock);
    }

    public OcrResult Run(RgbImage image) => Run(image, new OcrTimings(), new StageClock());

    OcrResult Run(RgbImage image, OcrTimings timings, StageClock clock)
    {

        // Detection preprocessing (DetResizeForTest limit_type "max", NormalizeImage, ToCHW).
        var (detW, detH) = DetInputSize(image.Width, image.Height, _options.DetLimitSideLength);
        var resized = ImageOps.Resize(image, detW, detH);
        float[] detInput = Normalize(resized, DetMean, DetStd);
        clock.Lap(timings, OcrTimings.DetPreprocess);

        float[] prob = _det.Run(detInput, [1, 3, detH, detW], out int[] probShape);
        clock.Lap(timings, OcrTimings.DetInference);
        if (probShape.Length != 4 || probShape[2] != detH || probShape[3] != detW)
            throw new InvalidDataException($"Detection output has shape [{string.Join(',', probShape)}], expected [1,1,{detH},{detW}].");

        var boxes = _options.PostProcessor.Process(prob, detW, detH, image.Width, image.Height);
        boxes = SortReadingOrder(boxes);
        clock.Lap(timings, OcrTimings.DetPostprocess);

        var crops = new List<RgbImage>(boxes.Count);
        foreach (var box in boxes)
            crops.Add(CropBox(image, box));
        clock.Lap(timings, OcrTimings.RecPreprocess);

        if (_cls is not null)
        {
            ClassifyAndRotate(crops);
            clock.Lap(timings, OcrTimings.Classify);
        }

        var recognized = Recognize(crops, timings, clock);

        var lines = new List<OcrLine>();
        for (int i = 0; i < boxes.Count; i++)
        {
            var (text, conf) = recognized[i];
            if (conf >= _options.DropScore)
                lines.Add(new OcrLine(text, conf, boxes[i]));
        }
        return new OcrResult(lines, timings, detW, detH);
    }

    /// <summary>Detection input size: longer side limited, both sides rounded to a multiple of 32 (at least 32).</summary>
    public static (int Width, int Height) DetInputSize(int width, int height, int limitSide)
    {
        double ratio = Math.Max(width, height) > limitSide ? (double)limitSide / Math.Max(width, height) : 1.0;
        int h = (int)(height * ratio), w = (int)(width * ratio);
        h = Math.Max((int)Math.Round(h / 32.0, MidpointRounding.ToEven) * 32, 32);
        w = Math.Max((int)Math.Round(w / 32.0, MidpointRounding.ToEven) * 32, 32);
        return (w, h);
    }

    /// <summary>(x/255 - mean)/std per channel, BGR channel order, NCHW.</summary>
    static float[] Normalize(RgbImage image, float[] mean, float[] std)
    {
        int plane = image.Width * image.Height;
        var data = new float[3 * plane];
        byte[] px = image.Pixels;
        // Channel c of the tensor holds BGR channel c, i.e. RGB channel 2 - c.
        for (int c = 0; c < 3; c++)
        {
            float scale = 1f / (255f * std[c]), offset = mean[c] / std[c];
            int src = 2 - c;
            var dst = data.AsSpan(c * plane, plane);
            for (int i = 0; i < plane; i++)
                dst[i] = px[i * 3 + src] * scale - offset;
        }
        return data;
    }

    /// <summary>PaddleOCR's sorted_boxes: by top-left y then x, then swap neighbours on the same line (|dy| &lt; 10) into x order.</summary>
    public static List<TextBox> SortReadingOrder(List<TextBox> boxes)
    {
        var sorted = boxes.OrderBy(b => b.TopLeft.Y).ThenBy(b => b.TopLeft.X).ToList();
        for (int i = 0; i < sorted.Count - 1; i++)
        {
            for (int j = i; j >= 0; j--)
            {
                if (Math.Abs(sorted[j + 1].TopLeft.Y - sorted[j].TopLeft.Y) < 10 && sorted[j + 1].TopLeft.X < sorted[j].TopLeft.X)
                    (sorted[j], sorted[j + 1]) = (sorted[j + 1], sorted[j]);
                else
                    break;
            }
        }
        return sorted;
    }

    /// <summary>get_rotate_crop_image: perspective-rectify the box; tall crops (h/w ≥ 1.5) are turned to horizontal.</summary>
    public static RgbImage CropBox(RgbImage image, TextBox box)
    {
        var p = box.Points;
        int w = (int)Math.Max(Geometry.Distance(p[0], p[1]), Geometry.Distance(p[2], p[3]));
        int h = (int)Math.Max(Geometry.Distance(p[0], p[3]), Geometry.Distance(p[1], p[2]));
        w = Math.Max(w, 1);
        h = Math.Max(h, 1);
        var crop = ImageOps.WarpQuad(image, p, w, h);
        if ((double)crop.Height / crop.Width >= 1.5)
            crop = ImageOps.Rotate90CounterClockwise(crop);
        return crop;
    }

    /// <summary>
    /// Resizes a crop to height <paramref name="height"/> keeping its aspect ratio (width capped at
    /// <paramref name="width"/>), normalizes (x/255-0.5)/0.5 in BGR order and writes it left-aligned into a
    /// 3 x height x width slot of zeros.
    /// </summary>
    static void ResizeNormalizeInto(RgbImage crop, int height, int width, Span<float> slot)
    {
        double ratio = (double)crop.Width / crop.Height;
        int resizedW = Math.Min(width, (int)Math.Ceiling(height * ratio));
        resizedW = Math.Max(resizedW, 1);
        var resized = ImageOps.Resize(crop, resizedW, height);
        int plane = height * width;
        byte[] px = resized.Pixels;
        for (int c = 0; c < 3; c++)
        {
            int src = 2 - c;
            var dst = slot.Slice(c * plane, plane);
            for (int y = 0; y < height; y++)
            {
                var row = dst.Slice(y * width, resizedW);
                int rowStart = y * resizedW * 3;
                for (int x = 0; x < resizedW; x++)
                    row[x] = px[rowStart + x * 3 + src] * (2f / 255f) - 1f;
            }
        }
    }

    void ClassifyAndRotate(List<RgbImage> crops)
    {
        int h = _options.RecHeight, w = _options.ClsWidth, batch = _options.RecBatchSize;
        var order = Enumerable.Range(0, crops.Count).OrderBy(i => (double)crops[i].Width / crops[i].Height).ToArray();
        for (int start = 0; start < order.Length; start += batch)
        {
            int n = Math.Min(batch, order.Length - start);
            var input = new float[n * 3 * h * w];
            for (int k = 0; k < n; k++)
                ResizeNormalizeInto(crops[order[start + k]], h, w, input.AsSpan(k * 3 * h * w, 3 * h * w));
            float[] output = _cls!.Run(input, [n, 3, h, w], out int[] shape);
            if (shape.Length != 2 || shape[0] != n || shape[1] != 2)
                throw new InvalidDataException($"Classifier output has shape [{string.Join(',', shape)}], expected [{n},2].");
            for (int k = 0; k < n; k++)
            {
                float p0 = output[k * 2], p1 = output[k * 2 + 1];
                if (p1 > p0 && p1 > _options.ClsThreshold)
                    crops[order[start + k]] = ImageOps.Rotate180(crops[order[start + k]]);
            }
        }
    }

    (string Text, float Confidence)[] Recognize(List<RgbImage> crops, OcrTimings timings, StageClock clock)
    {
        var results = new (string, float)[crops.Count];
        int h = _options.RecHeight, batch = _options.RecBatchSize;
        // Batches of similar aspect ratio (predict_rec.py sorts by width / height).
        var order = Enumerable.Range(0, crops.Count).OrderBy(i => (double)crops[i].Width / crops[i].Height).ToArray();
        for (int start = 0; start < order.Length; start += batch)
        {
            int n = Math.Min(batch, order.Length - start);
            double maxRatio = (double)_options.RecMinWidth / h;
            for (int k = 0; k < n; k++)
                maxRatio = Math.Max(maxRatio, (double)crops[order[start + k]].Width / crops[order[start + k]].Height);
            int w = (int)(h * maxRatio);
            var input = new float[n * 3 * h * w];
            for (int k = 0; k < n; k++)
                ResizeNormalizeInto(crops[order[start + k]], h, w, input.AsSpan(k * 3 * h * w, 3 * h * w));
            clock.Lap(timings, OcrTimings.RecPreprocess);

            float[] output = _rec.Run(input, [n, 3, h, w], out int[] shape);
            clock.Lap(timings, OcrTimings.RecInference);
            if (shape.Length != 3 || shape[0] != n)
                throw new InvalidDataException($"Recognition output has shape [{string.Join(',', shape)}], expected [{n},T,{_decoder.ClassCount}].");
            if (shape[2] != _decoder.ClassCount)
                throw new InvalidDataException(
                    $"Recognition model has {shape[2]} classes but the key file gives {_decoder.ClassCount} (blank + keys + space).");
            int steps = shape[1], per = steps * shape[2];
            for (int k = 0; k < n; k++)
                results[order[start + k]] = _decoder.Decode(output.AsSpan(k * per, per), steps);
            clock.Lap(timings, OcrTimings.RecDecode);
        }
        return results;
    }

    public void Dispose()
    {
        _det.Dispose();
        _rec.Dispose();
        _cls?.Dispose();
    }
}
