using System.Net.Security;

namespace Engine.Exchange.Wire;

/// <summary>Where a <see cref="WireConnection"/> connects: host, port, and whether TLS runs on the socket.</summary>
public readonly record struct WireEndpoint(string Host, int Port, bool Tls)
{
    /// <summary>
    /// The endpoint of a <c>ws</c>, <c>wss</c>, <c>http</c> or <c>https</c> URI (default ports 80/443 when the URI gives
    /// none); TLS for <c>wss</c> and <c>https</c>.
    /// </summary>
    public static WireEndpoint FromUri(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException($"'{uri}' is not an absolute URI.", nameof(uri));
        }

        var tls = uri.Scheme switch
        {
            "wss" or "https" => true,
            "ws" or "http" => false,
            _ => throw new ArgumentException($"'{uri.Scheme}' is not a scheme a wire connection speaks (ws, wss, http, https).", nameof(uri)),
        };
        var port = uri.IsDefaultPort || uri.Port <= 0 ? (tls ? 443 : 80) : uri.Port;
        return new WireEndpoint(uri.IdnHost, port, tls);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{(Tls ? "tls" : "tcp")}://{Host}:{Port}";
}

/// <summary>Buffers, time-outs and TLS settings of a <see cref="WireConnection"/>; validated when a connection is made.</summary>
public sealed class WireConnectionOptions
{
    /// <summary>Bytes the reader receives into: the most the receiver can be handed unconsumed at once.</summary>
    public int ReceiveBufferBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Room for the unsent rest of a partly written send, finished by the connection's writer side; also the largest
    /// single send (TLS: the largest ciphertext of one send).
    /// </summary>
    public int PendingBufferBytes { get; init; } = 64 * 1024;

    /// <summary>How long the TCP connect and the TLS handshake may take together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Name of the reader thread (shown in dumps and <c>top -H</c>).</summary>
    public string ThreadName { get; init; } = "wire-reader";

    /// <summary>
    /// TLS server-certificate check; null uses the system's (the only right choice live). Tests against a
    /// self-signed loopback server pass their own.
    /// </summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (ReceiveBufferBytes is < 512 or > 64 * 1024 * 1024)
        {
            throw new ArgumentException($"ReceiveBufferBytes must be 512..64 MiB (was {ReceiveBufferBytes}).", nameof(ReceiveBufferBytes));
        }

        if (PendingBufferBytes is < 512 or > 64 * 1024 * 1024)
        {
            throw new ArgumentException($"PendingBufferBytes must be 512..64 MiB (was {PendingBufferBytes}).", nameof(PendingBufferBytes));
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ConnectTimeout must be positive (was {ConnectTimeout}).", nameof(ConnectTimeout));
        }

        if (string.IsNullOrWhiteSpace(ThreadName))
        {
            throw new ArgumentException("ThreadName must be set.", nameof(ThreadName));
        }
    }
}

/// <summary>What a <see cref="WireConnection"/>'s reader thread delivers. Called on that thread only, one call at a time.</summary>
public interface IWireReceiver
{
    /// <summary>
    /// Bytes received and not yet consumed (the unconsumed rest of earlier calls first). Returns how many bytes it
    /// consumed from the start; the rest is handed again, with more after it, on the next call. A receiver that
    /// consumes nothing from a full receive buffer ends the connection (a message larger than the buffer).
    /// Must not throw: an exception ends the connection with the exception's message as the reason.
    /// </summary>
    int OnReceived(ReadOnlySpan<byte> data);

    /// <summary>
    /// The connection ended: the peer closed it, a socket error, <see cref="WireConnection.Close"/>, or the receiver's
    /// own failure. Called exactly once, after the last <see cref="OnReceived"/>, on the reader thread (or on the
    /// connecting thread when the reader never started).
    /// </summary>
    void OnLost(string reason);
}
