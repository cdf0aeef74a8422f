namespace Kv.Conformance;

/// <summary>Waits for a condition that background work makes true. The bound only stops a broken test from hanging;
/// no test asserts how long anything took.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string because)
    {
        for (int i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Xunit.Assert.True(condition(), because);
    }

    public static async Task TrueAsync(Func<ValueTask<bool>> condition, string because)
    {
        for (int i = 0; i < 1000 && !await condition(); i++)
        {
            await Task.Delay(10);
        }

        Xunit.Assert.True(await condition(), because);
    }
}
