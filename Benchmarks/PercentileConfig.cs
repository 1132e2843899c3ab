using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace Benchmarks;

/// <summary>Adds the percentiles a latency table needs to BenchmarkDotNet's per-iteration statistics.</summary>
public sealed class PercentileConfig : ManualConfig
{
    public PercentileConfig() => AddColumn(StatisticColumn.P90, StatisticColumn.P95);
}
