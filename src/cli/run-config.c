/* hutch run/create flags → Docker's create body. Values are checked here
 * where the docker CLI checks them (ports, mounts, env files, hosts), so
 * a mistake is reported before anything is created. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cleanup.h"
#include "json-util.h"
#include "run-config.h"

static json_object *child(json_object *parent, const char *key, json_type type)
{
	json_object *o = NULL;
	if (!json_object_object_get_ex(parent, key, &o)) {
		o = type == json_type_array ? json_object_new_array() : json_object_new_object();
		json_object_object_add(parent, key, o);
	}
	return o;
}

static void add_string(json_object *parent, const char *key, const char *value)
{
	json_object_array_add(child(parent, key, json_type_array), json_object_new_string(value));
}

/* -e NAME=VALUE as is; -e NAME takes NAME from our environment and is
 * left out when it is not set there (docker's rule). */
void run_config_add_env(json_object *config, const char *spec)
{
	if (strchr(spec, '=') != NULL) {
		add_string(config, "Env", spec);
		return;
	}
	const char *v = getenv(spec);
	if (v == NULL)
		return;
	_cleanup_free_ char *kv = NULL;
	if (asprintf(&kv, "%s=%s", spec, v) < 0)
		return;
	add_string(config, "Env", kv);
}

static int add_env_file(json_object *config, const char *path, hutch_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (f == NULL)
		return hutch_fail(err, errno, "open %s", path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int rc = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		size_t klen = eq ? (size_t)(eq - p) : strlen(p);
		if (klen == 0 || memchr(p, ' ', klen) || memchr(p, '\t', klen)) {
			rc = hutch_fail_plain(err, EINVAL,
					      "%s:%u: variable '%.*s' contains whitespaces", path,
					      lineno, (int)klen, p);
			break;
		}
		run_config_add_env(config, p);
	}
	free(line);
	return rc;
}

/* "64m", "1g", "1024" → bytes (docker's RAMInBytes: binary units). */
static int parse_bytes(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	int64_t mult = 1;
	switch (tolower((unsigned char)*end)) {
	case '\0':
	case 'b':
		break;
	case 'k':
		mult = 1024;
		break;
	case 'm':
		mult = 1024 * 1024;
		break;
	case 'g':
		mult = 1024LL * 1024 * 1024;
		break;
	case 't':
		mult = 1024LL * 1024 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (*end != '\0') {
		end++;
		if (tolower((unsigned char)*end) == 'i')
			end++;
		if (tolower((unsigned char)*end) == 'b')
			end++;
		if (*end != '\0')
			return -1;
	}
	*out = (int64_t)(v * (double)mult);
	return 0;
}

static int parse_bool_value(const char *v, bool *out)
{
	if (v == NULL || strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0) {
		*out = false;
		return 0;
	}
	return -1;
}

/* --mount type=bind,source=/a,target=/b,readonly */
static int add_mount(json_object *host, const char *spec, hutch_error *err)
{
	_cleanup_json_ json_object *m = json_object_new_object();
	_cleanup_free_ char *copy = strdup(spec);
	if (copy == NULL)
		return hutch_fail(err, ENOMEM, "--mount");
	const char *type = "volume";
	bool have_target = false;
	char *save = NULL;
	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *v = strchr(f, '=');
		if (v)
			*v++ = '\0';
		bool b;
		if (strcmp(f, "type") == 0 && v) {
			type = v;
		} else if ((strcmp(f, "source") == 0 || strcmp(f, "src") == 0) && v) {
			json_object_object_add(m, "Source", json_object_new_string(v));
		} else if ((strcmp(f, "target") == 0 || strcmp(f, "destination") == 0 ||
			    strcmp(f, "dst") == 0) &&
			   v) {
			json_object_object_add(m, "Target", json_object_new_string(v));
			have_target = true;
		} else if ((strcmp(f, "readonly") == 0 || strcmp(f, "ro") == 0) &&
			   parse_bool_value(v, &b) == 0) {
			json_object_object_add(m, "ReadOnly", json_object_new_boolean(b));
		} else if (strcmp(f, "bind-propagation") == 0 && v) {
			json_object_object_add(child(m, "BindOptions", json_type_object),
					       "Propagation", json_object_new_string(v));
		} else if (strcmp(f, "bind-recursive") == 0 && v) {
			json_object_object_add(child(m, "BindOptions", json_type_object),
					       "NonRecursive",
					       json_object_new_boolean(strcmp(v, "disabled") == 0));
		} else if (strcmp(f, "volume-nocopy") == 0 && parse_bool_value(v, &b) == 0) {
			json_object_object_add(child(m, "VolumeOptions", json_type_object),
					       "NoCopy", json_object_new_boolean(b));
		} else if (strcmp(f, "tmpfs-size") == 0 && v) {
			int64_t size;
			if (parse_bytes(v, &size) < 0)
				return hutch_fail_plain(err, EINVAL,
							"invalid argument \"%s\" for \"--mount\" "
							"flag: invalid tmpfs-size: %s",
							spec, v);
			json_object_object_add(child(m, "TmpfsOptions", json_type_object),
					       "SizeBytes", json_object_new_int64(size));
		} else if (strcmp(f, "tmpfs-mode") == 0 && v) {
			char *end;
			long mode = strtol(v, &end, 8);
			if (*end || mode < 0 || mode > 07777)
				return hutch_fail_plain(err, EINVAL,
							"invalid argument \"%s\" for \"--mount\" "
							"flag: invalid tmpfs-mode: %s",
							spec, v);
			json_object_object_add(child(m, "TmpfsOptions", json_type_object), "Mode",
					       json_object_new_int((int)mode));
		} else if (strcmp(f, "consistency") == 0 && v) {
			json_object_object_add(m, "Consistency", json_object_new_string(v));
		} else {
			return hutch_fail_plain(err, EINVAL,
						"invalid argument \"%s\" for \"--mount\" flag: "
						"unexpected key '%s' in '%s'",
						spec, f, spec);
		}
	}
	if (strcmp(type, "bind") != 0 && strcmp(type, "volume") != 0 && strcmp(type, "tmpfs") != 0)
		return hutch_fail_plain(err, EINVAL,
					"invalid argument \"%s\" for \"--mount\" flag: "
					"unsupported mount type: %s (bind, volume or tmpfs)",
					spec, type);
	if (!have_target)
		return hutch_fail_plain(err, EINVAL,
					"invalid argument \"%s\" for \"--mount\" flag: "
					"target is required",
					spec);
	json_object_object_add(m, "Type", json_object_new_string(type));
	json_object_array_add(child(host, "Mounts", json_type_array), steal_pointer(&m));
	return 0;
}

/* -v SRC:DST[:OPTS] and -v DST. A source that is a path (absolute or
 * starting with '.') is a bind mount, made absolute here as the docker
 * CLI does; any other source names a volume. */
static int add_volume(json_object *config, json_object *host, const char *spec, hutch_error *err)
{
	_cleanup_free_ char *copy = strdup(spec);
	if (copy == NULL)
		return hutch_fail(err, ENOMEM, "-v");
	char *parts[3] = {NULL};
	size_t n = 0;
	char *save = NULL;
	for (char *f = strtok_r(copy, ":", &save); f; f = strtok_r(NULL, ":", &save)) {
		if (n == 3)
			return hutch_fail_plain(err, EINVAL, "invalid volume specification: '%s'",
						spec);
		parts[n++] = f;
	}
	if (n == 0)
		return hutch_fail_plain(err, EINVAL, "invalid empty volume specification");
	const char *dst = n == 1 ? parts[0] : parts[1];
	if (dst[0] != '/')
		return hutch_fail_plain(err, EINVAL,
					"invalid volume specification: '%s': invalid mount path: "
					"'%s' mount path must be absolute",
					spec, dst);
	if (n == 1) {
		json_object_object_add(child(config, "Volumes", json_type_object), dst,
				       json_object_new_object());
		return 0;
	}
	const char *src = parts[0];
	char abs[PATH_MAX];
	if (src[0] == '.') {
		if (realpath(src, abs) == NULL)
			return hutch_fail(err, errno, "invalid volume specification: '%s': %s",
					  spec, src);
		src = abs;
	}
	_cleanup_free_ char *bind = NULL;
	if (asprintf(&bind, "%s:%s%s%s", src, dst, n == 3 ? ":" : "", n == 3 ? parts[2] : "") < 0)
		return hutch_fail(err, ENOMEM, "-v");
	add_string(host, "Binds", bind);
	return 0;
}

/* "80" or "8000-8010" (lo..hi); empty allowed where allow_empty. */
static bool parse_port_range(const char *s, bool allow_zero, unsigned *lo, unsigned *hi)
{
	char *end;
	if (!isdigit((unsigned char)s[0]))
		return false;
	unsigned long a = strtoul(s, &end, 10), b = a;
	if (*end == '-') {
		const char *s2 = end + 1;
		if (!isdigit((unsigned char)s2[0]))
			return false;
		b = strtoul(s2, &end, 10);
	}
	if (*end != '\0' || a > 65535 || b > 65535 || b < a || (!allow_zero && a == 0))
		return false;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return true;
}

int publish_parse(const char *spec, json_object *bindings, json_object *exposed, hutch_error *err)
{
	char buf[512];
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return hutch_fail_plain(err, EINVAL, "invalid port format for --publish: %s", spec);
	const char *proto = "tcp";
	char *slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		proto = slash + 1;
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 &&
		    strcmp(proto, "sctp") != 0)
			return hutch_fail_plain(err, EINVAL, "invalid proto: %s", proto);
	}
	char *ip = NULL, *rest = buf;
	if (buf[0] == '[') { /* [v6addr]:host:container */
		char *close = strchr(buf, ']');
		if (close == NULL || close[1] != ':')
			return hutch_fail_plain(err, EINVAL,
						"invalid port format for --publish: %s", spec);
		*close = '\0';
		ip = buf + 1;
		rest = close + 2;
	}
	char *fields[3];
	size_t n = 0;
	for (char *p = rest;; p++) {
		char *colon = strchr(p, ':');
		if (n == 3)
			return hutch_fail_plain(err, EINVAL,
						"invalid port format for --publish: %s", spec);
		fields[n++] = p;
		if (colon == NULL)
			break;
		*colon = '\0';
		p = colon;
	}
	const char *host_port = "", *ctr_port = fields[n - 1];
	if (ip != NULL) {
		if (n != 2)
			return hutch_fail_plain(err, EINVAL,
						"invalid port format for --publish: %s", spec);
		host_port = fields[0];
	} else if (n == 2) {
		host_port = fields[0];
	} else if (n == 3) {
		ip = fields[0];
		host_port = fields[1];
	}
	if (ip != NULL && ip[0] != '\0') {
		unsigned char addr[16];
		if (inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1)
			return hutch_fail_plain(err, EINVAL, "invalid IP address: %s", ip);
	}
	unsigned clo, chi, hlo = 0, hhi = 0;
	if (!parse_port_range(ctr_port, false, &clo, &chi))
		return hutch_fail_plain(err, EINVAL, "invalid containerPort: %s", ctr_port);
	if (host_port[0] && !parse_port_range(host_port, true, &hlo, &hhi))
		return hutch_fail_plain(err, EINVAL, "invalid hostPort: %s", host_port);
	/* A host range for one container port lets the daemon pick one of
	 * them; otherwise the two ranges pair up port by port. */
	bool host_range_for_one = host_port[0] && clo == chi && hhi > hlo;
	if (host_port[0] && !host_range_for_one && hhi - hlo != chi - clo)
		return hutch_fail_plain(err, EINVAL,
					"invalid ranges specified for container and host Ports: "
					"%s and %s",
					ctr_port, host_port);
	for (unsigned p = clo; p <= chi; p++) {
		char key[32], hp[32] = "";
		snprintf(key, sizeof(key), "%u/%s", p, proto);
		if (host_range_for_one)
			snprintf(hp, sizeof(hp), "%u-%u", hlo, hhi);
		else if (host_port[0])
			snprintf(hp, sizeof(hp), "%u", hlo + (p - clo));
		json_object_object_add(exposed, key, json_object_new_object());
		json_object *b = json_object_new_object();
		json_object_object_add(b, "HostIp", json_object_new_string(ip ? ip : ""));
		json_object_object_add(b, "HostPort", json_object_new_string(hp));
		json_object_array_add(child(bindings, key, json_type_array), b);
	}
	return 0;
}

/* --add-host NAME:IP (or NAME=IP); IP may be host-gateway. */
static int add_host_entry(json_object *host, const char *spec, hutch_error *err)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", spec);
	char *sep = strchr(buf, '=');
	if (sep == NULL)
		sep = strchr(buf, ':');
	if (sep == NULL || sep == buf)
		return hutch_fail_plain(err, EINVAL, "bad format for add-host: \"%s\"", spec);
	*sep = '\0';
	char *ip = sep + 1;
	size_t l = strlen(ip);
	if (l > 2 && ip[0] == '[' && ip[l - 1] == ']') {
		ip[l - 1] = '\0';
		ip++;
	}
	unsigned char addr[16];
	if (strcmp(ip, "host-gateway") != 0 && inet_pton(AF_INET, ip, addr) != 1 &&
	    inet_pton(AF_INET6, ip, addr) != 1)
		return hutch_fail_plain(err, EINVAL, "invalid IP address in add-host: \"%s\"", ip);
	char entry[600];
	snprintf(entry, sizeof(entry), "%s:%s", buf, ip);
	add_string(host, "ExtraHosts", entry);
	return 0;
}

static void add_label(json_object *config, const char *spec)
{
	char key[512];
	const char *eq = strchr(spec, '=');
	snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - spec) : (int)strlen(spec), spec);
	json_object_object_add(child(config, "Labels", json_type_object), key,
			       json_object_new_string(eq ? eq + 1 : ""));
}

static void add_tmpfs(json_object *host, const char *spec)
{
	char path[PATH_MAX];
	const char *colon = strchr(spec, ':');
	snprintf(path, sizeof(path), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	json_object_object_add(child(host, "Tmpfs", json_type_object), path,
			       json_object_new_string(colon ? colon + 1 : ""));
}

static void print_help(bool is_run)
{
	const char *cmd = is_run ? "run" : "create";
	printf("Usage: hutch %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
	       "%s\n\nOptions:\n",
	       cmd,
	       is_run ? "Create and run a new container from an image."
		      : "Create a new container (start it with 'hutch start').");
	if (is_run)
		printf("  -d, --detach                 run in the background, print the id\n"
		       "      --detach-keys KEYS       keys that detach from a tty (default "
		       "ctrl-p,ctrl-q)\n"
		       "      --sig-proxy BOOL         forward signals to the container "
		       "(default true, not with -t)\n");
	printf("  -i, --interactive            keep stdin open (and attach it)\n"
	       "  -t, --tty                    give the container a terminal\n"
	       "      --rm                     remove the container when it exits\n"
	       "      --name NAME              name the container\n"
	       "  -e, --env NAME[=VALUE]       set an environment variable (from ours without "
	       "=VALUE)\n"
	       "      --env-file FILE          read NAME=VALUE lines from FILE\n"
	       "  -v, --volume SRC:DST[:OPTS]  bind-mount a host path (SRC absolute or ./...),\n"
	       "                               or mount a volume\n"
	       "      --mount SPEC             type=bind|volume|tmpfs,source=..,target=..,"
	       "readonly\n"
	       "      --tmpfs DST[:OPTS]       mount a tmpfs\n"
	       "  -p, --publish [IP:][HOST:]CTR[/PROTO]\n"
	       "                               publish a container port (ranges a-b allowed)\n"
	       "  -P, --publish-all            publish every exposed port on a free port\n"
	       "      --expose PORT[/PROTO]    expose a port without publishing it\n"
	       "  -w, --workdir DIR            working directory inside the container\n"
	       "  -u, --user USER[:GROUP]      user to run as\n"
	       "      --entrypoint CMD         override the image's entrypoint (\"\" clears it)\n"
	       "      --network MODE           slirp (default), none or host\n"
	       "      --hostname NAME          the container's host name (also -h)\n"
	       "      --dns IP                 a DNS server for /etc/resolv.conf\n"
	       "      --add-host NAME:IP       an /etc/hosts line (IP may be host-gateway)\n"
	       "      --cap-add CAP            add a capability\n"
	       "      --cap-drop CAP           drop a capability (ALL drops all)\n"
	       "      --privileged             all capabilities, no seccomp, all devices\n"
	       "      --security-opt OPT       seccomp=PROFILE|unconfined, no-new-privileges, "
	       "...\n"
	       "      --read-only              mount the root filesystem read-only\n"
	       "      --init                   run an init that reaps zombies and forwards "
	       "signals\n"
	       "  -l, --label KEY[=VALUE]      set a label\n"
	       "      --stop-signal SIGNAL     signal that stops the container (default "
	       "SIGTERM)\n"
	       "      --stop-timeout SECONDS   seconds to wait before killing at stop\n"
	       "      --pull POLICY            missing (default), always or never\n"
	       "      --platform OS/ARCH       platform to pull\n"
	       "  -q, --quiet                  do not show pull progress\n"
	       "      --help                   show this help\n");
}

enum {
	OPT_RM = 256,
	OPT_NAME,
	OPT_ENV_FILE,
	OPT_MOUNT,
	OPT_ENTRYPOINT,
	OPT_NETWORK,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_PRIVILEGED,
	OPT_READ_ONLY,
	OPT_TMPFS,
	OPT_INIT,
	OPT_SECURITY_OPT,
	OPT_DNS,
	OPT_ADD_HOST,
	OPT_STOP_SIGNAL,
	OPT_STOP_TIMEOUT,
	OPT_PULL,
	OPT_DETACH_KEYS,
	OPT_SIG_PROXY,
	OPT_EXPOSE,
	OPT_PLATFORM,
	OPT_HELP,
};

static const struct option longopts[] = {
    {"detach", optional_argument, NULL, 'd'},
    {"interactive", optional_argument, NULL, 'i'},
    {"tty", optional_argument, NULL, 't'},
    {"rm", optional_argument, NULL, OPT_RM},
    {"name", required_argument, NULL, OPT_NAME},
    {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, OPT_ENV_FILE},
    {"volume", required_argument, NULL, 'v'},
    {"mount", required_argument, NULL, OPT_MOUNT},
    {"publish", required_argument, NULL, 'p'},
    {"publish-all", optional_argument, NULL, 'P'},
    {"expose", required_argument, NULL, OPT_EXPOSE},
    {"workdir", required_argument, NULL, 'w'},
    {"user", required_argument, NULL, 'u'},
    {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
    {"network", required_argument, NULL, OPT_NETWORK},
    {"net", required_argument, NULL, OPT_NETWORK},
    {"cap-add", required_argument, NULL, OPT_CAP_ADD},
    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
    {"privileged", optional_argument, NULL, OPT_PRIVILEGED},
    {"read-only", optional_argument, NULL, OPT_READ_ONLY},
    {"tmpfs", required_argument, NULL, OPT_TMPFS},
    {"init", optional_argument, NULL, OPT_INIT},
    {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
    {"label", required_argument, NULL, 'l'},
    {"hostname", required_argument, NULL, 'h'},
    {"dns", required_argument, NULL, OPT_DNS},
    {"add-host", required_argument, NULL, OPT_ADD_HOST},
    {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
    {"pull", required_argument, NULL, OPT_PULL},
    {"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
    {"sig-proxy", optional_argument, NULL, OPT_SIG_PROXY},
    {"platform", required_argument, NULL, OPT_PLATFORM},
    {"quiet", optional_argument, NULL, 'q'},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

static int bad_flag(hutch_error *err, const char *flag, const char *value, const char *why)
{
	return hutch_fail_plain(err, EINVAL, "invalid argument \"%s\" for \"%s\" flag: %s", value,
				flag, why);
}

/* Docker's boolean flags also take a value (--rm=false); none means true. */
static int bool_arg(const char *flag, bool *out, hutch_error *err)
{
	if (parse_bool_value(optarg, out) < 0)
		return bad_flag(err, flag, optarg, "not true or false");
	return 0;
}

/* One flag into rc; the JSON parts are config (Docker's Config) and
 * host (its HostConfig). */
static int apply_flag(int c, bool is_run, struct run_config *rc, json_object *config,
		      json_object *host, hutch_error *err)
{
	bool b = true;
	switch (c) {
	case 'd':
		if (bool_arg("--detach", &b, err) < 0)
			return -1;
		if (!is_run)
			return hutch_fail_plain(err, EINVAL, "unknown shorthand flag: 'd' in -d");
		rc->detach = b;
		return 0;
	case 'i':
		if (bool_arg("--interactive", &b, err) < 0)
			return -1;
		rc->interactive = b;
		return 0;
	case 't':
		if (bool_arg("--tty", &b, err) < 0)
			return -1;
		rc->tty = b;
		return 0;
	case OPT_RM:
		if (bool_arg("--rm", &b, err) < 0)
			return -1;
		rc->auto_remove = b;
		return 0;
	case OPT_NAME:
		rc->name = optarg;
		return 0;
	case 'e':
		run_config_add_env(config, optarg);
		return 0;
	case OPT_ENV_FILE:
		return add_env_file(config, optarg, err);
	case 'v':
		return add_volume(config, host, optarg, err);
	case OPT_MOUNT:
		return add_mount(host, optarg, err);
	case 'p':
		return publish_parse(optarg, child(host, "PortBindings", json_type_object),
				     child(config, "ExposedPorts", json_type_object), err);
	case 'P':
		if (bool_arg("--publish-all", &b, err) < 0)
			return -1;
		json_object_object_add(host, "PublishAllPorts", json_object_new_boolean(b));
		return 0;
	case OPT_EXPOSE: {
		unsigned lo, hi;
		char port[64];
		snprintf(port, sizeof(port), "%s", optarg);
		char *slash = strchr(port, '/');
		const char *proto = slash ? slash + 1 : "tcp";
		if (slash)
			*slash = '\0';
		if (!parse_port_range(port, false, &lo, &hi))
			return bad_flag(err, "--expose", optarg, "invalid port");
		for (unsigned p = lo; p <= hi; p++) {
			char key[32];
			snprintf(key, sizeof(key), "%u/%s", p, proto);
			json_object_object_add(child(config, "ExposedPorts", json_type_object), key,
					       json_object_new_object());
		}
		return 0;
	}
	case 'w':
		json_object_object_add(config, "WorkingDir", json_object_new_string(optarg));
		return 0;
	case 'u':
		json_object_object_add(config, "User", json_object_new_string(optarg));
		return 0;
	case OPT_ENTRYPOINT: {
		json_object *ep = json_object_new_array();
		json_object_array_add(ep, json_object_new_string(optarg));
		json_object_object_add(config, "Entrypoint", ep);
		return 0;
	}
	case OPT_NETWORK:
		json_object_object_add(host, "NetworkMode", json_object_new_string(optarg));
		return 0;
	case OPT_CAP_ADD:
		add_string(host, "CapAdd", optarg);
		return 0;
	case OPT_CAP_DROP:
		add_string(host, "CapDrop", optarg);
		return 0;
	case OPT_PRIVILEGED:
		if (bool_arg("--privileged", &b, err) < 0)
			return -1;
		json_object_object_add(host, "Privileged", json_object_new_boolean(b));
		return 0;
	case OPT_READ_ONLY:
		if (bool_arg("--read-only", &b, err) < 0)
			return -1;
		json_object_object_add(host, "ReadonlyRootfs", json_object_new_boolean(b));
		return 0;
	case OPT_TMPFS:
		if (optarg[0] != '/')
			return bad_flag(err, "--tmpfs", optarg, "the path must be absolute");
		add_tmpfs(host, optarg);
		return 0;
	case OPT_INIT:
		if (bool_arg("--init", &b, err) < 0)
			return -1;
		json_object_object_add(host, "Init", json_object_new_boolean(b));
		return 0;
	case OPT_SECURITY_OPT:
		add_string(host, "SecurityOpt", optarg);
		return 0;
	case 'l':
		add_label(config, optarg);
		return 0;
	case 'h':
		json_object_object_add(config, "Hostname", json_object_new_string(optarg));
		return 0;
	case OPT_DNS: {
		unsigned char addr[16];
		if (inet_pton(AF_INET, optarg, addr) != 1 && inet_pton(AF_INET6, optarg, addr) != 1)
			return bad_flag(err, "--dns", optarg, "not an IP address");
		add_string(host, "Dns", optarg);
		return 0;
	}
	case OPT_ADD_HOST:
		return add_host_entry(host, optarg, err);
	case OPT_STOP_SIGNAL:
		json_object_object_add(config, "StopSignal", json_object_new_string(optarg));
		return 0;
	case OPT_STOP_TIMEOUT: {
		char *end;
		long t = strtol(optarg, &end, 10);
		if (*end || end == optarg || t < -1 || t > INT_MAX)
			return bad_flag(err, "--stop-timeout", optarg, "not a number of seconds");
		json_object_object_add(config, "StopTimeout", json_object_new_int((int)t));
		return 0;
	}
	case OPT_PULL:
		if (strcmp(optarg, "missing") == 0)
			rc->pull = PULL_MISSING;
		else if (strcmp(optarg, "always") == 0)
			rc->pull = PULL_ALWAYS;
		else if (strcmp(optarg, "never") == 0)
			rc->pull = PULL_NEVER;
		else
			return hutch_fail_plain(
			    err, EINVAL,
			    "invalid pull option: '%s': must be one of \"always\", \"missing\" "
			    "or \"never\"",
			    optarg);
		return 0;
	case OPT_DETACH_KEYS:
		if (!is_run)
			return hutch_fail_plain(err, EINVAL, "unknown flag: --detach-keys");
		rc->detach_keys = optarg;
		return 0;
	case OPT_SIG_PROXY:
		if (!is_run)
			return hutch_fail_plain(err, EINVAL, "unknown flag: --sig-proxy");
		if (bool_arg("--sig-proxy", &b, err) < 0)
			return -1;
		rc->sig_proxy = b;
		return 0;
	case OPT_PLATFORM:
		rc->platform = optarg;
		return 0;
	case 'q':
		if (bool_arg("--quiet", &b, err) < 0)
			return -1;
		rc->quiet = b;
		return 0;
	}
	return hutch_fail_plain(err, EINVAL, "unknown flag");
}

/* Name of the option getopt just refused, for the message. */
static int unknown_flag(int argc, char **argv, bool missing_value, hutch_error *err)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	if (missing_value) {
		if (arg[0] == '-' && arg[1] != '-')
			return hutch_fail_plain(err, EINVAL, "flag needs an argument: '%c' in -%c",
						optopt, optopt);
		return hutch_fail_plain(err, EINVAL, "flag needs an argument: %s", arg);
	}
	if (optopt != 0 && optopt < 256 && arg[0] == '-' && arg[1] != '-')
		return hutch_fail_plain(err, EINVAL, "unknown shorthand flag: '%c' in %s", optopt,
					arg);
	return hutch_fail_plain(err, EINVAL, "unknown flag: %s", arg);
}

int run_config_parse(int argc, char **argv, bool is_run, struct run_config *rc, hutch_error *err)
{
	*rc = (struct run_config){.sig_proxy = true};
	json_object *config = json_object_new_object();
	json_object *host = json_object_new_object();
	rc->body = config;
	json_object_object_add(config, "HostConfig", host);
	int c;
	optind = 0;
	opterr = 0;
	/* '+': options end at the image; what follows is the command. */
	while ((c = getopt_long(argc, argv, "+:ditPe:v:p:w:u:l:h:q", longopts, NULL)) != -1) {
		if (c == OPT_HELP) {
			print_help(is_run);
			rc->help = true;
			return 0;
		}
		if (c == '?' || c == ':')
			return unknown_flag(argc, argv, c == ':', err);
		if (apply_flag(c, is_run, rc, config, host, err) < 0)
			return -1;
	}
	if (optind >= argc)
		return hutch_fail_plain(err, EINVAL, "\"hutch %s\" requires at least 1 argument",
					is_run ? "run" : "create");
	rc->image = argv[optind];
	json_object_object_add(config, "Image", json_object_new_string(rc->image));
	if (optind + 1 < argc) {
		json_object *cmd = json_object_new_array();
		for (int i = optind + 1; i < argc; i++)
			json_object_array_add(cmd, json_object_new_string(argv[i]));
		json_object_object_add(config, "Cmd", cmd);
	}
	bool attached = is_run && !rc->detach;
	json_object_object_add(config, "Tty", json_object_new_boolean(rc->tty));
	json_object_object_add(config, "OpenStdin", json_object_new_boolean(rc->interactive));
	json_object_object_add(config, "AttachStdin",
			       json_object_new_boolean(attached && rc->interactive));
	json_object_object_add(config, "StdinOnce",
			       json_object_new_boolean(attached && rc->interactive));
	json_object_object_add(config, "AttachStdout", json_object_new_boolean(!rc->detach));
	json_object_object_add(config, "AttachStderr", json_object_new_boolean(!rc->detach));
	json_object_object_add(host, "AutoRemove", json_object_new_boolean(rc->auto_remove));
	return 0;
}

void run_config_free(struct run_config *rc)
{
	if (rc->body)
		json_object_put(rc->body);
	rc->body = NULL;
}
