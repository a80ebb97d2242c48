/* hutch logs: GET /containers/{id}/logs, demultiplexed to stdout and
 * stderr unless the container has a tty (then the stream is raw). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach.h"
#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "container-util.h"
#include "file-util.h"
#include "json-util.h"

/* --since/--until: a unix time, an RFC 3339 time, or a duration before
 * now ("10m", "1h30m", "45s"), all sent as unix seconds. */
static int parse_time_arg(const char *s, char *out, size_t size)
{
	char *end;
	double v = strtod(s, &end);
	if (*end == '\0' && end != s) {
		snprintf(out, size, "%s", s);
		return 0;
	}
	int64_t t = parse_rfc3339(s);
	if (t >= 0) {
		snprintf(out, size, "%lld", (long long)t);
		return 0;
	}
	double total = 0;
	const char *p = s;
	while (*p) {
		v = strtod(p, &end);
		if (end == p)
			return -1;
		if (strncmp(end, "ms", 2) == 0) {
			total += v / 1000;
			end += 2;
		} else if (*end == 'h' || *end == 'm' || *end == 's') {
			total += v * (*end == 'h' ? 3600 : *end == 'm' ? 60 : 1);
			end++;
		} else {
			return -1;
		}
		p = end;
	}
	snprintf(out, size, "%lld", (long long)time(NULL) - (long long)total);
	return 0;
}

static int raw_out(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	if (write_all(STDOUT_FILENO, buf, len) < 0)
		return -1;
	return 0;
}

static int demuxed_out(void *ctx, const char *buf, size_t len)
{
	return demux_feed(ctx, buf, len);
}

int cmd_logs(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"follow", no_argument, NULL, 'f'},	     {"timestamps", no_argument, NULL, 't'},
	    {"tail", required_argument, NULL, 'n'},  {"since", required_argument, NULL, 'S'},
	    {"until", required_argument, NULL, 'U'}, {"details", no_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},	     {0},
	};
	bool follow = false, timestamps = false;
	const char *tail = "all";
	char since[64] = "", until[64] = "";
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+ftn:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			follow = true;
			break;
		case 't':
			timestamps = true;
			break;
		case 'n': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (strcmp(optarg, "all") != 0 && (*end || end == optarg || n < 0))
				return usage_fail("logs", "invalid --tail value: %s", optarg);
			tail = optarg;
			break;
		}
		case 'S':
		case 'U':
			if (parse_time_arg(optarg, c == 'S' ? since : until, sizeof(since)) < 0)
				return usage_fail("logs", "invalid time value: %s", optarg);
			break;
		case 'D':
			break;
		case 'h':
			printf("Usage: hutch logs [OPTIONS] CONTAINER\n\n"
			       "Show a container's output.\n\nOptions:\n"
			       "  -f, --follow         keep following the output until the "
			       "container stops\n"
			       "      --since TIME     only output after TIME (unix or RFC 3339 "
			       "time, or a\n"
			       "                       duration before now: 10m, 1h30m)\n"
			       "      --until TIME     only output before TIME\n"
			       "  -n, --tail N         only the last N lines (default all)\n"
			       "  -t, --timestamps     show each line's time\n");
			return 0;
		default:
			return usage_fail("logs", NULL);
		}
	}
	if (optind != argc - 1)
		return usage_fail("logs", "\"hutch logs\" requires exactly 1 argument");
	hutch_error err = {0};
	_cleanup_json_ json_object *info = NULL;
	if (container_inspect(argv[optind], &info, &err) < 0)
		return cli_fail(&err);
	json_object *config = NULL;
	bool tty = false;
	const char *id = argv[optind];
	json_get_string(info, "", "Id", false, &id, NULL);
	if (json_object_object_get_ex(info, "Config", &config))
		json_get_bool(config, "Config", "Tty", &tty, NULL);
	char suffix[512];
	snprintf(suffix, sizeof(suffix),
		 "/logs?stdout=1&stderr=1&follow=%d&timestamps=%d&tail=%s%s%s%s%s", follow,
		 timestamps, tail, since[0] ? "&since=" : "", since, until[0] ? "&until=" : "",
		 until);
	char path[1024];
	container_path(path, sizeof(path), id, suffix);
	struct demux dm = {0};
	struct client_request req = {
	    .method = "GET",
	    .path = path,
	    .on_data = tty ? raw_out : demuxed_out,
	    .ctx = &dm,
	};
	int rc = client_call_ok(&req, NULL, &err);
	if (rc == -1)
		return cli_fail(&err);
	if (rc < 0) {
		fprintf(stderr, "hutch: writing the output: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
