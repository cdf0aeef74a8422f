using Microsoft.Data.Sqlite;

namespace Kv.Internal;

/// <summary>One open connection with its prepared statements, kept for reuse (by the writer, or in the read pool).</summary>
internal sealed class SqliteConnectionLease : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteConnectionLease(SqliteConnection connection, int commandTimeoutSeconds)
    {
        Connection = connection;
        CommandTimeoutSeconds = commandTimeoutSeconds;
    }

    public SqliteConnection Connection { get; }

    private int CommandTimeoutSeconds { get; }

    /// <summary>
    /// The prepared command for <paramref name="sql"/>. Its parameters keep their objects from one use to the next:
    /// set every one of them with <see cref="SqliteCommandExtensions.Set"/> before running it.
    /// </summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out SqliteCommand? command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            command.CommandTimeout = CommandTimeoutSeconds;
            _commands.Add(sql, command);
        }

        return command;
    }

    /// <summary>Runs a statement without parameters (BEGIN, COMMIT, SAVEPOINT …).</summary>
    public void Execute(string sql) => Command(sql).ExecuteNonQuery();

    public void Dispose()
    {
        foreach (SqliteCommand command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        Connection.Dispose();
    }
}

/// <summary>Binding a kept command's parameters without allocating new parameter objects.</summary>
internal static class SqliteCommandExtensions
{
    /// <summary>Sets the parameter <paramref name="name"/> of <paramref name="command"/> to <paramref name="value"/>,
    /// adding the parameter on the command's first use.</summary>
    public static void Set(this SqliteCommand command, string name, object value)
    {
        SqliteParameterCollection parameters = command.Parameters;
        for (int i = 0; i < parameters.Count; i++)
        {
            if (string.Equals(parameters[i].ParameterName, name, StringComparison.Ordinal))
            {
                parameters[i].Value = value;
                return;
            }
        }

        parameters.AddWithValue(name, value);
    }
}
