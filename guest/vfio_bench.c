// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench, in the guest:
 *
 * vfio_bench pfnmap N: VFIO_IOMMU_MAP_DMA + UNMAP_DMA of the whole BAR2 of
 *   QEMU's ivshmem-plain, mmapped through vfio-pci, N rounds after a
 *   warm-up. Runs unchanged on the base kernel (mapped page by page) and on
 *   the patched one (mapped whole). One line per round:
 *	bench: bar_bytes=<n> map_ns=<n> unmap_ns=<n>
 *
 * vfio_bench shadow N: per 4 KiB page, what QEMU's userspace RPCIT emulation
 *   costs today (a type1 MAP_DMA + UNMAP_DMA per page) against a
 *   VFIO_KVM_IOMMU shadow map + unmap per page (through the test command, as
 *   KVM would call it), and a shadow map + unmap of one 2 MiB-aligned run of
 *   transparent-huge-page memory, which the IOMMU maps with large pages. One
 *   line per round:
 *	bench: shadow pages=<n> type1_ns=<n> shadow_ns=<n> loop_ns=<n> run_ns=<n>
 *   (loop_ns: the single-page shadow maps looped inside the kernel, as the
 *   hypervisor makes them, without a syscall each)
 *   On a kernel without VFIO_KVM_IOMMU it prints "bench: shadow unsupported".
 *
 * Built against the patched tree's selftest library, like vfio_demo.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vfio_util.h"
#include "../../../../drivers/vfio/vfio_iommu_kvm.h"

#define IOVA	(1ull << 32)
#define RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static long long ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int bench_pfnmap(int rounds)
{
	struct vfio_pci_device ivshmem;
	struct vfio_container c;
	long long t0, t1, t2;
	uint64_t unmapped;
	size_t bar_size;
	char bdf[16];
	void *bar;
	int i, ret;

	if (vfio_pci_find(IVSHMEM_VENDOR, IVSHMEM_DEVICE, bdf, sizeof(bdf))) {
		printf("bench: error: no ivshmem bound to vfio-pci\n");
		return 1;
	}
	if (vfio_container_init(&c) ||
	    vfio_container_add_device(&c, bdf, VFIO_TYPE1v2_IOMMU, &ivshmem)) {
		printf("bench: error: container setup failed\n");
		return 1;
	}
	bar = vfio_region_mmap(&ivshmem, IVSHMEM_BAR, &bar_size);
	if (!bar) {
		printf("bench: error: cannot mmap BAR2: %s\n", strerror(errno));
		return 1;
	}

	for (i = -1; i < rounds; i++) {
		t0 = ns();
		ret = _vfio_map_dma(c.fd, bar, IOVA, bar_size, RW);
		t1 = ns();
		if (ret) {
			printf("bench: error: MAP_DMA of %zu bytes: %s\n", bar_size,
			       strerror(-ret));
			return 1;
		}
		ret = _vfio_unmap_dma(c.fd, IOVA, bar_size, 0, &unmapped);
		t2 = ns();
		if (ret || unmapped != bar_size) {
			printf("bench: error: UNMAP_DMA: %s, %llu bytes\n",
			       strerror(-ret), (unsigned long long)unmapped);
			return 1;
		}
		if (i >= 0)
			printf("bench: bar_bytes=%zu map_ns=%lld unmap_ns=%lld\n",
			       bar_size, t1 - t0, t2 - t1);
		fflush(stdout);
	}
	munmap(bar, bar_size);
	vfio_container_cleanup(&c);
	vfio_pci_device_close(&ivshmem);
	return 0;
}

#define SHADOW_PAGES	1024	/* 4 MiB: two 2 MiB runs */
#define GPA		(1ull << 33)

static long long loop_ns;

static int shadow(int fd, uint32_t op, uint64_t iova, uint64_t gpa,
		  uint64_t npages)
{
	struct vfio_kvm_iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = op, .iova = iova, .gpa = gpa,
		.npages = npages, .prot = 3,
	};

	if (ioctl(fd, VFIO_KVM_IOMMU_TEST_CMD, &cmd))
		return -errno;
	loop_ns = cmd.elapsed_ns;
	return 0;
}

/* A container of @type with edu in it, so that there is a domain. */
static int edu_container(struct vfio_container *c, unsigned long type,
			 struct vfio_pci_device *edu)
{
	char bdf[16];

	if (vfio_pci_find(EDU_VENDOR, EDU_DEVICE, bdf, sizeof(bdf)))
		return -ENODEV;
	if (vfio_container_init(c))
		return -EIO;
	return vfio_container_add_device(c, bdf, type, edu);
}

static int bench_shadow(int rounds)
{
	size_t page = getpagesize(), size = SHADOW_PAGES * page;
	long long t, type1_ns, shadow_ns, kloop_ns, run_ns;
	struct vfio_pci_device edu;
	struct vfio_container c;
	uint8_t *raw, *mem;
	uint64_t unmapped;
	int i, r;

	raw = mmap(NULL, size + (2 << 20), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return 1;
	mem = (uint8_t *)(((uintptr_t)raw + (2 << 20) - 1) & ~((2ul << 20) - 1));
	madvise(mem, size, MADV_HUGEPAGE);
	memset(mem, 1, size);

	if (vfio_container_init(&c))
		return 1;
	if (ioctl(c.fd, VFIO_CHECK_EXTENSION, VFIO_KVM_IOMMU) != 1) {
		printf("bench: shadow unsupported\n");
		vfio_container_cleanup(&c);
		return 0;
	}
	vfio_container_cleanup(&c);

	for (r = -1; r < rounds; r++) {
		/* type1: what QEMU does per guest RPCIT today, page by page */
		if (edu_container(&c, VFIO_TYPE1v2_IOMMU, &edu))
			goto fail;
		t = ns();
		for (i = 0; i < SHADOW_PAGES; i++) {
			if (_vfio_map_dma(c.fd, mem + i * page, IOVA + i * page,
					  page, RW) ||
			    _vfio_unmap_dma(c.fd, IOVA + i * page, page, 0,
					    &unmapped))
				goto fail;
		}
		type1_ns = ns() - t;
		vfio_pci_device_close(&edu);
		vfio_container_cleanup(&c);

		/* VFIO_KVM_IOMMU: memory registered once, shadowed per page */
		if (edu_container(&c, VFIO_KVM_IOMMU, &edu) ||
		    _vfio_map_dma(c.fd, mem, GPA, size, RW))
			goto fail;
		t = ns();
		for (i = 0; i < SHADOW_PAGES; i++) {
			if (shadow(c.fd, VFIO_KVM_IOMMU_TEST_SHADOW_MAP,
				   IOVA + i * page, GPA + i * page, 1) ||
			    shadow(c.fd, VFIO_KVM_IOMMU_TEST_SHADOW_UNMAP,
				   IOVA + i * page, 0, 1))
				goto fail;
		}
		shadow_ns = ns() - t;

		/* the same single pages, looped in the kernel: no syscall each */
		if (shadow(c.fd, VFIO_KVM_IOMMU_TEST_LOOP, IOVA, GPA,
			   SHADOW_PAGES))
			goto fail;
		kloop_ns = loop_ns;

		/* and as one run, which the IOMMU maps with 2 MiB pages */
		t = ns();
		if (shadow(c.fd, VFIO_KVM_IOMMU_TEST_SHADOW_MAP, IOVA, GPA,
			   SHADOW_PAGES) ||
		    shadow(c.fd, VFIO_KVM_IOMMU_TEST_SHADOW_UNMAP, IOVA, 0,
			   SHADOW_PAGES))
			goto fail;
		run_ns = ns() - t;
		vfio_pci_device_close(&edu);
		vfio_container_cleanup(&c);
		if (r >= 0)
			printf("bench: shadow pages=%d type1_ns=%lld shadow_ns=%lld loop_ns=%lld run_ns=%lld\n",
			       SHADOW_PAGES, type1_ns, shadow_ns, kloop_ns, run_ns);
		fflush(stdout);
	}
	munmap(raw, size + (2 << 20));
	return 0;

fail:
	printf("bench: error: shadow bench round %d: %s\n", r, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "pfnmap";
	int rounds = argc > 2 ? atoi(argv[2]) : 7;

	if (!strcmp(what, "pfnmap"))
		return bench_pfnmap(rounds);
	if (!strcmp(what, "shadow"))
		return bench_shadow(rounds);
	printf("bench: error: unknown bench %s\n", what);
	return 1;
}
