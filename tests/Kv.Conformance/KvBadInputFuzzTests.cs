using System.Globalization;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Kv.Conformance;

/// <summary>
/// The fuzz test of bad input: a seeded sequence of calls to every public operation, each with one bad argument
/// (a broken key or namespace, a bad TTL, an unserializable value, a bad listing argument, a bad transaction, a value
/// the store cannot use, a cancelled token), applied to a reference backend and to the backend under test. Good writes
/// between them give the stores something to lose. For every bad call it asserts four things: the call throws, what it
/// throws is in the documented set (README "Errors"), nothing changed on either backend, and both backends answered
/// alike. A failure names the seed and the step, so it replays exactly.
/// </summary>
public abstract class KvBadInputFuzzTests : IAsyncLifetime
{
    private const int Steps = 600;

    // Passed by index, never through xUnit: it would carry a lone surrogate as U+FFFD.
    private static readonly string[] BadKeys =
    [
        "", new string('k', KvKeyRules.MaxKeyLength + 1), "__reserved", "tab\there", "nul\0", "del\u007f", "c1\u0085",
        "lone\ud800", "\udc00low", "reversed\ude00\ud83d",
    ];

    private static readonly string[] BadNamespaces = ["", " ", "\t", "a:b", "::", "__kv", "lone\ud800", new string('n', 300), "ctl\u0001"];

    private static readonly string[] GoodKeys = ["a", "b", "user:1", "n", "text", "é"];

    // Base64url of bytes that are not UTF-8 ("garbage", "_w"), of a control character ("AAAA"), or no base64url at all.
    private static readonly string[] BadCursors = ["garbage", "_w", "!!!", "AAAA", "\ud800", " ", "a=b"];

    private static readonly string[] BadPatterns = ["[a", "[", "a[b", "\\", "x\ud800"];

    private static readonly string[] BadTexts = ["a\ud800b", "\udc00", "end\ud83d"];

    private readonly IKvTestBackend _subject;
    private readonly AtomicKvAdaptor _foreign;

    /// <param name="subject">The backend under test; it must agree with a <see cref="MemoryKv"/> on a fake clock.</param>
    protected KvBadInputFuzzTests(IKvTestBackend subject)
    {
        _subject = subject;
        _foreign = new MemoryKv(new MemoryKvOptions());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _subject.DisposeAsync();

    [Theory]
    [InlineData(20261202)]
    [InlineData(3)]
    public async Task Bad_input_throws_only_documented_exceptions_changes_nothing_and_backends_agree(int seed)
    {
        await using var reference = new MemoryReferenceBackend();
        string root = "fuzz" + Guid.NewGuid().ToString("N");
        Side[] sides =
        [
            new("reference", reference.CreateAdaptor().Namespace(root), _foreign.Namespace(root)),
            new("subject", _subject.CreateAdaptor().Namespace(root), _foreign.Namespace(root)),
        ];
        foreach (Side side in sides)
        {
            // Fixed residents that good writes never touch: what increments overflow on, and text that is no number.
            await side.Store.SetAsync("big", long.MaxValue);
            await side.Store.SetAsync("small", long.MinValue);
            await side.Store.SetAsync("text", "not a number");
        }

        var random = new Random(seed);
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        int badCalls = 0;

        for (int step = 0; step < Steps; step++)
        {
            bool good = random.Next(4) == 0;
            Call call = good ? NextGoodWrite(random) : NextBadCall(random);
            kinds[call.Name] = kinds.GetValueOrDefault(call.Name) + 1;
            string where = $"Seed {seed}, step {step}: {call.Name} ({call.Description})";

            var before = new Snapshot[sides.Length];
            var answers = new string[sides.Length];
            for (int i = 0; i < sides.Length; i++)
            {
                before[i] = good ? Snapshot.None : await SnapshotAsync(sides[i].Store);
                answers[i] = await OutcomeAsync(() => call.Run(sides[i]), where, sides[i].Name);
            }

            Assert.True(answers[0] == answers[1], $"{where}\n  reference: {answers[0]}\n  subject:   {answers[1]}");
            if (good)
            {
                continue;
            }

            badCalls++;
            Assert.True(answers[0] != "ok", $"{where}: the bad call was accepted on both backends.");
            for (int i = 0; i < sides.Length; i++)
            {
                Snapshot after = await SnapshotAsync(sides[i].Store);
                Assert.True(before[i].Matches(after), $"{where}: the {sides[i].Name} backend changed.\n  before: {before[i]}\n  after:  {after}");
            }
        }

        // Every kind of bad call ran, so the test covers what it says it covers.
        Assert.True(badCalls > Steps / 2, $"only {badCalls} bad calls");
        foreach (string name in BadCallNames)
        {
            Assert.True(kinds.ContainsKey(name), $"Seed {seed} never made a '{name}' call.");
        }
    }

    // The documented outcomes of a bad call: KvException with its code (and, for KeyNotFound, the keys),
    // ArgumentNullException, OperationCanceledException. Anything else fails the test on the spot.
    private static async Task<string> OutcomeAsync(Func<Task> run, string where, string side)
    {
        try
        {
            await run();
            return "ok";
        }
        catch (KvException ex)
        {
            return "KvException " + ex.Code + (ex.Keys.Count > 0 ? " " + string.Join(",", ex.Keys.Order(StringComparer.Ordinal)) : string.Empty);
        }
        catch (ArgumentNullException ex)
        {
            return "ArgumentNullException " + ex.ParamName;
        }
        catch (OperationCanceledException)
        {
            return "OperationCanceledException";
        }
        catch (Exception ex)
        {
            Assert.Fail($"{where}: the {side} backend threw {ex.GetType().FullName}, which is not in the documented set: {ex}");
            throw;
        }
    }

    // What a bad call must not change: every key of the root and of its child namespace, with value, version,
    // expiry instant and metadata.
    private static async Task<Snapshot> SnapshotAsync(IAtomicKvStore root)
    {
        var text = new StringBuilder();
        var expiries = new List<DateTimeOffset>();
        foreach (IKvStore store in new IKvStore[] { root, root.Namespace("child") })
        {
            KvListResult page = await store.ListAsync(new KvListQuery { Limit = 100 });
            Assert.True(page.ListComplete);
            foreach (KvKeyInfo key in page.Keys)
            {
                KvEntry<JsonElement?>? entry = await store.GetEntryAsync<JsonElement?>(key.Name);
                text.Append(key.Name).Append('=')
                    .Append(entry is null ? "gone" : (entry.Value is { } v ? v.GetRawText() : "null") + " v" + entry.Version.ToString(CultureInfo.InvariantCulture))
                    .Append(key.ExpiresAt is null ? string.Empty : " expires")
                    .Append(key.Metadata is { } m ? " meta" + m.GetRawText() : string.Empty)
                    .Append(';');
                if (key.ExpiresAt is { } at)
                {
                    expiries.Add(at);
                }
            }

            text.Append('|');
        }

        return new Snapshot(text.ToString(), expiries);
    }

    // A server reports an expiry instant as now + remaining TTL, so two reads of an unchanged key may differ by the
    // milliseconds between them; every bad call here that would change an expiry would move it by minutes or more.
    private sealed record Snapshot(string Entries, IReadOnlyList<DateTimeOffset> Expiries)
    {
        private static readonly TimeSpan ReadJitter = TimeSpan.FromSeconds(2);

        public static Snapshot None { get; } = new(string.Empty, []);

        public bool Matches(Snapshot other) =>
            Entries == other.Entries
            && Expiries.Count == other.Expiries.Count
            && Expiries.Zip(other.Expiries).All(pair => (pair.First - pair.Second).Duration() <= ReadJitter);

        public override string ToString() =>
            Entries + " expiries " + string.Join(",", Expiries.Select(e => e.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
    }

    private static Call NextGoodWrite(Random random)
    {
        string key = GoodKeys[random.Next(GoodKeys.Length)];
        bool child = random.Next(3) == 0;
        KvSetOptions? options = random.Next(3) switch
        {
            0 => KvSetOptions.WithTtl(TimeSpan.FromHours(5)),
            1 => new KvSetOptions { Metadata = new { tag = random.Next(3) } },
            _ => null,
        };
        object value = key switch
        {
            "n" => random.Next(-100, 100),
            "text" => "still not a number " + random.Next(10),
            _ => new Dictionary<string, int> { ["x"] = random.Next(1000) },
        };
        return new("good-set", $"key '{key}' child={child} value {JsonSerializer.Serialize(value)}", side => Store(side, child).SetAsync(key, value, options).AsTask());
    }

    private static IAtomicKvStore Store(Side side, bool child) => child ? side.Store.Namespace("child") : side.Store;

    private static readonly string[] BadCallNames =
    [
        "bad-key", "bad-namespace", "bad-ttl", "bad-value", "bad-list", "bad-pattern", "bad-batch", "not-numeric",
        "overflow", "unreadable", "missing-required", "bad-transaction", "cancelled", "null",
    ];

    private static Call NextBadCall(Random random)
    {
        string name = BadCallNames[random.Next(BadCallNames.Length)];
        int which = random.Next(1000);
        string badKey = BadKeys[random.Next(BadKeys.Length)];
        string goodKey = GoodKeys[random.Next(GoodKeys.Length)];
        string describe = $"variant {which}";
        return name switch
        {
            "bad-key" => new(name, describe + $" key #{Array.IndexOf(BadKeys, badKey)}", side => KeyOperation(side.Store, badKey, which)),
            "bad-namespace" => new(name, describe + " namespace #" + (which % BadNamespaces.Length), side => Task.Run(async () =>
            {
                IAtomicKvStore store = side.Store.Namespace(BadNamespaces[which % BadNamespaces.Length]);
                await store.SetAsync("a", 1);
            })),
            "bad-ttl" => new(name, describe, side => TtlOperation(side.Store, goodKey, which)),
            "bad-value" => new(name, describe, side => ValueOperation(side.Store, goodKey, which)),
            "bad-list" => new(name, describe, side => ListOperation(side.Store, which)),
            "bad-pattern" => new(name, describe + " pattern #" + (which % BadPatterns.Length), side => (which % 2) switch
            {
                0 => side.Store.KeysAsync(BadPatterns[which % BadPatterns.Length]).AsTask(),
                _ => side.Store.CountAsync(BadPatterns[which % BadPatterns.Length]).AsTask(),
            }),
            "bad-batch" => new(name, describe, side => BatchOperation(side.Store, badKey, which)),
            "not-numeric" => new(name, describe, side => side.Store.IncrementAsync("text", which % 2 == 0 ? 1 : -7).AsTask()),
            "overflow" => new(name, describe, side => (which % 3) switch
            {
                0 => side.Store.IncrementAsync("big", 1 + (which % 5)).AsTask(),
                1 => side.Store.IncrementAsync("small", -1 - (which % 5)).AsTask(),
                _ => side.Store.CreateTransaction().Set(side.Store, "a", 1).Increment(side.Store, "big", long.MaxValue).CommitAsync().AsTask(),
            }),
            "unreadable" => new(name, describe, side => (which % 3) switch
            {
                0 => side.Store.GetAsync<long>("text").AsTask(),
                1 => side.Store.GetEntryAsync<int[]>("text").AsTask(),
                _ => side.Store.GetManyAsync<Guid>(["text", "missing"]).AsTask(),
            }),
            "missing-required" => new(name, describe, side => side.Store.GetRequiredManyAsync<JsonElement?>(["never-1", goodKey, "never-2"]).AsTask()),
            "bad-transaction" => new(name, describe, side => TransactionOperation(side, goodKey, badKey, which)),
            "cancelled" => new(name, describe, side => CancelledOperation(side.Store, goodKey, which)),
            _ => new(name, describe, side => NullOperation(side.Store, which)),
        };
    }

    private static Task KeyOperation(IAtomicKvStore s, string key, int which) => (which % 12) switch
    {
        0 => s.SetAsync(key, 1).AsTask(),
        1 => s.GetAsync<int>(key).AsTask(),
        2 => s.GetEntryAsync<int>(key).AsTask(),
        3 => s.DeleteAsync(key).AsTask(),
        4 => s.ExistsAsync(key).AsTask(),
        5 => s.ExpireAsync(key, TimeSpan.FromMinutes(1)).AsTask(),
        6 => s.IncrementAsync(key).AsTask(),
        7 => s.SetIfNotExistsAsync(key, "v").AsTask(),
        8 => s.GetTimeToLiveAsync(key).AsTask(),
        9 => s.PersistAsync(key).AsTask(),
        10 => s.GetStorageSizeAsync([key]).AsTask(),
        _ => s.ExpireAtAsync(key, DateTimeOffset.MaxValue.AddYears(-1)).AsTask(),
    };

    private static Task TtlOperation(IAtomicKvStore s, string key, int which)
    {
        KvSetOptions options = (which % 6) switch
        {
            0 => KvSetOptions.WithTtl(TimeSpan.Zero),
            1 => KvSetOptions.WithTtl(TimeSpan.FromMilliseconds(-1)),
            2 => KvSetOptions.WithTtl(KvSetOptions.MaxTtl + TimeSpan.FromDays(1)),
            3 => KvSetOptions.WithTtl(TimeSpan.MinValue),
            4 => KvSetOptions.WithExpiresAt(DateTimeOffset.UnixEpoch),
            _ => new KvSetOptions { Ttl = TimeSpan.FromMinutes(1), ExpiresAt = DateTimeOffset.UnixEpoch.AddYears(100) },
        };
        return ((which / 6) % 7) switch
        {
            0 => s.SetAsync(key, 1, options).AsTask(),
            1 => s.IncrementAsync("n", 1, options).AsTask(),
            2 => s.SetIfNotExistsAsync("fresh", 1, options).AsTask(),
            3 => s.SetManyAsync<int>([new("m1", 1), new(key, 2)], options).AsTask(),
            4 => s.ExpireAsync(key, (which % 3) switch { 0 => TimeSpan.Zero, 1 => TimeSpan.FromTicks(-1), _ => KvSetOptions.MaxTtl + TimeSpan.FromDays(1) }).AsTask(),
            5 => s.ExpireAtAsync(key, DateTimeOffset.UnixEpoch).AsTask(),
            _ => s.CreateTransaction().Set(s, key, 1, options).CommitAsync().AsTask(),
        };
    }

    private static Task ValueOperation(IAtomicKvStore s, string key, int which)
    {
        string text = BadTexts[which % BadTexts.Length];
        object value = ((which / BadTexts.Length) % 7) switch
        {
            0 => text,
            1 => new Dictionary<string, string> { ["ok"] = "fine", ["bad"] = text },
            2 => new ThrowingGetter(),
            3 => Cycle(),
            4 => Nest(70),
            5 => JsonSerializer.Deserialize<JsonElement>("\"\\ud800\""),
            _ => new List<object> { 1, new Dictionary<string, string> { [text] = "key" } },
        };
        return ((which / 21) % 5) switch
        {
            0 => s.SetAsync(key, value).AsTask(),
            1 => s.SetIfNotExistsAsync("fresh", value).AsTask(),
            2 => s.SetManyAsync<object>([new("m1", 1), new(key, value)]).AsTask(),
            3 => s.SetAsync(key, 1, new KvSetOptions { Metadata = value }).AsTask(),
            _ => s.CreateTransaction().Set(s, "m1", 1).Set(s, key, value).CommitAsync().AsTask(),
        };
    }

    // Kv writes NaN and the infinities as JSON strings (AllowNamedFloatingPointLiterals), so those are not bad input;
    // a reference cycle is.
    private static List<object> Cycle()
    {
        var list = new List<object> { 1 };
        list.Add(list);
        return list;
    }

    private static object Nest(int depth)
    {
        object value = 1;
        for (int i = 0; i < depth; i++)
        {
            value = new object[] { value };
        }

        return value;
    }

    private static Task<KvListResult> ListOperation(IAtomicKvStore s, int which) => (which % 8) switch
    {
        0 => s.ListAsync(limit: 0).AsTask(),
        1 => s.ListAsync(limit: -5).AsTask(),
        2 => s.ListAsync(limit: int.MinValue).AsTask(),
        3 => s.ListAsync(cursor: BadCursors[which % BadCursors.Length]).AsTask(),
        4 => s.ListAsync(new KvListQuery { Prefix = "lone\ud800" }).AsTask(),
        5 => s.ListAsync(new KvListQuery { Start = "\udc00" }).AsTask(),
        6 => s.ListAsync(new KvListQuery { Pattern = BadPatterns[which % BadPatterns.Length] }).AsTask(),
        _ => s.ListAsync(new KvListQuery { End = "x\ud83d", Limit = 3 }).AsTask(),
    };

    private static Task BatchOperation(IAtomicKvStore s, string badKey, int which) => (which % 5) switch
    {
        0 => s.SetManyAsync<int>([new("a", 7), new(badKey, 8), new("b", 9)]).AsTask(),
        1 => s.GetManyAsync<int>(["a", badKey]).AsTask(),
        2 => s.DeleteManyAsync(["a", "b", badKey]).AsTask(),
        3 => s.GetStorageSizeAsync(["a", badKey]).AsTask(),
        _ => s.GetRequiredManyAsync<int>([badKey]).AsTask(),
    };

    private static Task<KvCommitResult> TransactionOperation(Side side, string goodKey, string badKey, int which)
    {
        IAtomicKvStore s = side.Store;
        KvTransaction transaction = s.CreateTransaction().Set(s, "a", 41).Delete(s, "b").Increment(s, "n", 1);
        return (which % 6) switch
        {
            0 => transaction.Check(s, goodKey, 0).CommitAsync().AsTask(),
            1 => transaction.Check(s, goodKey, -3).CommitAsync().AsTask(),
            2 => transaction.Set(side.Foreign, goodKey, 1).CommitAsync().AsTask(),
            3 => transaction.Set(s, badKey, 1).CommitAsync().AsTask(),
            4 => transaction.Increment(s, "text", 1).CommitAsync().AsTask(),
            _ => transaction.Check(side.Foreign, goodKey, null).CommitAsync().AsTask(),
        };
    }

    private static Task CancelledOperation(IAtomicKvStore s, string key, int which)
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        CancellationToken token = cancelled.Token;
        return (which % 8) switch
        {
            0 => s.SetAsync(key, 99, cancellationToken: token).AsTask(),
            1 => s.DeleteAsync(key, token).AsTask(),
            2 => s.IncrementAsync("n", 5, cancellationToken: token).AsTask(),
            3 => s.SetIfNotExistsAsync("fresh", 1, cancellationToken: token).AsTask(),
            4 => s.ExpireAsync(key, TimeSpan.FromMinutes(3), token).AsTask(),
            5 => s.SetManyAsync<int>([new("m1", 1)], cancellationToken: token).AsTask(),
            6 => s.DeleteManyAsync([key, "a"], token).AsTask(),
            _ => s.CreateTransaction().Set(s, key, 5).CommitAsync(token).AsTask(),
        };
    }

    private static Task NullOperation(IAtomicKvStore s, int which) => (which % 8) switch
    {
        0 => s.SetAsync(null!, 1).AsTask(),
        1 => s.GetAsync<int>(null!).AsTask(),
        2 => s.DeleteAsync(null!).AsTask(),
        3 => s.GetManyAsync<int>(null!).AsTask(),
        4 => s.SetManyAsync<int>(null!).AsTask(),
        5 => s.KeysAsync(null!).AsTask(),
        6 => s.ListAsync((KvListQuery)null!).AsTask(),
        _ => s.DeleteManyAsync(["a", null!]).AsTask(),
    };

    private sealed record Call(string Name, string Description, Func<Side, Task> Run);

    private sealed record Side(string Name, IAtomicKvStore Store, IAtomicKvStore Foreign);
}
