using System.Text;

namespace Onyx.Cli.Ocr;

/// <summary>
/// Greedy CTC decoding over PaddleOCR's character list (ppocr/postprocess/rec_postprocess.py CTCLabelDecode):
/// class 0 is the blank, classes 1..K are the lines of the key file, class K+1 is a space.
/// </summary>
public sealed class CtcDecoder
{
    readonly string[] _classes;

    public CtcDecoder(IReadOnlyList<string> keys, bool useSpaceChar = true)
    {
        var classes = new List<string>(keys.Count + 2) { "" };
        classes.AddRange(keys);
        if (useSpaceChar) classes.Add(" ");
        _classes = classes.ToArray();
    }

    /// <summary>Reads a key file: one character per line (UTF-8).</summary>
    public static CtcDecoder FromKeyFile(string path)
    {
        var keys = File.ReadAllText(path, Encoding.UTF8)
            .Split('\n')
            .Select(l => l.TrimEnd('\r'))
            .ToList();
        // A trailing newline leaves one empty entry that is not a class.
        if (keys.Count > 0 && keys[^1].Length == 0) keys.RemoveAt(keys.Count - 1);
        return new CtcDecoder(keys);
    }

    /// <summary>Number of classes the model must output (blank + keys + space).</summary>
    public int ClassCount => _classes.Length;

    /// <summary>
    /// Decodes one sequence of <paramref name="steps"/> x <see cref="ClassCount"/> probabilities: argmax per step,
    /// merge repeats, drop blanks. Confidence is the mean probability of the kept characters (0 if none).
    /// </summary>
    public (string Text, float Confidence) Decode(ReadOnlySpan<float> probs, int steps)
    {
        int classes = _classes.Length;
        if (probs.Length < steps * classes)
            throw new ArgumentException($"Expected {steps}x{classes} probabilities, got {probs.Length}.", nameof(probs));
        var text = new StringBuilder();
        double sum = 0;
        int kept = 0, previous = -1;
        for (int t = 0; t < steps; t++)
        {
            var row = probs.Slice(t * classes, classes);
            int best = 0;
            float bestP = row[0];
            for (int c = 1; c < classes; c++)
            {
                if (row[c] > bestP) { bestP = row[c]; best = c; }
            }
            if (best != 0 && best != previous)
            {
                text.Append(_classes[best]);
                sum += bestP;
                kept++;
            }
            previous = best;
        }
        return (text.ToString(), kept == 0 ? 0f : (float)(sum / kept));
    }
}
