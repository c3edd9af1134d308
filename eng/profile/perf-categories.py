#!/usr/bin/env python3
"""Share of on-CPU samples per process and per category, from `perf script -F pid,tid,comm,ip,sym` of a
system-wide `perf record -e cpu-clock -g` taken with DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0.
A sample counts for the first category whose pattern is in any frame of its stack. Processes are named from
/proc (so run it while they still run); those under 1% of the samples are left out.
usage: perf-categories.py STACKS"""
import collections, re, sys

CATEGORIES = [
    ("telemetry (OpenTelemetry, Activity, metrics)", re.compile(r"OpenTelemetry|System\.Diagnostics\.Activity|DiagnosticSource|Telemetry::|FrameTracing|Meter|Histogram|Counter`1")),
    ("logging", re.compile(r"Microsoft\.Extensions\.Logging|LoggerMessage|\bILogger")),
    ("GC", re.compile(r"gc_heap|GCHeap|WKS::|SVR::|\.NET Server GC|\.NET BGC|GarbageCollect|JIT_New|Alloc")),
    ("JIT / tiering", re.compile(r"\.NET Tiered Com|libclrjit|TieredCompilation|CallCountingManager")),
    ("Redis client", re.compile(r"StackExchange\.Redis|Pipelines\.Sockets")),
    ("NATS client", re.compile(r"NATS\.Client")),
    ("JSON / protobuf", re.compile(r"System\.Text\.Json|Google\.Protobuf")),
    ("WebSocket / Kestrel / YARP", re.compile(r"WebSockets|Kestrel|Yarp|System\.IO\.Pipelines")),
    ("kernel (sockets, scheduling)", re.compile(r"\[k\]|^\s*[0-9a-f]+ (tcp_|__x64_sys|do_syscall|entry_SYSCALL|__sys_|sock_|schedule|finish_task)")),
]

def name_of(pid):
    try:
        args = open(f"/proc/{pid}/cmdline").read().split("\0")
    except OSError:
        return f"pid {pid} (gone)"
    exe = args[0].split("/")[-1]
    if exe == "dotnet" and len(args) > 1:
        exe = args[1].split("/")[-1].removesuffix(".dll")
    return exe


def main():
    path = sys.argv[1]
    counts = collections.defaultdict(collections.Counter)
    totals = collections.Counter()
    cur_pid, frames = None, []

    def flush():
        if cur_pid is None:
            return
        totals[cur_pid] += 1
        text = "\n".join(frames)
        for name, pat in CATEGORIES:
            if pat.search(text):
                counts[cur_pid][name] += 1
                return
        counts[cur_pid]["other (the service's own code, runtime, libc)"] += 1

    for line in open(path, errors="replace"):
        if not line.strip():
            flush(); cur_pid, frames = None, []
            continue
        if not line.startswith((" ", "\t")):
            m = re.search(r"(\d+)/(\d+)", line)
            cur_pid = int(m.group(1)) if m else None
            frames = [line.strip()]
        else:
            frames.append(line.strip())
    flush()
    all_samples = sum(totals.values())
    for pid, n in totals.most_common():
        if n < all_samples / 100:
            break
        print(f"{name_of(pid)} ({pid}): {100 * n / all_samples:.1f}% of all on-CPU samples ({n})")
        for cat, k in counts[pid].most_common():
            print(f"  {100 * k / max(n, 1):5.1f}%  {cat}")

main()
