using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Benchmarks;

/// <summary>The markdown result files the harnesses write under <c>Benchmarks/results/</c>: a common header, then the table.</summary>
public static class ResultsFile
{
    /// <summary>Starts a result: title, the command that reproduces it, machine and date, and what one row means.</summary>
    public static StringBuilder Begin(string title, string arguments, string method)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# {title}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run -c Release --project Benchmarks -- {arguments}`  ");
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture}  ");
        text.AppendLine(CultureInfo.InvariantCulture, $"Date (UTC): {DateTime.UtcNow:yyyy-MM-dd HH:mm}  ");
        text.AppendLine(method);
        text.AppendLine();
        return text;
    }

    /// <summary>Prints the result and writes it to <paramref name="fileName"/> in the results folder.</summary>
    public static void Write(string fileName, StringBuilder text) => Write(fileName, text, Directory());

    /// <summary>Prints the result and writes it to <paramref name="fileName"/> in <paramref name="directory"/>.</summary>
    public static void Write(string fileName, StringBuilder text, string directory)
    {
        ArgumentNullException.ThrowIfNull(text);
        var content = text.ToString();
        Console.WriteLine(content);
        var path = Path.Combine(directory, fileName);
        File.WriteAllText(path, content);
        Console.WriteLine($"written to {path}");
    }

    /// <summary>Benchmarks/results in the repository (found from the binary's folder).</summary>
    public static string Directory()
    {
        // Walk up from the binary to the project folder so results land in the repository, not in bin/.
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Benchmarks.csproj")))
        {
            directory = directory.Parent;
        }

        var results = Path.Combine(directory?.FullName ?? Environment.CurrentDirectory, "results");
        System.IO.Directory.CreateDirectory(results);
        return results;
    }
}
