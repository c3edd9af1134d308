using System.Runtime.CompilerServices;
using System.Text;

namespace CustomerService.HistoryWriter.Tests;

/// <summary>
/// ClickHouse installs signal handlers of its own; with them, the first NullReferenceException after connecting
/// hangs the process (.NET raises it from SIGSEGV). HistoryWriter turns them off before connecting: .NET's
/// exceptions must keep working while the engine runs.
/// </summary>
public sealed class SignalHandlerTests
{
    [Fact]
    public void Null_reference_and_divide_by_zero_are_still_caught_after_connecting()
    {
        using (var result = TestEngine.Connection.Query("SELECT count() FROM numbers(1000)"))
            Assert.Equal("1000\n", Encoding.UTF8.GetString(result.Span));

        var nullReference = Record.Exception(() => LengthOf(null));
        var divideByZero = Record.Exception(() => Divide(1, 0));

        Assert.IsType<NullReferenceException>(nullReference);
        Assert.IsType<DivideByZeroException>(divideByZero);

        // And the engine still answers afterwards.
        using var again = TestEngine.Connection.Query("SELECT 1 + 1");
        Assert.Equal("2\n", Encoding.UTF8.GetString(again.Span));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LengthOf(string? text) => text!.Length;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Divide(int a, int b) => a / b;
}
