// SPDX-License-Identifier: GPL-2.0
/*
 * vscsi - poke at /dev/vhost-scsi by hand.  Every subcommand is a thin
 * wrapper around libvhost-scsi.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vscsi.h"
#include "vscsi-bench.h"
#include "vscsi-fuzz.h"

struct cli {
	const char *dev_path;
	const char *wwpn;
	unsigned int target;
	unsigned int lun;
	uint64_t lba;
	uint32_t blocks;
	uint32_t block_size;
	unsigned int pattern;
};

/* The text Documentation/target/vhost-scsi.rst quotes ("The vscsi CLI"). */
static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: vscsi [--dev PATH] COMMAND [ARGS]\n"
		"  abi\n"
		"  features\n"
		"  endpoint set|clear WWPN\n"
		"  endpoint hold WWPN -- COMMAND [ARG...]\n"
		"        run COMMAND while this process holds the endpoint bound\n"
		"  inquiry WWPN [--target T] [--lun L]   (target = TPG tag, default 1)\n"
		"  readcap WWPN [--target T] [--lun L]\n"
		"  read|write WWPN --lba N --blocks N [--bs 512] [--pattern B]\n"
		"               [--target T] [--lun L]\n"
		"  bench --help | memprobe --help   (measurement, JSON output)\n"
		"  fuzz --wwpn WWPN [--seed S] [--count N] [--queues Q] ...\n"
		"        (vscsi fuzz --help)\n"
		"  --help\n");
}

static int usage(void)
{
	print_usage(stderr);
	return 2;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "vscsi: %s: %s\n", what, strerror(-err));
	return 1;
}

static int cmd_abi(struct cli *cli)
{
	struct vscsi_dev *dev;
	int ret, version;

	ret = vscsi_dev_open(&dev, cli->dev_path);
	if (ret)
		return fail("open", ret);
	ret = vscsi_get_abi_version(dev, &version);
	vscsi_dev_close(dev);
	if (ret)
		return fail("VHOST_SCSI_GET_ABI_VERSION", ret);
	printf("%d\n", version);
	return 0;
}

static int cmd_features(struct cli *cli)
{
	struct vscsi_dev *dev;
	uint64_t features;
	unsigned int bit;
	int ret;

	ret = vscsi_dev_open(&dev, cli->dev_path);
	if (ret)
		return fail("open", ret);
	ret = vscsi_get_features(dev, &features);
	vscsi_dev_close(dev);
	if (ret)
		return fail("VHOST_GET_FEATURES", ret);
	printf("0x%016" PRIx64 "\n", features);
	for (bit = 0; bit < 64; bit++) {
		const char *name = vscsi_feature_name(bit);

		if (features & (1ULL << bit))
			printf("  %2u %s\n", bit, name ? name : "?");
	}
	return 0;
}

/* Start a device and attach it to cli->wwpn. */
static int attach(struct cli *cli, struct vscsi_dev **devp)
{
	struct vscsi_opts opts = { .path = cli->dev_path };
	uint64_t need = (uint64_t)cli->blocks * cli->block_size + (8 << 20);
	int ret;

	if (need > VSCSI_DEFAULT_MEM_SIZE)
		opts.mem_size = need > VSCSI_MAX_MEM_SIZE ? VSCSI_MAX_MEM_SIZE :
				(need + 4095) & ~4095ULL;
	ret = vscsi_dev_start(devp, &opts);
	if (ret)
		return fail("device setup", ret);
	ret = vscsi_set_endpoint(*devp, cli->wwpn);
	if (ret) {
		vscsi_dev_close(*devp);
		return fail("VHOST_SCSI_SET_ENDPOINT", ret);
	}
	return 0;
}

static int cmd_endpoint(struct cli *cli, const char *op)
{
	struct vscsi_dev *dev;
	int ret;

	if (!strcmp(op, "clear")) {
		ret = vscsi_dev_start(&dev, &(struct vscsi_opts){
				      .path = cli->dev_path });
		if (ret)
			return fail("device setup", ret);
		ret = vscsi_clear_endpoint(dev, cli->wwpn);
		vscsi_dev_close(dev);
		return ret ? fail("VHOST_SCSI_CLEAR_ENDPOINT", ret) : 0;
	}
	if (strcmp(op, "set"))
		return usage();
	/* The endpoint only lives as long as this process holds the fd. */
	if (attach(cli, &dev))
		return 1;
	printf("endpoint set on %s (released on exit)\n", cli->wwpn);
	vscsi_dev_close(dev);
	return 0;
}

static int report(const struct vscsi_result *res)
{
	struct scsi_sense sense;

	printf("response %s(%u) status 0x%02x resid %u sense_len %u\n",
	       vscsi_response_name(res->response), res->response, res->status,
	       res->resid, res->sense_len);
	if (res->sense_len && !scsi_sense_parse(res->sense, res->sense_len,
						&sense))
		printf("sense key 0x%x asc 0x%02x ascq 0x%02x\n", sense.key,
		       sense.asc, sense.ascq);
	return res->response || res->status ? 1 : 0;
}

static void hexdump(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		printf("%02x%s", p[i], (i % 16 == 15 || i + 1 == len) ? "\n" : " ");
}

/* Run one data-in command on the CLI's target/lun and show the result. */
static int run_in(struct cli *cli, const uint8_t *cdb, size_t cdb_len,
		  uint8_t *buf, uint32_t len, bool dump)
{
	struct vscsi_cmd cmd = {
		.target = cli->target, .lun = cli->lun,
		.cdb = cdb, .cdb_len = cdb_len,
		.data_in = buf, .data_in_len = len,
	};
	struct vscsi_result res;
	struct vscsi_dev *dev;
	int ret;

	if (attach(cli, &dev))
		return 1;
	ret = vscsi_cmd_run(dev, &cmd, &res);
	vscsi_dev_close(dev);
	if (ret)
		return fail("command", ret);
	ret = report(&res);
	if (!ret && dump)
		hexdump(buf, len - res.resid);
	return ret;
}

static int cmd_inquiry(struct cli *cli)
{
	uint8_t cdb[16], buf[96];
	size_t n = scsi_cdb_inquiry(cdb, false, 0, sizeof(buf));
	int ret = run_in(cli, cdb, n, buf, sizeof(buf), false);

	if (!ret)
		printf("type 0x%02x vendor '%.8s' product '%.16s' rev '%.4s'\n",
		       buf[0], buf + 8, buf + 16, buf + 32);
	return ret;
}

static int cmd_readcap(struct cli *cli)
{
	uint8_t cdb[16], buf[32];
	size_t n = scsi_cdb_read_capacity16(cdb, sizeof(buf));
	int ret = run_in(cli, cdb, n, buf, sizeof(buf), false);

	if (!ret)
		printf("last lba %" PRIu64 " block size %u\n",
		       scsi_get_be64(buf), scsi_get_be32(buf + 8));
	return ret;
}

static int cmd_rw(struct cli *cli, bool write)
{
	uint32_t len = cli->blocks * cli->block_size;
	struct vscsi_cmd cmd = { .target = cli->target, .lun = cli->lun };
	struct vscsi_result res;
	struct vscsi_dev *dev;
	uint8_t cdb[16], *buf;
	int ret;

	buf = malloc(len ? len : 1);
	if (!buf)
		return fail("malloc", -ENOMEM);
	memset(buf, cli->pattern, len);
	cmd.cdb = cdb;
	cmd.cdb_len = write ? scsi_cdb_write16(cdb, cli->lba, cli->blocks) :
			      scsi_cdb_read16(cdb, cli->lba, cli->blocks);
	if (write) {
		cmd.data_out = buf;
		cmd.data_out_len = len;
	} else {
		cmd.data_in = buf;
		cmd.data_in_len = len;
	}
	ret = attach(cli, &dev);
	if (!ret) {
		ret = vscsi_cmd_run(dev, &cmd, &res);
		vscsi_dev_close(dev);
		ret = ret ? fail("command", ret) : report(&res);
	}
	if (!ret && !write)
		hexdump(buf, len > 256 ? 256 : len);
	free(buf);
	return ret;
}

static int parse_opts(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "target", required_argument, NULL, 't' },
		{ "lun", required_argument, NULL, 'l' },
		{ "lba", required_argument, NULL, 'a' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "bs", required_argument, NULL, 's' },
		{ "pattern", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': cli->dev_path = optarg; break;
		case 't': cli->target = strtoul(optarg, NULL, 0); break;
		case 'l': cli->lun = strtoul(optarg, NULL, 0); break;
		case 'a': cli->lba = strtoull(optarg, NULL, 0); break;
		case 'b': cli->blocks = strtoul(optarg, NULL, 0); break;
		case 's': cli->block_size = strtoul(optarg, NULL, 0); break;
		case 'p': cli->pattern = strtoul(optarg, NULL, 0); break;
		default: return -1;
		}
	}
	return 0;
}

/*
 * Bind @wwpn, run @argv as a child, unbind.  Lets scripts check what a bound
 * endpoint pins (configfs removals, nexus changes) while it is bound.
 * Return: the child's exit status, or 1 if binding or running it failed.
 */
static int cmd_hold(const char *wwpn, char **argv)
{
	struct cli cli = { .wwpn = wwpn, .blocks = 1, .block_size = 512 };
	struct vscsi_dev *dev;
	int status;
	pid_t pid;

	cli.dev_path = getenv("VSCSI_DEV");
	if (attach(&cli, &dev))
		return 1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "vscsi: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		vscsi_dev_close(dev);
		return fail("running the command", -errno);
	}
	vscsi_dev_close(dev);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	struct cli cli = { .target = 1, .blocks = 1, .block_size = 512, .pattern = 0xa5 };
	const char *verb;

	/* Before getopt, which would reorder the held command's arguments. */
	if (argc >= 6 && !strcmp(argv[1], "endpoint") &&
	    !strcmp(argv[2], "hold") && !strcmp(argv[4], "--"))
		return cmd_hold(argv[3], argv + 5);

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		print_usage(stdout);
		return 0;
	}
	/* Subcommands with options of their own. */
	if (argc >= 2 && !strcmp(argv[1], "bench"))
		return vscsi_bench_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "fuzz"))
		return vscsi_fuzz_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "memprobe"))
		return vscsi_memprobe_main(argc - 1, argv + 1);

	/* Options may come before or after the positional words. */
	if (parse_opts(&cli, argc, argv) || optind >= argc)
		return usage();
	verb = argv[optind++];
	if (!strcmp(verb, "abi"))
		return cmd_abi(&cli);
	if (!strcmp(verb, "features"))
		return cmd_features(&cli);
	if (!strcmp(verb, "endpoint")) {
		const char *op = optind < argc ? argv[optind++] : "";

		if (optind >= argc)
			return usage();
		cli.wwpn = argv[optind++];
		return cmd_endpoint(&cli, op);
	}
	if (optind >= argc)
		return usage();
	cli.wwpn = argv[optind++];
	if (parse_opts(&cli, argc, argv))
		return usage();
	if (!strcmp(verb, "inquiry"))
		return cmd_inquiry(&cli);
	if (!strcmp(verb, "readcap"))
		return cmd_readcap(&cli);
	if (!strcmp(verb, "read"))
		return cmd_rw(&cli, false);
	if (!strcmp(verb, "write"))
		return cmd_rw(&cli, true);
	return usage();
}
