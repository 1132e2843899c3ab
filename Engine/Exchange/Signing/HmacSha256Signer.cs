using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Engine.Native;

namespace Engine.Exchange.Signing;

/// <summary>Where a signer's SHA-256 comes from.</summary>
public enum SigningBackend
{
    /// <summary>libcrypto when the system has it, the managed BCL otherwise.</summary>
    Auto = 0,

    /// <summary>OpenSSL's libcrypto with the key pads hashed once at construction.</summary>
    LibCrypto,

    /// <summary>The BCL's <see cref="IncrementalHash"/> HMAC, reused across signatures.</summary>
    Managed,
}

/// <summary>
/// HMAC-SHA256 request signing for one API secret, as Binance wants it: 64 lowercase hex characters over the
/// exact parameter bytes sent. Built once per secret; signing allocates nothing.
/// </summary>
/// <remarks>
/// With libcrypto the inner and outer SHA-256 states (key ⊕ ipad and key ⊕ opad already absorbed) are computed
/// at construction, so a signature costs copying two 112-byte states and hashing the message and the inner
/// digest: no key schedule per request. The managed fallback produces identical output more slowly.
/// A signer belongs to the one thread that signs with it (the execution stage); it is not thread-safe.
/// </remarks>
[SkipLocalsInit]
public sealed unsafe class HmacSha256Signer : IRequestSigner
{
    /// <summary>Length of a signature in hex characters.</summary>
    public const int SignatureLength = 64;

    private const int BlockSize = 64;
    private const int DigestSize = 32;

    // Native: two SHA256_CTX templates side by side in unmanaged memory, so no pinning is needed per call.
    private byte* _states;
    private readonly IncrementalHash? _managed;

    private HmacSha256Signer(ReadOnlySpan<byte> secret, SigningBackend backend)
    {
        Backend = backend;
        if (backend == SigningBackend.Managed)
        {
            _managed = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
            return;
        }

        _states = (byte*)NativeMemory.AllocZeroed(2 * LibCrypto.Sha256ContextSize);
        Span<byte> key = stackalloc byte[BlockSize];
        key.Clear();
        if (secret.Length > BlockSize)
        {
            SHA256.HashData(secret, key);
        }
        else
        {
            secret.CopyTo(key);
        }

        Span<byte> pad = stackalloc byte[BlockSize];
        AbsorbPad(key, pad, 0x36, _states);
        AbsorbPad(key, pad, 0x5c, _states + LibCrypto.Sha256ContextSize);
        CryptographicOperations.ZeroMemory(key);
        CryptographicOperations.ZeroMemory(pad);
    }

    /// <summary>The backend this signer uses.</summary>
    public SigningBackend Backend { get; }

    /// <summary>
    /// Creates a signer for <paramref name="secret"/>. <see cref="SigningBackend.Auto"/> picks libcrypto when
    /// available; asking for <see cref="SigningBackend.LibCrypto"/> where it is missing throws.
    /// </summary>
    public static HmacSha256Signer Create(ReadOnlySpan<byte> secret, SigningBackend backend = SigningBackend.Auto)
    {
        if (secret.IsEmpty)
        {
            throw new ArgumentException("The API secret is empty.", nameof(secret));
        }

        var chosen = backend switch
        {
            SigningBackend.Auto => LibCrypto.IsAvailable ? SigningBackend.LibCrypto : SigningBackend.Managed,
            SigningBackend.LibCrypto when !LibCrypto.IsAvailable =>
                throw new PlatformNotSupportedException($"libcrypto signing asked for but unavailable: {LibCrypto.Description}."),
            _ => backend,
        };
        return new HmacSha256Signer(secret, chosen);
    }

    /// <summary>
    /// Creates a signer for the secret held by <paramref name="credentials"/>; throws <see cref="InvalidOperationException"/>
    /// when they hold an Ed25519 key instead (<see cref="RequestSigners.Create"/> makes the right signer for either).
    /// </summary>
    public static HmacSha256Signer Create(ApiCredentials credentials, SigningBackend backend = SigningBackend.Auto)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return Create(credentials.SecretBytes, backend);
    }

    /// <summary>What <see cref="SigningBackend.Auto"/> resolves to on this machine, for the start-up log (loads libcrypto once).</summary>
    public static string AutoBackendDescription => LibCrypto.IsAvailable
        ? $"libcrypto ({LibCrypto.Description}), key pads precomputed"
        : $"the managed BCL HMACSHA256 (libcrypto unavailable: {LibCrypto.Description})";

    /// <summary>Describes the backend for the start-up log ("libcrypto (libcrypto.so.3)" or "managed (…)").</summary>
    public string BackendDescription => Backend == SigningBackend.LibCrypto
        ? $"libcrypto ({LibCrypto.Description})"
        : $"managed BCL HMACSHA256 ({(LibCrypto.IsAvailable ? "chosen" : LibCrypto.Description)})";

    /// <summary>Writes the lowercase hex HMAC-SHA256 of <paramref name="totalParams"/> into the first 64 bytes of <paramref name="hexOut"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Sign(ReadOnlySpan<byte> totalParams, Span<byte> hexOut)
    {
        if (hexOut.Length < SignatureLength)
        {
            ThrowTooShort();
        }

        Span<byte> mac = stackalloc byte[DigestSize];
        if (_managed is not null)
        {
            _managed.AppendData(totalParams);
            _managed.GetHashAndReset(mac);
        }
        else
        {
            SignNative(totalParams, mac);
        }

        Convert.TryToHexStringLower(mac, hexOut, out _);
    }

    private void SignNative(ReadOnlySpan<byte> totalParams, Span<byte> mac)
    {
        var states = _states;
        ObjectDisposedException.ThrowIf(states == null, this);
        var context = stackalloc byte[LibCrypto.Sha256ContextSize];
        var inner = stackalloc byte[DigestSize];
        fixed (byte* message = totalParams)
        fixed (byte* output = mac)
        {
            Unsafe.CopyBlockUnaligned(context, states, LibCrypto.Sha256ContextSize);
            var ok = LibCrypto.Sha256Update(context, message, (nuint)totalParams.Length)
                & LibCrypto.Sha256Final(inner, context);
            Unsafe.CopyBlockUnaligned(context, states + LibCrypto.Sha256ContextSize, LibCrypto.Sha256ContextSize);
            ok &= LibCrypto.Sha256Update(context, inner, DigestSize) & LibCrypto.Sha256Final(output, context);

            // These calls only fail on null pointers, which cannot happen here; checked anyway, off the fast path.
            if (ok != 1)
            {
                ThrowNativeFailure();
            }
        }

        // The inner digest and the copied state are derived from the secret; leave none of it on the stack.
        new Span<byte>(context, LibCrypto.Sha256ContextSize).Clear();
        new Span<byte>(inner, DigestSize).Clear();
    }

    private static void AbsorbPad(ReadOnlySpan<byte> key, Span<byte> pad, byte mask, byte* state)
    {
        for (var i = 0; i < BlockSize; i++)
        {
            pad[i] = (byte)(key[i] ^ mask);
        }

        fixed (byte* padPointer = pad)
        {
            if (LibCrypto.Sha256Init(state) != 1 || LibCrypto.Sha256Update(state, padPointer, BlockSize) != 1)
            {
                throw new CryptographicException("libcrypto SHA256_Init/Update failed while precomputing the HMAC key pads.");
            }
        }
    }

    private static void ThrowNativeFailure() =>
        throw new CryptographicException("libcrypto SHA-256 failed while signing.");

    private static void ThrowTooShort() =>
        throw new ArgumentException($"The signature needs {SignatureLength} bytes of output space.");

    public void Dispose()
    {
        _managed?.Dispose();
        if (_states != null)
        {
            new Span<byte>(_states, 2 * LibCrypto.Sha256ContextSize).Clear();
            NativeMemory.Free(_states);
            _states = null;
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the key-derived native state if the owner forgot to dispose.</summary>
    ~HmacSha256Signer()
    {
        if (_states != null)
        {
            new Span<byte>(_states, 2 * LibCrypto.Sha256ContextSize).Clear();
            NativeMemory.Free(_states);
            _states = null;
        }
    }

    SignatureScheme IRequestSigner.Scheme => SignatureScheme.HmacSha256;

    int IRequestSigner.MaxQuerySignatureLength => SignatureLength;

    int IRequestSigner.MaxJsonSignatureLength => SignatureLength;

    string IRequestSigner.Description => "HMAC-SHA256, " + BackendDescription;

    int IRequestSigner.SignForQuery(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        Sign(payload, destination);
        return SignatureLength;
    }

    int IRequestSigner.SignForJson(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        Sign(payload, destination);
        return SignatureLength;
    }

    public override string ToString() => $"HmacSha256Signer({Backend}, secret hidden)";
}
