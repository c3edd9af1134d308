using System.Text.Json;
using System.Xml;

namespace CustomerService.Orders.LegacyOrderSystem;

/// <summary>
/// Turns an XML answer into the JSON record the field mappings read, so one mapping serves both of the order
/// system's formats: the root element becomes the top object; attributes become "@name" members; child elements
/// become members by name (an array when the name repeats); an element with only text becomes a string; text
/// beside attributes or children becomes "#text". DTDs and external entities are refused (XXE), depth is bounded.
/// </summary>
public static class XmlToJson
{
    public const string TextMember = "#text";
    public const int MaxDepth = 64;

    /// <exception cref="FormatException">The XML is malformed, declares a DTD or nests too deeply.</exception>
    public static byte[] Convert(byte[] xml)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(xml, writable: false), settings);
            using var output = new MemoryStream(xml.Length + 64);
            using (var json = new Utf8JsonWriter(output))
            {
                reader.MoveToContent();
                if (reader.NodeType != XmlNodeType.Element) throw new FormatException("the XML answer has no root element");
                WriteElement(reader, json, 1);
            }
            return output.ToArray();
        }
        catch (XmlException e)
        {
            throw new FormatException($"malformed XML at line {e.LineNumber}, position {e.LinePosition}: {e.Message}", e);
        }
    }

    /// <summary>Writes the element the reader is on (its content, not its name) and leaves the reader after it.</summary>
    private static void WriteElement(XmlReader reader, Utf8JsonWriter json, int depth)
    {
        if (depth > MaxDepth) throw new FormatException($"the XML answer nests deeper than {MaxDepth} elements");

        var attributes = new List<(string Name, string Value)>();
        if (reader.MoveToFirstAttribute())
        {
            do
            {
                if (reader.Prefix != "xmlns" && reader.LocalName != "xmlns") attributes.Add((reader.LocalName, reader.Value));
            } while (reader.MoveToNextAttribute());
            reader.MoveToElement();
        }

        if (reader.IsEmptyElement)
        {
            reader.Read();
            if (attributes.Count == 0) { json.WriteStringValue(""); return; }
            json.WriteStartObject();
            foreach (var (name, value) in attributes) json.WriteString("@" + name, value);
            json.WriteEndObject();
            return;
        }

        // Children are buffered per name, in order of first appearance, so a repeated name becomes one array.
        var children = new List<(string Name, List<byte[]> Values)>();
        var text = new System.Text.StringBuilder();
        reader.Read();
        while (reader.NodeType != XmlNodeType.EndElement)
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    string name = reader.LocalName;
                    using (var child = new MemoryStream())
                    {
                        using (var childJson = new Utf8JsonWriter(child)) WriteElement(reader, childJson, depth + 1);
                        var slot = children.FindIndex(c => c.Name == name);
                        if (slot < 0) children.Add((name, [child.ToArray()]));
                        else children[slot].Values.Add(child.ToArray());
                    }
                    continue; // WriteElement moved past the child
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace:
                    text.Append(reader.Value);
                    break;
            }
            reader.Read();
        }
        reader.Read(); // past the end tag

        string content = text.ToString().Trim();
        if (attributes.Count == 0 && children.Count == 0)
        {
            json.WriteStringValue(content);
            return;
        }
        json.WriteStartObject();
        foreach (var (name, value) in attributes) json.WriteString("@" + name, value);
        foreach (var (name, values) in children)
        {
            json.WritePropertyName(name);
            if (values.Count == 1) json.WriteRawValue(values[0], skipInputValidation: true);
            else
            {
                json.WriteStartArray();
                foreach (var value in values) json.WriteRawValue(value, skipInputValidation: true);
                json.WriteEndArray();
            }
        }
        if (content.Length > 0) json.WriteString(TextMember, content);
        json.WriteEndObject();
    }
}
