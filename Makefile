# SPDX-License-Identifier: MIT
# ratesim — one plain GNU Makefile. Objects, the library, test binaries and
# the program all go under build/; header dependencies come from -MMD -MP.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -MMD -MP -I.
LDLIBS  += -lsqlite3 -linih -lxxhash -lcsv -lcrypto -lm

# SAN=1 builds everything with AddressSanitizer and UBSan into build/san/,
# so a sanitized tree and a plain one live side by side.
B := build
ifeq ($(SAN),1)
B := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
CFLAGS  += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
endif
LIB_SRC := $(wildcard sim/*.c sim/io/*.c algos/*.c)
CLI_SRC := $(wildcard sim/cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TEST_OBJ := $(B)/tests/harness.o

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

# Unit tests first (one binary per file, stop at the first failure), then the
# command-line tests that run the built program on real files.
test: deps
	@$(MAKE) --no-print-directory $(B)/ratesim $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done
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

install: $(B)/ratesim
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(B)/ratesim $(DESTDIR)$(PREFIX)/bin/ratesim

clean:
	rm -rf $(B)

.PHONY: all deps test check bench demo install clean
.SECONDARY: $(LIB_OBJ) $(TEST_OBJ) $(TEST_BIN:%=%.o)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
