namespace Onyx.OpenVino.Tests;

public class OptionsTests
{
    /// <summary>The CPU alone: these tests describe a machine without a GPU whatever OpenCL runtime this one has.</summary>
    internal static readonly DeviceRegistry CpuOnly = new([DeviceRegistry.DetectCpu()]);

    private static OpenVinoOptions Parse(params (string, string)[] kv) => OpenVinoOptions.Parse(kv.ToDictionary(p => p.Item1, p => p.Item2), CpuOnly);

    private static string Fails(params (string, string)[] kv) => Assert.Throws<OnnxRuntimeException>(() => Parse(kv)).Message;

    [Fact]
    public void EveryKeyOfTheContractIsAccepted()
    {
        string cfg = Path.Combine(Path.GetTempPath(), "onyx-ov-cache-" + Guid.NewGuid().ToString("N"));
        var o = Parse(
            ("device_type", "CPU"), ("device_id", "CPU"), ("precision", "BF16"), ("num_of_threads", "2"), ("num_streams", "3"),
            ("cache_dir", cfg), ("use_compiled_network", "True"), ("blob_dump_path", cfg), ("enable_dynamic_shapes", "True"),
            ("disable_dynamic_shapes", "False"), ("reshape_input", "x[1..8,3,224,224],y[4]"),
            ("load_config", "{\"CPU\": {\"PERFORMANCE_HINT\": \"THROUGHPUT\", \"INFERENCE_PRECISION_HINT\": \"bf16\", \"NUM_STREAMS\": 3}}"),
            ("model_priority", "HIGH"), ("layout", "x[NCHW]"), ("enable_qdq_optimizer", "true"), ("enable_causallm", "False"),
            ("enable_vpu_fast_compile", "False"), ("context", "0x123456ff"), ("enable_opencl_throttling", "false"));
        Assert.Equal("CPU", o.Device.Devices.Single());
        Assert.Equal(InferencePrecision.BF16, o.Precision);
        Assert.Equal(2, o.NumThreads);
        Assert.Equal(3, o.NumStreams);
        Assert.Equal(3, o.StreamCount);
        Assert.Equal(PerformanceHint.THROUGHPUT, o.Hint);
        Assert.Equal(Path.GetFullPath(cfg), o.CacheDir);
        Assert.True(o.DynamicShapes);
        Assert.Equal(new DimBound(1, 8), o.ReshapeInput["x"][0]);
        Assert.Equal(new DimBound(224, 224), o.ReshapeInput["x"][3]);
        Assert.Equal("NCHW", o.Layout["x"]);
        Assert.Equal("HIGH", o.ModelPriority);
        Assert.True(o.EnableQdqOptimizer);
        Assert.Equal(0x123456ffUL, o.Context);
    }

    [Fact]
    public void UnknownKeyIsNamedWithTheValidOnes()
    {
        string m = Fails(("device_typ", "CPU"));
        Assert.Contains("'device_typ'", m);
        Assert.Contains("did you mean 'device_type'", m);
        foreach (var k in OpenVinoOptions.ValidKeys) Assert.Contains(k, m);
    }

    [Theory]
    [InlineData("num_of_threads", "0")]
    [InlineData("num_of_threads", "-1")]
    [InlineData("num_of_threads", "eight")]
    [InlineData("num_streams", "0")]
    [InlineData("num_streams", "2.5")]
    [InlineData("precision", "FP64")]
    [InlineData("use_compiled_network", "yes")]
    [InlineData("enable_dynamic_shapes", "1")]
    [InlineData("model_priority", "URGENT")]
    [InlineData("reshape_input", "x[1,a]")]
    [InlineData("reshape_input", "x[8..1]")]
    [InlineData("reshape_input", "x 1,2")]
    [InlineData("layout", "x[NCHN]")]
    [InlineData("load_config", "{not json")]
    [InlineData("load_config", "{\"CPU\": {\"NOT_A_PROPERTY\": 1}}")]
    [InlineData("load_config", "{\"CPU\": {\"PERFORMANCE_HINT\": \"FAST\"}}")]
    [InlineData("load_config", "{\"TPU\": {}}")]
    [InlineData("load_config", "/no/such/config.json")]
    [InlineData("context", "nonsense")]
    [InlineData("device_type", "CPU_FP8")]
    [InlineData("device_type", "TPU")]
    public void BadValueNamesTheKey(string key, string value)
    {
        string m = Fails((key, value));
        Assert.Contains(key == "load_config" ? "load_config" : key, m);
    }

    [Fact]
    public void BoolErrorListsValidValues() => Assert.Contains("True, False", Fails(("enable_causallm", "maybe")));

    [Theory]
    [InlineData("CPU_FP32", InferencePrecision.FP32)]
    [InlineData("CPU_FP16", InferencePrecision.FP16)]
    [InlineData("CPU", InferencePrecision.FP32)]
    [InlineData("cpu", InferencePrecision.FP32)]
    public void SeedAndCurrentCpuForms(string deviceType, InferencePrecision precision)
    {
        var o = Parse(("device_type", deviceType));
        Assert.Equal(new[] { "CPU" }, o.Device.Devices);
        Assert.Equal(precision, o.Precision);
    }

    [Theory]
    [InlineData("GPU")]
    [InlineData("GPU_FP32")]
    [InlineData("GPU_FP16")]
    [InlineData("GPU.0_FP16")]
    [InlineData("GPU.1")]
    [InlineData("NPU")]
    [InlineData("MYRIAD_FP16")]
    public void AbsentDevicesFailListingPresentOnes(string deviceType)
    {
        string m = Fails(("device_type", deviceType));
        Assert.Contains("not present", m);
        Assert.Contains("present devices: CPU", m);
    }

    [Fact]
    public void HeteroMultiAutoParseValidateAndUsePresentDevices()
    {
        var h = Parse(("device_type", "HETERO:GPU,CPU"));
        Assert.Equal(DeviceMode.Hetero, h.Device.Mode);
        Assert.Equal(new[] { "GPU", "CPU" }, h.Device.Requested);
        Assert.Equal(new[] { "CPU" }, h.Device.Devices);
        Assert.Contains(h.Device.Notes, n => n.Contains("GPU is not present"));

        var m = Parse(("device_type", "MULTI:CPU,GPU.0"));
        Assert.Equal(DeviceMode.Multi, m.Device.Mode);
        Assert.Equal(new[] { "CPU" }, m.Device.Devices);

        var a = Parse(("device_type", "AUTO:GPU,CPU"));
        Assert.Equal(DeviceMode.Auto, a.Device.Mode);
        Assert.Equal(new[] { "CPU" }, a.Device.Devices);
        Assert.Contains(a.Device.Notes, n => n.Contains("AUTO selected CPU"));

        Assert.Contains("at least two devices", Fails(("device_type", "HETERO:CPU")));
        Assert.Contains("at least two devices", Fails(("device_type", "MULTI:GPU")));
        Assert.Contains("listed twice", Fails(("device_type", "MULTI:CPU,CPU")));
        Assert.Contains("not present", Fails(("device_type", "HETERO:GPU,NPU")));
        Assert.Contains("'FOO' is not a device name", Fails(("device_type", "HETERO:FOO,CPU")));
        Assert.Contains("unknown prefix", Fails(("device_type", "BATCH:CPU,GPU")));
    }

    [Fact]
    public void PrecisionIsNeverSilentlyOverridden()
    {
        Assert.Contains("precision conflict", Fails(("device_type", "CPU_FP16"), ("precision", "FP32")));
        Assert.Contains("precision conflict", Fails(("precision", "FP16"), ("load_config", "{\"CPU\": {\"INFERENCE_PRECISION_HINT\": \"bf16\"}}")));
        Assert.Equal(InferencePrecision.FP16, Parse(("device_type", "CPU_FP16"), ("precision", "FP16")).Precision);
        Assert.Equal(InferencePrecision.ACCURACY, Parse(("precision", "ACCURACY")).Precision);
    }

    [Fact]
    public void DynamicShapeKeysMustAgree()
    {
        Assert.Contains("contradict", Fails(("enable_dynamic_shapes", "True"), ("disable_dynamic_shapes", "True")));
        Assert.False(Parse(("disable_dynamic_shapes", "True")).DynamicShapes);
        Assert.False(Parse(("enable_dynamic_shapes", "False")).DynamicShapes);
        Assert.True(Parse().DynamicShapes);
    }

    [Fact]
    public void SeedBlobOptionsEnableTheCache()
    {
        var def = Parse(("use_compiled_network", "True"));
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, OpenVinoOptions.DefaultBlobFolder), def.CacheDir);
        string dir = Path.Combine(Path.GetTempPath(), "onyx-ov-blobs");
        Assert.Equal(Path.GetFullPath(dir), Parse(("use_compiled_network", "True"), ("blob_dump_path", dir)).CacheDir);
        var off = Parse(("blob_dump_path", dir));
        Assert.Null(off.CacheDir);
        Assert.Contains(off.Notes, n => n.Contains("use_compiled_network"));
        Assert.Contains("different cache folders", Fails(("use_compiled_network", "True"), ("blob_dump_path", dir), ("cache_dir", dir + "2")));
    }

    [Fact]
    public void LoadConfigFromFileAndStreamConflicts()
    {
        string f = Path.Combine(Path.GetTempPath(), $"onyx-ov-{Guid.NewGuid():N}.json");
        File.WriteAllText(f, "{\"CPU\": {\"PERFORMANCE_HINT\": \"THROUGHPUT\", \"INFERENCE_NUM_THREADS\": 1}}");
        try
        {
            var o = Parse(("load_config", f));
            Assert.Equal(PerformanceHint.THROUGHPUT, o.Hint);
            Assert.Equal(1, o.NumThreads);
            Assert.True(o.StreamCount >= 2);
        }
        finally { File.Delete(f); }
        Assert.Contains("contradicts", Fails(("num_streams", "2"), ("load_config", "{\"CPU\": {\"NUM_STREAMS\": 4}}")));
    }

    [Fact]
    public void RegistrationPaths()
    {
        var so = new SessionOptions();
        Assert.Throws<OnnxRuntimeException>(() => so.AppendExecutionProvider("OpenVINO", new Dictionary<string, string> { ["bogus"] = "1" }));
        so.AppendExecutionProvider_OpenVINO("CPU_FP32");
        Assert.Equal("CPU_FP32", so.ExecutionProviders[^1].Options["device_type"]);

        var s2 = new SessionOptions();
        s2.AppendExecutionProvider_OpenVINO("device_type=CPU_FP16;num_streams=2");
        Assert.Equal("2", s2.ExecutionProviders[0].Options["num_streams"]);
        Assert.Throws<OnnxRuntimeException>(() => new SessionOptions().AppendExecutionProvider_OpenVINO("device_type=CPU;num_streams=zero"));
        if (DeviceRegistry.Default.Find("GPU") is null)
            Assert.Throws<OnnxRuntimeException>(() => new SessionOptions().AppendExecutionProvider_OpenVINO("GPU_FP16"));
        else
            new SessionOptions().AppendExecutionProvider_OpenVINO("GPU_FP16");

        var s3 = new SessionOptions();
        s3.AppendExecutionProvider_OpenVINO(new OrtOpenVINOProviderOptions { DeviceType = "CPU_FP32", NumOfThreads = 8, Context = 0x123456ff });
        Assert.Equal("8", s3.ExecutionProviders[0].Options["num_of_threads"]);
        Assert.Equal("0x123456ff", s3.ExecutionProviders[0].Options["context"]);

        var s4 = new SessionOptions();
        s4.AppendExecutionProvider("OpenVINOExecutionProvider", new Dictionary<string, string> { ["device_type"] = "AUTO:GPU,CPU" });
        Assert.Equal("OpenVINO", s4.ExecutionProviders[0].Name);
    }

    [Fact]
    public void DeviceRegistryDescribesTheCpu()
    {
        var cpu = DeviceRegistry.Default.Find("CPU")!;
        Assert.False(string.IsNullOrWhiteSpace(cpu.Name));
        Assert.NotEmpty(cpu.Isa);
        Assert.True(cpu.Cores >= 1);
        Assert.Equal(new[] { "FP32", "FP16", "BF16", "INT8" }, cpu.Precisions);
        Assert.Null(CpuOnly.Find("GPU"));
        Assert.Contains("onyx devices", Fails(("device_id", "GPU.0")));
        // GPU.N entries come from OpenCL discovery (none without a runtime) and "GPU" names the first.
        var gpus = DeviceRegistry.Default.Devices.Where(d => d.IsGpu).ToList();
        Assert.Equal(gpus.Select((_, i) => $"GPU.{i}"), gpus.Select(d => d.Id));
        Assert.Equal(gpus.FirstOrDefault(), DeviceRegistry.Default.Find("GPU"));
        Assert.All(gpus, g => Assert.Equal(new[] { "FP32", "FP16" }, g.Precisions));
    }
}
