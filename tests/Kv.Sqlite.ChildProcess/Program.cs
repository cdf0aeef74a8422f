using System.Globalization;
using Kv;

// A child process for Kv.Sqlite's crash and multi-process tests. Usage:
//   write <path> <durability> <count>      sets k0, k1, … one after another; prints "ack kN" after each task completed
//   increment <path> <durability> <count>  increments "counter" count times; prints "done"
//   setnx <path> <durability> <name>       set-if-not-exists of "winner" to name; prints "won" or "lost"
//   hold <path> <milliseconds>             holds the file's write lock that long (BEGIN IMMEDIATE); prints "holding"
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: write|increment|setnx <path> <durability> <arg> | hold <path> <ms>");
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

var durability = Enum.Parse<SqliteDurability>(args[2]);
using var kv = new SqliteKv(new SqliteKvOptions { Path = path, Durability = durability, BusyTimeout = TimeSpan.FromSeconds(60) });
IAtomicKvStore store = kv.Namespace("child");
switch (command)
{
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
