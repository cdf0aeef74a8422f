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

    /// <summary>The prepared command for <paramref name="sql"/>, with its parameters cleared.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out SqliteCommand? command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            command.CommandTimeout = CommandTimeoutSeconds;
            _commands.Add(sql, command);
        }
        else
        {
            command.Parameters.Clear();
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
