# hookctl: see README.md.  POSIX make; GNU make works too.
.POSIX:
.SUFFIXES:

VERSION = 0.1.0
PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
DEPS = .deps

# The static binary: musl, BearSSL and cJSON built from Debian source (make deps).
MUSLCC = musl-gcc
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-unused-parameter
WERROR =
CFLAGS = -std=c11 -Os $(WARN) $(WERROR)
# yaml_min.c, which every command runs first over every input, for speed:
# its throughput budget (2x libyaml, make bench) needs -O2, for 8 KB.
FASTCFLAGS = -std=c11 -O2 $(WARN) $(WERROR)
# No unwind tables, no build id, no page-aligned code
# segment: together about 20 KB of a 300 KB budget.
STATIC_FLAGS = -D_DEFAULT_SOURCE -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-I$(DEPS)/include
STATIC_LDFLAGS = -static -s -Wl,--gc-sections -Wl,--build-id=none \
	-Wl,-z,noseparate-code -Wl,-z,norelro

# The sanitizer build: clang, glibc, Debian's shared libbearssl and libcjson.
ASANCC = clang
ASAN_FLAGS = -std=c11 -g -O1 -D_DEFAULT_SOURCE -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all $(WARN) $(WERROR) \
	-I/usr/include/cjson
ASAN_LIBS = -lbearssl -lcjson -lm

SRC = hookctl.c yaml_min.c plan.c k8s_min.c http_min.c exec.c json_min.c gz_min.c
SMALLSRC = hookctl.c plan.c k8s_min.c http_min.c exec.c json_min.c gz_min.c
LIBSRC = yaml_min.c plan.c k8s_min.c http_min.c exec.c json_min.c gz_min.c
HDR = hookctl.h yaml_min.h plan.h k8s_min.h http_min.h exec.h json_min.h gz_min.h

all: hookctl

hookctl: $(SRC) $(HDR) $(DEPS)/stamp Makefile build/yaml_min.o
	$(MUSLCC) $(CFLAGS) $(STATIC_FLAGS) -DHOOKCTL_VERSION=\"$(VERSION)\" \
		-DHOOKCTL_COMMIT=\"`git rev-parse --short HEAD 2>/dev/null || echo unknown`\" \
		-DHOOKCTL_DEPS="\"`cat $(DEPS)/stamp`\"" -DHOOKCTL_LINK=\"static\ musl\" \
		$(STATIC_LDFLAGS) -o $@ $(SMALLSRC) build/yaml_min.o \
		-L$(DEPS)/lib -lbearssl -lcjson
	@echo "hookctl: `wc -c < hookctl` bytes, stripped, `file -b hookctl | cut -d, -f1,4`"

build/yaml_min.o: yaml_min.c yaml_min.h $(DEPS)/stamp Makefile
	mkdir -p build
	$(MUSLCC) $(FASTCFLAGS) $(STATIC_FLAGS) -c -o $@ yaml_min.c

$(DEPS)/stamp:
	sh scripts/deps.sh build

deps:
	sh scripts/deps.sh test

asan: build/asan/hookctl build/asan/libhk.a

build/asan/hookctl: $(SRC) $(HDR) Makefile
	mkdir -p build/asan
	$(ASANCC) $(ASAN_FLAGS) -DHOOKCTL_VERSION=\"$(VERSION)\" -DHOOKCTL_COMMIT=\"asan\" \
		-DHOOKCTL_DEPS=\"debian-shared\" -DHOOKCTL_LINK=\"glibc\ asan+ubsan\" \
		-o $@ $(SRC) $(ASAN_LIBS)

build/asan/libhk.a: $(LIBSRC) $(HDR) Makefile
	mkdir -p build/asan/obj
	for f in $(LIBSRC); do \
		$(ASANCC) $(ASAN_FLAGS) -c $$f -o build/asan/obj/$${f%.c}.o || exit 1; \
	done
	rm -f $@ && ar rcs $@ build/asan/obj/*.o

check: deps hookctl asan cluster-build
	sh tests/run.sh

# The unit tests and the offline suites, without the control plane (well
# under a minute once built).
test-offline: hookctl asan
	HOOKCTL_NO_CLUSTER=1 sh tests/run.sh

test: check

bench: deps hookctl
	sh bench/run.sh

fuzz: deps
	sh fuzz/run.sh

demo: deps hookctl
	sh examples/demo.sh

install: hookctl
	mkdir -p $(DESTDIR)$(BINDIR)
	cp hookctl $(DESTDIR)$(BINDIR)/hookctl
	chmod 755 $(DESTDIR)$(BINDIR)/hookctl

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hookctl

clean:
	rm -rf hookctl build

.PHONY: all deps asan check test test-offline bench fuzz demo install uninstall clean

# The local control plane for the cluster tests (tests/cluster/, docs/cluster.md).
cluster-build:
	sh tests/cluster/setup.sh > /dev/null

cluster-up: cluster-build
	sh tests/cluster/up.sh

cluster-down:
	sh tests/cluster/down.sh

.PHONY: cluster-build cluster-up cluster-down
