# SPDX-License-Identifier: MIT
# ratesim — one plain GNU Makefile. Objects, the library, test binaries and
# the program all go under build/; header dependencies come from -MMD -MP.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
# -ffp-contract=off: a multiply and an add stay two roundings, on every
# compiler and CPU (sim/fmath.c: the same bits on every machine).
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -ffp-contract=off -pthread \
           -Wall -Wextra -Werror -MMD -MP -I.
LDLIBS  += -lsqlite3 -linih -lxxhash -lcsv -lnettle -lm -pthread

# SAN=1 builds everything with AddressSanitizer and UBSan into build/san/,
# so a sanitized tree and a plain one live side by side.
B := build
ifeq ($(SAN),1)
B := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
CFLAGS  += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
# build/san/ratesim would look for its gnuplot templates in build/plots/.
export RATESIM_PLOTS ?= $(CURDIR)/plots
endif
LIB_SRC := $(wildcard sim/*.c sim/io/*.c algos/*.c)
CLI_SRC := $(wildcard sim/cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TEST_OBJ := $(B)/tests/harness.o
# fuzz/fuzz_<reader>.c: one libFuzzer harness per reader of outside input.
FUZZ_NAMES := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(B)/fuzz/replay_%)

all: $(B)/ratesim

deps:
	@sh scripts/install-deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libratesim.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/ratesim: $(CLI_OBJ) $(B)/libratesim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Every test binary links the shared harness (tests/harness.c), which is
# not a test itself.
$(TEST_BIN): $(B)/tests/%: $(B)/tests/%.o $(TEST_OBJ) $(B)/libratesim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The fuzz harnesses without libFuzzer: fuzz/replay.c runs one on stored
# inputs, so any compiler can replay the seeds and the regression inputs.
$(FUZZ_REPLAY): $(B)/fuzz/replay_%: $(B)/fuzz/fuzz_%.o $(B)/fuzz/fuzz.o \
		$(B)/fuzz/replay.o $(B)/libratesim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests first (one binary per file, stop at the first failure), then
# every fuzz harness on its seeds and on the inputs that once broke it, then
# the command-line tests that run the built program on real files.
test: deps
	@$(MAKE) --no-print-directory $(B)/ratesim $(TEST_BIN) $(FUZZ_REPLAY)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done
	@set -e; for n in $(FUZZ_NAMES); do \
	  $(B)/fuzz/replay_$$n fuzz/corpus/$$n $$(ls -d fuzz/regress/$$n 2>/dev/null); \
	done
	@$(B)/ratesim check
	@set -e; for t in tests/cli_*.py; do python3 $$t $(B)/ratesim; done

# The stored regression cases (results/*/case.ini): each is re-run and its
# schedule compared with its expected.csv.
check: deps
	@$(MAKE) --no-print-directory $(B)/ratesim
	@$(B)/ratesim check

bench: deps $(B)/ratesim
	@python3 scripts/bench.py $(B)/ratesim

demo: deps $(B)/ratesim
	@sh scripts/demo.sh $(B)/ratesim

# ---------------------------------------------------------------- fuzzing
# make fuzz: each harness under libFuzzer (clang) for FUZZ_SECONDS, starting
# from fuzz/corpus/<reader>/ (seeds from the shipped files) and
# fuzz/regress/<reader>/; what it learns goes to build/libfuzzer/corpus/,
# a crashing input to build/libfuzzer/crashes/ (fix the bug, then keep the
# input in fuzz/regress/<reader>/ so that make test replays it).
# FUZZ=workload,units picks harnesses; make -j2 fuzz runs two at once.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ ?= $(FUZZ_NAMES)
# The harnesses hand the readers files: a RAM disk makes that 2x faster.
FUZZ_TMPDIR ?= $(if $(wildcard /dev/shm/.),/dev/shm,/tmp)
FZ := build/libfuzzer
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g -std=c11 -D_POSIX_C_SOURCE=200809L -ffp-contract=off \
               -Wall -Wextra \
               -Werror -MMD -MP -I. $(FUZZ_SAN)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FZ)/%.o) $(FZ)/fuzz/fuzz.o
comma := ,

$(FZ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FZ)/fuzz_%: $(FZ)/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-deps:
	@sh scripts/install-deps.sh fuzz

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory $(patsubst %,fuzz-%,$(subst $(comma), ,$(FUZZ)))

fuzz-%: $(FZ)/fuzz_%
	@mkdir -p $(FZ)/corpus/$* $(FZ)/crashes
	@echo "== fuzz $* for $(FUZZ_SECONDS) s"
	@TMPDIR=$(FUZZ_TMPDIR) $(FZ)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	  -rss_limit_mb=2048 -print_final_stats=1 \
	  $(if $(wildcard fuzz/$*.dict),-dict=fuzz/$*.dict) \
	  -artifact_prefix=$(FZ)/crashes/$*- $(FZ)/corpus/$* fuzz/corpus/$* \
	  $(wildcard fuzz/regress/$*) 2>$(FZ)/$*.log || \
	  { tail -n 60 $(FZ)/$*.log; echo "fuzz $*: FAILED (log $(FZ)/$*.log)"; exit 1; }
	@grep -E '^(stat::|Done|#[0-9]+.*DONE)' $(FZ)/$*.log | sed 's/^/  $*: /'

# ---------------------------------------------------------------- memcheck
# make memcheck: command-line tests with every ratesim they start run under
# valgrind's memcheck (through a wrapper script); an invalid access, a use
# of uninitialised memory or a definite leak fails it, with valgrind's
# report. MEMCHECK_TESTS picks the test files. A run whose stderr is a
# terminal runs bare: the progress test waits for output valgrind's pace
# would not give it in time.
MEMCHECK_TESTS ?= tests/cli_test.py tests/cli_tools_test.py \
                  tests/cli_hardening_test.py tests/cli_batch_test.py
MC := $(B)/memcheck

memcheck-deps:
	@sh scripts/install-deps.sh memcheck

memcheck: deps memcheck-deps
	@$(MAKE) --no-print-directory $(B)/ratesim
	@rm -rf $(MC) && mkdir -p $(MC) && chmod 777 $(MC)
	@printf '#!/bin/sh\n[ -t 2 ] && exec %s "$$@"\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --log-file=%s/vg.%%p.log %s "$$@"\n' \
	  "$(abspath $(B))/ratesim" "$(abspath $(MC))" "$(abspath $(B))/ratesim" \
	  > $(MC)/ratesim
	@chmod 755 $(MC)/ratesim
	@set -e; for t in $(MEMCHECK_TESTS); do python3 $$t $(MC)/ratesim; done
	@bad=$$(find $(MC) -name 'vg.*.log' -size +0 | head -n 5); \
	if [ -n "$$bad" ]; then head -n 40 $$bad; \
	  echo "memcheck: valgrind found errors (logs in $(MC))"; exit 1; fi
	@echo "memcheck: $$(ls $(MC) | grep -c '^vg') runs under valgrind, clean"

# The program, and the gnuplot templates where it looks for them when
# installed: share/ratesim/plots/ beside its bin/ (sim/cli/plot.c).
install: $(B)/ratesim
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ratesim/plots
	install -m 755 $(B)/ratesim $(DESTDIR)$(PREFIX)/bin/ratesim
	install -m 644 plots/*.gp $(DESTDIR)$(PREFIX)/share/ratesim/plots/

clean:
	rm -rf $(B)

.PHONY: all deps test check bench demo install clean fuzz fuzz-deps \
        memcheck memcheck-deps
.SECONDARY: $(LIB_OBJ) $(TEST_OBJ) $(TEST_BIN:%=%.o) \
            $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%.o) $(B)/fuzz/fuzz.o \
            $(B)/fuzz/replay.o $(FUZZ_NAMES:%=$(FZ)/fuzz/fuzz_%.o) \
            $(FUZZ_LIB_OBJ) $(FUZZ_NAMES:%=$(FZ)/fuzz_%)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
