using Microsoft.Extensions.Options;

namespace Kv.Internal;

internal sealed class MemoryKvOptionsValidator : IValidateOptions<MemoryKvOptions>
{
    public ValidateOptionsResult Validate(string? name, MemoryKvOptions options)
    {
        string[] problems = [.. options.Validate()];
        return problems.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
