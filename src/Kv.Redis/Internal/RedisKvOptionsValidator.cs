using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Kv.Internal;

/// <summary>Validates <see cref="RedisKvOptions"/> at start-up, knowing whether the application registered a multiplexer.</summary>
internal sealed class RedisKvOptionsValidator(IServiceProviderIsService? isService = null) : IValidateOptions<RedisKvOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisKvOptions options)
    {
        bool hasMultiplexer = isService?.IsService(typeof(IConnectionMultiplexer)) ?? false;
        string[] problems = [.. options.Validate(hasMultiplexer)];
        return problems.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
