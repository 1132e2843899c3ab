using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Engine.Hosting;

/// <summary>The two listeners (gRPC control, Prometheus metrics) and, once bound, their actual addresses.</summary>
public sealed class ControlEndpoints
{
    internal ListenOptions? Control { get; set; }

    internal ListenOptions? Metrics { get; set; }

    /// <summary>The bound control endpoint (its port is the real one when 0 was configured); null before start.</summary>
    public IPEndPoint? ControlEndPoint => Control?.IPEndPoint is { Port: > 0 } endPoint ? endPoint : null;

    public IPEndPoint? MetricsEndPoint => Metrics?.IPEndPoint is { Port: > 0 } endPoint ? endPoint : null;

    /// <summary>True when a connection's local port is the metrics listener's.</summary>
    public bool IsMetricsPort(int localPort) => MetricsEndPoint is { } metrics && metrics.Port == localPort;
}
