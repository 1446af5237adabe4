# normsim - the one entry point: deps, all, test, run, bench, clean.
CC      ?= gcc
CFLAGS  ?= -O2 -g
# -fopenmp: the loops over tokens (sim/base/threads.h); libgomp is linked by name (-lgomp)
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -fPIC -fopenmp
# includes are rooted at the checkout ("sim/stats/cov.h"); headers tracked by the compiler
CPPFLAGS += -I. -MMD -MP
LDLIBS   = -llapacke -lopenblas -lcjson -lz -lm -ldl -lgomp
PYTHON  ?= /usr/bin/python3

# Debian packages: build (BLAS, LAPACKE, cJSON), plots (gnuplot), tests (PyTorch, NumPy).
DEPS = gcc make libopenblas-dev liblapacke-dev libcjson-dev zlib1g-dev gnuplot-nox python3-torch python3-numpy python3-sklearn fortunes clang libclang-rt-14-dev libopenmpi-dev openmpi-bin libgomp1

# the library: the registry and every subsystem folder of sim/ (sim/<subsystem>/*.c) but
# the command line, which is only in the binary
LIB_SRC  = $(wildcard norms/*.c) $(filter-out sim/cli/% sim/mpi/%,$(wildcard sim/*/*.c))
CLI_SRC  = $(filter-out sim/cli/main_mpi.c,$(wildcard sim/cli/*.c))
UNIT_SRC = $(wildcard tests/unit/test_*.c)

B        = build
LIB      = $(B)/libnormsim.a
# the same objects as a shared library with the C API of sim/api/normsim.h (python/normsim)
SO       = $(B)/libnormsim.so
BIN      = $(B)/normsim
LIB_OBJ  = $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(B)/obj/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
# example norm plugins (docs/plugins.md): examples/<name>.c -> build/examples/<name>.so
EXAMPLES = $(patsubst examples/%.c,$(B)/examples/%.so,$(wildcard examples/*.c))

# the same library and unit tests built with AddressSanitizer + UBSan
SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_OBJ = $(LIB_SRC:%.c=$(B)/asan/obj/%.o)
ASAN_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/asan/tests/%)

# normsim-mpi (docs/mpi.md): the CLI and library with sim/mpi, linked by mpicc; built only
# when mpicc is found, so everything else builds and tests without MPI
MPICC   ?= mpicc
HAVE_MPI := $(shell command -v $(MPICC) >/dev/null 2>&1 && echo yes)
MPI_BIN  = $(B)/normsim-mpi
MPI_OBJ  = $(patsubst %.c,$(B)/mpi/obj/%.o,$(wildcard sim/mpi/*.c) sim/cli/main_mpi.c) $(B)/mpi/obj/main_nomain.o

.PHONY: all deps test run repro bench install clean unit asan fuzz demo
all: $(BIN) $(LIB) $(SO) $(EXAMPLES) $(if $(HAVE_MPI),$(MPI_BIN))

$(B)/mpi/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/mpi/obj/main_nomain.o: sim/cli/main.c
	@mkdir -p $(dir $@)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -DNORMSIM_NO_MAIN -c $< -o $@

$(MPI_BIN): $(MPI_OBJ) $(filter-out $(B)/obj/sim/cli/main.o,$(CLI_OBJ)) $(LIB)
	$(MPICC) $(CFLAGS) $^ -o $@ $(LDLIBS)

deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$(echo $$missing | sed 's/^/ /')"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "make deps: apt-get failed (run as root?)" >&2; exit 1; }; \
	fi

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	ar rcs $@ $^

$(SO): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -Wl,-soname,libnormsim.so $^ -o $@ $(LDLIBS)

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(B)/examples/%.so: examples/%.c norms/norm.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -I norms $< -o $@ -lm

$(B)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@) $(B)/obj/tests
	$(CC) $(CPPFLAGS) -MF $(B)/obj/tests/$*.d $(CFLAGS) $< $(LIB) -o $@ $(LDLIBS)

$(B)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c $< -o $@

$(B)/asan/libnormsim.a: $(ASAN_OBJ)
	ar rcs $@ $^

$(B)/asan/tests/%: tests/unit/%.c $(B)/asan/libnormsim.a
	@mkdir -p $(dir $@) $(B)/asan/obj/tests
	$(CC) $(CPPFLAGS) -MF $(B)/asan/obj/tests/$*.d $(CFLAGS) $(SAN) $< $(B)/asan/libnormsim.a -o $@ $(LDLIBS)

unit: $(UNIT_BIN)
asan: $(ASAN_BIN)

# Every suite: unit, unit again under ASan+UBSan, CLI, PyTorch oracle. Ends with one
# line "N passed, N failed" summing them all; exits non-zero if anything failed.
test: deps
	@$(MAKE) --no-print-directory all unit asan # parsed again: sees what deps installed (mpicc)
	@PYTHON=$(PYTHON) bash tests/run.sh

# The main job: the paper's init-time reproduction over every archetype (paper-repro/).
run: repro

# Reproduce claims C3, C5, C6 at random init: tables, checks and figures in paper-repro/out.
repro: deps all
	@PYTHON=$(PYTHON) bash paper-repro/run.sh

bench: deps all
	@PYTHON=$(PYTHON) bash bench/run.sh

# The classroom walk-through (docs/tutorial.md): pauses between steps on a terminal;
# DEMO_FLAGS passes options, e.g. make demo DEMO_FLAGS='--no-pause --png slides'.
demo: deps all
	@$(BIN) demo $(DEMO_FLAGS)

# libFuzzer targets for the safetensors, index-JSON and .npy parsers and for inspect's norm
# discovery (tests/fuzz), each run FUZZ_TIME seconds from the checked-in seeds; new inputs go
# to $(B)/fuzz/corpus-<t>, a crash to $(B)/fuzz/<t>-crash-* (copy it to
# tests/fuzz/regressions/<t>/: make test replays those). Not part of make test.
FUZZ_CC      = clang
FUZZ_TIME   ?= 60
FUZZ_CFLAGS  = -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -fno-omit-frame-pointer
FUZZ_SAN     = address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS = safetensors index npy normscan gguf hfconfig
FUZZ_OBJ     = $(LIB_SRC:%.c=$(B)/fuzz/obj/%.o)

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) -MF $(B)/fuzz/obj/$*.d $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) $(filter %.c %.o,$^) -o $@ $(LDLIBS)

fuzz: deps $(FUZZ_OBJ) $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(B)/fuzz/corpus-$$t; \
	  echo "fuzz: $$t for $(FUZZ_TIME) s"; \
	  ASAN_OPTIONS=detect_stack_use_after_return=1 $(B)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(B)/fuzz/$$t- -print_final_stats=1 $(B)/fuzz/corpus-$$t tests/fuzz/corpus/$$t \
	    2>$(B)/fuzz/$$t.log || { tail -40 $(B)/fuzz/$$t.log; echo "fuzz: $$t FAILED"; exit 1; }; \
	  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' $(B)/fuzz/$$t.log | sed "s/^/  $$t: /"; \
	done

# build/normsim to $(PREFIX)/bin, the plugin and API headers to $(PREFIX)/include/normsim,
# libnormsim.so to $(PREFIX)/lib, the Python package to $(PYDIR) (Debian's python3 reads
# $(PREFIX)/lib/python3.X/dist-packages for PREFIX=/usr/local), told where the .so is
PREFIX ?= /usr/local
PYDIR  ?= $(PREFIX)/lib/$(shell $(PYTHON) -c 'import sys; print("python%d.%d" % sys.version_info[:2])' 2>/dev/null || echo python3)/dist-packages
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/normsim $(DESTDIR)$(PREFIX)/lib \
	  $(DESTDIR)$(PYDIR)/normsim
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/normsim
	install -m 644 norms/norm.h $(DESTDIR)$(PREFIX)/include/normsim/norm.h
	install -m 644 sim/api/normsim.h $(DESTDIR)$(PREFIX)/include/normsim/normsim.h
	install -m 755 $(SO) $(DESTDIR)$(PREFIX)/lib/libnormsim.so
	install -m 644 python/normsim/*.py $(DESTDIR)$(PYDIR)/normsim/
	printf '# written by make install\nLIBRARY = %s\n' "'$(PREFIX)/lib/libnormsim.so'" \
	  > $(DESTDIR)$(PYDIR)/normsim/_installed.py

clean:
	rm -rf $(B)

# the header dependencies the compiler wrote (-MMD -MP)
-include $(shell find $(B) -name '*.d' 2>/dev/null)
