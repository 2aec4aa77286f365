#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where the instructions of one I/O go, module by module.

Reads vm-bench.sh's results (bench-results.jsonl) and the perf-*.txt
symbol profiles a BENCH_PERF=1 run leaves beside them.  Each sample is
PERIOD ns of guest time, which -icount makes PERIOD instructions, so a
symbol's samples * PERIOD / I/Os is its instructions per I/O.  Symbols are
summed into the parts of the path (initiator, syscall entry, vhost core,
vhost_scsi, target core, page pinning, copies, scheduling, idle, other)
and, by the task that ran them, into initiator, vhost threads, kworkers
and the rest; printed per configuration, one column per module, with the
symbols whose cost differs most between the first two modules.
"""
import argparse
import collections
import glob
import json
import os
import re
import sys

# First match wins; the order matters (e.g. vhost_scsi_ before vhost_).
PARTS = [
    ("initiator", None),  # user-space symbols, by their [.] marker
    ("vhost_scsi", r"^vhost_scsi_|^tcm_vhost"),
    ("vhost core", r"^vhost_|^translate_desc|^vhost_iotlb|^log_write|"
                   r"^iotlb_|^vq_"),
    ("target core", r"^target_|^transport_|^__target_|^sbc_|^spc_|^rd_|"
                    r"^core_|^se_|^__transport_|^tcm_"),
    ("page pinning", r"get_user_pages|gup_|^try_grab|folio|^put_page|"
                     r"unpin_user|^follow_|pte_|pmd_|^__get_user_pages|"
                     r"iov_iter_get_pages|^mark_page|set_page_dirty"),
    ("copies", r"copy|^memset|^memcpy|^memmove|^clear_page|^iov_iter|"
               r"^_copy_|^check_object|check_stack_object|^__check_object"),
    ("scheduling", r"schedul|switch|wake|^queue_work|^__queue_work|"
                   r"^process_one_work|^worker_thread|^kthread|spin_|"
                   r"^enqueue|^dequeue|^pick_next|^update_|^ttwu|"
                   r"^select_task|^eventfd|^insert_work|^set_next|"
                   r"^put_prev|^check_preempt|^resched|^__cond_resched|"
                   r"^rcu_|^__rcu_|^_raw_"),
    ("syscall entry", r"^entry_|syscall|^__x64_sys|^do_sys|^ksys_|"
                      r"^__fget|^fdget|^vfs_|^__fdget|^syscall_"),
    ("idle", r"safe_halt|^default_idle|^cpuidle|^do_idle|^arch_cpu_idle"),
]
PART_RE = [(n, re.compile(r) if r else None) for n, r in PARTS]
LINE = re.compile(r"^\s*([\d.]+)%\s+(\d+)\s+(\S+)\s+\[(.)\]\s+(.+?)\s*$")
# Kinds of task, by comm: the initiator, the vhost worker(s) and the
# module's own queue threads (vhost-PID...), the kworkers that run the
# target core's submission and completion work, and the rest.
TASKS = [("initiator", r"^vscsi$"), ("vhost threads", r"^vhost-"),
         ("kworkers", r"^kworker/"), ("idle", r"^swapper")]
TASK_RE = [(n, re.compile(r)) for n, r in TASKS]


def task_of(comm):
    for name, rx in TASK_RE:
        if rx.search(comm):
            return name
    return "other tasks"


def part_of(kind, sym):
    if kind == ".":
        return "initiator"
    for name, rx in PART_RE[1:]:
        if rx.search(sym):
            return name
    return "other"


def read_profile(path):
    """{(kind, symbol): samples} and {kind of task: samples}."""
    syms, tasks = collections.Counter(), collections.Counter()
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if m:
                syms[(m.group(4), m.group(5))] += int(m.group(2))
                tasks[task_of(m.group(3))] += int(m.group(2))
    return syms, tasks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", help="bench-results.jsonl")
    ap.add_argument("--period", type=int,
                    default=int(os.environ.get("PERF_PERIOD", 20000)),
                    help="ns of guest time per sample (PERF_PERIOD)")
    ap.add_argument("--top", type=int, default=12,
                    help="symbols listed by difference")
    a = ap.parse_args()
    d = os.path.dirname(a.results) or "."
    ios = {}
    with open(a.results) as f:
        for line in f:
            r = json.loads(line)
            if r.get("run"):
                ios[(r["module"], r["round"], r["config"])] = r["run"]["ios"]
    # config -> module -> Counter of (kind, sym) -> instructions per I/O,
    # summed over rounds, then divided by the number of rounds.
    prof = collections.defaultdict(dict)
    byt = collections.defaultdict(dict)
    nround = collections.Counter()
    for path in sorted(glob.glob(os.path.join(d, "perf-*.txt"))):
        for (mod, rnd, cfg), n in ios.items():
            if os.path.basename(path) == "perf-%s-%s-%s.txt" % (
                    mod.replace(":", "_"), rnd, cfg):
                break
        else:
            continue
        per = prof[cfg].setdefault(mod, collections.Counter())
        pert = byt[cfg].setdefault(mod, collections.Counter())
        syms, tasks = read_profile(path)
        for key, samples in syms.items():
            per[key] += samples * a.period / n
        for key, samples in tasks.items():
            pert[key] += samples * a.period / n
        nround[(cfg, mod)] += 1
    if not prof:
        print("profile.py: no perf-*.txt profiles beside %s" % a.results,
              file=sys.stderr)
        return 1
    for cfg in sorted(prof):
        mods = sorted(prof[cfg], key=lambda m: (m != "stock", m))
        for m in mods:
            k = nround[(cfg, m)]
            for key in prof[cfg][m]:
                prof[cfg][m][key] /= k
            for key in byt[cfg][m]:
                byt[cfg][m][key] /= k
        w = max([12] + [len(m) + 2 for m in mods])
        print("%s: instructions per I/O by part of the path" % cfg)
        print("%-14s" % "part" + "".join("%*s" % (w, m) for m in mods))
        parts = [n for n, _ in PARTS] + ["other"]
        tot = collections.Counter()
        for p in parts:
            row = []
            for m in mods:
                v = sum(c for (kind, s), c in prof[cfg][m].items()
                        if part_of(kind, s) == p)
                tot[m] += v
                row.append(v)
            print("%-14s" % p + "".join("%*.0f" % (w, v) for v in row))
        print("%-14s" % "total" + "".join("%*.0f" % (w, tot[m])
                                          for m in mods))
        print("by task:")
        for t in [n for n, _ in TASKS] + ["other tasks"]:
            print("%-14s" % t + "".join("%*.0f" % (w, byt[cfg][m][t])
                                        for m in mods))
        if len(mods) >= 2:
            x, y = mods[0], mods[1]
            keys = set(prof[cfg][x]) | set(prof[cfg][y])
            diff = sorted(keys, key=lambda s: -abs(prof[cfg][y][s] -
                                                   prof[cfg][x][s]))
            print("largest differences, %s - %s:" % (y, x))
            for key in diff[:a.top]:
                print("  %+8.0f  %-12s %s" % (
                    prof[cfg][y][key] - prof[cfg][x][key],
                    part_of(*key), key[1]))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
