#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build guest kernels and the vfio selftests from the patched tree, pack
# them into a busybox initramfs and boot the guests under QEMU TCG:
#  x86:  q35 with an emulated VT-d, QEMU's edu device and an ivshmem-plain
#        device whose memory is a file the host can read;
#  s390: s390-ccw-virtio with a virtio-rng-pci function, a zPCI function
#        behind the s390 IOMMU (no DMA engine, no BAR mmap, no SIE), booting
#        the kernel of the s390 KUnit run (lib.sh, s390_kunit_build).
#
#   guest.sh check        every guest configuration (stage guest)
#   guest.sh run          run guest/vfio_demo.c and print its report (make run)
#   guest.sh bench        guest/vfio_bench.c on the base and the patched kernel
#
# Configurations (the names harness/expected-runs uses): x86 (kernel from
# configs/x86-guest.config), x86-unsafe and x86-debug (that fragment plus
# configs/x86-guest-<variant>.config and its "# cmdline:" line), s390
# (configs/s390-guest.config added to the s390 KUnit kernel's). GUEST_CONFIGS="x86 x86-debug" picks some,
# for the edit loop.
#
# The s390 configuration comes first: its kernel is the one the kunit lane
# shares (built under a lock), and the guest lane, which runs at normal
# priority, builds it sooner than the niced kunit lane would.
#
# A guest runs under TCG on one core while the next kernel builds: each
# configuration's boot goes to the background, at most one at a time, and
# the script waits for it before the next boot. QEMU runs in a process
# group of its own (timeout's); it is killed when this script is stopped.
. "$(dirname "$0")/lib.sh"
no_second_cpp

MODE=${1:-check}
CONFIGS_ALL=(s390 x86 x86-unsafe x86-debug)
read -ra GUEST_LIST <<<"${GUEST_CONFIGS:-${CONFIGS_ALL[*]}}"
IVSHMEM_SIZE=${IVSHMEM_SIZE:-4M}
GUEST_MEM=${GUEST_MEM:-1G}
# STRESS_SEED=N / STRESS_SEQUENCES=N: another seed or length for
# vfio_stress_test (a failure prints the seed that reproduces it).
STRESS_ARGS="${STRESS_SEED:+patchq.stress_seed=$STRESS_SEED} ${STRESS_SEQUENCES:+patchq.stress_sequences=$STRESS_SEQUENCES}"

# set_target <configuration>: the kernel is configs/<arch>-guest.config
# alone, or with configs/<arch>-guest-<variant>.config and its "# cmdline:"
# line added.
set_target() {
	CONFIG=$1
	GARCH=${1%%-*}
	VARIANT=${1#"$GARCH"}
	VARIANT=${VARIANT#-}
	KOUT=$OUT/$GARCH-guest${VARIANT:+-$VARIANT}
	RUN=$BUILD/run-$CONFIG${DEV:+-dev}
	STOUT=$OUT/selftests-$GARCH
	CPIO=$OUT/initramfs-$GARCH.cpio
	FRAGS=("$CONFIGS/$GARCH-guest.config")
	EXTRA_CMDLINE=
	if [ -n "$VARIANT" ]; then
		FRAGS+=("$CONFIGS/$GARCH-guest-$VARIANT.config")
		EXTRA_CMDLINE=$(sed -n 's/^# cmdline: //p' "$CONFIGS/$GARCH-guest-$VARIANT.config")
	fi
	# The functions QEMU gives the guest, which its init checks.
	case $GARCH in
	x86) EXPECT=edu,ivshmem ;;
	s390)
		EXPECT=virtio-rng
		# One s390 kernel for KUnit and the guest (lib.sh).
		KOUT=$S390_KUNIT_OUT
		;;
	esac
}

build_kernel() {
	local blog=$LOGS/$GARCH-guest${VARIANT:+-$VARIANT}${BASE_KERNEL:+-base}-build.log
	if [ "$GARCH" = s390 ]; then
		log "building the s390 KUnit kernel the guest boots ($KOUT)"
		s390_kunit_build "$blog" "$OUT/s390-guest/bzImage" || { tail -30 "$blog" >&2; return 1; }
		return
	fi
	log "configuring the guest kernel ($KOUT)"
	# A variant starts from a copy of its base configuration's build, so
	# that only what its fragment changes is compiled again.
	local seed=$OUT/$GARCH-guest
	if [ -n "$VARIANT" ] && [ ! -e "$KOUT/vmlinux" ] && [ -e "$seed/vmlinux" ] &&
		[ -z "${BASE_KERNEL:-}" ]; then
		log "seeding $KOUT from $seed"
		rm -rf "$KOUT" && cp -a "$seed" "$KOUT"
	fi
	local missing
	missing=$(merge_config "$GARCH" "$KOUT" allnoconfig "${FRAGS[@]}" \
		"$KSRC/tools/testing/selftests/vfio/config") || return 1
	if [ -n "$missing" ]; then
		log "guest config is missing options the fragments ask for:"
		echo "$missing" >&2
		# The base kernel of make bench lacks what the series adds.
		[ -n "${BASE_KERNEL:-}" ] || return 1
	fi
	log "building the guest kernel"
	kmake "$GARCH" "$KOUT" bzImage >"$blog" 2>&1 || { tail -30 "$blog" >&2; return 1; }
}

# build_userspace: the vfio selftests through their own "make install"
# (selftests_install), and the harness's guest programs on the same library.
build_userspace() {
	local cc st=$KSRC/tools/testing/selftests/vfio prog slog=$LOGS/selftests-$GARCH.log
	cc=$(user_cc "$GARCH")
	log "building and installing the vfio selftests ($GARCH)"
	selftests_install "$GARCH" "$KSRC" "$STOUT" "$slog" vfio ||
		{ tail -30 "$slog" >&2; return 1; }
	mkdir -p "$STOUT/tests"
	for prog in vfio_demo vfio_bench; do
		$cc -O2 -Wall -Werror -static -I"$st/lib/include" -I"$st" \
			-isystem "$STOUT/hdr/usr/include" -o "$STOUT/tests/$prog" \
			"$GUEST/$prog.c" "$st"/lib/*.c >>"$slog" 2>&1 ||
			{ tail -20 "$slog" >&2; return 1; }
	done
}

make_initramfs() {
	local root bb=/bin/busybox
	[ "$GARCH" = s390 ] && bb=$S390_BUSYBOX
	[ -x "$bb" ] || { log "no busybox for $GARCH at $bb (harness/deps.sh fetches it)"; return 1; }
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp}
	cp "$bb" "$root/bin/busybox"
	cp "$GUEST/init" "$root/init"
	cp -a "$STOUT/install" "$root/kselftest"
	cp -a "$STOUT/tests" "$root/tests"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$CPIO"
	rm -rf "$root"
}

# qemu_timeout: what the guest may take: every program's kselftest timeout
# (tools/testing/selftests/vfio/settings, or the runner's default of 45 s)
# plus 5 minutes for booting, the kernel log and kmemleak. A hung program
# is stopped by the runner first; this only fires when the guest hangs.
qemu_timeout() {
	local per n
	per=$(sed -n 's/^timeout=//p' "$STOUT/install/vfio/settings" 2>/dev/null)
	n=$(wc -l <"$STOUT/install/kselftest-list.txt" 2>/dev/null || echo 10)
	echo $(( ${per:-45} * n + 300 ))
}

QEMU_PID=
kill_qemu() {
	[ -n "$QEMU_PID" ] || return 0
	kill -TERM -- "-$QEMU_PID" 2>/dev/null || kill -TERM "$QEMU_PID" 2>/dev/null
	wait "$QEMU_PID" 2>/dev/null
	QEMU_PID=
}
trap kill_qemu EXIT
trap 'kill_qemu; exit 130' INT TERM HUP

# boot_start <mode>: start the guest of the current target in the background.
boot_start() {
	local mode=$1 timeout
	rm -rf "$RUN"
	mkdir -p "$RUN"
	timeout=${QEMU_TIMEOUT:-$(qemu_timeout)}
	# log_buf_len: the whole kernel log must fit in what dmesg returns.
	# no_timer_check: the IO-APIC timer check counts ticks over a delay
	# loop, which a TCG guest on a loaded host can miss (a panic "timer
	# doesn't work through Interrupt-remapped IO-APIC"); KVM guests skip
	# it the same way. A timer that really does not work hangs the guest,
	# which the timeout below fails.
	case $GARCH in
	x86) CMDLINE="console=ttyS0 intel_iommu=on no_timer_check" ;;
	# The s390 kernel is KUnit's too: its suites run in the kunit stage.
	s390) CMDLINE="console=ttysclp0 patchq.out=hvc0 kunit.enable=0" ;;
	esac
	# The module parameters the configuration's "# cmdline:" line sets:
	# the guest checks that its kernel has each, with that value (a
	# kernel ignores a dotted parameter it does not know).
	local params
	params=$(printf '%s\n' $EXTRA_CMDLINE | grep -v '^patchq\.' | grep '^[a-z0-9_]*\.[a-z0-9_]*=' |
		paste -sd, -)
	CMDLINE="$CMDLINE loglevel=7 log_buf_len=16M panic=-1 patchq.mode=$mode patchq.expect=$EXPECT${params:+ patchq.params=$params} $EXTRA_CMDLINE ${BOOT_ARGS:-}"
	echo "$CMDLINE" >"$RUN/cmdline"
	# A kernel built with kmemleak must report a scan, whatever the
	# command line says.
	grep -qx 'CONFIG_DEBUG_KMEMLEAK=y' "$KOUT/.config" 2>/dev/null && : >"$RUN/kmemleak-built"
	log "booting the $CONFIG guest (TCG, mode=$mode, at most $timeout s)"
	BOOT_T0=$SECONDS
	case $GARCH in
	x86) boot_x86 "$mode" "$timeout" & ;;
	s390) boot_s390 "$mode" "$timeout" & ;;
	esac
	QEMU_PID=$!
	BOOT_RUN=$RUN
	BOOT_CONFIG=$CONFIG
}

# boot_wait: wait for the guest boot_start started; its exit status goes
# to <run>/qemu.rc.
boot_wait() {
	[ -n "$QEMU_PID" ] || return 0
	wait "$QEMU_PID"
	local rc=$?
	QEMU_PID=
	echo "$rc" >"$BOOT_RUN/qemu.rc"
	log "$BOOT_CONFIG guest exited with $rc after $((SECONDS - BOOT_T0)) s"
}

boot_s390() {
	exec timeout "$2" qemu-system-s390x \
		-machine s390-ccw-virtio -accel tcg -cpu qemu -smp 1 -m "$GUEST_MEM" \
		-nodefaults -no-reboot -display none -monitor none \
		-chardev file,id=con,path="$RUN/console.log" \
		-device sclpconsole,chardev=con \
		-device virtio-serial-ccw \
		-chardev file,id=tap,path="$RUN/tap.log" \
		-device virtconsole,chardev=tap \
		-device virtio-rng-pci \
		-kernel "$OUT/s390-guest/bzImage" -initrd "$CPIO" \
		-append "$CMDLINE" \
		>"$RUN/qemu.log" 2>&1
}

boot_x86() {
	truncate -s "$IVSHMEM_SIZE" "$RUN/ivshmem.mem"
	exec timeout "$2" qemu-system-x86_64 \
		-machine q35 -accel tcg -cpu max -smp 1 -m "$GUEST_MEM" \
		-nodefaults -no-reboot -display none -monitor none \
		-device intel-iommu,intremap=on \
		-device edu \
		-object memory-backend-file,id=ivshmem,share=on,mem-path="$RUN/ivshmem.mem",size="$IVSHMEM_SIZE" \
		-device pcie-root-port,id=rp0,chassis=1,x-speed=2_5,x-width=1 \
		-device ivshmem-plain,memdev=ivshmem,bus=rp0 \
		-kernel "$KOUT/arch/x86/boot/bzImage" -initrd "$CPIO" \
		-append "$CMDLINE" \
		-serial file:"$RUN/console.log" -serial file:"$RUN/tap.log" \
		>"$RUN/qemu.log" 2>&1
}

# results <configuration> <run dir>: the rows of a finished guest run.
results() {
	local config=$1 run=$2 rows=$RESULTS/guest.rows.$1
	for f in console.log tap.log; do cp "$run/$f" "$LOGS/guest-$config-$f" 2>/dev/null; done
	python3 "$HARNESS/guest_results.py" --tap "$run/tap.log" --config "$config" \
		--console "$run/console.log" --qemu-rc "$(cat "$run/qemu.rc" 2>/dev/null)" \
		--manifest "$HARNESS/expected-runs" --allow "$GUEST/kernel-log.allow" \
		$([ -e "$run/kmemleak-built" ] && echo --kmemleak) \
		--figures "$RESULTS/guest.figures" >"$rows" 2>"$LOGS/guest-$config-results.err"
	local rc=$?
	cat "$rows" >>"$RESULTS/guest.tsv"
	if [ $rc != 0 ] && ! grep -q '^fail' "$rows"; then
		record guest fail "$config: results" "guest_results.py exited $rc, see $LOGS/guest-$config-results.err"
	fi
	grep '^fail' "$rows" | cut -f2,3 | head -20 | sed 's/^/  FAIL /' >&2
	log "$config: $(grep -c '	test$' "$rows") test case(s), $(grep -c '^fail' "$rows") failure(s)"
	rm -f "$rows"
}

# The userspace of each architecture, built once for all its configurations.
declare -A userspace_ok
userspace() {
	[ -n "${userspace_ok[$GARCH]:-}" ] && return "${userspace_ok[$GARCH]}"
	if build_userspace && make_initramfs; then
		userspace_ok[$GARCH]=0
	else
		userspace_ok[$GARCH]=1
	fi
	return "${userspace_ok[$GARCH]}"
}

case $MODE in
check)
	stage_begin guest
	need_tree_applied
	for config in "${GUEST_LIST[@]}"; do
		set_target "$config"
		if ! userspace; then
			record guest fail "$config: build" "the vfio selftests or the initramfs did not build, see $LOGS/selftests-$GARCH.log"
			continue
		fi
		if ! build_kernel; then
			record guest fail "$config: build" "the guest kernel did not build"
			continue
		fi
		record guest pass "$config: build" "kernel (${FRAGS[*]##*/}), vfio selftests, initramfs"
		# One guest at a time: the previous one finishes first.
		if [ -n "$QEMU_PID" ]; then
			prev=$BOOT_CONFIG prev_run=$BOOT_RUN
			boot_wait
			results "$prev" "$prev_run"
		fi
		BOOT_ARGS=$STRESS_ARGS boot_start test
	done
	if [ -n "$QEMU_PID" ]; then
		prev=$BOOT_CONFIG prev_run=$BOOT_RUN
		boot_wait
		results "$prev" "$prev_run"
	fi
	python3 "$HARNESS/summary.py" --stage guest --brief | tail -n 12
	! grep -q '^fail' "$RESULTS/guest.tsv"
	;;
bench)
	# The same guest, once with the base kernel and once with the patched
	# one, both from configs/x86-guest.config and x86-guest-bench.config
	# (no lockdep; the function profiler and intel-iommu's debugfs, which
	# guest/vfio_bench.c reads), booted one after the other.
	STAGE=bench
	need_tree_applied
	set_target x86-bench
	IVSHMEM_SIZE=${BENCH_BAR:-1G}
	BOOT_ARGS="patchq.rounds=${BENCH_ROUNDS:-7}"
	userspace && build_kernel || die "build failed"
	patched=$KOUT
	base_tree=$BUILD/bench-base
	if [ ! -d "$base_tree" ]; then
		git -C "$KSRC" worktree prune
		git -C "$KSRC" worktree add -q --detach "$base_tree" "$BASE_TAG" ||
			die "cannot create $base_tree"
	fi
	KOUT=$OUT/x86-guest-bench-base
	KDIR=$base_tree BASE_KERNEL=1 build_kernel || die "base kernel build failed"
	base=$KOUT
	for k in base patched; do
		KOUT=${!k}
		RUN=$BUILD/run-bench-$k
		boot_start bench
		boot_wait
		grep '^bench: ' "$RUN/tap.log" | tr -d '\r' >"$BUILD/bench-$k.txt"
		grep -q 'bench: error' "$BUILD/bench-$k.txt" && die "$k: $(grep 'bench: error' "$BUILD/bench-$k.txt")"
		for b in pfnmap shadow; do
			grep -q "^# patchq-exit: vfio_bench $b 0" <(tr -d '\r' <"$RUN/tap.log") ||
				die "$k: vfio_bench $b did not finish with 0 (QEMU exited $(cat "$RUN/qemu.rc"), see $RUN/tap.log)"
		done
	done
	# What was measured: the commit (and whether the work tree differed),
	# the series (BASE and every patch: harness/lib.sh series_hash), the
	# base kernel.
	rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no git")
	[ -n "$(git -C "$ROOT" status --porcelain -- patches harness guest configs BASE 2>/dev/null)" ] &&
		rev="$rev with uncommitted changes"
	python3 "$HARNESS/bench_report.py" --date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
		--source "commit $rev, series sha256 $(series_hash | cut -c1-16), base $(. "$ROOT/BASE"; echo "$PACKAGE $VERSION")" \
		"$BUILD/bench-base.txt" "$BUILD/bench-patched.txt" | tee "$RESULTS/bench.txt"
	;;
run)
	STAGE=run
	need_tree_applied
	set_target x86
	userspace && build_kernel || die "build failed"
	boot_start demo
	boot_wait
	python3 "$HARNESS/demo_report.py" --tap "$RUN/tap.log" \
		--console "$RUN/console.log" --ivshmem "$RUN/ivshmem.mem"
	;;
*) die "usage: $0 check|run|bench" ;;
esac
