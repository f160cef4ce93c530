/*
 * test_k8s_client: the client's bounds that need no server: exec
 * credential plugins (deadline, the whole process group killed, output
 * bound, env override, stop), credentials and header values with control
 * characters refused.  The server is http://127.0.0.1:1, where nothing
 * listens: a request that gets that far fails with "cannot connect".
 */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "unit.h"
#include "k8s_min.h"

static k8s_config cfg;
static k8s_client cl;
static k8s_err e;
static char dir[] = "/tmp/k8s-client-test.XXXXXX";
static volatile sig_atomic_t stop_flag;

#define KC(user) \
	"apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n" \
	"- name: a\n  context: {cluster: c, user: u}\n" \
	"clusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:1'}\n" \
	"users:\n- name: u\n  user:\n" user

#define EXEC(cmd, extra) "    exec:\n      apiVersion: " \
	"client.authentication.k8s.io/v1\n      command: @D/" cmd "\n" extra

#define CRED(tok) "{\"apiVersion\":\"client.authentication.k8s.io/v1\"," \
	"\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" tok "\"}}"

/* Writes dir/name with text (mode 0755 when exe). */
static void
put(const char *name, const char *text, int exe)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
	if (exe)
		chmod(path, 0755);
}

/* Loads the kubeconfig kc (each "@D" in it is the test directory) and
 * sets up the client with the deadline ms from now (0: none), one
 * attempt. */
static int
load(const char *kc, int64_t ms)
{
	char text[4096];
	k8s_opts o = { 0 };
	size_t n = 0;

	for (; *kc && n + strlen(dir) + 1 < sizeof text; kc++) {
		if (kc[0] == '@' && kc[1] == 'D') {
			n += (size_t)snprintf(text + n, sizeof text - n, "%s",
			    dir);
			kc++;
		} else
			text[n++] = *kc;
	}
	text[n] = '\0';
	if (k8s_config_parse(&cfg, text, strlen(text), dir, &o, &e) < 0)
		return -1;
	k8s_client_init(&cl, &cfg, &e);
	cl.retries = 1;
	cl.request_ms = 2000;
	if (ms > 0)
		k8s_set_deadline(&cl, k8s_now_ms() + ms);
	return 0;
}

static void
unload(void)
{
	k8s_client_close(&cl);
	k8s_config_free(&cfg);
}

/* A GET; returns its result, the time it took in *ms. */
static int
get(int64_t *ms)
{
	int64_t t0 = k8s_now_ms();
	int r = k8s_request(&cl, "GET", "/api", NULL, NULL, 0, NULL, &e);

	*ms = k8s_now_ms() - t0;
	return r;
}

/* Is the process in dir/name (a pid) gone, or a zombie? */
static int
gone(const char *name)
{
	char path[600], buf[256];
	FILE *f;
	long pid = 0;
	char *p;
	int k;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	/* SIGKILL is asynchronous: give the kernel a moment. */
	for (k = 0; k < 50; k++) {
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		f = fopen(path, "r");
		if (f == NULL)
			return 1;
		p = fgets(buf, sizeof buf, f);
		fclose(f);
		p = p ? strrchr(buf, ')') : NULL;
		if (p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
			return 1;
		usleep(20000);
	}
	return 0;
}

TEST(exec_hangs)
{
	int64_t ms;

	/* A plugin that never answers, with a child of its own. */
	put("hang", "#!/bin/sh\nsleep 1000 &\necho $! > \"$0.pid\"\nwait\n", 1);
	CHECK(load(KC(EXEC("hang", "")), 1000) == 0);
	CHECK(get(&ms) < 0);
	CHECK(e.cat == K8S_ECONNECT);
	CHECK(strstr(e.msg, "/hang did not answer within 1 s") != NULL);
	CHECK(strstr(e.msg, "killed") != NULL);
	CHECK(ms >= 900 && ms < 2500);
	CHECK(gone("hang.pid"));
	unload();
	return 0;
}

TEST(exec_child_keeps_stdout)
{
	int64_t ms;

	/* The plugin answers and exits; a child it left keeps the pipe. */
	put("keep", "#!/bin/sh\nsleep 1000 &\necho $! > \"$0.pid\"\n"
	    "echo '" CRED("t") "'\nexit 0\n", 1);
	CHECK(load(KC(EXEC("keep", "")), 1000) == 0);
	CHECK(get(&ms) < 0);
	CHECK(e.cat == K8S_ECONNECT);
	CHECK(strstr(e.msg, "did not answer within 1 s") != NULL);
	CHECK(strstr(e.msg, "keeps its output open") != NULL);
	CHECK(ms < 2500);
	CHECK(gone("keep.pid"));
	unload();
	return 0;
}

TEST(exec_no_deadline_bound)
{
	/* No client deadline: the plugin still gets a bound (60 s), which
	 * is not waited for here: a quick plugin simply works. */
	put("quick", "#!/bin/sh\necho '" CRED("quick-token") "'\n", 1);
	CHECK(load(KC(EXEC("quick", "")), 0) == 0);
	CHECK(k8s_request(&cl, "GET", "/api", NULL, NULL, 0, NULL, &e) < 0);
	CHECK(strstr(e.msg, "cannot connect") != NULL);
	CHECK_STR(cfg.token, "quick-token");
	unload();
	return 0;
}

TEST(exec_output_bound)
{
	int64_t ms;

	put("big", "#!/bin/sh\nhead -c 3000000 /dev/zero | tr '\\0' x"
	    " 2>/dev/null\n", 1);
	CHECK(load(KC(EXEC("big", "")), 5000) == 0);
	CHECK(get(&ms) < 0);
	CHECK(e.cat == K8S_ECONNECT);
	CHECK(strstr(e.msg, "more than 1 MiB") != NULL);
	CHECK(ms < 3000);
	unload();
	return 0;
}

TEST(exec_env_overrides)
{
	int64_t ms;

	/*
	 * kubectl's rule: the kubeconfig's env wins over the inherited.  sh
	 * keeps the last of two entries, Go and Python the first: look at
	 * the environment as it was given (first entry of each name).
	 */
	put("env", "#!/bin/sh\nv() { tr '\\0' '\\n' < /proc/$$/environ |"
	    " sed -n \"s/^$1=//p\" | head -n 1 | tr -dc a-zA-Z |"
	    " cut -c1-10; }\n"
	    "printf '" CRED("%s-%s-%s") "' \"$(v FOO)\" \"$(v BAR)\""
	    " \"$(v KUBERNETES_EXEC_INFO)\"\n", 1);
	setenv("FOO", "old", 1);
	setenv("BAR", "kept", 1);
	setenv("KUBERNETES_EXEC_INFO", "stale", 1);
	CHECK(load(KC(EXEC("env", "      env:\n      - {name: FOO, value:"
	    " new}\n")), 5000) == 0);
	CHECK(get(&ms) < 0);
	CHECK(strstr(e.msg, "cannot connect") != NULL);
	CHECK_STR(cfg.token, "new-kept-apiVersion");
	unload();
	unsetenv("FOO");
	unsetenv("BAR");
	unsetenv("KUBERNETES_EXEC_INFO");
	return 0;
}

static void
on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

TEST(exec_stopped)
{
	struct sigaction sa;
	struct itimerval it;
	int64_t ms;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;        /* no SA_RESTART, as hookctl */
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof it);
	it.it_value.tv_usec = 300000;
	stop_flag = 0;
	put("slow", "#!/bin/sh\nsleep 1000 &\necho $! > \"$0.pid\"\nwait\n", 1);
	CHECK(load(KC(EXEC("slow", "")), 10000) == 0);
	cl.stop = &stop_flag;
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK(get(&ms) < 0);
	CHECK(e.cat == K8S_ESTOPPED);
	CHECK(e.cat == K8S_ESTOPPED);
	CHECK(strstr(e.msg, "stopped") != NULL);
	CHECK(ms < 1200);
	CHECK(gone("slow.pid"));
	unload();
	/* A stop asked before the request: nothing is run. */
	CHECK(load(KC("    token: t\n"), 5000) == 0);
	cl.stop = &stop_flag;
	CHECK(get(&ms) < 0);
	CHECK(e.cat == K8S_ESTOPPED);
	unload();
	stop_flag = 0;
	return 0;
}

TEST(exec_token_control_chars)
{
	int64_t ms;

	put("crlf", "#!/bin/sh\necho '" CRED("abc\\r\\nX-Evil: 1") "'\n", 1);
	CHECK(load(KC(EXEC("crlf", "")), 5000) == 0);
	CHECK(get(&ms) < 0);
	CHECK(e.cat == K8S_ECONNECT);
	CHECK(strstr(e.msg, "control character") != NULL);
	CHECK(strstr(e.msg, "abc") == NULL && strstr(e.msg, "Evil") == NULL);
	CHECK(cfg.token == NULL || strstr(cfg.token, "Evil") == NULL);
	unload();
	return 0;
}

TEST(token_control_chars)
{
	int64_t ms;

	/* In the kubeconfig: refused when it is loaded. */
	CHECK(load(KC("    token: \"abc\\r\\nX-Evil: 1\"\n"), 0) < 0);
	CHECK(e.cat == K8S_ECONFIG);
	CHECK(strstr(e.msg, "control character") != NULL);
	CHECK(strstr(e.msg, "abc") == NULL && strstr(e.msg, "Evil") == NULL);
	CHECK(load(KC("    token: \"abc\\edef\"\n"), 0) < 0);
	CHECK(load(KC("    username: \"ad\\nmin\"\n    password: x\n"), 0) < 0);
	CHECK(strstr(e.msg, "control character") != NULL);
	CHECK(load(KC("    username: admin\n    password: \"p\\rw\"\n"), 0)
	    < 0);
	CHECK(strstr(e.msg, "control character") != NULL);
	CHECK(load(KC("    username: admin\n    password: \"pä w\"\n"), 0)
	    == 0);
	unload();
	/* In a token file: refused when it is read, before any request;
	 * the trailing newline is not part of the token. */
	put("tok", "abc\r\nX-Evil: 1\n", 0);
	CHECK(load(KC("    tokenFile: @D/tok\n"), 5000) == 0);
	CHECK(get(&ms) < 0);
	CHECK(e.cat == K8S_ECONFIG);
	CHECK(strstr(e.msg, "/tok holds a control character") != NULL);
	CHECK(strstr(e.msg, "Evil") == NULL);
	unload();
	put("tok", "good-token\n", 0);
	CHECK(load(KC("    tokenFile: @D/tok\n"), 5000) == 0);
	CHECK(get(&ms) < 0);
	CHECK(strstr(e.msg, "cannot connect") != NULL);
	CHECK_STR(cfg.token, "good-token");
	unload();
	return 0;
}

TEST(header_values)
{
	CHECK(load(KC("    token: t\n"), 5000) == 0);
	/* Refused before any connection is tried. */
	CHECK(k8s_request(&cl, "PATCH", "/api/v1/x", "application/json\r\n"
	    "X-Evil: 1", "{}", 2, NULL, &e) < 0);
	CHECK(e.cat == K8S_ECONFIG);
	CHECK(strstr(e.msg, "control character") != NULL);
	CHECK(k8s_request(&cl, "GET", "/api HTTP/1.1\r\nX-Evil: 1", NULL,
	    NULL, 0, NULL, &e) < 0);
	CHECK(e.cat == K8S_ECONFIG);
	CHECK(k8s_request(&cl, "GET", "/api x", NULL, NULL, 0, NULL, &e) < 0);
	CHECK(e.cat == K8S_ECONFIG);
	CHECK(k8s_request(&cl, "GET\r\n", "/api", NULL, NULL, 0, NULL, &e)
	    < 0);
	CHECK(e.cat == K8S_ECONFIG);
	/* A good one gets as far as the (closed) port. */
	CHECK(k8s_request(&cl, "GET", "/api", NULL, NULL, 0, NULL, &e) < 0);
	CHECK(e.cat == K8S_ECONNECT);
	unload();
	return 0;
}

int
main(void)
{
	char cmd[700];

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(exec_hangs);
	RUN(exec_child_keeps_stdout);
	RUN(exec_no_deadline_bound);
	RUN(exec_output_bound);
	RUN(exec_env_overrides);
	RUN(exec_stopped);
	RUN(exec_token_control_chars);
	RUN(token_control_chars);
	RUN(header_values);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
