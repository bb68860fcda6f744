// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench: time VFIO_IOMMU_MAP_DMA + VFIO_IOMMU_UNMAP_DMA of the whole
 * BAR2 of QEMU's ivshmem-plain, mmapped through vfio-pci. Runs unchanged
 * on the base kernel (mapped page by page) and on the patched one (mapped
 * whole). One warm-up round (it also faults the mmap in), then one line per
 * round:
 *	bench: bar_bytes=<n> map_ns=<n> unmap_ns=<n>
 * Built against the patched tree's selftest library, like vfio_demo.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vfio_util.h"

#define IOVA	(1ull << 32)
#define RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static long long ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 7;
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
	return 0;
}
