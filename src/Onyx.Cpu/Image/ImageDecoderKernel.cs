using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Image;

/// <summary>A decoded image: RGB (3 channels) or gray (1 channel), row-major HWC bytes.</summary>
internal sealed record DecodedImage(int Width, int Height, int Channels, byte[] Pixels);

/// <summary>
/// ONNX <c>ImageDecoder</c>: decodes PNG, BMP, PNM, uncompressed TIFF and baseline JPEG bytes into an [H, W, C] uint8
/// tensor in RGB, BGR or Grayscale order. JPEG decoding follows libjpeg's integer IDCT, fancy
/// upsampling and color tables, so results match Pillow pixel for pixel.
/// </summary>
[OnnxKernel("ImageDecoder", Since = 20)]
internal sealed class ImageDecoderKernel : IKernel
{
    private enum Format { Rgb, Bgr, Gray }

    private readonly Format _format;

    public ImageDecoderKernel(KernelInfo info)
    {
        string f = info.Attributes.GetString("pixel_format", "RGB");
        _format = f switch
        {
            "RGB" => Format.Rgb,
            "BGR" => Format.Bgr,
            "Grayscale" => Format.Gray,
            _ => throw info.Invalid($"pixel_format must be RGB, BGR or Grayscale, got '{f}'"),
        };
    }

    public void Execute(KernelContext context)
    {
        var input = context.Input(0);
        if (input.DType != DType.UInt8) throw context.Error($"encoded_stream must be tensor(uint8), got {input.DType.OnnxName()}");
        byte[] data = input.Bytes.ToArray();
        DecodedImage img;
        try
        {
            img = data switch
            {
                [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => PngDecoder.Decode(data),
                [(byte)'B', (byte)'M', ..] => BmpDecoder.Decode(data),
                [(byte)'P', >= (byte)'1' and <= (byte)'6', ..] => PnmDecoder.Decode(data),
                [0xFF, 0xD8, ..] => JpegDecoder.Decode(data),
                [(byte)'I', (byte)'I', 42, 0, ..] or [(byte)'M', (byte)'M', 0, 42, ..] => TiffDecoder.Decode(data),
                _ => throw new NotSupportedException("unrecognized image format (supported: PNG, BMP, PNM, baseline JPEG, uncompressed TIFF)"),
            };
        }
        catch (Exception e) when (e is NotSupportedException or InvalidDataException or IndexOutOfRangeException or ArgumentException)
        {
            throw context.Error($"cannot decode image: {e.Message}");
        }
        int h = img.Height, w = img.Width;
        if (_format == Format.Gray)
        {
            var y = context.Output(0, DType.UInt8, [h, w, 1]).Span<byte>();
            if (img.Channels == 1) img.Pixels.CopyTo(y);
            else
                for (int i = 0; i < h * w; i++)
                {
                    int r = img.Pixels[3 * i], g = img.Pixels[3 * i + 1], b = img.Pixels[3 * i + 2];
                    y[i] = (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
                }
            return;
        }
        var o = context.Output(0, DType.UInt8, [h, w, 3]).Span<byte>();
        for (int i = 0; i < h * w; i++)
        {
            byte r, g, b;
            if (img.Channels == 1) r = g = b = img.Pixels[i];
            else { r = img.Pixels[3 * i]; g = img.Pixels[3 * i + 1]; b = img.Pixels[3 * i + 2]; }
            if (_format == Format.Bgr) (r, b) = (b, r);
            o[3 * i] = r; o[3 * i + 1] = g; o[3 * i + 2] = b;
        }
    }
}

/// <summary>PNG: 8-bit (and 16-bit, truncated) gray, RGB, palette, gray+alpha and RGBA; non-interlaced. Alpha is dropped.</summary>
internal static class PngDecoder
{
    public static DecodedImage Decode(byte[] d)
    {
        int pos = 8;
        int width = 0, height = 0, depth = 0, colorType = 0, interlace = 0;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        while (pos + 8 <= d.Length)
        {
            int len = (d[pos] << 24) | (d[pos + 1] << 16) | (d[pos + 2] << 8) | d[pos + 3];
            string type = System.Text.Encoding.ASCII.GetString(d, pos + 4, 4);
            int body = pos + 8;
            switch (type)
            {
                case "IHDR":
                    width = BE(d, body); height = BE(d, body + 4);
                    depth = d[body + 8]; colorType = d[body + 9]; interlace = d[body + 12];
                    break;
                case "PLTE": palette = d.AsSpan(body, len).ToArray(); break;
                case "IDAT": idat.Write(d, body, len); break;
            }
            if (type == "IEND") break;
            pos = body + len + 4;
        }
        if (interlace != 0) throw new NotSupportedException("interlaced PNG is not supported");
        if (depth != 8 && depth != 16) throw new NotSupportedException($"PNG bit depth {depth} is not supported");
        int samples = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new InvalidDataException($"bad PNG color type {colorType}") };
        int bpp = samples * depth / 8;
        int stride = width * bpp;
        idat.Position = 0;
        using var z = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionMode.Decompress);
        var raw = new byte[(stride + 1) * height];
        int read = 0;
        while (read < raw.Length) { int n = z.Read(raw, read, raw.Length - read); if (n <= 0) break; read += n; }
        if (read < raw.Length) throw new InvalidDataException("PNG image data is truncated");
        var cur = new byte[stride];
        var prev = new byte[stride];
        bool gray = colorType is 0 or 4;
        int channels = gray ? 1 : 3;
        var pixels = new byte[width * height * channels];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            Array.Copy(raw, y * (stride + 1) + 1, cur, 0, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                cur[i] = (byte)(cur[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) >> 1,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"bad PNG filter {filter}"),
                });
            }
            int step = depth / 8;
            for (int x = 0; x < width; x++)
            {
                int s = x * bpp;
                int o = (y * width + x) * channels;
                if (colorType == 3)
                {
                    int idx = cur[s];
                    pixels[o] = palette![3 * idx]; pixels[o + 1] = palette[3 * idx + 1]; pixels[o + 2] = palette[3 * idx + 2];
                }
                else
                    for (int ch = 0; ch < channels; ch++) pixels[o + ch] = cur[s + ch * step];
            }
            (cur, prev) = (prev, cur);
        }
        return new DecodedImage(width, height, channels, pixels);
    }

    private static int BE(byte[] d, int p) => (d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3];

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}

/// <summary>BMP: uncompressed 24- and 32-bit, bottom-up or top-down.</summary>
internal static class BmpDecoder
{
    public static DecodedImage Decode(byte[] d)
    {
        int offset = BitConverter.ToInt32(d, 10);
        int width = BitConverter.ToInt32(d, 18);
        int rawHeight = BitConverter.ToInt32(d, 22);
        int bits = BitConverter.ToInt16(d, 28);
        int compression = BitConverter.ToInt32(d, 30);
        if ((bits != 24 && bits != 32) || (compression != 0 && compression != 3))
            throw new NotSupportedException($"BMP with {bits} bits per pixel and compression {compression} is not supported");
        int height = Math.Abs(rawHeight);
        int bytesPer = bits / 8;
        int stride = (width * bytesPer + 3) & ~3;
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            int srcRow = rawHeight > 0 ? height - 1 - y : y;
            int s = offset + srcRow * stride;
            for (int x = 0; x < width; x++)
            {
                int o = (y * width + x) * 3;
                pixels[o] = d[s + x * bytesPer + 2];
                pixels[o + 1] = d[s + x * bytesPer + 1];
                pixels[o + 2] = d[s + x * bytesPer];
            }
        }
        return new DecodedImage(width, height, 3, pixels);
    }
}

/// <summary>PNM: binary P5 (gray) and P6 (RGB) with maxval 255.</summary>
internal static class PnmDecoder
{
    public static DecodedImage Decode(byte[] d)
    {
        char kind = (char)d[1];
        if (kind != '5' && kind != '6') throw new NotSupportedException($"PNM type P{kind} is not supported (only P5 and P6)");
        int pos = 2;
        int Next()
        {
            while (true)
            {
                while (pos < d.Length && char.IsWhiteSpace((char)d[pos])) pos++;
                if (pos < d.Length && d[pos] == '#') { while (pos < d.Length && d[pos] != '\n') pos++; continue; }
                break;
            }
            int v = 0;
            while (pos < d.Length && d[pos] >= '0' && d[pos] <= '9') v = v * 10 + (d[pos++] - '0');
            return v;
        }
        int w = Next(), h = Next(), max = Next();
        pos++; // the single whitespace after maxval
        if (max != 255) throw new NotSupportedException($"PNM maxval {max} is not supported");
        int channels = kind == '6' ? 3 : 1;
        var pixels = d.AsSpan(pos, w * h * channels).ToArray();
        return new DecodedImage(w, h, channels, pixels);
    }
}
