/* hutch: the user's command line. Global options, then a docker-style
 * command ("pull", "images", "image inspect", "system check", ...). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: hutch [OPTIONS] COMMAND\n"
		"\n"
		"A rootless container engine. Talks to hutchd, the per-user runtime\n"
		"process, and starts it when it is not running.\n"
		"\n"
		"Options:\n"
		"      --socket PATH   hutchd socket (default $XDG_RUNTIME_DIR/hutch/hutchd.sock,\n"
		"                      or $HUTCH_SOCKET)\n"
		"      --no-start      do not start hutchd when it is not running\n"
		"  -h, --help          show this help\n"
		"  -v, --version       show the version\n"
		"\n"
		"Container commands:\n"
		"  run         create and run a container\n"
		"  create      create a container\n"
		"  start       start containers (-a: attached)\n"
		"  stop        stop containers\n"
		"  restart     restart containers\n"
		"  kill        send a signal to containers\n"
		"  rm          remove containers\n"
		"  ps          list containers (also: container ls)\n"
		"  logs        show a container's output\n"
		"  exec        run a command in a running container\n"
		"  attach      attach to a running container\n"
		"  cp          copy files between a container and the host\n"
		"  wait        wait for containers to stop, print their exit codes\n"
		"  inspect     show containers' or images' details as JSON\n"
		"  port        list a container's published ports\n"
		"  top         show a container's processes\n"
		"  rename      rename a container\n"
		"  container prune   remove stopped containers\n"
		"\n"
		"Image commands:\n"
		"  pull        download an image from a registry\n"
		"  images      list images (also: image ls)\n"
		"  rmi         remove images (also: image rm)\n"
		"  tag         give an image another name (also: image tag)\n"
		"  load        load images from a tar archive (also: image load)\n"
		"  save        write images to a tar archive (also: image save)\n"
		"  image inspect   show an image's details as JSON\n"
		"  image prune     remove unused image data\n"
		"\n"
		"Volume commands:\n"
		"  volume create   create a volume\n"
		"  volume ls       list volumes\n"
		"  volume inspect  show volumes' details as JSON\n"
		"  volume rm       remove volumes\n"
		"  volume prune    remove unused anonymous volumes (-a: all unused)\n"
		"\n"
		"System commands:\n"
		"  info            show system-wide information\n"
		"  version         show client and daemon versions\n"
		"  system check    verify the image store\n"
		"  system df       show disk usage\n"
		"  system prune    remove stopped containers and unused image data\n"
		"\n"
		"Run 'hutch COMMAND --help' for a command's options. See hutch(1).\n");
}

struct command {
	const char *name;
	cli_command_fn fn;
};

static const struct command top[] = {
    {"pull", cmd_pull},	    {"images", cmd_images},   {"rmi", cmd_rmi},
    {"tag", cmd_tag},	    {"load", cmd_load},	      {"save", cmd_save},
    {"info", cmd_info},	    {"version", cmd_version}, {"inspect", cmd_inspect},
    {"run", cmd_run},	    {"create", cmd_create},   {"start", cmd_start},
    {"stop", cmd_stop},	    {"restart", cmd_restart}, {"kill", cmd_kill},
    {"rm", cmd_rm},	    {"wait", cmd_wait},	      {"rename", cmd_rename},
    {"port", cmd_port},	    {"top", cmd_top},	      {"ps", cmd_ps},
    {"logs", cmd_logs},	    {"exec", cmd_exec},	      {"cp", cmd_cp},
    {"attach", cmd_attach},
};

static const struct command container_sub[] = {
    {"run", cmd_run},
    {"create", cmd_create},
    {"start", cmd_start},
    {"stop", cmd_stop},
    {"restart", cmd_restart},
    {"kill", cmd_kill},
    {"rm", cmd_rm},
    {"remove", cmd_rm},
    {"wait", cmd_wait},
    {"rename", cmd_rename},
    {"port", cmd_port},
    {"top", cmd_top},
    {"ls", cmd_ps},
    {"list", cmd_ps},
    {"ps", cmd_ps},
    {"logs", cmd_logs},
    {"inspect", cmd_container_inspect},
    {"prune", cmd_container_prune},
    {"exec", cmd_exec},
    {"cp", cmd_cp},
    {"attach", cmd_attach},
};

static const struct command image_sub[] = {
    {"pull", cmd_pull},		{"ls", cmd_images},
    {"list", cmd_images},	{"rm", cmd_rmi},
    {"tag", cmd_tag},		{"load", cmd_load},
    {"save", cmd_save},		{"inspect", cmd_image_inspect},
    {"prune", cmd_image_prune},
};

static const struct command volume_sub[] = {
    {"create", cmd_volume_create},   {"ls", cmd_volume_ls}, {"list", cmd_volume_ls},
    {"inspect", cmd_volume_inspect}, {"rm", cmd_volume_rm}, {"remove", cmd_volume_rm},
    {"prune", cmd_volume_prune},
};

static const struct command system_sub[] = {
    {"check", cmd_system_check},
    {"info", cmd_info},
    {"prune", cmd_system_prune},
    {"df", cmd_system_df},
};

static int dispatch(const struct command *cmds, size_t n, const char *group, int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		fprintf(argc < 1 ? stderr : stdout, "Usage: hutch %s COMMAND\n\nCommands:\n",
			group);
		for (size_t i = 0; i < n; i++)
			fprintf(argc < 1 ? stderr : stdout, "  %s\n", cmds[i].name);
		return argc < 1 ? 2 : 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			return cmds[i].fn(argc, argv);
	fprintf(stderr, "hutch: unknown command \"%s%s%s\"; see 'hutch --help'\n", group,
		group[0] ? " " : "", argv[0]);
	return 2;
}

int main(int argc, char **argv)
{
	hutch_log_set_program("hutch");
	struct client_options co = {0};
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"no-start", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {0},
	};
	int c;
	/* '+': stop at the command, its options are its own. */
	while ((c = getopt_long(argc, argv, "+hv", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			co.socket = optarg;
			break;
		case 'n':
			co.no_start = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("hutch version %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	client_init(&co);
	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "image") == 0)
		return dispatch(image_sub, sizeof(image_sub) / sizeof(image_sub[0]), "image",
				argc - 1, argv + 1);
	if (strcmp(argv[0], "container") == 0)
		return dispatch(container_sub, sizeof(container_sub) / sizeof(container_sub[0]),
				"container", argc - 1, argv + 1);
	if (strcmp(argv[0], "volume") == 0)
		return dispatch(volume_sub, sizeof(volume_sub) / sizeof(volume_sub[0]), "volume",
				argc - 1, argv + 1);
	if (strcmp(argv[0], "system") == 0)
		return dispatch(system_sub, sizeof(system_sub) / sizeof(system_sub[0]), "system",
				argc - 1, argv + 1);
	return dispatch(top, sizeof(top) / sizeof(top[0]), "", argc, argv);
}

void format_size(int64_t bytes, char *buf, size_t size)
{
	format_size_digits(bytes, 3, buf, size);
}

void format_size_digits(int64_t bytes, int digits, char *buf, size_t size)
{
	static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)bytes;
	int u = 0;
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lldB", (long long)bytes);
	else
		snprintf(buf, size, "%.*g%s", digits, v, units[u]);
}

void format_ago(int64_t t, char *buf, size_t size)
{
	if (t <= 0) {
		snprintf(buf, size, "N/A");
		return;
	}
	int64_t d = (int64_t)time(NULL) - t;
	if (d < 60)
		snprintf(buf, size, "Less than a minute ago");
	else if (d < 3600)
		snprintf(buf, size, "%lld minutes ago", (long long)(d / 60));
	else if (d < 172800)
		snprintf(buf, size, "%lld hours ago", (long long)(d / 3600));
	else if (d < 1209600)
		snprintf(buf, size, "%lld days ago", (long long)(d / 86400));
	else if (d < 5259600)
		snprintf(buf, size, "%lld weeks ago", (long long)(d / 604800));
	else if (d < 63115200)
		snprintf(buf, size, "%lld months ago", (long long)(d / 2629800));
	else
		snprintf(buf, size, "%lld years ago", (long long)(d / 31557600));
}

int cli_fail(const hutch_error *err)
{
	fprintf(stderr, "%s\n", err->msg);
	return 1;
}

bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}
