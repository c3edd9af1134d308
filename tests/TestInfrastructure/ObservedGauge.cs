using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerService.TestInfrastructure;

/// <summary>Reads an observable instrument of a host's own meters, as a metrics exporter would see it.</summary>
public static class ObservedGauge
{
    /// <summary>The value last measured for the one series tagged <paramref name="tagKey"/> = <paramref name="tagValue"/>.</summary>
    public static int Read(IServiceProvider services, string meterName, string instrumentName, string tagKey, object tagValue)
    {
        var meters = services.GetRequiredService<IMeterFactory>();
        int? measured = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Meter.Scope == meters && instrument.Name == instrumentName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == tagKey && Equals(tag.Value, tagValue)) measured = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return measured ?? throw new InvalidOperationException($"no {instrumentName} measured for {tagKey}={tagValue}");
    }
}
