#!/usr/bin/env bash
# Proves that the test kit (tests/Kv.Conformance) is consumable from outside this repository: packs Kv.Abstractions,
# Kv.Memory and Kv.Conformance into a local feed, then builds a project in a temporary directory (outside the
# solution and its Directory.Build.props) that references the Kv.Conformance package and derives KvConformanceTests,
# KvDifferentialTests and KvBadInputFuzzTests for a backend of its own. With --run it also runs them (about a minute).
# Offline: the consumer restores only from the local feed and the machine's NuGet package cache.
set -euo pipefail
cd "$(dirname "$0")/.."
run=false
[[ "${1:-}" == "--run" ]] && run=true

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
for project in src/Kv.Abstractions src/Kv.Memory tests/Kv.Conformance; do
  dotnet pack "$project" -c Release -nologo -v quiet -o "$feed"
done
ls "$feed"
unzip -p "$feed/Kv.Conformance.1.0.0.nupkg" Kv.Conformance.nuspec | grep -E '<id>|<version>|<dependency ' | sed 's/^ */  /'

consumer="$work/consumer"
mkdir -p "$consumer"
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
cat > "$consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="kit" value="$feed" />
    <add key="cache" value="$cache" />
  </packageSources>
</configuration>
XML
cat > "$consumer/Consumer.Tests.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <IsPackable>false</IsPackable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Kv.Conformance" Version="1.0.0" />
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
    <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
  </ItemGroup>
</Project>
XML
cat > "$consumer/ThirdPartyBackendTests.cs" <<'CS'
using Kv;
using Kv.Conformance;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Consumer.Tests;

// A backend "outside the repository": here MemoryKv stands in for it, reached only through the packages.
public sealed class ThirdPartyTestBackend : IKvTestBackend
{
    private readonly FakeTimeProvider _clock = new();
    private readonly MemoryKv _kv;

    public ThirdPartyTestBackend() => _kv = new MemoryKv(new MemoryKvOptions(), _clock);

    public TimeProvider TimeProvider => _clock;

    public TimeSpan ExpiryPrecision => TimeSpan.Zero;

    public AtomicKvAdaptor CreateAdaptor() => _kv;

    // MemoryKv offers no public view of its data through another serializer, so this stand-in gives a store of its own:
    // the two conformance tests that read one serializer's writes through the other are left out of --run (a real
    // backend gives the same data, differently encoded).
    public AtomicKvAdaptor CreateAdaptor(KvValueSerializer serializer) => new MemoryKv(new MemoryKvOptions(), _clock, serializer);

    public ValueTask AdvanceTimeAsync(TimeSpan by)
    {
        _clock.Advance(by);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class ThirdPartyConformanceTests() : KvConformanceTests(new ThirdPartyTestBackend());

public sealed class ThirdPartyBadInputFuzzTests() : KvBadInputFuzzTests(new ThirdPartyTestBackend());

public sealed class ThirdPartyDifferentialTests(ITestOutputHelper output) : KvDifferentialTests(output)
{
    protected override string BackendName => "third-party";

    protected override IKvTestBackend CreateBackend() => new ThirdPartyTestBackend();
}
CS

dotnet build "$consumer" -c Release -nologo -v quiet --packages "$work/packages"
echo "check-test-kit: a project outside the solution built against the Kv.Conformance package"
if $run; then
  dotnet test "$consumer" -c Release --no-build -nologo -v quiet --filter \
    'FullyQualifiedName!~Serializer_options_decide_how_values_are_written_and_read&FullyQualifiedName!~Numbers_written_as_strings_by_custom_options'
fi
