
namespace CustomerService.Session.Sockets;

/// <summary>
/// How many frames one socket may send: a token bucket of <c>burst</c> frames refilled at <c>perSecond</c>, read
/// from the clock on each frame (no timer per socket, no allocation). A frame over budget is answered with a
/// <c>rate_limited</c> error frame that says when to retry, and the socket lives on: one visitor firing thousands
/// of frames at once costs the platform a refusal each, not a stored message each.
/// </summary>
public sealed class FrameBudget
{
    private readonly double _perSecond, _burst;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    public FrameBudget(double perSecond, double burst, TimeProvider? time = null)
    {
        (_perSecond, _burst, _tokens) = (perSecond, burst, burst);
        _time = time ?? TimeProvider.System;
        _last = _time.GetTimestamp();
    }

    /// <summary>Takes one frame's worth, or says how long until one is there.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        long now = _time.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + (now - _last) * _perSecond / _time.TimestampFrequency);
        _last = now;
        if (_tokens >= 1)
        {
            _tokens -= 1;
            retryAfter = TimeSpan.Zero;
            return true;
        }
        retryAfter = TimeSpan.FromSeconds((1 - _tokens) / _perSecond);
        return false;
    }

    public static FrameBudget For(Identity identity, SessionOptions options) => identity.IsCustomer
        ? new FrameBudget(options.CustomerFramesPerSecond, options.CustomerFrameBurst)
        : new FrameBudget(options.StaffFramesPerSecond, options.StaffFrameBurst);
}
