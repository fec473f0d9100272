namespace Onyx.Core.Execution;

/// <summary>
/// A min-heap of node indices for the topological sort (the smallest ready index runs first, which
/// keeps the model's own order). It replaces <c>PriorityQueue&lt;int, int&gt;</c>, whose code over
/// value types is not in the framework's ReadyToRun image and was JIT-compiled in every process.
/// </summary>
internal sealed class IndexHeap(int capacity)
{
    private readonly int[] _items = new int[Math.Max(1, capacity)];
    private int _count;

    public int Count => _count;

    /// <summary>Adds an index; each index is pushed at most once, so <c>capacity</c> (the node count) bounds the heap.</summary>
    public void Push(int value)
    {
        int i = _count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (_items[parent] <= value) break;
            _items[i] = _items[parent];
            i = parent;
        }
        _items[i] = value;
    }

    public bool TryPop(out int value)
    {
        if (_count == 0) { value = 0; return false; }
        value = _items[0];
        int last = _items[--_count];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= _count) break;
            if (child + 1 < _count && _items[child + 1] < _items[child]) child++;
            if (last <= _items[child]) break;
            _items[i] = _items[child];
            i = child;
        }
        _items[i] = last;
        return true;
    }
}
