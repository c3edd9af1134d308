using System.Globalization;
using System.Text;

namespace CustomerService.AdapterKit.Php;

/// <summary>
/// Reads PHP's serialize() format into a <see cref="PhpValue"/> graph, as php_var_unserialize does, but as data
/// only: no class is looked up or instantiated, no __wakeup or unserialize() of the input runs.
/// Safety: every declared length or element count is checked against the bytes left before anything is
/// allocated for it; nesting is bounded by <see cref="PhpUnserializeOptions.MaxDepth"/> (itself at most
/// <see cref="PhpUnserializeOptions.DepthCeiling"/>, so recursion stays shallow); the number of values by
/// <see cref="PhpUnserializeOptions.MaxValues"/>. Any problem is a <see cref="PhpSerializationException"/>.
/// </summary>
internal ref struct PhpReader
{
    // The smallest array element is "i:0;N;" (6 bytes), the smallest object property 's:0:"";N;' (9 bytes).
    private const int MinArrayElementBytes = 6;
    private const int MinPropertyBytes = 9;

    private readonly ReadOnlySpan<byte> _input;
    private readonly PhpUnserializeOptions _options;
    private readonly Encoding _encoding;
    // PHP numbers every value it reads (but not keys, and not R: references) from 1; r:N and R:N name them.
    private readonly List<PhpValue> _slots = new();
    private int _pos;
    private int _values;

    public PhpReader(ReadOnlySpan<byte> input, PhpUnserializeOptions options)
    {
        _input = input;
        _options = options;
        _encoding = options.StringEncoding ?? Encoding.UTF8;
    }

    public PhpValue ReadDocument()
    {
        if (_input.Length > _options.MaxInputBytes)
            throw Error(PhpSerializationError.LimitExceeded, _options.MaxInputBytes,
                $"input of {_input.Length} bytes is larger than the limit of {_options.MaxInputBytes} bytes");
        if (_input.IsEmpty) throw Error(PhpSerializationError.Truncated, 0, "the input is empty");

        var value = ReadValue(depth: 0);
        if (!_options.AllowTrailingData)
        {
            int end = _pos;
            while (end < _input.Length && _input[end] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') end++;
            if (end < _input.Length)
                throw Error(PhpSerializationError.Malformed, _pos, $"unexpected {Show(_input[_pos])} after the end of the value");
        }
        return value;
    }

    private PhpValue ReadValue(int depth)
    {
        int start = _pos;
        if (_pos >= _input.Length) throw Error(PhpSerializationError.Truncated, _pos, "expected a value");
        if (++_values > _options.MaxValues)
            throw Error(PhpSerializationError.LimitExceeded, start, $"more than {_options.MaxValues} values");

        byte type = _input[_pos++];
        PhpValue value;
        switch (type)
        {
            case (byte)'N':
                Expect(';');
                value = PhpValue.Null(start);
                break;
            case (byte)'b':
                Expect(':');
                int bit = Next("'0' or '1'");
                if (bit is not ((byte)'0' or (byte)'1'))
                    throw Error(PhpSerializationError.Malformed, _pos - 1, $"a boolean must be 0 or 1, found {Show((byte)bit)}");
                Expect(';');
                value = PhpValue.Boolean(start, bit == '1');
                break;
            case (byte)'i':
                Expect(':');
                value = PhpValue.Integer(start, ReadInteger());
                Expect(';');
                break;
            case (byte)'d':
                Expect(':');
                value = PhpValue.Double(start, ReadFloat());
                Expect(';');
                break;
            case (byte)'s':
                value = ReadString(start);
                Expect(';');
                break;
            case (byte)'S':
                value = PhpValue.String(start, ReadEscapedString());
                Expect(';');
                break;
            case (byte)'a':
                return ReadArray(start, depth);
            case (byte)'O':
                return ReadObject(start, depth);
            case (byte)'C':
                value = ReadCustomObject(start);
                break;
            case (byte)'E':
                value = ReadEnum(start);
                break;
            case (byte)'r':
            case (byte)'R':
                return ReadReference(start, objectReference: type == 'r');
            default:
                throw Error(PhpSerializationError.Malformed, start, $"unknown value type {Show(type)}");
        }
        _slots.Add(value);
        return value;
    }

    private PhpValue ReadArray(int start, int depth)
    {
        Expect(':');
        long count = ReadLength("element count");
        Expect(':');
        Expect('{');
        CheckCount(start, count, MinArrayElementBytes, "elements");
        CheckDepth(start, depth);

        var array = PhpValue.Array(start, (int)Math.Min(count, 256));
        _slots.Add(array);
        for (long i = 0; i < count; i++)
        {
            var key = ReadKey(arrayKey: true);
            array.Set(key, ReadValue(depth + 1));
        }
        ExpectEnd(start, "array", count);
        return array;
    }

    private PhpValue ReadObject(int start, int depth)
    {
        Expect(':');
        string className = ReadClassName();
        Expect(':');
        long count = ReadLength("property count");
        Expect(':');
        Expect('{');
        CheckCount(start, count, MinPropertyBytes, "properties");
        CheckDepth(start, depth);

        var obj = PhpValue.Object(start, className, (int)Math.Min(count, 256));
        _slots.Add(obj);
        for (long i = 0; i < count; i++)
        {
            var key = ReadKey(arrayKey: false);
            obj.Set(key, ReadValue(depth + 1));
        }
        ExpectEnd(start, "object", count);
        return obj;
    }

    /// <summary>C:len:"Class":len:{payload}: the payload of a class's own Serializable::serialize(), kept as bytes.</summary>
    private PhpValue ReadCustomObject(int start)
    {
        Expect(':');
        string className = ReadClassName();
        Expect(':');
        int length = ReadDeclaredBytes("payload", 1);
        Expect('{');
        int payload = _pos;
        _pos += length;
        Expect('}');
        return PhpValue.CustomObject(start, className, payload, length);
    }

    /// <summary>E:len:"Class:Case"; (PHP 8.1 enums).</summary>
    private PhpValue ReadEnum(int start)
    {
        Expect(':');
        int length = ReadDeclaredBytes("enum name", 3);
        Expect('"');
        int name = _pos;
        if (_input.Slice(name, length).IndexOf((byte)':') <= 0)
            throw Error(PhpSerializationError.Malformed, name, "an enum must be written as \"Class:Case\"");
        _pos += length;
        Expect('"');
        Expect(';');
        return PhpValue.Enum(start, name, length);
    }

    private PhpValue ReadReference(int start, bool objectReference)
    {
        Expect(':');
        long id = ReadLength("reference");
        Expect(';');
        if (id < 1 || id > _slots.Count)
            throw Error(PhpSerializationError.Malformed, start,
                $"reference to value {id}, but only {_slots.Count} values precede it");
        var target = _slots[(int)id - 1];
        if (!objectReference) return target; // R: (a PHP &reference) takes no number of its own
        if (!target.IsObjectLike)
            throw Error(PhpSerializationError.Malformed, start, $"object reference r:{id} names a value that is not an object");
        _slots.Add(target);
        return target;
    }

    private PhpKey ReadKey(bool arrayKey)
    {
        int start = _pos;
        if (_pos >= _input.Length) throw Error(PhpSerializationError.Truncated, _pos, "expected a key");
        switch (_input[_pos++])
        {
            case (byte)'i':
            {
                Expect(':');
                long key = ReadInteger();
                Expect(';');
                // Object property names are strings, even when written as integers.
                return arrayKey ? new PhpKey(key, null) : new PhpKey(0, key.ToString(CultureInfo.InvariantCulture));
            }
            case (byte)'s':
            {
                var s = ReadString(start);
                Expect(';');
                return MakeKey(_input.Slice(s.Start, s.Length), arrayKey);
            }
            case (byte)'S':
            {
                var bytes = ReadEscapedString();
                Expect(';');
                return MakeKey(bytes, arrayKey);
            }
            default:
                throw Error(PhpSerializationError.Malformed, start,
                    $"{(arrayKey ? "an array key" : "a property name")} must be an integer or a string, found {Show(_input[start])}");
        }
    }

    /// <summary>In arrays a canonical decimal string ("5", "-3"; not "05", "-0", "+1") is the integer key (ZEND_HANDLE_NUMERIC_STR).</summary>
    private PhpKey MakeKey(ReadOnlySpan<byte> bytes, bool arrayKey)
    {
        if (arrayKey && TryCanonicalInteger(bytes, out long index)) return new PhpKey(index, null);
        return new PhpKey(0, _encoding.GetString(bytes));
    }

    private static bool TryCanonicalInteger(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 20) return false;
        bool negative = s[0] == '-';
        var digits = negative ? s[1..] : s;
        if (digits.IsEmpty || (digits[0] == '0' && s.Length > 1)) return false;
        ulong magnitude = 0;
        foreach (byte c in digits)
        {
            if (c is < (byte)'0' or > (byte)'9') return false;
            if (magnitude > (ulong.MaxValue - 9) / 10) return false;
            magnitude = magnitude * 10 + (ulong)(c - '0');
        }
        ulong limit = negative ? (ulong)long.MaxValue + 1 : long.MaxValue;
        if (magnitude > limit) return false;
        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    /// <summary>s:len:"bytes" (the length counts bytes, not characters). Leaves the reader after the closing quote.</summary>
    private PhpValue ReadString(int start)
    {
        Expect(':');
        int length = ReadDeclaredBytes("string", 2);
        Expect('"');
        int content = _pos;
        _pos += length;
        Expect('"');
        return PhpValue.String(start, content, length);
    }

    /// <summary>S:len:"..." where each of len bytes is a raw byte or \hh (PHP's escaped string form).</summary>
    private byte[] ReadEscapedString()
    {
        Expect(':');
        int length = ReadDeclaredBytes("string", 2);
        Expect('"');
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            int b = Next("string content");
            if (b == '\\')
            {
                int hi = HexValue(Next("hex digit")), lo = HexValue(Next("hex digit"));
                if (hi < 0 || lo < 0)
                    throw Error(PhpSerializationError.Malformed, _pos - 2, "an escape in an S: string must be \\ and two hex digits");
                b = hi * 16 + lo;
            }
            bytes[i] = (byte)b;
        }
        Expect('"');
        return bytes;
    }

    private string ReadClassName()
    {
        int length = ReadDeclaredBytes("class name", 2);
        Expect('"');
        var name = _input.Slice(_pos, length);
        if (length == 0) throw Error(PhpSerializationError.Malformed, _pos, "empty class name");
        for (int i = 0; i < name.Length; i++)
        {
            byte c = name[i];
            bool ok = c is (byte)'_' or (byte)'\\' or >= 0x80 or >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z'
                      or >= (byte)'0' and <= (byte)'9';
            if (!ok) throw Error(PhpSerializationError.Malformed, _pos + i, $"{Show(c)} cannot be part of a class name");
        }
        _pos += length;
        Expect('"');
        return _encoding.GetString(name);
    }

    /// <summary>A declared byte length, checked against what is left (plus the delimiters that must follow) before use.</summary>
    private int ReadDeclaredBytes(string what, int delimitersAfter)
    {
        int at = _pos;
        long length = ReadLength($"{what} length");
        Expect(':');
        long left = _input.Length - _pos;
        if (length > left - delimitersAfter)
            throw Error(PhpSerializationError.Malformed, at,
                $"{what} declares {length} bytes, more than the {Math.Max(0, left)} bytes left can hold with its delimiters");
        return (int)length;
    }

    private void CheckCount(int start, long count, int minBytesEach, string what)
    {
        long left = _input.Length - _pos;
        if (count > left / minBytesEach)
            throw Error(PhpSerializationError.Malformed, start,
                $"declares {count} {what}, more than the {left} bytes left can hold");
    }

    private void CheckDepth(int start, int depth)
    {
        if (depth >= _options.MaxDepth)
            throw Error(PhpSerializationError.LimitExceeded, start, $"nesting deeper than {_options.MaxDepth} levels");
    }

    private void ExpectEnd(int start, string what, long count)
    {
        if (_pos < _input.Length && _input[_pos] == '}') { _pos++; return; }
        if (_pos >= _input.Length) throw Error(PhpSerializationError.Truncated, _pos, $"expected '}}' closing the {what} at byte {start}");
        throw Error(PhpSerializationError.Malformed, _pos,
            $"expected '}}' after the {count} members the {what} at byte {start} declares, found {Show(_input[_pos])}");
    }

    /// <summary>An unsigned decimal (lengths, counts, reference numbers): digits only.</summary>
    private long ReadLength(string what)
    {
        int start = _pos;
        long value = 0;
        while (_pos < _input.Length && _input[_pos] is >= (byte)'0' and <= (byte)'9')
        {
            if (_pos - start >= 18)
                throw Error(PhpSerializationError.Malformed, start, $"{what} has too many digits");
            value = value * 10 + (_input[_pos] - '0');
            _pos++;
        }
        if (_pos == start)
        {
            if (_pos >= _input.Length) throw Error(PhpSerializationError.Truncated, _pos, $"expected the {what}");
            throw Error(PhpSerializationError.Malformed, _pos, $"expected the {what} (digits), found {Show(_input[_pos])}");
        }
        return value;
    }

    /// <summary>[+-]?[0-9]+ within the 64-bit range (PHP clamps larger values with a warning; we refuse them).</summary>
    private long ReadInteger()
    {
        int start = _pos;
        bool negative = false;
        if (_pos < _input.Length && _input[_pos] is (byte)'+' or (byte)'-') negative = _input[_pos++] == '-';
        int digitsStart = _pos;
        ulong magnitude = 0;
        while (_pos < _input.Length && _input[_pos] is >= (byte)'0' and <= (byte)'9')
        {
            if (magnitude > ((ulong)long.MaxValue + 1) / 10)
                throw Error(PhpSerializationError.Malformed, start, "integer out of the 64-bit range");
            magnitude = magnitude * 10 + (ulong)(_input[_pos] - '0');
            _pos++;
        }
        if (_pos == digitsStart)
        {
            if (_pos >= _input.Length) throw Error(PhpSerializationError.Truncated, _pos, "expected an integer");
            throw Error(PhpSerializationError.Malformed, _pos, $"expected an integer, found {Show(_input[_pos])}");
        }
        if (magnitude > (negative ? (ulong)long.MaxValue + 1 : long.MaxValue))
            throw Error(PhpSerializationError.Malformed, start, "integer out of the 64-bit range");
        return negative ? (long)(0 - magnitude) : (long)magnitude;
    }

    /// <summary>
    /// PHP's float grammar: NAN, INF, -INF, or [+-]? (digits | digits.digits? | .digits) ([eE][+-]?digits)?
    /// Exponents past the double range give ±infinity, as PHP's strtod does.
    /// </summary>
    private double ReadFloat()
    {
        int start = _pos;
        var rest = _input[_pos..];
        if (rest.StartsWith("NAN"u8)) { _pos += 3; return double.NaN; }
        if (rest.StartsWith("INF"u8)) { _pos += 3; return double.PositiveInfinity; }
        if (rest.StartsWith("-INF"u8)) { _pos += 4; return double.NegativeInfinity; }

        if (_pos < _input.Length && _input[_pos] is (byte)'+' or (byte)'-') _pos++;
        int mantissaDigits = SkipDigits();
        if (_pos < _input.Length && _input[_pos] == '.')
        {
            _pos++;
            mantissaDigits += SkipDigits();
        }
        if (mantissaDigits == 0)
        {
            if (_pos >= _input.Length) throw Error(PhpSerializationError.Truncated, _pos, "expected a float");
            throw Error(PhpSerializationError.Malformed, _pos, $"expected a float, found {Show(_input[_pos])}");
        }
        if (_pos < _input.Length && _input[_pos] is (byte)'e' or (byte)'E')
        {
            _pos++;
            if (_pos < _input.Length && _input[_pos] is (byte)'+' or (byte)'-') _pos++;
            if (SkipDigits() == 0)
            {
                if (_pos >= _input.Length) throw Error(PhpSerializationError.Truncated, _pos, "expected the exponent of a float");
                throw Error(PhpSerializationError.Malformed, _pos, $"expected the exponent of a float, found {Show(_input[_pos])}");
            }
        }
        if (!double.TryParse(_input[start.._pos], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw Error(PhpSerializationError.Malformed, start, "unreadable float");
        return value;
    }

    private int SkipDigits()
    {
        int start = _pos;
        while (_pos < _input.Length && _input[_pos] is >= (byte)'0' and <= (byte)'9') _pos++;
        return _pos - start;
    }

    private void Expect(char expected)
    {
        if (_pos >= _input.Length)
            throw Error(PhpSerializationError.Truncated, _pos, $"expected '{expected}'");
        if (_input[_pos] != expected)
            throw Error(PhpSerializationError.Malformed, _pos, $"expected '{expected}', found {Show(_input[_pos])}");
        _pos++;
    }

    private int Next(string expected)
    {
        if (_pos >= _input.Length) throw Error(PhpSerializationError.Truncated, _pos, $"expected {expected}");
        return _input[_pos++];
    }

    private static int HexValue(int c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static string Show(byte b) =>
        b is >= 0x21 and < 0x7F ? $"'{(char)b}'" : $"byte 0x{b:X2}";

    private readonly PhpSerializationException Error(PhpSerializationError error, long offset, string detail) =>
        new(error, offset, _input.Length, detail);
}
