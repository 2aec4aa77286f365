#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py RESULTS.jsonl [--json OUT.json] [--png OUT.png]

Summarise vm-bench.sh's results: for every configuration the median over
the numbered rounds of ours and of stock, the ratio ours/stock, and the
A/A spread (|aa-1 - aa-2| / mean, our module against itself).  A
difference is called only when |ratio - 1| exceeds three times the A/A
spread and the two modules' round-to-round ranges do not overlap.
Then the memory table (median of the probes of each size).

report.py RESULTS.jsonl --smp BASE [--json OUT.json]: the throughput runs
of run-bench with BENCH_SMP (several vCPUs, wall clock): per configuration
each module's IOPS per round and its ratio to module BASE in the same
round, with the median and the 95 % confidence interval (Student's t on
the log ratios) over the rounds.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

METRICS = ["ns_per_io", "p50_ns", "p99_ns", "kicks_per_io", "calls_per_io",
           "used_per_call", "wakeups_per_io", "csw_self_per_io",
           "csw_vhost_per_io", "csw_kworker_per_io", "cpu_self_ns_per_io",
           "cpu_vhost_ns_per_io", "cpu_kworker_ns_per_io", "errors"]
STAGES = ["open", "set_owner", "vrings", "set_endpoint", "close"]


def load(path):
    runs, order = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            runs.append(r)
            if r["config"] not in order:
                order.append(r["config"])
    return runs, order


def bench_summary(runs, order):
    out = {}
    mods = []
    for r in runs:
        if r["module"] not in mods:
            mods.append(r["module"])
    for cfg in order:
        if cfg.startswith("mem-"):
            continue
        sel = [r for r in runs if r["config"] == cfg and r["run"]]
        entry = {}
        for mod in mods:
            rr = [r["run"] for r in sel if r["module"] == mod
                  and r["round"].isdigit() and r["run"].get("status") == "ok"]
            if not rr:
                continue
            med = {m: statistics.median(x.get(m, 0) for x in rr)
                   for m in METRICS}
            vals = [x["ns_per_io"] for x in rr]
            med["rounds"] = vals
            entry[mod] = med
        aa = [r["run"]["ns_per_io"] for r in sel
              if r["round"].startswith("aa-") and r["run"].get("status") == "ok"]
        if len(aa) == 2 and sum(aa):
            entry["aa"] = aa
            entry["aa_spread"] = abs(aa[0] - aa[1]) / (sum(aa) / 2)
        if "stock" in entry and "ours" in entry:
            entry["ratio"], entry["call"] = compare(entry, "ours")
        # Our module with other parameters ("ours:submit_direct=1").
        for mod in mods:
            if mod.startswith("ours:") and mod in entry and "stock" in entry:
                ratio, call = compare(entry, mod)
                entry.setdefault("variants", {})[mod] = {
                    "ns_per_io": entry[mod]["ns_per_io"],
                    "ratio": ratio, "call": call}
        # Another build of ours ("base", VHOST_SCSI_KO_BASE): what a
        # change did.
        if "base" in entry and "ours" in entry:
            ratio, call = compare(entry, "ours", "base")
            entry["vs_base"] = {"ratio": ratio, "call": call}
        out[cfg] = entry
    return out


def compare(entry, mod, ref="stock"):
    """Ratio mod/ref and whether the difference is called."""
    s, o = entry[ref], entry[mod]
    ratio = o["ns_per_io"] / s["ns_per_io"]
    spread = entry.get("aa_spread")
    apart = (max(o["rounds"]) < min(s["rounds"]) or
             min(o["rounds"]) > max(s["rounds"]))
    if spread is None:
        return ratio, "no A/A"
    if abs(ratio - 1) > 3 * spread and apart:
        return ratio, "faster" if ratio < 1 else "slower"
    return ratio, "same"


def mem_summary(runs):
    out = {}
    for r in runs:
        if not r["config"].startswith("mem-") or not r["run"]:
            continue
        key = (r["module"], r["run"]["queues"], r["run"]["ring"])
        out.setdefault(key, []).append(r["run"])
    res = {}
    for (mod, q, ring), probes in sorted(out.items()):
        ok = [p for p in probes if p["status"] == "ok"]
        row = {"module": mod, "queues": q, "ring": ring,
               "probes": len(probes), "failed": len(probes) - len(ok)}
        if len(ok) < len(probes):
            bad = [p for p in probes if p["status"] != "ok"][0]
            row["error"] = "%s at %s" % (bad["status"], bad["failed_at"])
        use = ok or probes
        for st in STAGES:
            for k in ("avail_kib", "slab_kib", "vmalloc_kib"):
                v = [p["stages"][st][k] for p in use if st in p["stages"]]
                if v:
                    row["%s_%s" % (st, k)] = statistics.median(v)
        res["%s-q%d-r%d" % (mod, q, ring)] = row
    return res


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float) and v < 10:
        return "%.3f%s" % (v, unit)
    return "%.0f%s" % (v, unit)


def print_bench(summary):
    print("Instructions per I/O (icount: 1 ns = 1 instruction), median of "
          "the rounds; ratio = ours/stock")
    hdr = ("%-18s %9s %9s %7s %7s %7s %-8s %9s %9s %9s %9s" %
           ("config", "stock", "ours", "ratio", "A/A", "3xA/A", "call",
            "p50 st", "p50 ours", "p99 st", "p99 ours"))
    print(hdr)
    print("-" * len(hdr))
    for cfg, e in summary.items():
        s, o = e.get("stock", {}), e.get("ours", {})
        sp = e.get("aa_spread")
        print("%-18s %9s %9s %7s %7s %7s %-8s %9s %9s %9s %9s" % (
            cfg, fmt(s.get("ns_per_io")), fmt(o.get("ns_per_io")),
            "%.3f" % e["ratio"] if "ratio" in e else "-",
            "%.2f%%" % (100 * sp) if sp is not None else "-",
            "%.2f%%" % (300 * sp) if sp is not None else "-",
            e.get("call", "-"), fmt(s.get("p50_ns")), fmt(o.get("p50_ns")),
            fmt(s.get("p99_ns")), fmt(o.get("p99_ns"))))
    variants = []
    for e in summary.values():
        for v in e.get("variants", {}):
            if v not in variants:
                variants.append(v)
    for v in variants:
        print()
        print("%s against stock" % v)
        for cfg, e in summary.items():
            x = e.get("variants", {}).get(v)
            if x:
                print("%-18s %9s %9s %7.3f %-11s" % (
                    cfg, fmt(e["stock"]["ns_per_io"]), fmt(x["ns_per_io"]),
                    x["ratio"], x["call"]))
    if any("vs_base" in e for e in summary.values()):
        print()
        print("ours against base (VHOST_SCSI_KO_BASE), instructions per I/O")
        for cfg, e in summary.items():
            x = e.get("vs_base")
            if x:
                print("%-18s %9s %9s %7.4f %-11s" % (
                    cfg, fmt(e["base"]["ns_per_io"]),
                    fmt(e["ours"]["ns_per_io"]), x["ratio"], x["call"]))
    print()
    print("Per I/O, stock / ours: kicks, call signals, used entries per "
          "signal, context switches (initiator+vhost+kworkers), CPU ns of "
          "initiator / vhost worker(s) / kworkers")
    hdr = ("%-18s %13s %13s %13s %15s %17s %17s %17s" %
           ("config", "kicks", "calls", "used/call", "csw", "cpu init",
            "cpu vhost", "cpu kworker"))
    print(hdr)
    print("-" * len(hdr))
    for cfg, e in summary.items():
        s, o = e.get("stock", {}), e.get("ours", {})

        def pair(k, f="%.3f"):
            return "%s/%s" % (f % s[k] if k in s else "-",
                              f % o[k] if k in o else "-")

        def csw(x):
            return sum(x.get(k, 0) for k in ("csw_self_per_io",
                                             "csw_vhost_per_io",
                                             "csw_kworker_per_io"))
        print("%-18s %13s %13s %13s %15s %17s %17s %17s" % (
            cfg, pair("kicks_per_io"), pair("calls_per_io"),
            pair("used_per_call", "%.1f"),
            "%.2f/%.2f" % (csw(s), csw(o)),
            pair("cpu_self_ns_per_io", "%.0f"),
            pair("cpu_vhost_ns_per_io", "%.0f"),
            pair("cpu_kworker_ns_per_io", "%.0f")))
    print()


def print_mem(mem):
    if not mem:
        return
    print("Memory per device (MiB; median of the probes; MemAvailable drop "
          "/ Slab / VmallocUsed growth since before open(); endpoint = "
          "MemAvailable drop from vrings to SET_ENDPOINT; ep s+v = Slab + "
          "VmallocUsed growth from vrings to SET_ENDPOINT, exact, where "
          "MemAvailable moves by a few MiB either way; closed = "
          "MemAvailable drop left after close)")
    hdr = ("%-6s %3s %5s %-26s %-26s %-26s %9s %9s %8s" %
           ("module", "Q", "ring", "after SET_OWNER", "after vrings",
            "after SET_ENDPOINT", "endpoint", "ep s+v", "closed"))
    print(hdr)
    print("-" * len(hdr))

    def trip(row, st):
        k = ["%s_%s" % (st, x) for x in ("avail_kib", "slab_kib",
                                         "vmalloc_kib")]
        if k[0] not in row:
            return "-"
        return "%.1f / %.1f / %.1f" % tuple(row[x] / 1024 for x in k)
    for key, row in mem.items():
        ep = sv = None
        if "set_endpoint_avail_kib" in row and "vrings_avail_kib" in row:
            ep = (row["set_endpoint_avail_kib"] - row["vrings_avail_kib"])
            row["endpoint_avail_kib"] = ep
            sv = sum(row["set_endpoint_%s" % k] - row["vrings_%s" % k]
                     for k in ("slab_kib", "vmalloc_kib"))
            row["endpoint_slab_vmalloc_kib"] = sv
        print("%-6s %3d %5d %-26s %-26s %-26s %9s %9s %8s%s" % (
            row["module"], row["queues"], row["ring"],
            trip(row, "set_owner"), trip(row, "vrings"),
            trip(row, "set_endpoint"),
            "%.1f" % (ep / 1024) if ep is not None else "-",
            "%.1f" % (sv / 1024) if sv is not None else "-",
            "%.1f" % (row["close_avail_kib"] / 1024)
            if "close_avail_kib" in row else "-",
            "  " + row["error"] if "error" in row else ""))
    for q, r in ((1, 128), (1, 1024), (4, 128), (4, 1024), (16, 128),
                 (16, 1024)):
        o = mem.get("ours-q%d-r%d" % (q, r), {})
        s = mem.get("stock-q%d-r%d" % (q, r), {})
        k, x = "set_endpoint_avail_kib", "endpoint_slab_vmalloc_kib"
        if k in o and k in s and s[k] > 0 and "error" not in s:
            print("  Q=%-2d ring=%-4d ours/stock: MemAvailable at "
                  "SET_ENDPOINT %.2f, endpoint Slab+VmallocUsed %.2f" %
                  (q, r, o[k] / s[k], o[x] / s[x] if s.get(x) else 0))
    print()


def plot(summary, png):
    """Top: ns per I/O per module; bottom: ratios against stock."""
    cfgs = [c for c, e in summary.items() if "ratio" in e]
    if not cfgs:
        return
    variants = sorted({v for c in cfgs for v in summary[c].get("variants", {})})
    rows, vals = [], []
    for i, c in enumerate(cfgs):
        e = summary[c]
        err = 3 * e.get("aa_spread", 0)
        vr = [e.get("variants", {}).get(v, {}).get("ratio", float("nan"))
              for v in variants]
        vn = [e.get("variants", {}).get(v, {}).get("ns_per_io", float("nan"))
              for v in variants]
        rows.append(" ".join([str(i), c, "%f" % e["stock"]["ns_per_io"],
                              "%f" % e["ours"]["ns_per_io"],
                              "%f" % e["ratio"], "%f" % err] +
                             ["%f" % x for x in vr + vn]))
        vals += [e["ratio"] - err, e["ratio"] + err] + \
            [x for x in vr if x == x]
    lo, hi = min([1] + vals) - 0.02, max([1] + vals) + 0.02
    nv = len(variants)
    top = "plot '%s' using 3:xtic(2) title 'stock', '' using 4 title 'ours'"
    bot = ("plot '%s' using 1:5:6:xtic(2) with yerrorbars pt 7 "
           "title 'ours, bars = 3x A/A spread'")
    for k, v in enumerate(variants):
        top += ", '' using %d title '%s'" % (7 + nv + k, v)
        bot += ", '' using 1:%d with points pt %d title '%s'" % (
            7 + k, 5 + 2 * k, v)
    bot += ", 1 with lines lc rgb 'gray' title 'same as stock'"
    with tempfile.TemporaryDirectory() as d:
        dat = os.path.join(d, "bench.dat")
        with open(dat, "w") as f:
            f.write("\n".join(rows) + "\n")
        gp = """
set terminal pngcairo size 1100,800 noenhanced
set output '%s'
set multiplot layout 2,1 title 'vhost-scsi: vscsi bench in a 1-CPU icount VM (1 ns = 1 instruction)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'ns (instructions) per I/O'
set yrange [0:*]
set xtics rotate by -30 nomirror
set grid ytics
set key above horizontal
%s
unset style
set style data points
set ylabel 'ratio to stock (lower is better)'
set xrange [-0.5:%g]
set yrange [%f:%f]
%s
unset multiplot
""" % (png, top % dat, len(cfgs) - 0.5, lo, hi, bot % dat)
        gpf = os.path.join(d, "bench.gp")
        with open(gpf, "w") as f:
            f.write(gp)
        try:
            subprocess.run(["gnuplot", gpf], check=True)
        except (OSError, subprocess.CalledProcessError) as err:
            print("report: gnuplot failed: %s" % err, file=sys.stderr)
            return
    print("plot: %s" % png)


# Two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
        2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
        2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
        2.048, 2.045, 2.042]


def smp_summary(runs, order, base):
    """Per configuration: IOPS of each module per round, and the ratio of
    every module to BASE within the same round (a round loads both), with
    the median and a 95 % confidence interval of the mean log ratio."""
    out = {}
    for cfg in order:
        per = {}
        for r in runs:
            if (r["config"] == cfg and r["run"] and r["round"].isdigit()
                    and r["run"].get("status") == "ok"):
                per.setdefault(r["module"], {})[r["round"]] = \
                    1e9 / r["run"]["ns_per_io"]
        if base not in per:
            continue
        entry = {"iops": {m: [v[k] for k in sorted(v, key=int)]
                          for m, v in per.items()}}
        for mod, v in per.items():
            if mod == base:
                continue
            rr = [v[k] / per[base][k] for k in sorted(v, key=int)
                  if k in per[base]]
            if len(rr) < 2:
                continue
            logs = [math.log(x) for x in rr]
            m, sd = statistics.mean(logs), statistics.stdev(logs)
            h = T975[min(len(rr) - 1, len(T975)) - 1] * sd / math.sqrt(len(rr))
            entry.setdefault("ratios", {})[mod] = {
                "rounds": rr, "median": statistics.median(rr),
                "geomean": math.exp(m), "ci95": [math.exp(m - h),
                                                 math.exp(m + h)]}
        # Another build of ours ("base", VHOST_SCSI_KO_BASE): what a
        # change did.
        if "base" in entry and "ours" in entry:
            ratio, call = compare(entry, "ours", "base")
            entry["vs_base"] = {"ratio": ratio, "call": call}
        out[cfg] = entry
    return out


def print_smp(summary, base):
    print("IOPS on 2 vCPUs (wall clock, no icount); ratio = module/%s "
          "per round, 95 %% confidence interval of the geometric mean" % base)
    hdr = "%-18s %-22s %7s %9s %9s %17s" % (
        "config", "module", "rounds", "median", "geomean", "95 % CI")
    print(hdr)
    print("-" * len(hdr))
    for cfg, e in summary.items():
        for mod, r in e.get("ratios", {}).items():
            print("%-18s %-22s %7d %9.2f %9.2f %8.2f - %6.2f" % (
                cfg, mod, len(r["rounds"]), r["median"], r["geomean"],
                r["ci95"][0], r["ci95"][1]))
        for mod, v in e["iops"].items():
            print("%-18s %-22s IOPS per round: %s" % (
                "", mod, " ".join("%.0f" % x for x in v)))


def main_smp(a):
    runs, order = load(a.results)
    if not runs:
        print("report: no results in %s" % a.results, file=sys.stderr)
        return 1
    summary = smp_summary(runs, order, a.smp)
    print_smp(summary, a.smp)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"smp": summary, "base": a.smp}, f, indent=1)
        print("json: %s" % a.json)
    return 0 if summary else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--json")
    ap.add_argument("--png")
    ap.add_argument("--smp", metavar="BASE",
                    help="throughput runs on several vCPUs: IOPS ratios of "
                    "every module to BASE, per round")
    a = ap.parse_args()
    if a.smp:
        return main_smp(a)
    runs, order = load(a.results)
    if not runs:
        print("report: no results in %s" % a.results, file=sys.stderr)
        return 1
    summary = bench_summary(runs, order)
    mem = mem_summary(runs)
    print_bench(summary)
    print_mem(mem)
    errors = sum(r["run"].get("errors", 0) for r in runs
                 if r["run"] and r["run"].get("tool") == "vscsi-bench")
    bad = [r for r in runs if not r["run"] or r["run"].get("status") != "ok"]
    print("runs: %d, with errors: %d I/O errors, %d runs not ok" %
          (len(runs), errors, len(bad)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"bench": summary, "memory": mem}, f, indent=1)
        print("json: %s" % a.json)
    if a.png:
        plot(summary, a.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
