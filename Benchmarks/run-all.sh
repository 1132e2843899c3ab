#!/usr/bin/env bash
# Runs every benchmark and writes the tables to Benchmarks/results/, each headed by the command that made it.
# Takes about 18 minutes on the 2-core machine; run it with nothing else busy.
set -euo pipefail
cd "$(dirname "$0")"
results=results
mkdir -p "$results"
dotnet build -c Release . >/dev/null

# With arguments, only the BenchmarkDotNet suites named (e.g. `run-all.sh OrderSigningBenchmarks`) and no harnesses.
suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  suites=(RingThroughputBenchmarks PingPongBenchmarks PipelineBenchmarks OrderSigningBenchmarks BrainBenchmarks RestClientBenchmarks FeedParserBenchmarks)
fi

for suite in "${suites[@]}"; do
  rm -rf BenchmarkDotNet.Artifacts
  dotnet run -c Release --no-build -- --filter "*${suite}*" > "/tmp/${suite}.log" 2>&1
  {
    echo "# ${suite} (BenchmarkDotNet)"
    echo
    echo "Command: \`dotnet run -c Release --project Benchmarks -- --filter '*${suite}*'\`  "
    echo "Date (UTC): $(date -u '+%Y-%m-%d %H:%M')"
    echo
    cat BenchmarkDotNet.Artifacts/results/*-report-github.md
    echo
    echo "Per-iteration ns/op, in run order (this VM has periods where every cross-core transfer costs several times more):"
    echo
    awk '/^\/\/ Benchmark: /{sub(/^\/\/ Benchmark: [^.]*\./, ""); sub(/: Job-[^)]*\) */, " "); printf "\n- %s:", $0} /^WorkloadResult/{printf " %.0f", $(NF-1)} END {print ""}' "/tmp/${suite}.log"
  } > "${results}/${suite}.md"
done

if [ $# -gt 0 ]; then
  rm -rf BenchmarkDotNet.Artifacts
  echo "tables written to ${results}/"
  exit 0
fi

dotnet run -c Release --no-build -- throughput 15 > /dev/null
dotnet run -c Release --no-build -- latency 2000000 > /dev/null
dotnet run -c Release --no-build -- simulator 10 4 > /dev/null
dotnet run -c Release --no-build -- feedparser 200 > /dev/null
# The end-to-end harness: about 6 minutes (two phases of 30 s warm-up + 120 s measured, plus start-up).
dotnet run -c Release --no-build -- e2e > /dev/null
rm -rf BenchmarkDotNet.Artifacts
echo "tables written to ${results}/"
