using System.Text;
using CustomerService.AdapterKit.Php;
using Microsoft.Extensions.Options;

namespace CustomerService.Crm;

/// <summary>The legacy CRM and how its answers are read and kept (configuration section "Crm").</summary>
public sealed class CrmOptions
{
    public const string Section = "Crm";

    /// <summary>Where the CRM answers; "http://crm-sim" is resolved by service discovery when the AppHost references the simulator.</summary>
    public string BaseUrl { get; set; } = "http://crm-sim";

    /// <summary>The customer record's path under <see cref="BaseUrl"/>; {id} is the escaped customer id.</summary>
    public string CustomerPath { get; set; } = "customers/{id}";

    /// <summary>How long a profile read from the CRM stays in Redis for the fallback.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Largest CRM answer accepted.</summary>
    public int MaxRecordBytes { get; set; } = 1024 * 1024;

    /// <summary>The CRM's string encoding when it is not UTF-8 (e.g. "GB18030"); lengths stay byte counts.</summary>
    public string? StringEncoding { get; set; }

    public Uri BaseAddress => new(BaseUrl.EndsWith('/') ? BaseUrl : BaseUrl + "/");

    public PhpUnserializeOptions ReaderOptions()
    {
        if (string.IsNullOrEmpty(StringEncoding)) return PhpUnserializeOptions.Default with { MaxInputBytes = MaxRecordBytes };
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return PhpUnserializeOptions.Default with { MaxInputBytes = MaxRecordBytes, StringEncoding = Encoding.GetEncoding(StringEncoding) };
    }
}

internal sealed class CrmOptionsValidator : IValidateOptions<CrmOptions>
{
    public ValidateOptionsResult Validate(string? name, CrmOptions o)
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            errors.Add($"Crm:BaseUrl must be an absolute http(s) URL, not '{o.BaseUrl}'");
        if (!o.CustomerPath.Contains("{id}", StringComparison.Ordinal)) errors.Add("Crm:CustomerPath must contain {id}");
        if (o.CacheTtl <= TimeSpan.Zero) errors.Add("Crm:CacheTtl must be positive");
        if (o.MaxRecordBytes is < 1024 or > 64 * 1024 * 1024) errors.Add("Crm:MaxRecordBytes must be between 1 KiB and 64 MiB");
        if (!string.IsNullOrEmpty(o.StringEncoding))
        {
            try { o.ReaderOptions(); }
            catch (ArgumentException) { errors.Add($"Crm:StringEncoding '{o.StringEncoding}' is not an encoding this runtime knows"); }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
