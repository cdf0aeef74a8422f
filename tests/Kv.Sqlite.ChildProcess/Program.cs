using System.Globalization;
using System.Threading.RateLimiting;
using Kv;

// A child process for Kv.Sqlite's crash and multi-process tests. Usage:
//   write <path> <durability> <count>      sets k0, k1, … one after another; prints "ack kN" after each task completed
//   increment <path> <durability> <count>  increments "counter" count times; prints "done"
//   setnx <path> <durability> <name>       set-if-not-exists of "winner" to name; prints "won" or "lost"
//   hold <path> <milliseconds>             holds the file's write lock that long (BEGIN IMMEDIATE); prints "holding"
// The next commands print "ready", wait for a line ("go") on standard input, so that every child starts together:
//   txincrement <path> <durability> <count>   count read-check-write increments of "txcounter" (GetEntryAsync, then a
//                                             transaction Check(version) + Set(value + 1), retried on conflict);
//                                             prints "done <conflicts>"
//   ratelimit <path> <kind> <attempts> <limit> <ticks>
//                                             attempts acquisitions of one permit from a fixedwindow or tokenbucket
//                                             limiter of the given limit, with the clock stopped at UTC ticks (so no
//                                             window or refill passes); prints "admitted <n>"
//   lock <path> <durability> <count>       count times: takes the distributed lock "the-lock", checks that its fencing
//                                             token is above "last-token" and stores it there, reads "count",
//                                             yields, writes count + 1 (a read-then-write that only the lock makes
//                                             exact), releases; prints "token <t>" for each, "violation <t>" if a token
//                                             did not increase, then "done"
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: write|increment|setnx|txincrement|lock <path> <durability> <arg> | ratelimit <path> <kind> <attempts> <limit> <ticks> | hold <path> <ms>");
    return 2;
}

string command = args[0];
string path = args[1];
if (command == "hold")
{
    using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
    connection.Open();
    using (var begin = connection.CreateCommand())
    {
        begin.CommandText = "BEGIN IMMEDIATE";
        begin.ExecuteNonQuery();
    }

    Console.WriteLine("holding");
    Console.Out.Flush();
    Thread.Sleep(int.Parse(args[2], CultureInfo.InvariantCulture));
    return 0;
}

if (command == "ratelimit")
{
    return await RateLimitAsync(path, args[2], int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), long.Parse(args[5], CultureInfo.InvariantCulture));
}

var durability = Enum.Parse<SqliteDurability>(args[2]);
using var kv = new SqliteKv(new SqliteKvOptions { Path = path, Durability = durability, BusyTimeout = TimeSpan.FromSeconds(60) });
IAtomicKvStore store = kv.Namespace("child");
switch (command)
{
    case "txincrement":
        await WaitForGoAsync();
        int conflicts = 0;
        for (int i = 0, target = int.Parse(args[3], CultureInfo.InvariantCulture); i < target; i++)
        {
            while (true)
            {
                KvEntry<long>? entry = await store.GetEntryAsync<long>("txcounter");
                KvCommitResult result = await store.CreateTransaction()
                    .Check(store, "txcounter", entry?.Version)
                    .Set(store, "txcounter", (entry?.Value ?? 0) + 1)
                    .CommitAsync();
                if (result.Applied)
                {
                    break;
                }

                conflicts++;
            }
        }

        Console.WriteLine("done " + conflicts.ToString(CultureInfo.InvariantCulture));
        break;
    case "lock":
        var locks = new KvDistributedLockProvider(
            kv.Namespace("locks"),
            new KvDistributedLockOptions { Lease = TimeSpan.FromMinutes(5), MinPollInterval = TimeSpan.FromMilliseconds(1), MaxPollInterval = TimeSpan.FromMilliseconds(20) });
        await WaitForGoAsync();
        for (int i = 0, target = int.Parse(args[3], CultureInfo.InvariantCulture); i < target; i++)
        {
            await using KvDistributedLockHandle handle = await locks.AcquireAsync("the-lock", timeout: TimeSpan.FromMinutes(2));
            long last = await store.GetAsync<long>("last-token");
            Console.WriteLine((handle.FencingToken > last ? "token " : "violation ") + handle.FencingToken.ToString(CultureInfo.InvariantCulture));
            await store.SetAsync("last-token", handle.FencingToken);
            long counted = await store.GetAsync<long>("count");
            await Task.Yield();
            await store.SetAsync("count", counted + 1);
        }

        Console.WriteLine("done");
        break;
    case "write":
        int count = int.Parse(args[3], CultureInfo.InvariantCulture);
        for (int i = 0; i < count; i++)
        {
            string key = "k" + i.ToString(CultureInfo.InvariantCulture);
            await store.SetAsync(key, i);
            Console.WriteLine("ack " + key);
            Console.Out.Flush();
        }

        break;
    case "increment":
        int increments = int.Parse(args[3], CultureInfo.InvariantCulture);
        Console.WriteLine("ready");
        Console.Out.Flush();
        for (int i = 0; i < increments; i++)
        {
            await store.IncrementAsync("counter");
        }

        Console.WriteLine("done");
        break;
    case "setnx":
        bool won = await store.SetIfNotExistsAsync("winner", args[3]);
        Console.WriteLine(won ? "won" : "lost");
        break;
    default:
        Console.Error.WriteLine("unknown command " + command);
        return 2;
}

return 0;

// Every child of a test prints "ready" and starts on the parent's "go", so that they all run at once.
static async Task WaitForGoAsync()
{
    Console.WriteLine("ready");
    Console.Out.Flush();
    if (await Console.In.ReadLineAsync() != "go")
    {
        throw new InvalidOperationException("The parent did not say go.");
    }
}

static async Task<int> RateLimitAsync(string path, string kind, int attempts, int limit, long ticks)
{
    var clock = new StoppedClock(new DateTimeOffset(ticks, TimeSpan.Zero));
    using var kv = new SqliteKv(new SqliteKvOptions { Path = path, BusyTimeout = TimeSpan.FromSeconds(60) }, clock);
    IAtomicKvStore store = kv.Namespace("limits");
    using RateLimiter limiter = kind switch
    {
        "fixedwindow" => new KvFixedWindowRateLimiter(
            store, "api", new KvFixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), FailureMode = KvRateLimitFailureMode.FailClosed }, timeProvider: clock),
        "tokenbucket" => new KvTokenBucketRateLimiter(
            store, "api", new KvTokenBucketRateLimiterOptions { TokenLimit = limit, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromMinutes(1), FailureMode = KvRateLimitFailureMode.FailClosed }, timeProvider: clock),
        _ => throw new ArgumentException("unknown limiter " + kind, nameof(kind)),
    };
    await WaitForGoAsync();
    int admitted = 0;
    for (int i = 0; i < attempts; i++)
    {
        using RateLimitLease lease = await limiter.AcquireAsync();
        admitted += lease.IsAcquired ? 1 : 0;
    }

    Console.WriteLine("admitted " + admitted.ToString(CultureInfo.InvariantCulture));
    return 0;
}

/// <summary>A clock stopped at one instant: every child of a test sees the same time, so no window ends and no bucket
/// refills while they run, however long they take.</summary>
internal sealed class StoppedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
