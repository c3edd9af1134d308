using System.Net;
using CustomerService.AdapterKit.Resilience;
using Microsoft.Extensions.Options;

namespace CustomerService.Crm.LegacyCrm;

/// <summary>The legacy CRM's HTTP interface: GET customers/{id} answers PHP serialize() of the customer record.</summary>
public sealed class CrmClient(IHttpClientFactory httpClients, IOptions<CrmOptions> options)
{
    public const string HttpClientName = "crm";
    /// <summary>The legacy system's name in metrics, logs and UnifiedMessage metadata.</summary>
    public const string SystemName = "crm";

    private readonly CrmOptions _options = options.Value;

    public string CustomerPath(string customerId) =>
        _options.CustomerPath.Replace("{id}", Uri.EscapeDataString(customerId), StringComparison.Ordinal);

    /// <summary>The raw serialized record.</summary>
    /// <exception cref="LegacyRecordNotFoundException">The CRM does not know the customer.</exception>
    /// <exception cref="LegacySystemException">The CRM answered with an error or too much.</exception>
    public async ValueTask<byte[]> GetCustomerAsync(string customerId, CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(HttpClientName);
        using var response = await http.GetAsync(CustomerPath(customerId), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        int status = (int)response.StatusCode;
        if (response.StatusCode == HttpStatusCode.NotFound) throw new LegacyRecordNotFoundException(SystemName, $"customer '{customerId}'");
        if (!response.IsSuccessStatusCode)
        {
            bool transient = status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            throw new LegacySystemException(SystemName, $"answered HTTP {status} for customer '{customerId}'", transient);
        }
        if (response.Content.Headers.ContentLength > _options.MaxRecordBytes)
            throw new LegacySystemException(SystemName, $"customer record of {response.Content.Headers.ContentLength} bytes exceeds {_options.MaxRecordBytes}", false);

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > _options.MaxRecordBytes)
                throw new LegacySystemException(SystemName, $"customer record exceeds {_options.MaxRecordBytes} bytes", false);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
