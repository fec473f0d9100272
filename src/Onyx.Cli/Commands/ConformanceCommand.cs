using System.CommandLine;
using Onyx.Conformance;

namespace Onyx.Cli.Commands;

/// <summary>`onyx conformance DIR [--filter REGEX] [--ep NAME]`: runs ONNX backend test folders.</summary>
internal static class ConformanceCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A backend test folder, or a folder of them (searched recursively)" };
        var filter = new Option<string?>("--filter") { Description = "Only tests whose folder name matches this regex" };
        var ep = CliOptions.Ep();
        var epOption = CliOptions.EpOption();
        var failuresOnly = new Option<bool>("--failures-only") { Description = "Print only FAIL and SKIP lines" };
        var cmd = new Command("conformance", "Run ONNX backend tests; prints PASS/FAIL/SKIP per test and a summary line")
        {
            dir, filter, ep, epOption, failuresOnly,
        };
        cmd.SetAction(parse =>
        {
            string root = parse.GetValue(dir)!;
            string? ep0 = parse.GetValue(ep);
            string[] opts = parse.GetValue(epOption) ?? [];
            _ = CliOptions.Build(ep0, opts); // validate options once, up front
            var runner = new ConformanceRunner { OptionsFactory = () => CliOptions.Build(ep0, opts) };
            int pass = 0, fail = 0, skip = 0;
            bool quiet = parse.GetValue(failuresOnly);
            foreach (var test in ConformanceRunner.FindTests(root, parse.GetValue(filter)))
            {
                var r = runner.Run(test);
                switch (r.Outcome)
                {
                    case Outcome.Pass: pass++; break;
                    case Outcome.Fail: fail++; break;
                    default: skip++; break;
                }
                if (!quiet || r.Outcome != Outcome.Pass)
                    Console.WriteLine($"{r.Outcome.ToString().ToUpperInvariant()} {r.Name}{(r.Reason is null ? "" : " " + r.Reason)}");
            }
            Console.WriteLine($"{pass} passed, {fail} failed, {skip} skipped");
            return fail == 0 ? 0 : 1;
        });
        return cmd;
    }
}
