/*
 * fuzz_kubeconfig: the kubeconfig loader (YAML, merge, cluster and user
 * fields, *-data base64 and PEM).  Paths in the input may name real files;
 * stdin is /dev/null and SSL_CERT_FILE a small bundle so that nothing
 * blocks or takes long.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_min.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static int init;
	k8s_config cfg;
	k8s_err e;
	k8s_opts o = { 0 };

	if (!init) {
		init = 1;
		if (freopen("/dev/null", "r", stdin) == NULL)
			return 0;
		setenv("SSL_CERT_FILE", "tests/k8s/pki/ec.crt", 1);
		unsetenv("HTTPS_PROXY");
		unsetenv("https_proxy");
	}
	if (size > 0 && (data[0] & 1))
		o.namespace = "fuzz";
	if (k8s_config_parse(&cfg, (const char *)data, size, "/nonexistent",
	    &o, &e) == 0) {
		if (cfg.namespace[0] == '\0')
			__builtin_trap();
		k8s_config_free(&cfg);
	} else if (e.msg[0] == '\0' || e.cat != K8S_ECONFIG) {
		__builtin_trap(); /* every refusal says why */
	}
	return 0;
}
