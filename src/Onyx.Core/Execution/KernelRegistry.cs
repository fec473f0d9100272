using System.Reflection;
using System.Runtime.CompilerServices;
using Onyx.Core.Ir;

namespace Onyx.Core.Execution;

/// <summary>
/// Kernels keyed by (domain, op type, opset range), found by one reflection pass over the
/// assemblies given. A node resolves to the registration whose range contains the node's opset
/// version for its domain.
/// </summary>
public sealed class KernelRegistry : IKernelResolver
{
    private sealed record Entry(int Since, int Until, Func<KernelInfo, IKernel> Factory, Type Type);

    private readonly Dictionary<(string Domain, string Op), List<Entry>> _entries = new();

    /// <summary>Registers every class in <paramref name="assemblies"/> that carries <see cref="OnnxKernelAttribute"/>.</summary>
    public static KernelRegistry FromAssemblies(params Assembly[] assemblies)
    {
        var r = new KernelRegistry();
        foreach (var asm in assemblies)
            foreach (var type in asm.GetTypes())
                foreach (var attr in type.GetCustomAttributes<OnnxKernelAttribute>())
                    r.Register(attr, type);
        return r;
    }

    private void Register(OnnxKernelAttribute attr, Type type)
    {
        if (!typeof(IKernel).IsAssignableFrom(type) || type.IsValueType || type.IsAbstract || type.ContainsGenericParameters)
            throw new InvalidOperationException($"{type.FullName} has [OnnxKernel] but is not a concrete class implementing IKernel");
        var ctor = type.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, [typeof(KernelInfo)])
            ?? throw new InvalidOperationException($"{type.FullName} needs a constructor taking KernelInfo");
        var factory = new ConstructorFactory(type, ctor).Create;
        Register(attr.Domain, attr.OpType, attr.Since, attr.Until, factory, type);
    }

    /// <summary>
    /// Creates a kernel by calling its constructor straight through the constructor's entry point.
    /// <c>ConstructorInfo.Invoke</c> would emit and JIT an invoke stub per kernel class the second time
    /// the class is created (~0.2 ms each, in every process, for every op type a model uses), while the
    /// constructor itself is already ReadyToRun-compiled; exceptions also come out unwrapped.
    /// </summary>
    private sealed unsafe class ConstructorFactory(Type type, ConstructorInfo ctor)
    {
        private readonly delegate* managed<object, KernelInfo, void> _ctor =
            (delegate* managed<object, KernelInfo, void>)ctor.MethodHandle.GetFunctionPointer();

        public IKernel Create(KernelInfo info)
        {
            object kernel = RuntimeHelpers.GetUninitializedObject(type);
            _ctor(kernel, info);
            return (IKernel)kernel;
        }
    }

    /// <summary>Registers a factory by hand (tests, internal ops).</summary>
    public void Register(string domain, string opType, int since, int until, Func<KernelInfo, IKernel> factory, Type? type = null)
    {
        var key = (Node.NormalizeDomain(domain), opType);
        if (!_entries.TryGetValue(key, out var list)) _entries[key] = list = [];
        foreach (var e in list)
            if (since <= e.Until && e.Since <= until)
                throw new InvalidOperationException($"kernel {type?.Name} for {opType} [{since},{until}] overlaps {e.Type.Name} [{e.Since},{e.Until}]");
        list.Add(new Entry(since, until, factory, type ?? typeof(IKernel)));
    }

    /// <summary>True when some kernel covers the op at this version.</summary>
    public bool Supports(string domain, string opType, int version) => Find(domain, opType, version) is not null;

    /// <summary>Every registered (domain, op) pair with its ranges, for `onyx ops`.</summary>
    public IEnumerable<(string Domain, string OpType, int Since, int Until, string Kernel)> Registrations() =>
        _entries.SelectMany(kv => kv.Value.Select(e => (kv.Key.Domain, kv.Key.Op, e.Since, e.Until, e.Type.Name)));

    private Entry? Find(string domain, string opType, int version)
    {
        if (!_entries.TryGetValue((Node.NormalizeDomain(domain), opType), out var list)) return null;
        foreach (var e in list)
            if (version >= e.Since && version <= e.Until) return e;
        return null;
    }

    /// <inheritdoc/>
    public IKernel? TryCreate(KernelInfo info, out string? whyNot)
    {
        var node = info.Node;
        var e = Find(node.Domain, node.OpType, node.OpsetVersion);
        if (e is null)
        {
            bool known = _entries.ContainsKey((node.Domain, node.OpType));
            whyNot = known
                ? $"no kernel for {node.OpType} at opset {node.OpsetVersion} of domain '{node.Domain}'"
                : $"unknown op {(node.Domain.Length > 0 ? node.Domain + "." : "")}{node.OpType}";
            return null;
        }
        whyNot = null;
        return e.Factory(info);
    }
}
