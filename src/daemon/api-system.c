/* System endpoints: /_ping, /version, /info and hutch's own
 * /hutch/v1/system/check. */
#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "daemon.h"
#include "json-util.h"
#include "manifest.h"
#include "registry.h"

static enum MHD_Result ping(struct request *r)
{
	static char ok[] = "OK";
	bool head = strcmp(r->method, "HEAD") == 0;
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(head ? 0 : 2, ok, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Api-Version", HUTCH_API_VERSION);
	MHD_add_response_header(resp, "Ostype", "linux");
	MHD_add_response_header(resp, "Docker-Experimental", "false");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store, must-revalidate");
	MHD_add_response_header(resp, "Pragma", "no-cache");
	MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(resp, "Server", "hutchd/" PACKAGE_VERSION);
	enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result version(struct request *r)
{
	struct utsname u;
	uname(&u);
	struct platform p;
	platform_native(&p);
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *comp = json_object_new_array();
	json_object *c = json_object_new_object();
	json_object_object_add(c, "Name", json_object_new_string("hutchd"));
	json_object_object_add(c, "Version", json_object_new_string(PACKAGE_VERSION));
	json_object_array_add(comp, c);
	json_object *plat = json_object_new_object();
	json_object_object_add(plat, "Name", json_object_new_string("hutch"));
	json_object_object_add(o, "Platform", plat);
	json_object_object_add(o, "Components", comp);
	json_object_object_add(o, "Version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "ApiVersion", json_object_new_string(HUTCH_API_VERSION));
	json_object_object_add(o, "MinAPIVersion", json_object_new_string(HUTCH_API_MIN_VERSION));
	json_object_object_add(o, "GitCommit", json_object_new_string(""));
	json_object_object_add(o, "GoVersion", json_object_new_string(""));
	json_object_object_add(o, "Os", json_object_new_string("linux"));
	json_object_object_add(o, "Arch", json_object_new_string(p.architecture));
	json_object_object_add(o, "KernelVersion", json_object_new_string(u.release));
	json_object_object_add(o, "BuildTime", json_object_new_string(""));
	return reply_json(r, 200, o);
}

static enum MHD_Result info(struct request *r)
{
	struct utsname u;
	uname(&u);
	struct sysinfo si;
	sysinfo(&si);
	_cleanup_free_ struct store_image *imgs = NULL;
	size_t n = 0;
	store_image_list(r->d->store, &imgs, &n);
	pid_t holder = 0;
	char sandbox[64] = "not started";
	{
		char path[4300];
		snprintf(path, sizeof(path), "%s/sandbox.pid", r->d->runtime_dir);
		FILE *f = fopen(path, "re");
		if (f != NULL) {
			int pid = 0;
			if (fscanf(f, "%d", &pid) == 1 && pid > 0 && kill(pid, 0) == 0) {
				holder = pid;
				snprintf(sandbox, sizeof(sandbox), "holder pid %d", pid);
			}
			fclose(f);
		}
	}
	(void)holder;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object_object_add(o, "ID", json_object_new_string(host));
	json_object_object_add(o, "Name", json_object_new_string(host));
	struct ctr **cs = NULL;
	size_t ncs = 0, running = 0;
	if (ctr_list(r->d, &cs, &ncs) == 0) {
		ctr_lock(r->d);
		for (size_t i = 0; i < ncs; i++)
			running += cs[i]->status == CTR_RUNNING;
		ctr_unlock(r->d);
		ctr_put_all(cs, ncs);
	}
	json_object_object_add(o, "Containers", json_object_new_int64((int64_t)ncs));
	json_object_object_add(o, "ContainersRunning", json_object_new_int64((int64_t)running));
	json_object_object_add(o, "ContainersPaused", json_object_new_int(0));
	json_object_object_add(o, "ContainersStopped",
			       json_object_new_int64((int64_t)(ncs - running)));
	json_object_object_add(o, "Images", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "Driver", json_object_new_string("hutch-overlay"));
	json_object *ds = json_object_new_array();
	json_object *pair = json_object_new_array();
	json_object_array_add(pair, json_object_new_string("Sandbox"));
	json_object_array_add(pair, json_object_new_string(sandbox));
	json_object_array_add(ds, pair);
	json_object_object_add(o, "DriverStatus", ds);
	json_object_object_add(o, "DockerRootDir", json_object_new_string(r->d->root));
	json_object_object_add(o, "OperatingSystem", json_object_new_string(u.sysname));
	json_object_object_add(o, "OSType", json_object_new_string("linux"));
	json_object_object_add(o, "Architecture", json_object_new_string(u.machine));
	json_object_object_add(o, "KernelVersion", json_object_new_string(u.release));
	json_object_object_add(o, "NCPU", json_object_new_int(get_nprocs()));
	json_object_object_add(o, "MemTotal",
			       json_object_new_int64((int64_t)si.totalram * si.mem_unit));
	json_object_object_add(o, "ServerVersion", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "LoggingDriver", json_object_new_string("json-file"));
	json_object_object_add(o, "CgroupDriver", json_object_new_string("none"));
	json_object_object_add(o, "IndexServerAddress",
			       json_object_new_string("https://index.docker.io/v1/"));
	json_object *sec = json_object_new_array();
	json_object_array_add(sec, json_object_new_string("name=rootless"));
	json_object_object_add(o, "SecurityOptions", sec);
	json_object *reg = json_object_new_object();
	json_object *cidrs = json_object_new_array();
	json_object_array_add(cidrs, json_object_new_string("127.0.0.0/8"));
	json_object_object_add(reg, "InsecureRegistryCIDRs", cidrs);
	json_object *idx = json_object_new_object();
	for (char **p = r->d->insecure; p && *p; p++) {
		json_object *ic = json_object_new_object();
		json_object_object_add(ic, "Name", json_object_new_string(*p));
		json_object_object_add(ic, "Secure", json_object_new_boolean(0));
		json_object_object_add(idx, *p, ic);
	}
	json_object_object_add(reg, "IndexConfigs", idx);
	json_object_object_add(reg, "Mirrors", json_object_new_array());
	json_object_object_add(o, "RegistryConfig", reg);
	json_object *hutch = json_object_new_object();
	json_object_object_add(hutch, "Socket", json_object_new_string(r->d->socket_path));
	json_object_object_add(hutch, "RuntimeDir", json_object_new_string(r->d->runtime_dir));
	json_object_object_add(hutch, "Sandbox", json_object_new_string(sandbox));
	json_object_object_add(hutch, "Pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "Hutch", hutch);
	return reply_json(r, 200, o);
}

static enum MHD_Result system_check(struct request *r)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *problems = json_object_new_array();
	json_object *stats = json_object_new_object();
	json_object_object_add(o, "Problems", problems);
	json_object_object_add(o, "Stats", stats);
	hutch_error err = {0};
	if (store_check(r->d->store, problems, stats, &err) < 0)
		return reply_hutch_error(r, &err);
	return reply_json(r, 200, o);
}

/* docker login: {"username","password","serveraddress"}. The credentials
 * are checked, not stored: the docker CLI keeps them and sends them with
 * each pull (X-Registry-Auth). */
static enum MHD_Result auth(struct request *r)
{
	hutch_error err = {0};
	_cleanup_json_ json_object *o = NULL;
	if (json_parse_buffer(r->body ? r->body : "", r->body_len, "login request", &o, &err) < 0)
		return reply_error(r, 400, "%s", err.msg);
	const char *user = NULL, *pass = NULL, *server = NULL;
	if (json_get_string(o, "", "username", true, &user, &err) < 0 ||
	    json_get_string(o, "", "password", false, &pass, &err) < 0 ||
	    json_get_string(o, "", "serveraddress", true, &server, &err) < 0)
		return reply_error(r, 400, "%s", err.msg);
	/* "https://host/v1/" and "host" both name the registry host. */
	char domain[256];
	const char *s = server;
	if (strncmp(s, "https://", 8) == 0)
		s += 8;
	else if (strncmp(s, "http://", 7) == 0)
		s += 7;
	snprintf(domain, sizeof(domain), "%.*s", (int)strcspn(s, "/"), s);
	if (strcmp(domain, "index.docker.io") == 0)
		snprintf(domain, sizeof(domain), "docker.io");
	_cleanup_free_ char *userpass = NULL;
	if (asprintf(&userpass, "%s:%s", user, pass ? pass : "") < 0)
		return reply_error(r, 500, "out of memory");
	if (registry_check_login(domain, userpass, (const char *const *)r->d->insecure, &err) < 0)
		return reply_error(r, 401, "%s", err.msg);
	_cleanup_json_ json_object *out = json_object_new_object();
	json_object_object_add(out, "Status", json_object_new_string("Login Succeeded"));
	json_object_object_add(out, "IdentityToken", json_object_new_string(""));
	return reply_json(r, 200, out);
}

enum MHD_Result api_system(struct request *r)
{
	bool get = strcmp(r->method, "GET") == 0;
	if (strcmp(r->path, "/_ping") == 0 && (get || strcmp(r->method, "HEAD") == 0))
		return ping(r);
	if (strcmp(r->path, "/version") == 0 && get)
		return version(r);
	if (strcmp(r->path, "/info") == 0 && get)
		return info(r);
	if (strcmp(r->path, "/auth") == 0 && strcmp(r->method, "POST") == 0)
		return auth(r);
	if (strcmp(r->path, "/hutch/v1/system/check") == 0 && get)
		return system_check(r);
	return reply_error(r, 404, "page not found: %s %s", r->method, r->path);
}
