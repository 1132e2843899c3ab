using System.Security.Cryptography;
using System.Text;
using Engine.Hosting;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace Engine.Control.Grpc;

/// <summary>
/// The control plane's one secret. Required when the control or metrics endpoint binds a non-loopback address (the
/// options validator refuses to start otherwise); when set it is required on loopback too. Compared in constant time
/// over SHA-256 digests, so neither the content nor the length of the token leaks through timing.
/// </summary>
public sealed class BearerToken
{
    private readonly byte[]? _digest;

    public BearerToken(IOptions<EngineOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var token = options.Value.Control.Token?.Trim();
        _digest = string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    public bool Required => _digest is not null;

    /// <summary>True when no token is required, or <paramref name="authorization"/> is "Bearer &lt;token&gt;".</summary>
    public bool Accepts(string? authorization)
    {
        if (_digest is null)
        {
            return true;
        }

        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()), presented);
        return CryptographicOperations.FixedTimeEquals(presented, _digest);
    }

    public override string ToString() => Required ? "BearerToken(set)" : "BearerToken(none)";
}

/// <summary>Answers UNAUTHENTICATED to every call without the bearer token (control, health and reflection alike).</summary>
public sealed class BearerAuthInterceptor(BearerToken token) : Interceptor
{
    private const string Refusal = "a bearer token is required: send 'authorization: Bearer <token>' (enginectl --token)";

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!token.Accepts(context.RequestHeaders.GetValue("authorization")))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, Refusal));
        }
    }
}
