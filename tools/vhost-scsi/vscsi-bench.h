/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscsi bench / memprobe - measurement subcommands of the vscsi CLI, built
 * on libvhost-scsi's device layer but driving the rings themselves (see
 * vscsi-bench.c).  Both take argv starting at the subcommand's name and
 * print one JSON object per run on stdout.
 */
#ifndef VSCSI_BENCH_H
#define VSCSI_BENCH_H

int vscsi_bench_main(int argc, char **argv);
int vscsi_memprobe_main(int argc, char **argv);

#endif /* VSCSI_BENCH_H */
