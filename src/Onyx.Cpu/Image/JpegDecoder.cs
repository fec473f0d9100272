namespace Onyx.Cpu.Image;

/// <summary>
/// Baseline (sequential, Huffman) JPEG decoder that reproduces libjpeg's default output: the
/// "islow" integer IDCT, fancy (triangle) chroma upsampling and fixed-point YCbCr→RGB tables.
/// </summary>
internal sealed class JpegDecoder
{
    private sealed class Component
    {
        public int Id, H, V, Tq, Td, Ta;
        public int BlocksW, BlocksH; // blocks in the padded plane
        public byte[] Plane = [];    // BlocksW*8 x BlocksH*8 samples
        public int Pred;
    }

    private sealed class Huffman
    {
        // code length → (first code, first index); values in code order.
        public readonly int[] MaxCode = new int[18];
        public readonly int[] ValPtr = new int[17];
        public readonly int[] MinCode = new int[17];
        public byte[] Values = [];

        public Huffman(ReadOnlySpan<byte> counts, byte[] values)
        {
            Values = values;
            int code = 0, k = 0;
            for (int l = 1; l <= 16; l++)
            {
                ValPtr[l] = k;
                MinCode[l] = code;
                code += counts[l - 1];
                k += counts[l - 1];
                MaxCode[l] = counts[l - 1] > 0 ? code - 1 : -1;
                code <<= 1;
            }
            MaxCode[17] = int.MaxValue;
        }
    }

    private readonly byte[] _d;
    private int _pos;
    private readonly int[][] _q = new int[4][];
    private readonly Huffman?[] _dc = new Huffman?[4];
    private readonly Huffman?[] _ac = new Huffman?[4];
    private Component[] _comps = [];
    private int _width, _height, _hmax, _vmax, _restart;
    private bool _adobeRgb;
    private bool _haveFrame;

    // Bit reader state.
    private int _bitBuf, _bitCount;

    private static readonly int[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
        28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
        54, 47, 55, 62, 63,
    ];

    private JpegDecoder(byte[] d) => _d = d;

    public static DecodedImage Decode(byte[] data) => new JpegDecoder(data).Run();

    private int U16(int p) => (_d[p] << 8) | _d[p + 1];

    private DecodedImage Run()
    {
        _pos = 2;
        while (_pos < _d.Length)
        {
            if (_d[_pos] != 0xFF) { _pos++; continue; }
            int marker = _d[_pos + 1];
            _pos += 2;
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0xFF) { if (marker == 0xFF) _pos--; continue; }
            if (marker == 0xD9) break;
            int len = U16(_pos);
            int body = _pos + 2, end = _pos + len;
            switch (marker)
            {
                case 0xDB: ReadDqt(body, end); break;
                case 0xC4: ReadDht(body, end); break;
                case 0xC0: case 0xC1: ReadSof(body); break;
                case 0xC2: case 0xC3: case 0xC5: case 0xC6: case 0xC7: case 0xC9: case 0xCA: case 0xCB: case 0xCD: case 0xCE: case 0xCF:
                    throw new NotSupportedException("only baseline (sequential Huffman) JPEG is supported");
                case 0xDD: _restart = U16(body); break;
                case 0xEE:
                    if (len >= 12 && System.Text.Encoding.ASCII.GetString(_d, body, 5) == "Adobe") _adobeRgb = _d[body + 11] == 0;
                    break;
                case 0xDA:
                    _pos = end;
                    ReadScan(body);
                    continue;
            }
            _pos = end;
        }
        if (!_haveFrame) throw new InvalidDataException("JPEG has no frame header");
        return Output();
    }

    private void ReadDqt(int p, int end)
    {
        while (p < end)
        {
            int pq = _d[p] >> 4, tq = _d[p] & 15;
            p++;
            var t = new int[64];
            for (int i = 0; i < 64; i++)
            {
                t[ZigZag[i]] = pq == 0 ? _d[p] : U16(p);
                p += pq == 0 ? 1 : 2;
            }
            _q[tq] = t;
        }
    }

    private void ReadDht(int p, int end)
    {
        while (p < end)
        {
            int tc = _d[p] >> 4, th = _d[p] & 15;
            var counts = _d.AsSpan(p + 1, 16);
            int total = 0;
            foreach (var c in counts) total += c;
            var values = _d.AsSpan(p + 17, total).ToArray();
            var h = new Huffman(counts, values);
            if (tc == 0) _dc[th] = h; else _ac[th] = h;
            p += 17 + total;
        }
    }

    private void ReadSof(int p)
    {
        if (_d[p] != 8) throw new NotSupportedException($"JPEG sample precision {_d[p]} is not supported");
        _height = U16(p + 1);
        _width = U16(p + 3);
        int n = _d[p + 5];
        _comps = new Component[n];
        for (int i = 0; i < n; i++)
        {
            int q = p + 6 + 3 * i;
            _comps[i] = new Component { Id = _d[q], H = _d[q + 1] >> 4, V = _d[q + 1] & 15, Tq = _d[q + 2] };
        }
        _hmax = _comps.Max(c => c.H);
        _vmax = _comps.Max(c => c.V);
        int mcusX = (_width + 8 * _hmax - 1) / (8 * _hmax);
        int mcusY = (_height + 8 * _vmax - 1) / (8 * _vmax);
        foreach (var c in _comps)
        {
            c.BlocksW = mcusX * c.H;
            c.BlocksH = mcusY * c.V;
            c.Plane = new byte[c.BlocksW * 8 * c.BlocksH * 8];
        }
        _haveFrame = true;
    }

    private int ReadBit()
    {
        if (_bitCount == 0)
        {
            int b = 0;
            if (_pos < _d.Length)
            {
                b = _d[_pos];
                if (b == 0xFF)
                {
                    int next = _pos + 1 < _d.Length ? _d[_pos + 1] : 0;
                    if (next == 0x00) _pos += 2;
                    else b = 0; // a marker: feed zeros, leave the marker in place
                }
                else _pos++;
            }
            _bitBuf = b;
            _bitCount = 8;
        }
        _bitCount--;
        return (_bitBuf >> _bitCount) & 1;
    }

    private int Receive(int n)
    {
        int v = 0;
        for (int i = 0; i < n; i++) v = (v << 1) | ReadBit();
        return v;
    }

    private static int Extend(int v, int n) => n == 0 ? 0 : v < (1 << (n - 1)) ? v - (1 << n) + 1 : v;

    private int DecodeHuffman(Huffman h)
    {
        int code = ReadBit();
        int l = 1;
        while (code > h.MaxCode[l])
        {
            code = (code << 1) | ReadBit();
            l++;
            if (l > 16) throw new InvalidDataException("bad Huffman code");
        }
        return h.Values[h.ValPtr[l] + code - h.MinCode[l]];
    }

    private void ReadScan(int p)
    {
        int ns = _d[p];
        var scomps = new Component[ns];
        for (int i = 0; i < ns; i++)
        {
            int id = _d[p + 1 + 2 * i], t = _d[p + 2 + 2 * i];
            var c = _comps.First(x => x.Id == id);
            c.Td = t >> 4; c.Ta = t & 15;
            scomps[i] = c;
        }
        foreach (var c in scomps) c.Pred = 0;
        _bitCount = 0;
        var block = new int[64];
        int mcusX, mcusY;
        if (ns == 1)
        {
            var c = scomps[0];
            mcusX = (int)Math.Ceiling(Math.Ceiling(_width * (double)c.H / _hmax) / 8);
            mcusY = (int)Math.Ceiling(Math.Ceiling(_height * (double)c.V / _vmax) / 8);
        }
        else
        {
            mcusX = (_width + 8 * _hmax - 1) / (8 * _hmax);
            mcusY = (_height + 8 * _vmax - 1) / (8 * _vmax);
        }
        int total = mcusX * mcusY, done = 0;
        for (int my = 0; my < mcusY; my++)
            for (int mx = 0; mx < mcusX; mx++)
            {
                if (_restart > 0 && done > 0 && done % _restart == 0)
                {
                    // Skip to the RSTn marker and reset predictors.
                    _bitCount = 0;
                    while (_pos + 1 < _d.Length && !(_d[_pos] == 0xFF && _d[_pos + 1] >= 0xD0 && _d[_pos + 1] <= 0xD7)) _pos++;
                    _pos += 2;
                    foreach (var c in scomps) c.Pred = 0;
                }
                foreach (var c in scomps)
                {
                    int bh = ns == 1 ? 1 : c.H, bv = ns == 1 ? 1 : c.V;
                    for (int v = 0; v < bv; v++)
                        for (int h = 0; h < bh; h++)
                        {
                            DecodeBlock(c, block);
                            int bx = ns == 1 ? mx : mx * c.H + h;
                            int by = ns == 1 ? my : my * c.V + v;
                            IdctIslow(block, _q[c.Tq], c.Plane, (by * 8) * (c.BlocksW * 8) + bx * 8, c.BlocksW * 8);
                        }
                }
                done++;
            }
        _ = total;
    }

    private void DecodeBlock(Component c, int[] block)
    {
        Array.Clear(block);
        var dc = _dc[c.Td] ?? throw new InvalidDataException("missing DC Huffman table");
        var ac = _ac[c.Ta] ?? throw new InvalidDataException("missing AC Huffman table");
        int t = DecodeHuffman(dc);
        int diff = t == 0 ? 0 : Extend(Receive(t), t);
        c.Pred += diff;
        block[0] = c.Pred;
        for (int k = 1; k < 64;)
        {
            int rs = DecodeHuffman(ac);
            int r = rs >> 4, s = rs & 15;
            if (s == 0)
            {
                if (r == 15) { k += 16; continue; }
                break;
            }
            k += r;
            if (k > 63) break;
            block[ZigZag[k]] = Extend(Receive(s), s);
            k++;
        }
    }

    // libjpeg jidctint.c (islow), CONST_BITS 13, PASS1_BITS 2.
    private const int ConstBits = 13, Pass1Bits = 2;
    private const int F0298631336 = 2446, F0390180644 = 3196, F0541196100 = 4433, F0765366865 = 6270, F0899976223 = 7373,
        F1175875602 = 9633, F1501321110 = 12299, F1847759065 = 15137, F1961570560 = 16069, F2053119869 = 16819,
        F2562915447 = 20995, F3072711026 = 25172;

    private static int Descale(long x, int n) => (int)((x + (1L << (n - 1))) >> n);

    private static void IdctIslow(int[] coef, int[] q, byte[] plane, int offset, int stride)
    {
        Span<int> ws = stackalloc int[64];
        for (int col = 0; col < 8; col++)
        {
            int c0 = coef[col] * q[col];
            if (coef[8 + col] == 0 && coef[16 + col] == 0 && coef[24 + col] == 0 && coef[32 + col] == 0 &&
                coef[40 + col] == 0 && coef[48 + col] == 0 && coef[56 + col] == 0)
            {
                int dc = c0 << Pass1Bits;
                for (int r = 0; r < 8; r++) ws[r * 8 + col] = dc;
                continue;
            }
            long z2 = coef[16 + col] * q[16 + col], z3 = coef[48 + col] * q[48 + col];
            long z1 = (z2 + z3) * F0541196100;
            long tmp2 = z1 + z3 * -F1847759065;
            long tmp3 = z1 + z2 * F0765366865;
            z2 = c0; z3 = coef[32 + col] * q[32 + col];
            long tmp0 = (z2 + z3) << ConstBits;
            long tmp1 = (z2 - z3) << ConstBits;
            long tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
            tmp0 = coef[56 + col] * q[56 + col]; tmp1 = coef[40 + col] * q[40 + col];
            tmp2 = coef[24 + col] * q[24 + col]; tmp3 = coef[8 + col] * q[8 + col];
            OddPart(ref tmp0, ref tmp1, ref tmp2, ref tmp3);
            int n = ConstBits - Pass1Bits;
            ws[0 * 8 + col] = Descale(tmp10 + tmp3, n); ws[7 * 8 + col] = Descale(tmp10 - tmp3, n);
            ws[1 * 8 + col] = Descale(tmp11 + tmp2, n); ws[6 * 8 + col] = Descale(tmp11 - tmp2, n);
            ws[2 * 8 + col] = Descale(tmp12 + tmp1, n); ws[5 * 8 + col] = Descale(tmp12 - tmp1, n);
            ws[3 * 8 + col] = Descale(tmp13 + tmp0, n); ws[4 * 8 + col] = Descale(tmp13 - tmp0, n);
        }
        for (int row = 0; row < 8; row++)
        {
            var w = ws.Slice(row * 8, 8);
            int o = offset + row * stride;
            long z2 = w[2], z3 = w[6];
            long z1 = (z2 + z3) * F0541196100;
            long tmp2 = z1 + z3 * -F1847759065;
            long tmp3 = z1 + z2 * F0765366865;
            long tmp0 = ((long)w[0] + w[4]) << ConstBits;
            long tmp1 = ((long)w[0] - w[4]) << ConstBits;
            long tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
            tmp0 = w[7]; tmp1 = w[5]; tmp2 = w[3]; tmp3 = w[1];
            OddPart(ref tmp0, ref tmp1, ref tmp2, ref tmp3);
            int n = ConstBits + Pass1Bits + 3;
            plane[o + 0] = Clamp(Descale(tmp10 + tmp3, n)); plane[o + 7] = Clamp(Descale(tmp10 - tmp3, n));
            plane[o + 1] = Clamp(Descale(tmp11 + tmp2, n)); plane[o + 6] = Clamp(Descale(tmp11 - tmp2, n));
            plane[o + 2] = Clamp(Descale(tmp12 + tmp1, n)); plane[o + 5] = Clamp(Descale(tmp12 - tmp1, n));
            plane[o + 3] = Clamp(Descale(tmp13 + tmp0, n)); plane[o + 4] = Clamp(Descale(tmp13 - tmp0, n));
        }
    }

    private static void OddPart(ref long tmp0, ref long tmp1, ref long tmp2, ref long tmp3)
    {
        long z1 = tmp0 + tmp3, z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3;
        long z5 = (z3 + z4) * F1175875602;
        tmp0 *= F0298631336; tmp1 *= F2053119869; tmp2 *= F3072711026; tmp3 *= F1501321110;
        z1 *= -F0899976223; z2 *= -F2562915447; z3 *= -F1961570560; z4 *= -F0390180644;
        z3 += z5; z4 += z5;
        tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4;
    }

    // libjpeg's post-IDCT range_limit table indexed with RANGE_MASK (1023): level-shift by 128,
    // saturate moderately out-of-range values and wrap extreme ones exactly as the table does.
    private static byte Clamp(int v)
    {
        v = (v + 128) & 1023;
        if (v < 256) return (byte)v;
        if (v < 256 + 384) return 255;
        return 0;
    }

    private DecodedImage Output()
    {
        int w = _width, h = _height;
        if (_comps.Length == 1)
        {
            var c = _comps[0];
            var g = new byte[w * h];
            int stride = c.BlocksW * 8;
            for (int y = 0; y < h; y++) Array.Copy(c.Plane, y * stride, g, y * w, w);
            return new DecodedImage(w, h, 1, g);
        }
        if (_comps.Length != 3) throw new NotSupportedException($"JPEG with {_comps.Length} components is not supported");
        var planes = new byte[3][];
        for (int i = 0; i < 3; i++) planes[i] = Upsample(_comps[i]);
        var rgb = new byte[w * h * 3];
        bool ycc = !_adobeRgb;
        for (int i = 0; i < w * h; i++)
        {
            int y = planes[0][i], cb = planes[1][i], cr = planes[2][i];
            if (!ycc) { rgb[3 * i] = (byte)y; rgb[3 * i + 1] = (byte)cb; rgb[3 * i + 2] = (byte)cr; continue; }
            rgb[3 * i] = Sat(y + CrR[cr]);
            rgb[3 * i + 1] = Sat(y + ((CbG[cb] + CrG[cr]) >> 16));
            rgb[3 * i + 2] = Sat(y + CbB[cb]);
        }
        return new DecodedImage(w, h, 3, rgb);
    }

    private static byte Sat(int v) => (byte)Math.Clamp(v, 0, 255);

    private static readonly int[] CrR = new int[256], CbB = new int[256], CrG = new int[256], CbG = new int[256];

    static JpegDecoder()
    {
        const int scale = 16;
        static int Fix(double x) => (int)(x * (1 << scale) + 0.5);
        int half = 1 << (scale - 1);
        for (int i = 0; i < 256; i++)
        {
            int x = i - 128;
            CrR[i] = (Fix(1.40200) * x + half) >> scale;
            CbB[i] = (Fix(1.77200) * x + half) >> scale;
            CrG[i] = -Fix(0.71414) * x;
            CbG[i] = -Fix(0.34414) * x + half;
        }
    }

    /// <summary>The component at full image size: copy, or libjpeg's fancy h2v1 / h2v2 upsampling, else replication.</summary>
    private byte[] Upsample(Component c)
    {
        int w = _width, h = _height;
        int stride = c.BlocksW * 8;
        int hs = _hmax / c.H, vs = _vmax / c.V;
        int dw = (w * c.H + _hmax - 1) / _hmax;  // downsampled width
        int dh = (h * c.V + _vmax - 1) / _vmax;  // downsampled height
        var outp = new byte[w * h];
        var p = c.Plane;
        if (hs == 1 && vs == 1)
        {
            for (int y = 0; y < h; y++) Array.Copy(p, y * stride, outp, y * w, w);
            return outp;
        }
        int ow = dw * hs;
        var row = new byte[Math.Max(ow, w) + 2];
        if (hs == 2 && vs == 1)
        {
            for (int y = 0; y < h; y++)
            {
                int s = y * stride;
                if (dw == 1) { row[0] = row[1] = p[s]; }
                else
                {
                    int o = 0;
                    int inv = p[s];
                    row[o++] = (byte)inv;
                    row[o++] = (byte)((inv * 3 + p[s + 1] + 2) >> 2);
                    for (int x = 1; x < dw - 1; x++)
                    {
                        inv = p[s + x] * 3;
                        row[o++] = (byte)((inv + p[s + x - 1] + 1) >> 2);
                        row[o++] = (byte)((inv + p[s + x + 1] + 2) >> 2);
                    }
                    inv = p[s + dw - 1];
                    row[o++] = (byte)((inv * 3 + p[s + dw - 2] + 1) >> 2);
                    row[o++] = (byte)inv;
                }
                Array.Copy(row, 0, outp, y * w, w);
            }
            return outp;
        }
        if (hs == 2 && vs == 2)
        {
            for (int y = 0; y < h; y++)
            {
                int iy = y >> 1;
                int other = (y & 1) == 0 ? Math.Max(iy - 1, 0) : Math.Min(iy + 1, dh - 1);
                int s0 = iy * stride, s1 = other * stride;
                if (dw == 1)
                {
                    int cs = p[s0] * 3 + p[s1];
                    row[0] = row[1] = (byte)((cs * 4 + 8) >> 4);
                }
                else
                {
                    int o = 0;
                    int thiscol = p[s0] * 3 + p[s1];
                    int nextcol = p[s0 + 1] * 3 + p[s1 + 1];
                    row[o++] = (byte)((thiscol * 4 + 8) >> 4);
                    row[o++] = (byte)((thiscol * 3 + nextcol + 7) >> 4);
                    int lastcol = thiscol; thiscol = nextcol;
                    for (int x = 2; x < dw; x++)
                    {
                        nextcol = p[s0 + x] * 3 + p[s1 + x];
                        row[o++] = (byte)((thiscol * 3 + lastcol + 8) >> 4);
                        row[o++] = (byte)((thiscol * 3 + nextcol + 7) >> 4);
                        lastcol = thiscol; thiscol = nextcol;
                    }
                    row[o++] = (byte)((thiscol * 3 + lastcol + 8) >> 4);
                    row[o++] = (byte)((thiscol * 4 + 7) >> 4);
                }
                Array.Copy(row, 0, outp, y * w, w);
            }
            return outp;
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                outp[y * w + x] = p[(y / vs) * stride + x / hs];
        return outp;
    }
}
