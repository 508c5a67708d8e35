"""Reads the log `interleave` (common.sh) writes: "name|wall user sys peak-KB"
lines, one per run. Imported by the benchmark scripts' summaries."""
import statistics


def read(log):
    """Returns (rows, med, cpu, best): per name, every run as (wall s,
    cpu s, peak KB), and the median wall, median CPU and best wall time."""
    rows = {}
    for line in open(log):
        name, t = line.rstrip("\n").split("|")
        e, u, s, m = t.split()
        rows.setdefault(name, []).append((float(e), float(u) + float(s), int(m)))
    med = {n: statistics.median(x[0] for x in v) for n, v in rows.items()}
    cpu = {n: statistics.median(x[1] for x in v) for n, v in rows.items()}
    best = {n: min(x[0] for x in v) for n, v in rows.items()}
    return rows, med, cpu, best
