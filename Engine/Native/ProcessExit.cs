using System.Runtime.InteropServices;

namespace Engine.Native;

/// <summary>Ends the process at once: no exit handlers, no finalizers, no waiting for loggers to flush.</summary>
public static partial class ProcessExit
{
    /// <summary>
    /// Exits with <paramref name="code"/> immediately (libc <c>_exit</c> on Linux and macOS). What an operator's second
    /// Ctrl-C asks for: <see cref="Environment.Exit"/> would run process-exit handlers first, and the console logger's
    /// alone waits up to 1.5 s. Elsewhere it falls back to <see cref="Environment.Exit"/>.
    /// </summary>
    public static void Now(int code)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            Exit(code);
        }

        Environment.Exit(code);
    }

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void Exit(int status);
}
