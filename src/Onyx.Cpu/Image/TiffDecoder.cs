namespace Onyx.Cpu.Image;

/// <summary>TIFF: uncompressed, 8-bit, chunky RGB/RGBA or gray strips (first image only), either byte order.</summary>
internal static class TiffDecoder
{
    public static DecodedImage Decode(byte[] d)
    {
        bool le = d[0] == (byte)'I';
        int U16(int p) => le ? d[p] | (d[p + 1] << 8) : (d[p] << 8) | d[p + 1];
        int U32(int p) => le ? d[p] | (d[p + 1] << 8) | (d[p + 2] << 16) | (d[p + 3] << 24) : (d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3];
        int ifd = U32(4);
        int count = U16(ifd);
        int width = 0, height = 0, bits = 8, compression = 1, photometric = 2, samples = 1, planar = 1;
        int[] offsets = [], counts = [];
        int[] Values(int entry)
        {
            int type = U16(entry + 2), n = U32(entry + 4);
            int size = type == 3 ? 2 : 4;
            int p = n * size <= 4 ? entry + 8 : U32(entry + 8);
            var r = new int[n];
            for (int i = 0; i < n; i++) r[i] = size == 2 ? U16(p + 2 * i) : U32(p + 4 * i);
            return r;
        }
        for (int i = 0; i < count; i++)
        {
            int e = ifd + 2 + 12 * i;
            int tag = U16(e);
            switch (tag)
            {
                case 256: width = Values(e)[0]; break;
                case 257: height = Values(e)[0]; break;
                case 258: bits = Values(e)[0]; break;
                case 259: compression = Values(e)[0]; break;
                case 262: photometric = Values(e)[0]; break;
                case 273: offsets = Values(e); break;
                case 277: samples = Values(e)[0]; break;
                case 279: counts = Values(e); break;
                case 284: planar = Values(e)[0]; break;
            }
        }
        if (compression != 1) throw new NotSupportedException($"TIFF compression {compression} is not supported (only uncompressed)");
        if (bits != 8 || planar != 1) throw new NotSupportedException($"TIFF with {bits} bits per sample and planar configuration {planar} is not supported");
        var raw = new byte[width * height * samples];
        int pos = 0;
        for (int s = 0; s < offsets.Length && pos < raw.Length; s++)
        {
            int n = Math.Min(counts.Length > s ? counts[s] : raw.Length - pos, raw.Length - pos);
            Array.Copy(d, offsets[s], raw, pos, n);
            pos += n;
        }
        bool gray = photometric is 0 or 1;
        int channels = gray ? 1 : 3;
        var pixels = new byte[width * height * channels];
        for (int i = 0; i < width * height; i++)
            for (int c = 0; c < channels; c++)
            {
                byte v = raw[i * samples + c];
                pixels[i * channels + c] = photometric == 0 ? (byte)(255 - v) : v;
            }
        return new DecodedImage(width, height, channels, pixels);
    }
}
