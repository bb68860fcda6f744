#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build a guest kernel and the vfio selftests from the patched tree, pack
# them into a busybox initramfs and boot the guest under QEMU TCG:
#  x86:  q35 with an emulated VT-d, QEMU's edu device and an ivshmem-plain
#        device whose memory is a file the host can read;
#  s390: s390-ccw-virtio with a virtio-rng-pci function, a zPCI function
#        behind the s390 IOMMU (no DMA engine, no BAR mmap, no KVM).
#
#   guest.sh check        run the selftests on x86 (stage guest-x86)
#   guest.sh check-s390   run the selftests on s390x (stage guest-s390)
#   guest.sh run          run guest/vfio_demo.c and print its report (make run)
#   guest.sh bench        guest/vfio_bench.c on the base and the patched kernel
. "$(dirname "$0")/lib.sh"

MODE=${1:-check}

# set_target <arch> [variant]: the kernel is configs/<arch>-guest.config
# alone, or with configs/<arch>-guest-<variant>.config and its "# cmdline:"
# line added.
set_target() {
	GARCH=$1
	VARIANT=${2:-}
	KOUT=$OUT/$GARCH-guest${VARIANT:+-$VARIANT}
	RUN=$BUILD/run-$GARCH${VARIANT:+-$VARIANT}${DEV:+-dev}
	STOUT=$OUT/selftests-$GARCH
	HDR=$OUT/hdr-$GARCH
	FRAGS=("$CONFIGS/$GARCH-guest.config")
	EXTRA_CMDLINE=
	if [ -n "$VARIANT" ]; then
		FRAGS+=("$CONFIGS/$GARCH-guest-$VARIANT.config")
		EXTRA_CMDLINE=$(sed -n 's/^# cmdline: //p' "$CONFIGS/$GARCH-guest-$VARIANT.config")
	fi
}
set_target x86
X86_VARIANTS=("" unsafe debug)
# GUEST_VARIANTS="default debug" runs only those (for the edit loop).
if [ -n "${GUEST_VARIANTS:-}" ]; then
	read -ra X86_VARIANTS <<<"${GUEST_VARIANTS//default/-}"
	X86_VARIANTS=("${X86_VARIANTS[@]/#-/}")
fi
IVSHMEM_SIZE=${IVSHMEM_SIZE:-4M}
GUEST_MEM=${GUEST_MEM:-1G}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-900}
# STRESS_SEED=N / STRESS_SEQUENCES=N: another seed or length for
# vfio_stress_test (a failure prints the seed that reproduces it).
STRESS_ARGS="${STRESS_SEED:+patchq.stress_seed=$STRESS_SEED} ${STRESS_SEQUENCES:+patchq.stress_sequences=$STRESS_SEQUENCES}"

build_kernel() {
	log "configuring the guest kernel ($KOUT)"
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
	local blog=$LOGS/$GARCH-guest${VARIANT:+-$VARIANT}-build.log
	kmake "$GARCH" "$KOUT" bzImage >"$blog" 2>&1 || { tail -30 "$blog" >&2; return 1; }
}

# build_selftests <arch> <hdr dir> <out dir>: static vfio selftests + demo.
build_selftests() {
	local arch=$1 hdr=$2 out=$3 cc
	cc=$(user_cc "$arch")
	log "installing uapi headers ($arch)"
	local karch=x86_64 cross=
	[ "$arch" = s390 ] && karch=s390 cross=s390x-linux-gnu-
	make -C "$KSRC" O="$hdr" ARCH=$karch CROSS_COMPILE=$cross \
		INSTALL_HDR_PATH="$hdr/usr" headers_install >"$LOGS/hdr-$arch.log" 2>&1 ||
		{ tail -20 "$LOGS/hdr-$arch.log" >&2; return 1; }
	log "building vfio selftests ($arch)"
	rm -rf "$out"
	mkdir -p "$out"
	make -C "$KSRC/tools/testing/selftests/vfio" OUTPUT="$out" CC="$cc" \
		KHDR_INCLUDES="-isystem $hdr/usr/include" LDFLAGS=-static \
		>"$LOGS/selftests-$arch.log" 2>&1 ||
		{ tail -30 "$LOGS/selftests-$arch.log" >&2; return 1; }
	if grep -q 'warning:' "$LOGS/selftests-$arch.log"; then
		grep -A3 'warning:' "$LOGS/selftests-$arch.log" >&2
		log "the selftests build with warnings"
		return 1
	fi
	local st=$KSRC/tools/testing/selftests/vfio
	# The programs the guest runs, in the order lib.mk lists them.
	printf 'include Makefile\nprint-progs:\n\t@for p in $(TEST_GEN_PROGS); do echo $${p##*/}; done\n' |
		make -s -C "$st" OUTPUT="$out" -f - print-progs >"$out/list" || return 1
	# The harness's own guest programs, on the same library.
	local prog
	for prog in vfio_demo vfio_bench; do
		$cc -O2 -Wall -Werror -static -I"$st/lib/include" -I"$st" \
			-isystem "$hdr/usr/include" -o "$out/$prog" \
			"$GUEST/$prog.c" "$st"/lib/*.c >>"$LOGS/selftests-$arch.log" 2>&1 ||
			{ tail -20 "$LOGS/selftests-$arch.log" >&2; return 1; }
	done
}

# make_initramfs <out dir> <cpio>
make_initramfs() {
	local st=$1 cpio=$2 root bb=/bin/busybox
	[ "$GARCH" = s390 ] && bb=$S390_BUSYBOX
	[ -x "$bb" ] || { log "no busybox for $GARCH at $bb (harness/deps.sh fetches it)"; return 1; }
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests}
	cp "$bb" "$root/bin/busybox"
	cp "$GUEST/init" "$root/init"
	cp "$st"/* "$root/tests/"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$cpio"
	rm -rf "$root"
}

boot() {
	local mode=$1
	rm -rf "$RUN"
	mkdir -p "$RUN"
	log "booting the $GARCH guest (TCG, mode=$mode)"
	local t0=$SECONDS
	"boot_$GARCH" "$mode"
	local rc=$?
	echo "$rc" >"$RUN/qemu.rc"
	log "guest exited with $rc after $((SECONDS - t0)) s"
}

boot_s390() {
	timeout "$QEMU_TIMEOUT" qemu-system-s390x \
		-machine s390-ccw-virtio -accel tcg -cpu qemu -smp 1 -m "$GUEST_MEM" \
		-nodefaults -no-reboot -display none -monitor none \
		-chardev file,id=con,path="$RUN/console.log" \
		-device sclpconsole,chardev=con \
		-device virtio-serial-ccw \
		-chardev file,id=tap,path="$RUN/tap.log" \
		-device virtconsole,chardev=tap \
		-device virtio-rng-pci \
		-kernel "$KOUT/arch/s390/boot/bzImage" -initrd "$RUN.cpio" \
		-append "console=ttysclp0 loglevel=7 panic=-1 patchq.mode=$1 patchq.out=hvc0 ${BOOT_ARGS:-}" \
		>"$RUN/qemu.log" 2>&1
}

boot_x86() {
	truncate -s "$IVSHMEM_SIZE" "$RUN/ivshmem.mem"
	timeout "$QEMU_TIMEOUT" qemu-system-x86_64 \
		-machine q35 -accel tcg -cpu max -smp 1 -m "$GUEST_MEM" \
		-nodefaults -no-reboot -display none -monitor none \
		-device intel-iommu,intremap=on \
		-device edu \
		-object memory-backend-file,id=ivshmem,share=on,mem-path="$RUN/ivshmem.mem",size="$IVSHMEM_SIZE" \
		-device pcie-root-port,id=rp0,chassis=1,x-speed=2_5,x-width=1 \
		-device ivshmem-plain,memdev=ivshmem,bus=rp0 \
		-kernel "$KOUT/arch/x86/boot/bzImage" -initrd "$RUN.cpio" \
		-append "console=ttyS0 loglevel=7 intel_iommu=on panic=-1 patchq.mode=$1 $EXTRA_CMDLINE ${BOOT_ARGS:-}" \
		-serial file:"$RUN/console.log" -serial file:"$RUN/tap.log" \
		>"$RUN/qemu.log" 2>&1
}

build_all() {
	need_tree_applied
	build_kernel || return 1
	build_selftests "$GARCH" "$HDR" "$STOUT" || return 1
	make_initramfs "$STOUT" "$RUN.cpio"
}

# check_target <stage> <name>: build, boot, record the selftests' results.
check_target() {
	local stage=$1 name=$2
	if ! build_all; then
		record "$stage" fail "$name: build" "guest kernel or selftests did not build"
		return
	fi
	record "$stage" pass "$name: build" "kernel (${FRAGS[*]##*/}), vfio selftests, initramfs"
	BOOT_ARGS=$STRESS_ARGS boot test
	for f in console.log tap.log; do cp "$RUN/$f" "$LOGS/guest-$name-$f" 2>/dev/null; done
	python3 "$HARNESS/guest_results.py" --tap "$RUN/tap.log" --prefix "$name: " \
		--console "$RUN/console.log" --qemu-rc "$(cat "$RUN/qemu.rc")" \
		--allow "$GUEST/kernel-log.allow" \
		$([[ $EXTRA_CMDLINE == *patchq.kmemleak=1* ]] && echo --kmemleak) \
		--figures "$RESULTS/$stage.figures" >>"$RESULTS/$stage.tsv"
}

case $MODE in
check)
	stage_begin guest-x86
	for v in "${X86_VARIANTS[@]}"; do
		set_target x86 "$v"
		check_target guest-x86 "${v:-default}"
	done
	python3 "$HARNESS/summary.py" --stage guest-x86 --brief | tail -n 12
	;;
check-s390)
	stage_begin guest-s390
	set_target s390
	check_target guest-s390 s390
	python3 "$HARNESS/summary.py" --stage guest-s390 --brief | tail -n 12
	;;
bench)
	# The same guest, once with the base kernel and once with the patched
	# one (built from the same config fragments), each timing MAP_DMA +
	# UNMAP_DMA of a large ivshmem BAR (guest/vfio_bench.c).
	STAGE=bench
	IVSHMEM_SIZE=${BENCH_BAR:-1G}
	BOOT_ARGS="patchq.rounds=${BENCH_ROUNDS:-7}"
	build_all || die "build failed"
	patched=$KOUT
	base_tree=$BUILD/bench-base
	if [ ! -d "$base_tree" ]; then
		git -C "$KSRC" worktree prune
		git -C "$KSRC" worktree add -q --detach "$base_tree" "$BASE_TAG" ||
			die "cannot create $base_tree"
	fi
	KOUT=$OUT/x86-guest-base
	KDIR=$base_tree BASE_KERNEL=1 build_kernel || die "base kernel build failed"
	base=$KOUT
	for k in base patched; do
		KOUT=${!k}
		RUN=$BUILD/run-bench-$k
		mkdir -p "$RUN" && cp "$BUILD/run-x86${DEV:+-dev}.cpio" "$RUN.cpio"
		boot bench
		grep '^bench: ' "$RUN/tap.log" | tr -d '\r' >"$BUILD/bench-$k.txt"
		grep -q 'bench: error' "$BUILD/bench-$k.txt" && die "$k: $(grep 'bench: error' "$BUILD/bench-$k.txt")"
	done
	python3 "$HARNESS/bench_report.py" "$BUILD/bench-base.txt" "$BUILD/bench-patched.txt" |
		tee "$RESULTS/bench.txt"
	;;
run)
	STAGE=run
	build_all || die "build failed"
	boot demo
	python3 "$HARNESS/demo_report.py" --tap "$RUN/tap.log" \
		--console "$RUN/console.log" --ivshmem "$RUN/ivshmem.mem"
	;;
*) die "usage: $0 check|check-s390|run|bench" ;;
esac
