using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Kv.Redis.Tests.Infrastructure;

/// <summary>An error reply from Redis.</summary>
public sealed class RespErrorException(string message) : Exception(message);

/// <summary>
/// A minimal RESP2 client for the tests' own look at a server (readiness, INFO, SCAN, MONITOR, raw writes),
/// independent of the client library under test. Replies: simple string → <see cref="string"/>, integer →
/// <see cref="long"/>, bulk → <see cref="byte"/>[] (or null), array → <see cref="object"/>?[] (or null), error →
/// <see cref="RespErrorException"/>.
/// </summary>
public sealed class RespConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RespConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RespConnection> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellationToken);
            return new RespConnection(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public static Task<RespConnection> ConnectAsync(string endPoint, CancellationToken cancellationToken = default)
    {
        (string host, int port) = ParseEndPoint(endPoint);
        return ConnectAsync(host, port, cancellationToken);
    }

    public static (string Host, int Port) ParseEndPoint(string endPoint)
    {
        int colon = endPoint.LastIndexOf(':');
        return (endPoint[..colon], int.Parse(endPoint[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>Sends one command and reads its reply.</summary>
    public async Task<object?> CommandAsync(params object[] args)
    {
        await SendAsync(args);
        return await ReadReplyAsync();
    }

    /// <summary>Sends one command and reads its reply as text.</summary>
    public async Task<string?> CommandTextAsync(params object[] args) => AsText(await CommandAsync(args));

    public async Task SendAsync(params object[] args)
    {
        var message = new MemoryStream();
        WriteAscii(message, $"*{args.Length}\r\n");
        foreach (object arg in args)
        {
            byte[] bytes = arg switch
            {
                byte[] b => b,
                string s => Encoding.UTF8.GetBytes(s),
                IFormattable f => Encoding.UTF8.GetBytes(f.ToString(null, CultureInfo.InvariantCulture)),
                _ => Encoding.UTF8.GetBytes(arg.ToString()!),
            };
            WriteAscii(message, $"${bytes.Length}\r\n");
            message.Write(bytes);
            WriteAscii(message, "\r\n");
        }

        await _stream.WriteAsync(message.ToArray());
    }

    public async Task<object?> ReadReplyAsync(CancellationToken cancellationToken = default)
    {
        string line = await ReadLineAsync(cancellationToken);
        string rest = line[1..];
        switch (line[0])
        {
            case '+':
                return rest;
            case '-':
                throw new RespErrorException(rest);
            case ':':
                return long.Parse(rest, CultureInfo.InvariantCulture);
            case '$':
            {
                int length = int.Parse(rest, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }

                byte[] data = await ReadExactAsync(length + 2, cancellationToken);
                return data[..length];
            }

            case '*':
            {
                int count = int.Parse(rest, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return null;
                }

                var items = new object?[count];
                for (int i = 0; i < count; i++)
                {
                    try
                    {
                        items[i] = await ReadReplyAsync(cancellationToken);
                    }
                    catch (RespErrorException ex)
                    {
                        items[i] = ex;
                    }
                }

                return items;
            }

            default:
                throw new InvalidDataException("Unexpected RESP reply: " + line);
        }
    }

    public static string? AsText(object? reply) => reply switch
    {
        null => null,
        string s => s,
        byte[] b => Encoding.UTF8.GetString(b),
        long l => l.ToString(CultureInfo.InvariantCulture),
        _ => throw new InvalidDataException("Not a text reply: " + reply.GetType()),
    };

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                string line = Encoding.UTF8.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                _start = newline + 1;
                return line;
            }

            await FillAsync(cancellationToken);
        }
    }

    private async Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        byte[] result = new byte[count];
        int copied = 0;
        while (copied < count)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }

            int n = Math.Min(count - copied, _end - _start);
            Array.Copy(_buffer, _start, result, copied, n);
            _start += n;
            copied += n;
        }

        return result;
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException("A RESP line is longer than the test client's buffer.");
        }

        int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            throw new IOException("The Redis server closed the connection.");
        }

        _end += read;
    }

    private static void WriteAscii(Stream stream, string text) => stream.Write(Encoding.ASCII.GetBytes(text));
}
