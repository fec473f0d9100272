using System.CommandLine;

// Minimal entry point (ocr branch); the lead's Program.cs replaces this and adds the two lines below.
var root = new RootCommand("Onyx: a pure-managed ONNX runtime for .NET.");
root.Subcommands.Add(Onyx.Cli.Commands.OcrCommand.Create());
root.Subcommands.Add(Onyx.Cli.Commands.OcrCommand.CreateMakeSample());
return root.Parse(args).Invoke();
