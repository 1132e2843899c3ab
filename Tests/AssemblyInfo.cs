// Ring tests start spinning threads and measure allocations process-wide; on a two-core machine they must not
// share it with other tests. The whole suite runs in seconds, so it runs one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
