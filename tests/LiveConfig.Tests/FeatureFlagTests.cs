namespace CustomerService.LiveConfig.Tests;

public class FeatureFlagTests
{
    [Theory]
    [InlineData(10.0)]
    [InlineData(50.0)]
    [InlineData(2.5)]
    public void Percentage_rollout_reaches_that_share_of_100000_visitors(double percentage)
    {
        var flag = new FeatureFlag { Key = "merge_short_messages", Enabled = true, Percentage = percentage };

        var on = Enumerable.Range(0, 100_000).Count(i => FeatureFlagEvaluator.IsEnabled(flag, "t1", $"visitor-{i}"));

        // Binomial: σ ≈ 158 at 50%; 0.6 points is more than 3.5σ at every share tested.
        Assert.InRange(on / 1000.0, percentage - 0.6, percentage + 0.6);
    }

    [Fact]
    public void Buckets_are_stable_and_raising_the_percentage_only_adds_ids()
    {
        var ids = Enumerable.Range(0, 20_000).Select(i => $"v{i}").ToArray();
        var at10 = ids.Where(id => FeatureFlagEvaluator.IsEnabled(Flag(10), "t", id)).ToHashSet();
        var at10Again = ids.Where(id => FeatureFlagEvaluator.IsEnabled(Flag(10), "t", id)).ToHashSet();
        var at30 = ids.Where(id => FeatureFlagEvaluator.IsEnabled(Flag(30), "t", id)).ToHashSet();

        Assert.Equal(at10, at10Again);
        Assert.Subset(at30, at10);
        // Pinned values: the hash is documented so other languages can reproduce it; it must never drift.
        Assert.Equal(FeatureFlagEvaluator.Bucket("f", "v1"), FeatureFlagEvaluator.Bucket("f", "v1"));
        Assert.Equal(1847, FeatureFlagEvaluator.Bucket("merge_short_messages", "visitor-42"));

        static FeatureFlag Flag(double p) => new() { Key = "k", Enabled = true, Percentage = p };
    }

    [Fact]
    public void Different_flags_bucket_the_same_ids_independently()
    {
        var ids = Enumerable.Range(0, 10_000).Select(i => $"v{i}").ToArray();
        var a = ids.Where(id => FeatureFlagEvaluator.IsEnabled(new FeatureFlag { Key = "a", Enabled = true, Percentage = 50 }, "t", id)).ToHashSet();
        var b = ids.Where(id => FeatureFlagEvaluator.IsEnabled(new FeatureFlag { Key = "b", Enabled = true, Percentage = 50 }, "t", id)).ToHashSet();

        a.IntersectWith(b);
        Assert.InRange(a.Count, 2_200, 2_800);
    }

    [Fact]
    public void Kill_switch_beats_allow_list_which_beats_disabled()
    {
        var allowListed = new FeatureFlag { Key = "x", Enabled = false, AllowList = ["vip-visitor", "tenant-b"] };

        Assert.True(FeatureFlagEvaluator.IsEnabled(allowListed, "t", "vip-visitor"));
        Assert.True(FeatureFlagEvaluator.IsEnabled(allowListed, "tenant-b", "anyone"));
        Assert.False(FeatureFlagEvaluator.IsEnabled(allowListed, "t", "other"));
        Assert.False(FeatureFlagEvaluator.IsEnabled(allowListed with { KillSwitch = true }, "t", "vip-visitor"));
        Assert.False(FeatureFlagEvaluator.IsEnabled(new FeatureFlag { Key = "x", Enabled = true, KillSwitch = true }, "t", "v"));
        Assert.True(FeatureFlagEvaluator.IsEnabled(new FeatureFlag { Key = "x", Enabled = true }, "t", null));
    }

    [Fact]
    public void Tenant_bucketing_decides_per_tenant_whatever_the_visitor()
    {
        var flag = new FeatureFlag { Key = "new_console", Enabled = true, Percentage = 50, BucketBy = RolloutUnit.Tenant };
        var tenants = Enumerable.Range(0, 2_000).Select(i => $"tenant-{i}").ToArray();

        foreach (var tenant in tenants.Take(50))
        {
            var first = FeatureFlagEvaluator.IsEnabled(flag, tenant, "v1");
            Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(first, FeatureFlagEvaluator.IsEnabled(flag, tenant, $"v{i}")));
        }
        Assert.InRange(tenants.Count(t => FeatureFlagEvaluator.IsEnabled(flag, t, null)), 900, 1_100);
    }
}
