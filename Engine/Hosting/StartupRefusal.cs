using System.Reflection;
using System.Text;
using Microsoft.Extensions.Options;

namespace Engine.Hosting;

/// <summary>
/// Tells a refusal from a fault among what start-up throws. A refusal is something the operator fixes — a bad setting,
/// a port another process holds, a journal or folder the engine cannot use, a size this machine cannot hold — and is
/// told as one line per reason (exit code 2, no stack trace); anything else is a fault, a bug, whose trace belongs in
/// the log.
/// </summary>
public static class StartupRefusal
{
    /// <summary>The longest reason line; a reason carrying an operator's input is cut there.</summary>
    public const int MaxLineLength = 400;

    /// <summary>
    /// The reasons <paramref name="fault"/> stands for when it is a refusal, each one line; empty when it is a fault.
    /// A refusal may come wrapped (several hosted services failing, a reflection call): every wrapped exception must be a
    /// refusal for the whole to be one.
    /// </summary>
    public static IReadOnlyList<string> Reasons(Exception fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        var reasons = new List<string>();
        return Collect(fault, reasons) ? reasons : [];
    }

    /// <summary>One line of at most <see cref="MaxLineLength"/> characters: line breaks and other control characters become spaces.</summary>
    public static string OneLine(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = new StringBuilder(Math.Min(text.Length, MaxLineLength + 1));
        foreach (var c in text)
        {
            if (line.Length == MaxLineLength)
            {
                line.Append('…');
                break;
            }

            line.Append(char.IsControl(c) || c is '\u2028' or '\u2029' ? ' ' : c);
        }

        return line.ToString().Trim();
    }

    private static bool Collect(Exception fault, List<string> reasons)
    {
        switch (fault)
        {
            case AggregateException aggregate:
                return aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(inner => Collect(inner, reasons));
            case TargetInvocationException { InnerException: { } inner }:
                return Collect(inner, reasons);
            case OptionsValidationException invalid:
                reasons.AddRange(invalid.Failures.Select(OneLine));
                return true;
            case OutOfMemoryException:
                reasons.Add(OneLine($"not enough memory to start ({fault.Message}): lower Engine:Ring:Size or give the process more memory."));
                return true;
            // A journal or folder the engine cannot use (locked, damaged, read-only, a file where a folder should be, a
            // full disk) and a listener whose port is taken: the exception's own message names the path or address.
            case IOException or UnauthorizedAccessException or InvalidDataException:
                reasons.Add(OneLine(fault.Message));
                return true;
            default:
                return false;
        }
    }
}
