/* hutch info, version and system check. */
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "client.h"
#include "json-util.h"

static const char *str(json_object *o, const char *key)
{
	const char *v = NULL;
	json_get_string(o, "", key, false, &v, NULL);
	return v ? v : "";
}

static long long num(json_object *o, const char *key)
{
	int64_t v = 0;
	json_get_int64(o, "", key, false, &v, NULL);
	return (long long)v;
}

int cmd_info(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("Usage: hutch info\n\nShow system-wide information from hutchd.\n");
		return 0;
	}
	hutch_error err = {0};
	_cleanup_json_ json_object *o = NULL;
	if (client_json("GET", "/info", &o, &err) < 0)
		return cli_fail(&err);
	json_object *h = NULL;
	json_object_object_get_ex(o, "Hutch", &h);
	char mem[32];
	format_size(num(o, "MemTotal"), mem, sizeof(mem));
	printf("Server:\n"
	       " Server Version: %s\n"
	       " Images: %lld\n"
	       " Storage Driver: %s\n"
	       " Root Dir: %s\n"
	       " Socket: %s\n"
	       " Sandbox: %s\n"
	       " Kernel Version: %s\n"
	       " Operating System: %s\n"
	       " Architecture: %s\n"
	       " CPUs: %lld\n"
	       " Total Memory: %s\n"
	       " Name: %s\n",
	       str(o, "ServerVersion"), num(o, "Images"), str(o, "Driver"), str(o, "DockerRootDir"),
	       h ? str(h, "Socket") : client_socket_path(), h ? str(h, "Sandbox") : "",
	       str(o, "KernelVersion"), str(o, "OperatingSystem"), str(o, "Architecture"),
	       num(o, "NCPU"), mem, str(o, "Name"));
	return 0;
}

int cmd_version(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("Usage: hutch version\n\nShow the client's and hutchd's versions.\n");
		return 0;
	}
	printf("Client:\n Version:     %s\n API version: 1.44\n\n", PACKAGE_VERSION);
	hutch_error err = {0};
	_cleanup_json_ json_object *o = NULL;
	if (client_json("GET", "/version", &o, &err) < 0)
		return cli_fail(&err);
	printf("Server: hutchd\n Version:     %s\n API version: %s (minimum version %s)\n"
	       " OS/Arch:     %s/%s\n Kernel:      %s\n",
	       str(o, "Version"), str(o, "ApiVersion"), str(o, "MinAPIVersion"), str(o, "Os"),
	       str(o, "Arch"), str(o, "KernelVersion"));
	return 0;
}

int cmd_system_check(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("Usage: hutch system check\n\n"
		       "Verify the image store: every blob matches its digest, every image\n"
		       "has its manifest, config, layers and snapshots, no unfinished\n"
		       "snapshot is left. Exits 1 when a problem is found.\n");
		return 0;
	}
	hutch_error err = {0};
	_cleanup_json_ json_object *o = NULL;
	if (client_json("GET", "/hutch/v1/system/check", &o, &err) < 0)
		return cli_fail(&err);
	json_object *problems = NULL, *stats = NULL;
	json_object_object_get_ex(o, "Problems", &problems);
	json_object_object_get_ex(o, "Stats", &stats);
	size_t n = problems ? json_object_array_length(problems) : 0;
	for (size_t i = 0; i < n; i++)
		printf("problem: %s\n",
		       json_object_get_string(json_object_array_get_idx(problems, i)));
	printf("%s: %lld images, %lld blobs, %lld snapshots checked\n",
	       n ? "store has problems" : "store is consistent", num(stats, "Images"),
	       num(stats, "Blobs"), num(stats, "Snapshots"));
	if (num(stats, "UnsyncedSnapshots") > 0)
		printf("%lld snapshots are not synced to disk yet (hutchd does it when idle)\n",
		       num(stats, "UnsyncedSnapshots"));
	return n ? 1 : 0;
}
