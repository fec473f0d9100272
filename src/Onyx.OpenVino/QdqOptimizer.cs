using Onyx.Core.Optimizer;
using Onyx.Core.Optimizer.Passes;

namespace Onyx.OpenVino;

/// <summary>
/// The provider's <c>enable_qdq_optimizer</c> hook: which graph passes a claimed subgraph is
/// compiled with. With the QDQ pass, DequantizeLinear → Conv/MatMul → QuantizeLinear groups become
/// QLinearConv/QLinearMatMul and run as int8 kernels. It is on whenever the option is True, and by
/// default on the CPU device, as OpenVINO's CPU plugin runs QDQ models in int8 through its own
/// low-precision transformations. On other devices without the option the QDQ nodes stay as they
/// are (OpenVINO leaves them to the device plugin there).
/// </summary>
public static class QdqOptimizer
{
    /// <summary>True when subgraphs compiled with <paramref name="options"/> get the QDQ fusion.</summary>
    public static bool Enabled(OpenVinoOptions options) => Enabled(options.EnableQdqOptimizer, options.Device.Devices);

    /// <summary>True when the option is set or every selected device is a CPU.</summary>
    public static bool Enabled(bool enableQdqOptimizer, IReadOnlyList<string> devices) =>
        enableQdqOptimizer || (devices.Count > 0 && devices.All(d => d.StartsWith("CPU", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The graph optimizer for a subgraph compiled with <paramref name="options"/>.</summary>
    public static GraphOptimizer For(OpenVinoOptions options) =>
        Enabled(options) ? new GraphOptimizer() : new GraphOptimizer(GraphOptimizer.DefaultPasses().Where(p => p is not FuseQdq).ToList());
}
