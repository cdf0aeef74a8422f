using Microsoft.Extensions.Options;

namespace Kv.Internal;

/// <summary>Validates <see cref="SqliteKvOptions"/> at start-up.</summary>
internal sealed class SqliteKvOptionsValidator : IValidateOptions<SqliteKvOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteKvOptions options)
    {
        string[] problems = [.. options.Validate()];
        return problems.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
