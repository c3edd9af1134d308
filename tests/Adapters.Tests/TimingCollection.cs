using Xunit;

namespace CustomerService.Adapters.Tests;

/// <summary>
/// Tests that assert a deadline or a time budget run alone (after the others, not beside the CPU-heavy property
/// tests), so that what they measure is the code, not the neighbours.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing";
}
