using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Kv.Internal;

/// <summary>
/// A <see cref="JavaScriptEncoder"/> that encodes exactly as the one it wraps, but throws
/// <see cref="InvalidTextException"/> for text that is not valid Unicode: UTF-16 with a lone surrogate, or invalid
/// UTF-8. System.Text.Json asks the encoder about every string and property name before writing it, and on its own
/// would replace such text with U+FFFD, silently changing the value.
/// </summary>
internal sealed unsafe class StrictTextEncoder(JavaScriptEncoder inner) : JavaScriptEncoder
{
    public override int MaxOutputCharactersPerInputCharacter => inner.MaxOutputCharactersPerInputCharacter;

    public override int FindFirstCharacterToEncode(char* text, int textLength)
    {
        if (KvKeyPattern.HasLoneSurrogate(new ReadOnlySpan<char>(text, textLength)))
        {
            throw new InvalidTextException("a string holds a lone surrogate");
        }

        return inner.FindFirstCharacterToEncode(text, textLength);
    }

    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        if (!Utf8.IsValid(utf8Text))
        {
            throw new InvalidTextException("a string holds invalid UTF-8");
        }

        return inner.FindFirstCharacterToEncodeUtf8(utf8Text);
    }

    public override bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten) =>
        inner.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);

    public override bool WillEncode(int unicodeScalar) => inner.WillEncode(unicodeScalar);
}

/// <summary>Text in a value that is not valid Unicode; see <see cref="StrictTextEncoder"/>.</summary>
internal sealed class InvalidTextException(string message) : Exception(message);
