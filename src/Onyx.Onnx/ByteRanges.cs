namespace Onyx.Onnx;

/// <summary>
/// A growable list of (offset, length) byte ranges, each tagged with two ints (a node and attribute
/// index, or unused). Plain arrays rather than a <c>List</c> of value tuples: the framework's generics
/// over value tuples have no ReadyToRun code, so using them costs JIT time in every process that loads
/// a model, while this class is precompiled with the rest of the assembly.
/// </summary>
internal sealed class ByteRanges
{
    private long[] _offsets = new long[16];
    private int[] _lengths = new int[16], _tagA = new int[16], _tagB = new int[16];

    public int Count { get; private set; }

    public void Add(long offset, int length, int tagA = 0, int tagB = 0)
    {
        if (Count == _offsets.Length)
        {
            int n = Count * 2;
            _offsets = Grow(_offsets, n);
            _lengths = Grow(_lengths, n);
            _tagA = Grow(_tagA, n);
            _tagB = Grow(_tagB, n);
        }
        _offsets[Count] = offset;
        _lengths[Count] = length;
        _tagA[Count] = tagA;
        _tagB[Count] = tagB;
        Count++;
    }

    public long Offset(int i) => _offsets[i];
    public int Length(int i) => _lengths[i];
    public int TagA(int i) => _tagA[i];
    public int TagB(int i) => _tagB[i];

    // Array.Copy, not the generic Array.Resize: see the class comment.
    private static long[] Grow(long[] a, int n) { var r = new long[n]; Array.Copy(a, r, a.Length); return r; }
    private static int[] Grow(int[] a, int n) { var r = new int[n]; Array.Copy(a, r, a.Length); return r; }
}
