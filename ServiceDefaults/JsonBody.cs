using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Microsoft.Extensions.Hosting;

/// <summary>A write API's JSON request body, with the ProblemDetails every API answers when it does not fit.</summary>
public static class JsonBody
{
    /// <summary>
    /// The body as <typeparamref name="T"/>, or the problem to answer: 415 for another media type, a ValidationProblem
    /// keyed by the offending field ("$" for the whole body) for null, malformed JSON or an unknown field.
    /// </summary>
    public static async Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonSerializerOptions options, CancellationToken ct)
        where T : class
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Send the body as application/json"));
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(request.Body, options, ct);
            return body is null
                ? (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["$"] = ["The body is null."] }))
                : (body, null);
        }
        catch (JsonException e)
        {
            var path = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : "$";
            var message = e.Message.StartsWith("The JSON property '", StringComparison.Ordinal) ? "is not a field of this resource." : e.Message;
            return (null, TypedResults.ValidationProblem(new Dictionary<string, string[]> { [path] = [message] }, title: "The body is not valid JSON of its schema"));
        }
    }
}
