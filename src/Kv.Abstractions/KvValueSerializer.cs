using System.Buffers;
using Kv.Internal;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Kv;

/// <summary>
/// Encodes values to the payload every backend stores and decodes them back, with System.Text.Json.
/// </summary>
/// <remarks>
/// <para>Values are UTF-8 JSON. <see cref="byte"/> arrays are stored raw behind <see cref="RawBytesMarker"/>,
/// never as base64. Reading a value as a type it cannot become throws <see cref="KvErrorCode.InvalidValue"/>.</para>
/// <para>The default options are <see cref="JsonSerializerDefaults.General"/> with named floating-point
/// literals allowed, so <see cref="double.NaN"/> and infinities round-trip.</para>
/// </remarks>
public sealed class KvValueSerializer
{
    /// <summary>The first byte of a raw <see cref="byte"/> array payload. UTF-8 never uses it, so no JSON text starts with it.</summary>
    public const byte RawBytesMarker = 0xFF;

    // Longer strings go through the serializer: its fixed cost no longer matters there, and its own limits apply.
    private const int MaxPlainStringLength = 4096;

    // Per options in use, a copy whose encoder refuses text that is not valid Unicode (see EnsureValidText).
    private static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> StrictOptions = new();

    private readonly bool _cacheDecoded;

    // The ASCII characters System.Text.Json writes as they are (not escaped) with these options; null when strings
    // are not written by the built-in converter, and the fast string path is off.
    private readonly SearchValues<char>? _plainStringChars;

    /// <summary>Creates a serializer.</summary>
    /// <param name="options">The JSON options; <see langword="null"/> for <see cref="CreateDefaultOptions"/>.
    /// The options are made read-only.</param>
    public KvValueSerializer(JsonSerializerOptions? options = null)
    {
        options ??= CreateDefaultOptions();
        if (!options.IsReadOnly)
        {
            options.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
            options.MakeReadOnly();
        }

        Options = options;

        // A decoded copy of a string or primitive equals what decoding the payload gives, unless a custom
        // converter changes how such values are written. Only then is the copy not trusted.
        // The same holds for numbers written as strings, which a read without AllowReadingFromString rejects.
        _cacheDecoded = options.Converters.Count == 0 && (options.NumberHandling & JsonNumberHandling.WriteAsString) == 0;

        // Strings are the most common value. When the built-in converter writes them, a string that needs no
        // escaping is just its UTF-8 bytes in quotes, which Serialize writes without a JSON writer.
        _plainStringChars = _cacheDecoded
            && options.TryGetTypeInfo(typeof(string), out JsonTypeInfo? stringInfo)
            && ReferenceEquals(stringInfo.Converter, JsonMetadataServices.StringConverter)
            ? PlainAsciiChars(options.Encoder ?? JavaScriptEncoder.Default)
            : null;
    }

    /// <summary>A serializer with the default options.</summary>
    public static KvValueSerializer Default { get; } = new();

    /// <summary>The JSON options in use (read-only).</summary>
    public JsonSerializerOptions Options { get; }

    /// <summary>Creates the default options: general defaults, with NaN and infinities allowed.</summary>
    /// <returns>New, writable options.</returns>
    [RequiresUnreferencedCode("The default options use reflection-based serialization metadata.")]
    [RequiresDynamicCode("The default options use reflection-based serialization metadata.")]
    public static JsonSerializerOptions CreateDefaultOptions() => new(JsonSerializerDefaults.General)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>Encodes <paramref name="value"/> with the options' metadata for <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The stored form.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidValue"/> when the value cannot be serialized.</exception>
    public KvValue Serialize<T>(T value)
    {
        if ((typeof(T) == typeof(string) || typeof(T) == typeof(object)) && value is string text && IsPlainString(text))
        {
            // Kept as the string itself: its payload is the string in quotes, built when a backend asks for it
            // (KvValue.Payload), and an in-process backend stores the one string. A string given as an object is
            // written by its runtime type, the same way.
            return new KvValue(text, text);
        }

        return value is byte[] bytes ? Raw(bytes) : Serialize(value, GetTypeInfo<T>(writing: true));
    }

    /// <summary>Encodes a string: <see cref="Serialize{T}(T)"/> for strings, compiled for them alone (the generic method
    /// runs as shared code for reference types, which looks the type up at run time).</summary>
    internal KvValue SerializeString(string? text) =>
        text is not null && IsPlainString(text) ? new KvValue(text, text) : Serialize<string?>(text);

    /// <summary>Encodes <paramref name="value"/> with the given metadata.</summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="typeInfo">The serialization metadata.</param>
    /// <returns>The stored form.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidValue"/> when the value cannot be serialized.</exception>
    public KvValue Serialize<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (value is byte[] bytes)
        {
            return Raw(bytes);
        }

        byte[] payload;
        try
        {
            payload = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        }
        catch (Exception ex) when (IsSerializerFailure(ex))
        {
            throw new KvException(KvErrorCode.InvalidValue, $"The value of type {typeof(T)} cannot be serialized: {ex.Message}", ex);
        }

        // System.Text.Json writes text that is not valid Unicode (a lone surrogate, invalid UTF-8 in a JsonElement) as
        // U+FFFD, which would store something other than the value. Kv stores text exactly or refuses it: a payload
        // that holds U+FFFD at all is written again with an encoder that throws on such text.
        if (MayHoldReplacedText(payload))
        {
            EnsureValidText(value, typeInfo);
        }

        // The decoded copy is trusted only for this serializer's own options: metadata from other options may write
        // the value differently (numbers as strings, a converter), and a backend without the copy must agree.
        bool cache = _cacheDecoded && ReferenceEquals(typeInfo.Options, Options) && IsImmutableScalar(value);
        return new KvValue(payload, cache ? value : null);
    }

    /// <summary>
    /// Encodes metadata as JSON, by its runtime type, under the same rules as a value: a failure of the value's own
    /// code or text that is not valid Unicode is <see cref="KvErrorCode.InvalidValue"/>.
    /// </summary>
    internal byte[] SerializeMetadata(object metadata)
    {
        var typeInfo = (JsonTypeInfo<object>)Options.GetTypeInfo(typeof(object));
        byte[] json;
        try
        {
            json = JsonSerializer.SerializeToUtf8Bytes(metadata, typeInfo);
        }
        catch (Exception ex) when (IsSerializerFailure(ex))
        {
            throw new KvException(KvErrorCode.InvalidValue, $"The metadata cannot be serialized: {ex.Message}", ex);
        }

        if (MayHoldReplacedText(json))
        {
            EnsureValidText(metadata, typeInfo);
        }

        return json;
    }

    /// <summary>Encodes a 64-bit integer as a JSON number (the form increments work on).</summary>
    /// <param name="value">The integer.</param>
    /// <returns>The stored form.</returns>
    public KvValue FromInteger(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out int written);
        // No decoded copy: reads take a 64-bit integer straight from its digits (TryReadInteger), allocation-free.
        return new KvValue(digits[..written].ToArray());
    }

    /// <summary>Decodes a stored value as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="value">The stored value.</param>
    /// <returns>The value, or <see langword="default"/> for a missing key.</returns>
    /// <exception cref="KvException"><see cref="KvErrorCode.InvalidValue"/> when the value cannot be read as <typeparamref name="T"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T? Deserialize<T>(in KvValue value)
    {
        // An in-process backend hands back the immutable copy it kept: no decoding, no allocation. This check is
        // all that is inlined into a read; a missing key has no copy (nor payload) and goes to DecodePayload.
        return TryGetDecoded(value, out T? decoded) || TryReadInteger(value, out decoded) ? decoded : DecodePayload<T>(value.Payload, typeInfo: null);
    }

    /// <summary>Decodes a stored value with the given metadata.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="value">The stored value.</param>
    /// <param name="typeInfo">The serialization metadata.</param>
    /// <returns>The value, or <see langword="default"/> for a missing key.</returns>
    public T? Deserialize<T>(in KvValue value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return DecodePayload(value.Payload, typeInfo);
    }

    /// <summary>
    /// Reads a payload as a 64-bit integer the way an increment does: only JSON integers (<c>0</c> or an optional
    /// minus and digits without a leading zero) in range. Strings, booleans, fractions and exponents are not integers.
    /// </summary>
    /// <param name="payload">The payload.</param>
    /// <param name="value">The integer.</param>
    /// <returns><see langword="true"/> when the payload is an integer in range.</returns>
    public static bool TryParseInteger(ReadOnlySpan<byte> payload, out long value)
    {
        value = 0;
        bool negative = payload.Length > 0 && payload[0] == (byte)'-';
        int start = negative ? 1 : 0;
        int digits = payload.Length - start;
        if (digits is <= 0 or > 19)
        {
            return false;
        }

        // The same grammar Redis's INCRBY accepts, so both backends agree on what an integer is.
        if (payload[start] == (byte)'0' && (digits > 1 || negative))
        {
            return false;
        }

        // One pass, two digits a step (half the chain of dependent multiplications): at most 19 digits fit an
        // unsigned 64-bit accumulator; the range is checked at the end.
        ulong magnitude = 0;
        int i = start;
        if ((digits & 1) != 0)
        {
            magnitude = (uint)(payload[i] - '0');
            if (magnitude > 9)
            {
                return false;
            }

            i++;
        }

        for (; i + 1 < payload.Length; i += 2)
        {
            uint high = (uint)(payload[i] - '0');
            uint low = (uint)(payload[i + 1] - '0');
            if (high > 9 || low > 9)
            {
                return false;
            }

            magnitude = (magnitude * 100) + (high * 10) + low;
        }

        if (magnitude > (negative ? (ulong)long.MaxValue + 1 : long.MaxValue))
        {
            return false;
        }

        value = negative ? unchecked((long)(0 - magnitude)) : (long)magnitude;
        return true;
    }

    /// <summary>
    /// Whether System.Text.Json writes <paramref name="text"/> as its ASCII bytes in quotes: ASCII characters that need
    /// no escaping. Any other string goes through the serializer.
    /// </summary>
    private bool IsPlainString(string text) =>
        _plainStringChars is not null && text.Length <= MaxPlainStringLength && !text.AsSpan().ContainsAnyExcept(_plainStringChars);

    /// <summary>
    /// The printable ASCII characters that <paramref name="encoder"/> leaves as they are. System.Text.Json asks the
    /// encoder whether a string needs escaping and, when it does not, writes the string transcoded between quotes.
    /// An ASCII character is one UTF-8 byte and the encoder decides each on its own, so asking about each once gives
    /// the same answers for every string made of them.
    /// </summary>
    private static SearchValues<char> PlainAsciiChars(JavaScriptEncoder encoder)
    {
        var plain = new List<char>();
        Span<byte> one = stackalloc byte[1];
        for (char c = ' '; c <= '~'; c++)
        {
            one[0] = (byte)c;
            if (encoder.FindFirstCharacterToEncodeUtf8(one) < 0)
            {
                plain.Add(c);
            }
        }

        return SearchValues.Create(CollectionsMarshal.AsSpan(plain));
    }

    /// <summary>
    /// Decodes like <see cref="Deserialize{T}(in KvValue)"/> but returns the error instead of throwing it, so that a
    /// read can hand it back in a faulted task without an exception handler of its own (which the JIT does not
    /// inline). The decoded-copy check is small enough to inline into the read.
    /// </summary>
    internal KvException? TryDeserialize<T>(in KvValue value, out T? result)
    {
        // A missing key decodes to default without the lookups below (shared generic code pays for each type test).
        if (!value.HasValue)
        {
            result = default;
            return null;
        }

        return TryGetDecoded(value, out result) || TryReadInteger(value, out result) ? null : TryDecodePayload(value.Payload, out result);
    }

    // A 64-bit integer is read straight from its digits when the options write and read integers as JSON numbers: the
    // integer grammar is a subset of JSON numbers that System.Text.Json reads to the same value, so a backend need not
    // keep a decoded copy of a counter for its reads to allocate nothing.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReadInteger<T>(in KvValue value, out T? result)
    {
        if (typeof(T) == typeof(long) && _cacheDecoded)
        {
            // An in-process counter carries its integer; any other payload is read from its digits.
            object? source = value.PayloadSource;
            if (source is KvIntegerPayload counter)
            {
                result = (T)(object)counter.Value;
                return true;
            }

            if (source is byte[] digits && TryParseInteger(digits, out long integer))
            {
                result = (T)(object)integer;
                return true;
            }
        }

        result = default;
        return false;
    }

    // An in-process backend hands back the immutable copy it kept, when it is of exactly the type asked for.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryGetDecoded<T>(in KvValue value, out T? result)
    {
        object? decoded = value.Decoded;
        if (decoded is not null && decoded.GetType() == typeof(T))
        {
            result = (T)decoded;
            return true;
        }

        result = default;
        return false;
    }

    private KvException? TryDecodePayload<T>(byte[]? payload, out T? result)
    {
        try
        {
            result = DecodePayload<T>(payload, typeInfo: null);
            return null;
        }
        catch (KvException ex)
        {
            result = default;
            return ex;
        }
    }

    // Without typeInfo, the options' own metadata for T, looked up only when the payload is JSON.
    private T? DecodePayload<T>(byte[]? payload, JsonTypeInfo<T>? typeInfo)
    {
        if (payload is null)
        {
            return default;
        }

        return IsRaw(payload) ? ReadRaw<T>(payload) : Deserialize(payload, typeInfo ?? GetTypeInfo<T>(writing: false));
    }

    // The options build a type's contract on first use, and reject a contract they cannot build (two properties with
    // one JSON name, a type a source-generated resolver does not know): that is a value Kv cannot write or read.
    private JsonTypeInfo<T> GetTypeInfo<T>(bool writing)
    {
        // The options' own lookup goes through a dictionary keyed by type; the last contract used for T is kept.
        if (TypeInfoCache<T>.Last is { } last && ReferenceEquals(last.Options, Options))
        {
            return last;
        }

        try
        {
            var typeInfo = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
            TypeInfoCache<T>.Last = typeInfo;
            return typeInfo;
        }
        catch (Exception ex) when (IsSerializerFailure(ex))
        {
            throw new KvException(
                KvErrorCode.InvalidValue,
                $"Values of type {typeof(T)} cannot be {(writing ? "written" : "read")} with these serializer options: {ex.Message}",
                ex);
        }
    }

    // The contract of T that was used last, with its options (JsonTypeInfo.Options): one per T process-wide, so an
    // application with one serializer finds it without a lookup, and another serializer replaces it.
    private static class TypeInfoCache<T>
    {
        public static JsonTypeInfo<T>? Last;
    }

    private static KvValue Raw(byte[] bytes)
    {
        byte[] payload = new byte[bytes.Length + 1];
        payload[0] = RawBytesMarker;
        bytes.CopyTo(payload.AsSpan(1));
        return new KvValue(payload);
    }

    private static bool IsRaw(byte[] payload) => payload.Length > 0 && payload[0] == RawBytesMarker;

    private static T ReadRaw<T>(byte[] payload)
    {
        if (typeof(T) == typeof(byte[]) || typeof(T) == typeof(object))
        {
            // A new array every time: the caller may change it without changing what is stored.
            return (T)(object)payload.AsSpan(1).ToArray();
        }

        throw new KvException(KvErrorCode.InvalidValue, $"The stored value is a byte array and cannot be read as {typeof(T)}.");
    }

    private static T? Deserialize<T>(byte[] payload, JsonTypeInfo<T> typeInfo)
    {
        // Bytes are stored raw; a JSON value is never bytes, even a string that happens to be valid base64.
        if (typeof(T) == typeof(byte[]) && !"null"u8.SequenceEqual(payload))
        {
            throw new KvException(KvErrorCode.InvalidValue, "The stored value is not a byte array and cannot be read as one.");
        }

        try
        {
            return JsonSerializer.Deserialize(payload, typeInfo);
        }
        catch (Exception ex) when (IsSerializerFailure(ex))
        {
            throw new KvException(KvErrorCode.InvalidValue, $"The stored value cannot be read as {typeof(T)}: {ex.Message}", ex);
        }
    }

    private static bool MayHoldReplacedText(ReadOnlySpan<byte> payload) =>
        payload.IndexOf("\uFFFD"u8) >= 0 || payload.IndexOf("\\uFFFD"u8) >= 0 || payload.IndexOf("\\ufffd"u8) >= 0;

    private static void EnsureValidText<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        JsonSerializerOptions strict = StrictOptions.GetValue(typeInfo.Options, static options => new JsonSerializerOptions(options)
        {
            Encoder = new StrictTextEncoder(options.Encoder ?? JavaScriptEncoder.Default),
        });
        try
        {
            _ = JsonSerializer.SerializeToUtf8Bytes(value, (JsonTypeInfo<T>)strict.GetTypeInfo(typeof(T)));
        }
        catch (Exception ex) when (IsSerializerFailure(ex))
        {
            string problem = FindInvalidText(ex)?.Message ?? ex.Message;
            throw new KvException(
                KvErrorCode.InvalidValue,
                $"The value of type {typeof(T)} holds text that is not valid Unicode ({problem}); Kv stores text exactly or not at all.",
                ex);
        }
    }

    private static InvalidTextException? FindInvalidText(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is InvalidTextException invalid)
            {
                return invalid;
            }
        }

        return null;
    }

    // A 64-bit integer is not kept decoded: reads take it straight from its digits (TryReadInteger).
    private static bool IsImmutableScalar<T>(T value) => value is string or bool or int or double or decimal or Guid;

    // What a value that cannot be written or read throws: System.Text.Json's own errors (a cycle or bad JSON, an
    // unsupported type, a contract problem, a value the options forbid), and anything the user's type throws from a
    // getter, setter or constructor (a NullReferenceException from a getter is as much a bad value as a cycle). Each
    // becomes InvalidValue with the original as its inner exception; only running out of memory is not the value's fault.
    private static bool IsSerializerFailure(Exception ex) => ex is not OutOfMemoryException;
}
