using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Native;

/// <summary>
/// SHA-256 from the system's OpenSSL libcrypto (<c>libcrypto.so.3</c>, else <c>libcrypto.so.1.1</c>), resolved
/// once. The low-level <c>SHA256_Init/Update/Final</c> calls are used because they let a caller keep a
/// partially-hashed state and copy it, which is what an HMAC with precomputed key pads needs.
/// </summary>
/// <remarks>
/// The calls suppress the GC transition: each hashes a few hundred bytes in well under a microsecond, never
/// blocks, and never calls back into the runtime, which is the contract <see cref="SuppressGCTransitionAttribute"/>
/// asks for. Callers must not pass long inputs (megabytes) through them for the same reason.
/// </remarks>
public static unsafe partial class LibCrypto
{
    /// <summary>Bytes reserved for one <c>SHA256_CTX</c> (112 in OpenSSL 1.1 and 3; rounded up for safety).</summary>
    public const int Sha256ContextSize = 128;

    private const string LibraryName = "engine-libcrypto";

    private static readonly string[] _candidates = ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.3.dylib", "libcrypto.dylib"];
    private static readonly Lazy<(bool Available, string Description)> _load = new(Load);

    /// <summary>True when a libcrypto with the SHA-256 calls was found.</summary>
    public static bool IsAvailable => _load.Value.Available;

    /// <summary>Which library was loaded, or why none was.</summary>
    public static string Description => _load.Value.Description;

    [LibraryImport(LibraryName, EntryPoint = "SHA256_Init")]
    [SuppressGCTransition]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int Sha256Init(void* context);

    [LibraryImport(LibraryName, EntryPoint = "SHA256_Update")]
    [SuppressGCTransition]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int Sha256Update(void* context, byte* data, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "SHA256_Final")]
    [SuppressGCTransition]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    internal static partial int Sha256Final(byte* digest, void* context);

    private static (bool, string) Load()
    {
        foreach (var candidate in _candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out var handle))
            {
                continue;
            }

            if (NativeLibrary.TryGetExport(handle, "SHA256_Init", out _)
                && NativeLibrary.TryGetExport(handle, "SHA256_Update", out _)
                && NativeLibrary.TryGetExport(handle, "SHA256_Final", out _))
            {
                NativeLibrary.SetDllImportResolver(typeof(LibCrypto).Assembly, (name, _, _) => Resolve(name, handle));
                return (true, candidate);
            }

            NativeLibrary.Free(handle);
        }

        return (false, $"none of {string.Join(", ", _candidates)} could be loaded with SHA256_Init/Update/Final");
    }

    // Only our own logical name is redirected; every other import of this assembly resolves the usual way.
    private static IntPtr Resolve(string name, IntPtr handle) => name == LibraryName ? handle : IntPtr.Zero;
}
