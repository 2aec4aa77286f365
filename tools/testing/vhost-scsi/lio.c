// SPDX-License-Identifier: GPL-2.0
/*
 * LIO configfs from the admin's side: what "targetcli .../luns create" and
 * "luns delete" do, without a Python start-up per LUN, so that the event
 * cases can link and unlink hundreds of LUNs under a bound endpoint.
 *
 * A LUN is a directory tpgt_N/lun/lun_L holding one symlink to a backstore
 * directory under target/core; linking it is what makes the fabric's
 * port_link callback (and so a hotplug event) happen, removing the symlink
 * makes port_unlink happen.  A TPG is a directory tpgt_N; its nexus is the
 * initiator name in tpgt_N/nexus, "NULL" written there drops it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vscsi-test.h"

#define CFS_VHOST	"/sys/kernel/config/target/vhost"
#define PORT_NAME	"vscsi_hotplug"

static int lun_dir(const struct tconfig *cfg, unsigned int lun, char *buf,
		   size_t len)
{
	int n = snprintf(buf, len, CFS_VHOST "/%s/tpgt_%u/lun/lun_%u",
			 cfg->wwpn, cfg->target, lun);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lio_lun_link_to(const struct tconfig *cfg, unsigned int lun,
		    const char *port_name, const char *backstore)
{
	char dir[512], port[800];
	int ret = lun_dir(cfg, lun, dir, sizeof(dir));

	if (ret)
		return ret;
	if (mkdir(dir, 0755))
		return -errno;
	snprintf(port, sizeof(port), "%s/%s", dir, port_name);
	if (symlink(backstore, port)) {
		ret = -errno;
		rmdir(dir);
	}
	return ret;
}

int lio_lun_link(const struct tconfig *cfg, unsigned int lun)
{
	return lio_lun_link_to(cfg, lun, PORT_NAME, cfg->hotplug_backstore);
}

int lio_lun_unlink_port(const struct tconfig *cfg, unsigned int lun,
			const char *port_name)
{
	char dir[512], port[800];
	int ret = lun_dir(cfg, lun, dir, sizeof(dir));

	if (ret)
		return ret;
	snprintf(port, sizeof(port), "%s/%s", dir, port_name);
	if (unlink(port) && errno != ENOENT)
		return -errno;
	return rmdir(dir) ? -errno : 0;
}

int lio_lun_unlink(const struct tconfig *cfg, unsigned int lun)
{
	return lio_lun_unlink_port(cfg, lun, PORT_NAME);
}

int lio_lun_port(const struct tconfig *cfg, unsigned int lun, char *name,
		 size_t name_len, char *backstore, size_t bs_len)
{
	char dir[512], port[800], real[PATH_MAX];
	struct dirent *de;
	ssize_t n = -1;
	DIR *d;
	int ret = lun_dir(cfg, lun, dir, sizeof(dir));

	if (ret)
		return ret;
	d = opendir(dir);
	if (!d)
		return -errno;
	/* configfs reads the link back relative: resolve it for symlink() */
	while ((de = readdir(d)) && n < 0) {
		if (de->d_type != DT_LNK)
			continue;
		snprintf(port, sizeof(port), "%s/%s", dir, de->d_name);
		snprintf(name, name_len, "%s", de->d_name);
		n = realpath(port, real) ? 0 : -1;
	}
	closedir(d);
	if (n < 0 || strlen(real) >= bs_len)
		return -ENOENT;
	strcpy(backstore, real);
	return 0;
}

int lio_wwn_remove(const struct tconfig *cfg)
{
	char dir[512];
	int n = snprintf(dir, sizeof(dir), CFS_VHOST "/%s", cfg->wwpn);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	return rmdir(dir) ? -errno : 0;
}

int fix_need_hotplug(struct tctx *t)
{
	struct stat st;

	if (!t->cfg->wwpn || !t->cfg->hotplug_backstore)
		return tskip(t, "VSCSI_WWPN or VSCSI_HOTPLUG_BACKSTORE not set "
			     "(run setup-targets.sh)");
	if (stat(t->cfg->hotplug_backstore, &st) || !S_ISDIR(st.st_mode))
		return tskip(t, "%s is not a configfs backstore directory",
			     t->cfg->hotplug_backstore);
	return T_PASS;
}

static int tpg_path(const struct tconfig *cfg, unsigned int tag,
		    const char *leaf, char *buf, size_t len)
{
	int n = snprintf(buf, len, CFS_VHOST "/%s/tpgt_%u%s", cfg->wwpn, tag,
			 leaf);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int lio_tpg_add(const struct tconfig *cfg, unsigned int tag)
{
	char dir[512];
	int ret = tpg_path(cfg, tag, "", dir, sizeof(dir));

	return ret ? ret : mkdir(dir, 0755) ? -errno : 0;
}

int lio_tpg_remove(const struct tconfig *cfg, unsigned int tag)
{
	char dir[512];
	int ret = tpg_path(cfg, tag, "", dir, sizeof(dir));

	return ret ? ret : rmdir(dir) ? -errno : 0;
}

int lio_nexus_get(const struct tconfig *cfg, unsigned int tag, char *name,
		  size_t len)
{
	char path[512];
	ssize_t n;
	int fd, ret = tpg_path(cfg, tag, "/nexus", path, sizeof(path));

	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, name, len - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == ' '))
		n--;
	name[n] = '\0';
	return 0;
}

int lio_nexus_set(const struct tconfig *cfg, unsigned int tag,
		  const char *name)
{
	char path[512];
	size_t len = strlen(name);
	int fd, ret = tpg_path(cfg, tag, "/nexus", path, sizeof(path));

	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, name, len) == (ssize_t)len ? 0 : -errno;
	close(fd);
	return ret;
}
