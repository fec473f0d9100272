using Onyx.Tensors;

namespace Onyx.Core.Ir;

/// <summary>A named, typed value of a graph's interface (input, output, or annotated intermediate).</summary>
public sealed record ValueInfo(string Name, TypeInfo? Type, string DocString = "");
