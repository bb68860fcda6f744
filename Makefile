# SPDX-License-Identifier: GPL-2.0
# Entry points of the patch queue. Everything is done by the scripts in
# harness/; generated files live in build/ (git-ignored).
H := harness

.PHONY: all check check-deps check-apply check-harness check-static check-bisect \
	check-kunit check-guest run bench tree export export-check series deps clean \
	help dev-guest dev-run dev-kunit

all: help

help:
	@echo "make run           build the patched x86 kernel, boot the demo guest, print its report"
	@echo "make check         every stage: deps, apply, harness, static, bisect, kunit, guest"
	@echo "make check-<stage> one stage (deps apply harness static bisect kunit guest)"
	@echo "make bench         MAP+UNMAP of a 1 GiB ivshmem BAR: base 6.12 vs patched kernel"
	@echo "make tree          git worktree build/tree: the base + one commit per patch"
	@echo "make export        write build/tree's commits back into patches/"
	@echo "make export-check  fail, naming it, if build/tree holds work not in patches/"
	@echo "make series        LKML-ready series per topic with cover letters (build/series)"
	@echo "make dev-guest     guest tests on build/tree as it is (also dev-run, dev-kunit)"

check:
	$(H)/check.sh

check-deps:
	$(H)/check.sh deps

check-apply check-harness check-static check-bisect check-kunit check-guest:
	$(H)/check.sh deps apply $(patsubst check-%,%,$@)

deps:
	$(H)/deps.sh

run:
	$(H)/deps.sh
	$(H)/base.sh
	$(H)/apply.sh
	$(H)/guest.sh run

bench:
	$(H)/deps.sh
	$(H)/base.sh
	$(H)/apply.sh
	$(H)/guest.sh bench

tree:
	$(H)/queue.sh tree

export:
	$(H)/queue.sh export

export-check:
	$(H)/queue.sh export-check

series:
	$(H)/series.sh

# The working tree as it is, uncommitted edits included: for the edit loop.
dev-guest:
	DEV=1 $(H)/guest.sh check

dev-run:
	DEV=1 $(H)/guest.sh run

dev-kunit:
	DEV=1 $(H)/kunit.sh

clean:
	$(H)/queue.sh export-check
	rm -rf build
