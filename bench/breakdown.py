#!/usr/bin/env python3
"""Where the time of one request goes, from a syscall trace of a Strongroom server (bench/many.sh --breakdown).

Input: `strace -f -tt -T -yy` of the server process while a client runs ONE request at a time
(concurrency 1), so requests do not overlap and every syscall between a request's first byte and
its response belongs to it. Output: per request (median over requests, first ones skipped as
warm-up) the server's span and the phases inside it:

  server span   first read of the request line on the client socket -> end of the response's last write
  before        -> the first syscall on a site file or directory: HTTP parsing, authentication,
                metadata reads (SQLite page reads, or PostgreSQL round trips), key work
  site          first -> last syscall on a site file or directory (open, write, fsync, rename, read);
                encryption of a put's body happens in here, between the opens and the writes
  after         -> the end of the response: the metadata write transaction (group commit, audit
                append in the same transaction) and the response

and inside each phase the metadata syscalls: SQLite (metadata.db, its WAL, temp files: time,
fsyncs, WAL pages) or the PostgreSQL sockets (round trips: a send and the first read that returns
its answer; the time between the two).
The trace itself slows every traced syscall (ptrace stops), so absolute times are inflated; the
structure (what runs in series, how many fsyncs and round trips) is what to read.
"""
import argparse
import re
import statistics
import sys

LINE = re.compile(r"^(\d+)\s+(\d\d):(\d\d):(\d\d\.\d+)\s+(.*)$")
CALL = re.compile(r"^(\w+)\((.*)\)\s+=\s+(-?\d+|\?)(?:\s+\w+.*?)?\s+<(\d+\.\d+)>$")
UNFINISHED = re.compile(r"^(\w+)\((.*)\s+<unfinished \.\.\.>$")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)\)\s+=\s+(-?\d+|\?)(?:\s+\w+.*?)?\s+<(\d+\.\d+)>$")
FD = re.compile(r"^(\d+)<((?:TCP|UDP|UNIX)(?:v6)?:\[[^\]]*\]|[^>]*)>")
SOCKET_PORTS = re.compile(r"TCP(?:v6)?:\[[^\]]*?:(\d+)->[^\]]*?:(\d+)\]")


def parse(path):
    pending = {}
    calls = []
    with open(path, errors="replace") as trace:
        for raw in trace:
            match = LINE.match(raw.rstrip("\n"))
            if not match:
                continue
            tid, hours, minutes, seconds, rest = match.groups()
            at = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
            if (m := UNFINISHED.match(rest)):
                pending[tid] = (at, m.group(1), m.group(2))
                continue
            if (m := RESUMED.match(rest)):
                if tid not in pending:
                    continue
                start, name, args = pending.pop(tid)
                calls.append((start, float(m.group(4)), tid, name, args + m.group(2), m.group(3)))
                continue
            if (m := CALL.match(rest)):
                calls.append((at, float(m.group(4)), tid, m.group(1), m.group(2), m.group(3)))
    calls.sort(key=lambda c: c[0])
    return calls


def fd_target(args):
    m = FD.match(args)
    return m.group(2) if m else ""


def socket_ports(target):
    m = SOCKET_PORTS.search(target)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("--port", type=int, required=True, help="the server's listening port (client sockets)")
    parser.add_argument("--db-port", type=int, help="PostgreSQL's port (database sockets)")
    parser.add_argument("--skip", type=int, default=3, help="requests skipped at the start")
    parser.add_argument("--label", default="")
    parser.add_argument("--client-p50", type=float, help="the client's p50 (ms) at concurrency 1 without the trace")
    parser.add_argument("--client-p50-traced", type=float, help="the client's p50 (ms) while the server was traced")
    options = parser.parse_args()

    calls = parse(options.trace)
    # Requests: a read on a client socket whose data starts with an HTTP method.
    reads = ("recvfrom", "read", "recvmsg", "readv")
    writes = ("sendto", "write", "sendmsg", "writev")
    starts = []
    for index, (at, duration, tid, name, args, result) in enumerate(calls):
        target = fd_target(args)
        local, _ = socket_ports(target)
        if name in reads and local == options.port and re.search(r'"(PUT|GET|HEAD|DELETE|POST) /', args):
            starts.append(index)

    rows = []
    for n, first in enumerate(starts):
        last = starts[n + 1] if n + 1 < len(starts) else len(calls)
        window = calls[first:last]
        begin = window[0][0]
        response_end = None
        events = []  # (start, end, kind, name, result)
        for at, duration, tid, name, args, result in window:
            target = fd_target(args)
            local, remote = socket_ports(target)
            if name in writes and local == options.port:
                response_end = at + duration
            elif "/sites/" in target or (name in ("openat", "rename", "renameat", "renameat2", "unlink", "unlinkat") and "/sites/" in args):
                events.append((at, at + duration, "site", name, result, target))
            elif "metadata.db" in target or "etilqs_" in target or "metadata.db" in args or "etilqs_" in args:
                events.append((at, at + duration, "sqlite", name, result, target))
            elif options.db_port and remote == options.db_port:
                events.append((at, at + duration, "db", name, result, target))
        if response_end is None:
            continue
        site = [e for e in events if e[2] == "site" and e[1] <= response_end]
        meta = [e for e in events if e[2] in ("sqlite", "db") and e[1] <= response_end]
        site_begin = min((e[0] for e in site), default=None)
        site_end = max((e[1] for e in site), default=None)
        if site_begin is None:  # a read without a site access (or a write that failed): one phase
            site_begin = site_end = response_end
        row = {
            "span": response_end - begin,
            "before": site_begin - begin,
            "site": site_end - site_begin,
            "after": response_end - site_end,
            "site_fsyncs": sum(1 for e in site if e[3] in ("fsync", "fdatasync")),
            "site_fsync_time": sum(e[1] - e[0] for e in site if e[3] in ("fsync", "fdatasync")),
            "site_io_time": sum(e[1] - e[0] for e in site),
        }
        for phase, low, high in (("before", begin, site_begin), ("site", site_begin, site_end), ("after", site_end, response_end)):
            inside = [e for e in meta if low <= e[0] < high or (phase == "after" and e[0] >= high)]
            row[phase + "_meta_time"] = sum(e[1] - e[0] for e in inside)
            row[phase + "_meta_fsyncs"] = sum(1 for e in inside if e[3] in ("fsync", "fdatasync"))
            row[phase + "_meta_fsync_time"] = sum(e[1] - e[0] for e in inside if e[3] in ("fsync", "fdatasync"))
            row[phase + "_wal_pages"] = sum(1 for e in inside if e[3] == "pwrite64" and "-wal" in e[5] and e[4].isdigit() and int(e[4]) >= 4096)
            # A round trip: a send on a database socket, then its answer (the first read there that
            # returns data). The socket is non-blocking, so the wait is the time between the two,
            # not the time inside the read (a read that would block returns EAGAIN at once).
            trips, wait, sent = 0, 0.0, {}
            for e in inside:
                if e[2] != "db":
                    continue
                if e[3] in writes:
                    sent.setdefault(e[5], e[0])
                elif e[3] in reads and e[4].isdigit() and int(e[4]) > 0 and e[5] in sent:
                    trips += 1
                    wait += e[1] - sent.pop(e[5])
            row[phase + "_db_trips"] = trips
            row[phase + "_db_wait"] = wait
        rows.append(row)
    rows = rows[options.skip:]
    if not rows:
        print(f"{options.label}: no complete request in the trace", file=sys.stderr)
        return 1

    def med(key, scale=1000.0):
        return statistics.median(r[key] for r in rows) * scale

    def mean(key, scale=1000.0):
        return statistics.fmean(r[key] for r in rows) * scale

    print(f"{options.label}: {len(rows)} requests; medians per request, ms (counts where said)")
    print(f"  server span p50 {med('span'):.2f}; mean {mean('span'):.2f} = before the site {mean('before'):.2f} + site {mean('site'):.2f} + after the site {mean('after'):.2f}")
    print(f"  site: {med('site_fsyncs', 1):.0f} fsyncs taking {med('site_fsync_time'):.2f}; all site syscalls {med('site_io_time'):.2f}")
    site_wait = med("site_fsync_time")
    meta_wait = sum(med(p + ("_db_wait" if options.db_port else "_meta_fsync_time")) for p in ("before", "site", "after"))
    trips = sum(med(p + "_db_trips", 1) for p in ("before", "site", "after"))
    if options.client_p50 and options.client_p50_traced:
        print(f"  client p50 {options.client_p50:.2f} untraced, {options.client_p50_traced:.2f} with the server traced;"
              f" client + HTTP ≈ traced p50 − server span p50 = {options.client_p50_traced - med('span'):.2f}")
    if options.db_port:
        per_trip = meta_wait / trips if trips else 0.0
        print(f"  waits: site fsyncs {site_wait:.2f}; {trips:.0f} database round trips {meta_wait:.2f} ({per_trip:.3f} per round trip)")
    else:
        print(f"  waits: site fsyncs {site_wait:.2f}; SQLite fsyncs {meta_wait:.2f}")
    for phase in ("before", "site", "after"):
        parts = [f"metadata syscalls {med(phase + '_meta_time'):.2f}"]
        if options.db_port:
            parts.append(f"{med(phase + '_db_trips', 1):.0f} database round trips, {med(phase + '_db_wait'):.2f} waiting for answers")
        else:
            parts.append(f"{med(phase + '_meta_fsyncs', 1):.0f} fsyncs taking {med(phase + '_meta_fsync_time'):.2f}, {med(phase + '_wal_pages', 1):.0f} WAL pages")
        print(f"  {phase}: " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
