// SPDX-License-Identifier: GPL-2.0-only
/*
 * make run: a readable walk through what the series does, in the demo
 * guest. Built against the patched tree's selftest library
 * (tools/testing/selftests/vfio/lib) and uapi headers.
 *
 * Every step prints one line: what was done, what came of it. Lines that
 * start with "host:" are instructions for the host-side report
 * (harness/demo_report.py), which reads ivshmem's memory from its backing
 * file after the guest has powered off.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "vfio_util.h"
#include "../../../../drivers/vfio/vfio_iommu_kvm.h"

#define IOVA_RAM	0x100000ull
#define IOVA_BAR	0x1000000ull
#define IOVA_SYSFS	0x4000000ull
#define XFER		64u
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static void step(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void step(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("  %-58s ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *err(int ret)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "refused: %s (errno %d)", strerror(-ret), -ret);
	return buf;
}

/* Have edu write @msg at @iova: load it from RAM (IOVA_RAM), write it out. */
static int edu_put(struct vfio_pci_device *edu, uint8_t *ram, uint64_t iova,
		   const char *msg)
{
	int ret;

	memset(ram, 0, XFER);
	snprintf((char *)ram, XFER, "%s", msg);
	ret = edu_dma_read(edu, IOVA_RAM, 0, XFER);
	return ret ? ret : edu_dma_write(edu, iova, 0, XFER);
}

static void page_sizes(int container, char *buf, size_t len)
{
	struct {
		struct vfio_iommu_type1_info info;
		char caps[256];
	} i = { .info.argsz = sizeof(i) };
	static const char *const names[] = { "4K", "2M", "1G" };
	int n = 0, k;

	buf[0] = '\0';
	if (ioctl(container, VFIO_IOMMU_GET_INFO, &i)) {
		snprintf(buf, len, "GET_INFO failed: %s", strerror(errno));
		return;
	}
	for (k = 0; k < 3; k++)
		if (i.info.iova_pgsizes & (1ull << (12 + 9 * k)))
			n += snprintf(buf + n, len - n, "%s ", names[k]);
}

static int shadow(int fd, uint32_t op, uint64_t iova, uint64_t gpa,
		  uint64_t npages)
{
	struct vfio_kvm_iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = op, .iova = iova, .gpa = gpa,
		.npages = npages, .prot = 3,
	};

	return ioctl(fd, VFIO_KVM_IOMMU_TEST_CMD, &cmd) ? -errno : 0;
}

/* VFIO_KVM_IOMMU: registered guest memory is reached only through shadows. */
static int kvm_iommu_demo(const char *edu_bdf)
{
	size_t page = getpagesize();
	struct vfio_pci_device edu;
	struct vfio_container c;
	uint64_t gpa = 0x40000000;
	uint8_t *guest;
	long faults;
	int ret;

	printf("VFIO_KVM_IOMMU (guest memory registered, device IOVAs shadowed):\n");
	if (vfio_container_init(&c) ||
	    ioctl(c.fd, VFIO_CHECK_EXTENSION, VFIO_KVM_IOMMU) != 1) {
		step("VFIO_CHECK_EXTENSION(VFIO_KVM_IOMMU)", "not supported");
		return 0;
	}
	if (vfio_container_add_device(&c, edu_bdf, VFIO_KVM_IOMMU, &edu) ||
	    edu_init(&edu)) {
		step("edu in a VFIO_KVM_IOMMU container", "setup failed");
		return 1;
	}
	guest = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(guest, 0, 4 * page);
	ret = _vfio_map_dma(c.fd, guest, gpa, 4 * page, RW);
	step("MAP_DMA: register 4 pages as guest memory at GPA 0x40000000", "%s",
	     ret ? err(ret) : "registered (pinned, charged to RLIMIT_MEMLOCK)");

	faults = iommu_fault_irqs();
	kmsg_expect_begin("dmar-fault");
	edu_put(&edu, guest, IOVA_RAM, "registered is not mapped");
	kmsg_expect_end("dmar-fault");
	step("edu DMA to IOVA 0x100000, no shadow entry yet", "%s",
	     iommu_fault_wait(faults, 5000) ? "IOMMU fault: registering maps nothing" :
	     "NO FAULT");

	ret = shadow(c.fd, VFIO_KVM_IOMMU_TEST_SHADOW_MAP, IOVA_RAM, gpa, 2);
	step("shadow map IOVA 0x100000 -> GPA 0x40000000, 2 pages", "%s",
	     ret ? err(ret) : "mapped (as the hypervisor would on a guest refresh)");
	memset(guest, 0, 2 * page);
	snprintf((char *)guest, XFER, "through a shadow entry");
	ret = edu_dma_read(&edu, IOVA_RAM, 0, XFER);
	ret = ret ? ret : edu_dma_write(&edu, IOVA_RAM + page, 0, XFER);
	step("edu DMA: guest page 0 -> device -> guest page 1", "%s",
	     ret ? err(ret) : !strcmp((char *)guest + page, "through a shadow entry") ?
	     "data arrived intact" : "DATA MISMATCH");

	ret = shadow(c.fd, VFIO_KVM_IOMMU_TEST_SHADOW_UNMAP, IOVA_RAM + page, 0, 1);
	faults = iommu_fault_irqs();
	kmsg_expect_begin("dmar-fault");
	memset(guest + page, 0, XFER);
	edu_dma_write(&edu, IOVA_RAM + page, 0, XFER);
	kmsg_expect_end("dmar-fault");
	step("shadow unmap page 1, edu DMA to it again", "%s, %s",
	     iommu_fault_wait(faults, 5000) ? "IOMMU fault" : "no fault",
	     guest[page] ? "MEMORY CHANGED" : "memory untouched");

	vfio_pci_device_close(&edu);
	vfio_container_cleanup(&c);
	munmap(guest, 4 * page);
	return 0;
}

int main(void)
{
	struct vfio_pci_device edu, ivshmem;
	char edu_bdf[16], ivs_bdf[16], text[128], path[96];
	struct vfio_container c;
	struct utsname uts;
	uint8_t *ram, *bar, *sysfs_bar = NULL;
	uint64_t unmapped;
	size_t bar_size;
	int ret, fd;
	long faults;
	bool fault;

	uname(&uts);
	printf("== vfio series demo: Linux %s ==\n", uts.release);
	if (vfio_pci_find(EDU_VENDOR, EDU_DEVICE, edu_bdf, sizeof(edu_bdf)) ||
	    vfio_pci_find(IVSHMEM_VENDOR, IVSHMEM_DEVICE, ivs_bdf, sizeof(ivs_bdf))) {
		printf("edu or ivshmem is not bound to vfio-pci\n");
		return 1;
	}
	printf("devices bound to vfio-pci:\n");
	step("edu (QEMU DMA engine)", "%s, iommu group %d", edu_bdf,
	     vfio_pci_iommu_group(edu_bdf));
	step("ivshmem-plain (BAR2 = host file memory)", "%s, iommu group %d",
	     ivs_bdf, vfio_pci_iommu_group(ivs_bdf));

	if (vfio_container_init(&c) ||
	    vfio_container_add_device(&c, edu_bdf, VFIO_TYPE1v2_IOMMU, &edu) ||
	    vfio_container_add_device(&c, ivs_bdf, VFIO_TYPE1v2_IOMMU, &ivshmem) ||
	    edu_init(&edu)) {
		printf("container setup failed\n");
		return 1;
	}
	page_sizes(c.fd, text, sizeof(text));
	printf("container: VFIO_TYPE1v2_IOMMU, IOMMU page sizes %s\n", text);

	printf("guest RAM:\n");
	ram = mmap(NULL, 2 * getpagesize(), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ret = _vfio_map_dma(c.fd, ram, IOVA_RAM, 2 * getpagesize(), RW);
	step("MAP_DMA 2 pages of anonymous memory at IOVA 0x100000", "%s",
	     ret ? err(ret) : "mapped");
	ret = edu_put(&edu, ram, IOVA_RAM + getpagesize(), "hello through the IOMMU");
	step("edu DMA: memory -> device -> memory", "%s",
	     ret ? err(ret) : !strcmp((char *)ram + getpagesize(),
				      "hello through the IOMMU") ?
	     "data arrived intact" : "DATA MISMATCH");
	ret = _vfio_unmap_dma(c.fd, IOVA_RAM, 2 * getpagesize(), 0, &unmapped);
	step("UNMAP_DMA IOVA 0x100000", "%s", ret ? err(ret) : "unmapped");
	ret = _vfio_map_dma(c.fd, ram, IOVA_RAM, getpagesize(), RW);
	faults = iommu_fault_irqs();
	kmsg_expect_begin("dmar-fault");
	memset(ram + getpagesize(), 0, XFER);
	ret = ret ? ret : edu_put(&edu, ram, IOVA_RAM + getpagesize(), "must not land");
	fault = iommu_fault_wait(faults, 5000);
	kmsg_expect_end("dmar-fault");
	step("edu DMA write to the now unmapped IOVA 0x101000", "%s, %s",
	     fault ? "IOMMU fault (DMAR)" : "no fault logged",
	     ram[getpagesize()] ? "MEMORY CHANGED" : "memory untouched");

	printf("device memory (peer to peer):\n");
	bar = vfio_region_mmap(&ivshmem, IVSHMEM_BAR, &bar_size);
	if (!bar) {
		step("mmap ivshmem BAR2 through vfio-pci", "not offered: %s",
		     strerror(errno));
		return 0;
	}
	ret = _vfio_map_dma(c.fd, bar, IOVA_BAR, bar_size, RW);
	snprintf(text, sizeof(text), "MAP_DMA ivshmem BAR2 (vfio mmap, %zu KiB) at IOVA 0x%llx",
		 bar_size >> 10, IOVA_BAR);
	step(text, "%s", ret ? err(ret) : "mapped");
	if (!ret) {
		ret = edu_put(&edu, ram, IOVA_BAR, "p2p while ivshmem is open");
		step("edu DMA write into BAR2 at offset 0", "%s",
		     ret ? err(ret) : !strcmp((char *)bar, "p2p while ivshmem is open") ?
		     "landed (read back through the mmap)" : "did not land");
		printf("host: expect 0x0 p2p while ivshmem is open\n");
	}

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2", ivs_bdf);
	fd = open(path, O_RDWR);
	if (fd >= 0)
		sysfs_bar = mmap(NULL, bar_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd < 0 || sysfs_bar == MAP_FAILED) {
		step("mmap sysfs resource2 (no vfio device behind it)", "failed: %s",
		     strerror(errno));
	} else {
		ret = _vfio_map_dma(c.fd, sysfs_bar, IOVA_SYSFS, bar_size, RW);
		step("MAP_DMA of a sysfs resource2 mmap (not vfio-backed)", "%s",
		     ret ? err(ret) : "ACCEPTED: DMA to memory no vfio device guards");
		if (!ret)
			_vfio_unmap_dma(c.fd, IOVA_SYSFS, bar_size, 0, &unmapped);
		munmap(sysfs_bar, bar_size);
	}
	if (fd >= 0)
		close(fd);

	munmap(bar, bar_size);
	vfio_pci_device_close(&ivshmem);
	step("close ivshmem: munmap BAR2, close the device fd", "device released");
	faults = iommu_fault_irqs();
	kmsg_expect_begin("dmar-fault");
	ret = edu_put(&edu, ram, IOVA_BAR + 0x1000, "p2p after ivshmem was closed");
	fault = iommu_fault_wait(faults, 5000);
	kmsg_expect_end("dmar-fault");
	step("edu DMA write to the BAR's IOVA after the close", "%s",
	     ret ? err(ret) : fault ? "IOMMU fault (DMAR): mapping gone" :
	     "no fault: the DMA went through (see host: line below)");
	printf("host: expect 0x1000 p2p after ivshmem was closed\n");
	ret = _vfio_unmap_dma(c.fd, IOVA_BAR, bar_size, 0, &unmapped);
	snprintf(text, sizeof(text), "%llu bytes still mapped", (unsigned long long)unmapped);
	step("UNMAP_DMA of the BAR's IOVA range after the close", "%s",
	     ret ? err(ret) : unmapped ? text : "nothing left to unmap");

	vfio_pci_device_close(&edu);
	vfio_container_cleanup(&c);
	return kvm_iommu_demo(edu_bdf);
}
