using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using CustomerService.AdapterKit.Resilience;
using Microsoft.Extensions.Options;

namespace CustomerService.Orders.LegacyOrderSystem;

/// <summary>What the order system answered: its body and the media type it named (JSON or XML).</summary>
public sealed record OrderSystemAnswer(byte[] Body, string? MediaType, string Source);

/// <summary>The legacy order system's REST interface: GET customers/{id}/orders answers the recent orders.</summary>
public sealed class OrderSystemClient(IHttpClientFactory httpClients, IOptions<OrderSystemOptions> options)
{
    public const string HttpClientName = "order-system";
    /// <summary>The legacy system's name in metrics, logs and UnifiedMessage metadata.</summary>
    public const string SystemName = "orders";

    private readonly OrderSystemOptions _options = options.Value;

    public string RecentOrdersPath(string customerId, int limit) => _options.RecentOrdersPath
        .Replace("{id}", Uri.EscapeDataString(customerId), StringComparison.Ordinal)
        .Replace("{limit}", limit.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>The customer's recent orders as the order system wrote them.</summary>
    /// <exception cref="LegacyRecordNotFoundException">The order system does not know the customer.</exception>
    /// <exception cref="LegacySystemException">The order system answered with an error or too much.</exception>
    public async ValueTask<OrderSystemAnswer> GetRecentOrdersAsync(string customerId, int limit, CancellationToken cancellationToken)
    {
        var path = RecentOrdersPath(customerId, limit);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd(_options.Accept);
        var http = httpClients.CreateClient(HttpClientName);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        int status = (int)response.StatusCode;
        if (response.StatusCode == HttpStatusCode.NotFound) throw new LegacyRecordNotFoundException(SystemName, $"customer '{customerId}'");
        if (!response.IsSuccessStatusCode)
        {
            bool transient = status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            throw new LegacySystemException(SystemName, $"answered HTTP {status} for the orders of '{customerId}'", transient);
        }
        if (response.Content.Headers.ContentLength > _options.MaxAnswerBytes)
            throw new LegacySystemException(SystemName, $"an answer of {response.Content.Headers.ContentLength} bytes exceeds {_options.MaxAnswerBytes}", false);

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > _options.MaxAnswerBytes)
                throw new LegacySystemException(SystemName, $"the answer exceeds {_options.MaxAnswerBytes} bytes", false);
            buffer.Write(chunk, 0, read);
        }
        return new OrderSystemAnswer(buffer.ToArray(), MediaTypeOf(response.Content.Headers.ContentType), $"GET {path}");
    }

    private static string? MediaTypeOf(MediaTypeHeaderValue? contentType) => contentType?.MediaType?.ToLowerInvariant();
}
