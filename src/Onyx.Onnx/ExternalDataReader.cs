using System.IO.MemoryMappedFiles;
using Onnx;
using Onyx.Tensors;

namespace Onyx.Onnx;

/// <summary>
/// Resolves <c>external_data</c> (location, offset, length) relative to the model's folder and
/// maps the bytes without copying them. A location that is absolute, leaves the folder, or a
/// range past the end of the file is rejected before anything is read.
/// </summary>
public sealed class ExternalDataReader : IDisposable
{
    private readonly string _baseDir;
    // A record, not a value tuple: a dictionary over a tuple value is JIT-compiled (no ReadyToRun code), and
    // this reader is built for every model loaded from a file, external data or not.
    private sealed record Mapping(MemoryMappedFile File, MemoryMappedViewAccessor View, long Length);

    private readonly Dictionary<string, Mapping> _maps = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    /// <summary>Creates a reader rooted at the model's folder.</summary>
    public ExternalDataReader(string baseDirectory) => _baseDir = Path.GetFullPath(baseDirectory);

    /// <summary>The folder every location must stay inside.</summary>
    public string BaseDirectory => _baseDir;

    /// <summary>Resolves and validates a location; throws when it would leave the model's folder.</summary>
    public string ResolvePath(string location, string what)
    {
        if (string.IsNullOrEmpty(location))
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: external data has no location");
        if (Path.IsPathRooted(location) || location.Contains('\0'))
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: external data location '{location}' must be a relative path inside the model's folder");
        string full = Path.GetFullPath(Path.Combine(_baseDir, location));
        string root = _baseDir.EndsWith(Path.DirectorySeparatorChar) ? _baseDir : _baseDir + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal))
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: external data location '{location}' leaves the model's folder {_baseDir}");
        if (!File.Exists(full))
            throw new OnnxRuntimeException(ErrorCode.NoSuchFile, $"{what}: external data file '{location}' not found in {_baseDir}");
        // A symlink could point outside the folder: check where it really leads.
        var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true);
        if (target is not null && !Path.GetFullPath(target.FullName).StartsWith(root, StringComparison.Ordinal))
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: external data file '{location}' links outside the model's folder");
        return full;
    }

    /// <summary>Reads one tensor's external bytes; a view over the memory map when the layout allows it.</summary>
    public unsafe Tensor Read(TensorProto proto, DType dtype, int[] shape, int n, string what)
    {
        string? location = null;
        long offset = 0, length = -1;
        foreach (var kv in proto.ExternalData)
        {
            switch (kv.Key)
            {
                case "location": location = kv.Value; break;
                case "offset":
                    if (!long.TryParse(kv.Value, out offset) || offset < 0)
                        throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: bad external data offset '{kv.Value}'");
                    break;
                case "length":
                    if (!long.TryParse(kv.Value, out length) || length < 0)
                        throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: bad external data length '{kv.Value}'");
                    break;
            }
        }
        string path = ResolvePath(location ?? "", what);
        long need = TensorProtoReader.PackedByteCount(dtype, n);
        if (length >= 0 && length != need)
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: external data length {length} but {dtype.OnnxName()}[{string.Join(",", shape)}] needs {need} bytes");
        var (_, view, fileLength) = Map(path);
        if (offset > fileLength || need > fileLength - offset)
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: external data range [{offset}, {offset + need}) is past the end of '{location}' ({fileLength} bytes)");
        if (dtype == DType.String)
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: string tensors cannot be stored externally");

        byte* basePtr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
        try
        {
            byte* src = basePtr + view.PointerOffset + offset;
            bool direct = dtype.SizeOf() * (long)n == need && dtype != DType.Bool;
            if (direct && ((nint)src & (NativeBuffer.Alignment - 1)) == 0)
            {
                // Zero copy: the tensor views the mapped file; the view stays alive through the buffer's owner.
                var buffer = NativeBuffer.Borrow(src, need, owner: view);
                return Tensor.View(dtype, shape, buffer);
            }
            return TensorProtoReader.FromRaw(new ReadOnlySpan<byte>(src, checked((int)need)), dtype, shape, n, what);
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    private (MemoryMappedFile, MemoryMappedViewAccessor, long) Map(string path)
    {
        lock (_lock)
        {
            if (_maps.TryGetValue(path, out var m)) return (m.File, m.View, m.Length);
            long len = new FileInfo(path).Length;
            if (len == 0) throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"external data file '{path}' is empty");
            var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            _maps[path] = new Mapping(file, view, len);
            return (file, view, len);
        }
    }

    /// <summary>Does nothing: mapped views stay alive while tensors view them and close with the process.</summary>
    public void Dispose() { }
}
