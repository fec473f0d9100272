using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Text;

/// <summary>
/// ONNX <c>TfIdfVectorizer</c>: counts the pool's n-grams (with up to max_skip_count skipped items
/// between consecutive grams) in each row and weights them by mode TF, IDF or TFIDF.
/// </summary>
[OnnxKernel("TfIdfVectorizer", Since = 9)]
internal sealed class TfIdfVectorizerKernel : IKernel
{
    private enum Mode { Tf, Idf, TfIdf }

    private readonly int _minGram, _maxGram, _maxSkip, _outSize;
    private readonly Mode _mode;
    private readonly bool _strings;
    // n-gram key (items joined by \u0001) → output coordinate, one map per gram length (index n-1).
    private readonly Dictionary<string, int>[] _pool;
    private readonly Dictionary<string, float>[] _weights;

    public TfIdfVectorizerKernel(KernelInfo info)
    {
        var a = info.Attributes;
        _minGram = (int)a.GetInt("min_gram_length");
        _maxGram = (int)a.GetInt("max_gram_length");
        _maxSkip = (int)a.GetInt("max_skip_count");
        string mode = a.GetString("mode");
        _mode = mode switch { "TF" => Mode.Tf, "IDF" => Mode.Idf, "TFIDF" => Mode.TfIdf, _ => throw info.Invalid($"mode must be TF, IDF or TFIDF, got '{mode}'") };
        long[] counts = a.GetInts("ngram_counts") ?? throw info.Invalid("ngram_counts is required");
        long[] indexes = a.GetInts("ngram_indexes") ?? throw info.Invalid("ngram_indexes is required");
        float[]? weights = a.GetFloats("weights");
        if (weights is { Length: 0 }) weights = null;
        string[]? poolS = a.GetStrings("pool_strings");
        long[]? poolI = a.GetInts("pool_int64s");
        if (poolS is { Length: 0 }) poolS = null;
        if (poolI is { Length: 0 }) poolI = null;
        _strings = poolS is not null;
        int poolLen = poolS?.Length ?? poolI?.Length ?? 0;
        _outSize = indexes.Length == 0 ? 0 : (int)indexes.Max() + 1;
        _pool = new Dictionary<string, int>[counts.Length];
        _weights = new Dictionary<string, float>[counts.Length];
        int gramIndex = 0;
        for (int n = 1; n <= counts.Length; n++)
        {
            _pool[n - 1] = new(StringComparer.Ordinal);
            _weights[n - 1] = new(StringComparer.Ordinal);
            int start = (int)counts[n - 1];
            int end = n < counts.Length ? (int)counts[n] : poolLen;
            for (int p = start; p + n <= end; p += n)
            {
                var parts = new string[n];
                for (int k = 0; k < n; k++) parts[k] = poolS is not null ? poolS[p + k] : poolI![p + k].ToString(System.Globalization.CultureInfo.InvariantCulture);
                string key = string.Join('\u0001', parts);
                if (gramIndex >= indexes.Length) throw info.Invalid($"ngram_indexes has {indexes.Length} entries but the pool holds more n-grams");
                _pool[n - 1][key] = (int)indexes[gramIndex];
                _weights[n - 1][key] = weights is null ? 1f : weights[gramIndex];
                gramIndex++;
            }
        }
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (_strings != (x.DType == DType.String))
            throw context.Error($"X is {x.DType.OnnxName()} but the pool is {(_strings ? "strings" : "int64s")}");
        int rows = x.Rank == 2 ? x.Shape[0] : 1;
        int cols = x.Rank == 0 ? 1 : x.Shape[^1];
        if (x.Rank > 2) throw context.Error($"X must be 1-D or 2-D, got shape {x.ShapeString}");
        string[] items = x.DType == DType.String ? x.Strings
            : Array.ConvertAll(x.ToInt64Array(), v => v.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var y = x.Rank == 2 ? context.Output(0, DType.Float32, [rows, _outSize]) : context.Output(0, DType.Float32, [_outSize]);
        var ys = y.Span<float>();
        var counts = new float[_outSize];
        var keyParts = new string[_maxGram];
        for (int r = 0; r < rows; r++)
        {
            Array.Clear(counts);
            var row = items.AsSpan(r * cols, cols);
            for (int n = Math.Max(1, _minGram); n <= _maxGram && n <= _pool.Length; n++)
            {
                var pool = _pool[n - 1];
                if (pool.Count == 0) continue;
                int maxSkip = n == 1 ? 0 : _maxSkip;
                for (int skip = 0; skip <= maxSkip; skip++)
                {
                    int stride = skip + 1;
                    for (int s = 0; s + (n - 1) * stride < cols; s++)
                    {
                        for (int k = 0; k < n; k++) keyParts[k] = row[s + k * stride];
                        string key = n == 1 ? keyParts[0] : string.Join('\u0001', keyParts, 0, n);
                        if (pool.TryGetValue(key, out int idx)) counts[idx] += 1;
                    }
                }
            }
            var dst = ys.Slice(r * _outSize, _outSize);
            for (int i = 0; i < _outSize; i++) dst[i] = counts[i];
            if (_mode != Mode.Tf) ApplyWeights(dst);
        }
    }

    private void ApplyWeights(Span<float> dst)
    {
        for (int n = 0; n < _pool.Length; n++)
            foreach (var (key, idx) in _pool[n])
            {
                float c = dst[idx];
                if (_mode == Mode.Idf && c > 1) c = 1;
                dst[idx] = c * _weights[n][key];
            }
    }
}
