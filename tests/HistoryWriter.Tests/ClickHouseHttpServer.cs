using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ClickHouse.Driver.Compression;
using CustomerService.HistoryWriter.Storage.Chdb;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// ClickHouse's HTTP interface in front of the real ClickHouse engine of this process (chDB), so that the server
/// mode's requests (built by ClickHouse.Driver: SQL or data in the body, gzip, the query in the URL for inserts,
/// param_ arguments, default_format, database, settings) run on real ClickHouse. What it serves is exactly what the
/// engine returns in the requested format; errors come back as ClickHouse sends them (status 500, the
/// X-ClickHouse-Exception-Code header, the engine's text).
/// </summary>
public sealed partial class ClickHouseHttpServer : IAsyncDisposable
{
    // URL arguments that are about the HTTP exchange, not query settings for the engine.
    private static readonly HashSet<string> HttpArguments =
        ["query", "database", "default_format", "query_id", "enable_http_compression", "user", "password", "session_id",
         "session_timeout", "session_check", "wait_end_of_query", "compress", "decompress", "buffer_size", "role"];

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ChdbConnection> _connections = new();
    private long _requests;

    private ClickHouseHttpServer(WebApplication app) => _app = app;

    public int Port { get; private set; }

    /// <summary>Requests served so far: tests check that the driver really went through here.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    public string ConnectionString(string database = "default") =>
        $"Host=127.0.0.1;Port={Port};Protocol=http;Username=default;Password=;Database={database}";

    public static async Task<ClickHouseHttpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new ClickHouseHttpServer(app);
        app.MapGet("/", () => "Ok.\n");
        app.MapGet("/ping", () => "Ok.\n");
        app.MapPost("/", server.QueryAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address).Port;
        return server;
    }

    private async Task QueryAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var request = context.Request;
        byte[] body;
        try
        {
            body = await ReadBodyAsync(request);
        }
        catch (NotSupportedException ex)
        {
            context.Response.StatusCode = StatusCodes.Status501NotImplemented;
            await context.Response.WriteAsync(ex.Message);
            return;
        }
        var (sql, insertFormat, rows) = Split(request.Query["query"].ToString(), body);
        var format = request.Query["default_format"].ToString() is { Length: > 0 } f ? f : "TabSeparated";
        var parameters = request.Query.Where(q => q.Key.StartsWith("param_", StringComparison.Ordinal))
            .Select(q => new ChdbParameter(q.Key["param_".Length..], q.Value.ToString())).ToArray();
        var settings = request.Query.Where(q => !HttpArguments.Contains(q.Key) && !q.Key.StartsWith("param_", StringComparison.Ordinal))
            .Select(q => $"{q.Key}={q.Value}").Order().ToArray();
        var database = request.Query["database"].ToString() is { Length: > 0 } d ? d : "default";
        var queryId = request.Query["query_id"].ToString() is { Length: > 0 } id ? id : Guid.NewGuid().ToString();

        var response = context.Response;
        response.Headers["X-ClickHouse-Query-Id"] = queryId;
        response.Headers["X-ClickHouse-Timezone"] = "UTC";
        response.Headers["X-ClickHouse-Server-Display-Name"] = "chdb-http-test";
        try
        {
            var connection = Connection(database, settings);
            byte[] output;
            string summary;
            using (var result = insertFormat is null
                       ? await connection.QueryAsync(sql, format, parameters, context.RequestAborted)
                       : await connection.InsertAsync(sql, insertFormat, rows, context.RequestAborted))
            {
                output = result.Span.ToArray();
                summary = $"{{\"read_rows\":\"{result.RowsRead}\",\"read_bytes\":\"{result.BytesRead}\",\"written_rows\":\"{result.RowsWritten}\"," +
                          $"\"written_bytes\":\"{result.BytesWritten}\",\"total_rows_to_read\":\"0\",\"result_rows\":\"0\",\"result_bytes\":\"{output.Length}\"," +
                          $"\"elapsed_ns\":\"{(long)(result.Elapsed.TotalMilliseconds * 1_000_000)}\"}}";
            }
            response.Headers["X-ClickHouse-Format"] = format;
            response.Headers["X-ClickHouse-Summary"] = summary;
            response.ContentType = format.StartsWith("JSON", StringComparison.Ordinal) ? "application/json; charset=UTF-8"
                : format.StartsWith("TabSeparated", StringComparison.Ordinal) ? "text/tab-separated-values; charset=UTF-8"
                : "application/octet-stream";
            response.ContentLength = output.Length;
            await response.Body.WriteAsync(output);
        }
        catch (ChdbException ex)
        {
            response.StatusCode = StatusCodes.Status500InternalServerError;
            response.Headers["X-ClickHouse-Exception-Code"] = ex.Code.ToString();
            response.ContentType = "text/plain; charset=UTF-8";
            await response.WriteAsync(ex.Message + "\n");
        }
    }

    /// <summary>
    /// As ClickHouse does: the query argument first, then the body (an insert's data, or the whole SQL). An INSERT
    /// ending in FORMAT whose rows follow (after the URL's query, or after the first line of the body) is handed to
    /// the engine as an insert with separate data, exactly as a server reads a request body: never as inline text.
    /// </summary>
    private static (string Sql, string? InsertFormat, byte[] Rows) Split(string urlQuery, byte[] body)
    {
        if (urlQuery.Length > 0)
        {
            if (body.Length > 0 && InsertWithFormat().Match(urlQuery) is { Success: true } m)
                return (m.Groups["insert"].Value, m.Groups["format"].Value, body);
            return (body.Length == 0 ? urlQuery : urlQuery + "\n" + Encoding.UTF8.GetString(body), null, []);
        }
        var firstLine = Array.IndexOf(body, (byte)'\n');
        if (firstLine > 0 && InsertWithFormat().Match(Encoding.UTF8.GetString(body, 0, firstLine)) is { Success: true } inline)
            return (inline.Groups["insert"].Value, inline.Groups["format"].Value, body[(firstLine + 1)..]);
        return (Encoding.UTF8.GetString(body), null, []);
    }

    /// <summary>A connection per database and settings, as a server session would have them.</summary>
    private ChdbConnection Connection(string database, string[] settings) =>
        _connections.GetOrAdd(database + "?" + string.Join('&', settings), key =>
        {
            if (!IdentifierPattern().IsMatch(database)) throw new ChdbException($"Code: 81. DB::Exception: Database {database} does not exist. (UNKNOWN_DATABASE)");
            _ = TestEngine.Connection;
            var connection = ChdbConnection.Open(TestEngine.Library, TestEngine.DataDirectory, settings);
            using (connection.Query($"CREATE DATABASE IF NOT EXISTS {database}")) { }
            using (connection.Query($"USE {database}")) { }
            return connection;
        });

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        Stream body = request.Body;
        var encoding = request.Headers.ContentEncoding.ToString();
        // The encodings ClickHouse accepts on requests; zstd (the driver's choice for inserts) through the driver's
        // public codec, which is only a codec here: the data still goes to the engine as the server would pass it.
        body = encoding switch
        {
            "" => body,
            "gzip" => new GZipStream(body, CompressionMode.Decompress),
            "deflate" => new ZLibStream(body, CompressionMode.Decompress),
            "br" => new BrotliStream(body, CompressionMode.Decompress),
            "zstd" => ZstdCompressor.Default.Decompress(body, leaveOpen: false),
            _ => throw new NotSupportedException($"Content-Encoding {encoding}"),
        };
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var connection in _connections.Values) connection.Dispose();
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex(@"^\s*(?<insert>INSERT\s+INTO\s.+?)\s+FORMAT\s+(?<format>[A-Za-z][A-Za-z0-9]*)\s*$",
        RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex InsertWithFormat();
}
