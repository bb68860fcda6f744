// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench, in the guest; harness/bench_report.py reads what it prints.
 *
 * Every timed figure is printed once per round, so that the report gives
 * the median and the spread over the rounds (one warm-up round first, not
 * printed). Each path then runs once more, untimed, with the function
 * profiler on, to count what it made the kernel do; those counts do not
 * depend on TCG. The IOMMU page sizes a mapping got are read from the
 * IOMMU's own tables (intel-iommu's domain_translation_struct in debugfs).
 *
 * vfio_bench pfnmap R: VFIO_IOMMU_MAP_DMA + UNMAP_DMA of the whole BAR2 of
 *   QEMU's ivshmem-plain, mmapped through vfio-pci, on a type1 container.
 *   Unchanged on the base kernel (which maps it page by page) and on the
 *   patched one (which maps it whole).
 *
 * vfio_bench shadow R: the same work on a type1 container (what QEMU's
 *   userspace RPCIT emulation does: one MAP_DMA per new entry, one
 *   UNMAP_DMA per old one) and on VFIO_KVM_IOMMU (the shadow API, driven
 *   through its test command as KVM calls it), with edu in the container:
 *     page     map + unmap of one 4 KiB page, an ioctl each on both paths
 *     run      map + unmap of one 4 MiB run of 2 MiB-aligned transparent
 *              huge pages at a 2 MiB-aligned IOVA, an ioctl each
 *     refresh  a guest refresh of REFRESH_ENTRIES scattered entries, each
 *              changed to another page: type1 unmaps and maps each entry
 *              (two ioctls per entry); the shadow path makes one shadow map
 *              per entry in the kernel (one test ioctl for all: KVM makes
 *              these calls from its RPCIT intercept, with no ioctl at all),
 *              and, as "shadow-ioctl", one test ioctl per entry
 *     refresh-same  a global refresh over SAME_ENTRIES live entries, none
 *              of them changed (what a guest does after "insufficient
 *              resources"): one shadow map per entry, in one test ioctl.
 *              Shadow paths only: QEMU's type1 emulation compares each
 *              entry with its own cache in userspace and makes no ioctl
 *     release  VFIO_IOMMU_UNMAP_DMA of a 4 GiB registration (on demand)
 *              that RELEASE_ENTRIES shadow entries use, scattered over its
 *              GPAs and at IOVAs two pages apart; and, as "release-other",
 *              of a one-page registration with one entry while those stay.
 *              shadow-od only (memory pinned up front would pin 4 GiB);
 *              the 4 GiB are a 64 MiB memfd mapped 64 times over
 *   Shadow paths: "shadow" on memory registered pinned (the default: pinned
 *   once at registration, so no pin per map) and "shadow-od" on memory
 *   registered with VFIO_DMA_MAP_FLAG_ON_DEMAND (pinned per map, as type1).
 *   The shadow paths time the registration of the memory apart ("register":
 *   once per VM; "shadow" pins there). The paths take turns at running
 *   first. On a kernel without VFIO_KVM_IOMMU it prints "bench: unsupported
 *   shadow" and runs the type1 path alone (the base kernel's figures).
 *
 * Lines:
 *   bench: meta <key>=<value>
 *   bench: time <case> <path> <ns> [<part>=<ns>...]	one round, per operation
 *   bench: count <case> <path> pins=.. unpins=.. map=.. unmap=.. sync=..
 *		sync_map=.. qi=.. ioctls=..	per operation: pages pinned and
 *		unpinned (FOLL_PIN), the IOMMU driver's map_pages and
 *		unmap_pages calls, its IOTLB syncs after unmapping (iotlb_sync,
 *		flush_iotlb_all) and after mapping (iotlb_sync_map, which
 *		flushes only in caching mode), the invalidations it queued and
 *		waited for (qi_submit_sync: what really reaches the IOMMU), the
 *		ioctls this program made
 *   bench: pgsize <case> <path> 4k=.. 2m=.. 1g=.. bytes=..	IOPTEs mapping
 *		the operation's IOVA range while it was mapped, once per
 *		round but the counted one (printed only when they cover it)
 *   bench: error: <what>
 *
 * Built against the patched tree's selftest library, like vfio_demo.c.
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>

#include "vfio_util.h"
#include "../../../../drivers/vfio/vfio_iommu_kvm.h"

#define IOVA		(1ull << 32)
#define GPA		(1ull << 33)
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define MEM_PAGES	1024		/* 4 MiB: the run and the refresh pool */
#define PAGE_REPS	256		/* single-page operations per round */
#define RUN_REPS	8		/* 4 MiB runs per round */
#define REFRESH_ENTRIES	256
#define REFRESH_STRIDE	16		/* pages between two entries' IOVAs */
#define SAME_ENTRIES	65536		/* VFIO_KVM_IOMMU_TEST_REFRESH_MAX */
#define REL_BYTES	(4ull << 30)	/* the registration release removes */
#define REL_MEMFD	(64ull << 20)	/* the memory behind it, mapped over */
#define REL_ENTRIES	100000
#define REL_GPA		(1ull << 36)
#define REL_IOVA	(1ull << 36)

#define DEBUGFS		"/sys/kernel/debug"
#define TRACING		"/sys/kernel/tracing"

static long long ioctls;
static int rounds;

static long long ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int error(const char *fmt, ...)
{
	va_list ap;

	printf("bench: error: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return -1;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	ioctls++;
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int map_dma(int fd, void *vaddr, uint64_t iova, uint64_t size,
		   uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = flags,
		.vaddr = (uintptr_t)vaddr, .iova = iova, .size = size,
	};

	return xioctl(fd, VFIO_IOMMU_MAP_DMA, &map);
}

/* UNMAP_DMA of [@iova, @iova + @size), which must hold @mapped bytes */
static int unmap_dma(int fd, uint64_t iova, uint64_t size, uint64_t mapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = iova, .size = size,
	};
	int ret = xioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap);

	if (!ret && unmap.size != mapped)
		return -ERANGE;
	return ret;
}

static int shadow_cmd(int fd, struct vfio_kvm_iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	cmd->prot = 3;
	return xioctl(fd, VFIO_KVM_IOMMU_TEST_CMD, cmd);
}

static int shadow_map(int fd, uint64_t iova, uint64_t gpa, uint64_t npages)
{
	struct vfio_kvm_iommu_test_cmd cmd = {
		.op = VFIO_KVM_IOMMU_TEST_SHADOW_MAP,
		.iova = iova, .gpa = gpa, .npages = npages,
	};

	return shadow_cmd(fd, &cmd);
}

static int shadow_unmap(int fd, uint64_t iova, uint64_t npages)
{
	struct vfio_kvm_iommu_test_cmd cmd = {
		.op = VFIO_KVM_IOMMU_TEST_SHADOW_UNMAP,
		.iova = iova, .npages = npages,
	};

	return shadow_cmd(fd, &cmd);
}

/* Counting: the function profiler over the IOMMU driver's callbacks. */
static const char *const prof_fns[] = {
	"intel_iommu_map_pages", "intel_iommu_unmap_pages",
	"intel_iommu_tlb_sync", "intel_iommu_iotlb_sync_map",
	"intel_flush_iotlb_all", "qi_submit_sync",
};
#define NR_PROF_FNS	(sizeof(prof_fns) / sizeof(prof_fns[0]))

struct counts {
	long long hits[NR_PROF_FNS];
	long long pins, unpins, ioctls;
};

/* Write all of @s: ftrace's filter files take one name per write(). */
static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC), ret = 0;
	size_t left = strlen(s);
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (left) {
		n = write(fd, s, left);
		if (n <= 0) {
			ret = n ? -errno : -EIO;
			break;
		}
		s += n;
		left -= n;
	}
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* @key of /proc/vmstat, folded from the per-CPU deltas first; -1 if not */
static long long vmstat(const char *key)
{
	char name[64];
	long long v, ret = -1;
	FILE *f;

	/* Without the refresh a count lags by up to a per-CPU threshold. */
	if (write_str("/proc/sys/vm/stat_refresh", "1"))
		return -1;
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strcmp(name, key))
			ret = v;
	fclose(f);
	return ret;
}

/* Every function to count is in the filter, and nothing else. */
static int filter_check(void)
{
	unsigned int i, n = 0, found = 0;
	char name[128];
	FILE *f = fopen(TRACING "/set_ftrace_filter", "r");

	if (!f)
		return error("cannot read %s/set_ftrace_filter: %s", TRACING,
			     strerror(errno));
	while (fscanf(f, "%127s", name) == 1) {
		n++;
		for (i = 0; i < NR_PROF_FNS; i++)
			if (!strcmp(name, prof_fns[i]))
				found++;
	}
	fclose(f);
	if (found != NR_PROF_FNS || n != NR_PROF_FNS)
		return error("set_ftrace_filter holds %u function(s), %u of the %zu to count",
			     n, found, NR_PROF_FNS);
	return 0;
}

static int setup_fs(void)
{
	char filter[512] = "";
	unsigned int i;
	int ret;

	mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	mount("tracefs", TRACING, "tracefs", 0, NULL);
	for (i = 0; i < NR_PROF_FNS; i++) {
		strcat(filter, prof_fns[i]);
		strcat(filter, "\n");
	}
	ret = write_str(TRACING "/set_ftrace_filter", filter);
	if (ret)
		return error("cannot set %s/set_ftrace_filter to the IOMMU callbacks (CONFIG_FUNCTION_PROFILER, CONFIG_DYNAMIC_FTRACE): %s",
			     TRACING, strerror(-ret));
	ret = filter_check();
	if (ret)
		return ret;
	if (vmstat("nr_foll_pin_acquired") < 0)
		return error("no nr_foll_pin_acquired in /proc/vmstat");
	return 0;
}

static int count_start(struct counts *c)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->pins = -vmstat("nr_foll_pin_acquired");
	c->unpins = -vmstat("nr_foll_pin_released");
	if (c->pins > 0 || c->unpins > 0)
		return error("cannot read the FOLL_PIN counts (/proc/sys/vm/stat_refresh, /proc/vmstat)");
	c->ioctls = -ioctls;
	/* Enabling resets the profiler's counters. */
	ret = write_str(TRACING "/function_profile_enabled", "1");
	if (ret)
		return error("cannot start the function profiler: %s", strerror(-ret));
	return 0;
}

static int count_stop(struct counts *c)
{
	char line[256], name[128], path[128];
	long long hit, pins, unpins;
	unsigned int i, cpu;
	FILE *f;
	int ret;

	ret = write_str(TRACING "/function_profile_enabled", "0");
	if (ret)
		return error("cannot stop the function profiler: %s", strerror(-ret));
	c->ioctls += ioctls;
	pins = vmstat("nr_foll_pin_acquired");
	unpins = vmstat("nr_foll_pin_released");
	if (pins < 0 || unpins < 0)
		return error("cannot read the FOLL_PIN counts (/proc/sys/vm/stat_refresh, /proc/vmstat)");
	c->pins += pins;
	c->unpins += unpins;
	for (cpu = 0;; cpu++) {
		snprintf(path, sizeof(path), TRACING "/trace_stat/function%u", cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%127s %lld", name, &hit) != 2)
				continue;
			for (i = 0; i < NR_PROF_FNS; i++)
				if (!strcmp(name, prof_fns[i]))
					c->hits[i] += hit;
		}
		fclose(f);
	}
	if (!cpu)
		return error("no %s/trace_stat/function0", TRACING);
	return 0;
}

/* Print @c divided by @ops, the operations it counted. */
static void count_print(const char *what, const char *path, struct counts *c,
			int ops)
{
	printf("bench: count %s %s pins=%g unpins=%g map=%g unmap=%g sync=%g sync_map=%g qi=%g ioctls=%g\n",
	       what, path, (double)c->pins / ops, (double)c->unpins / ops,
	       (double)c->hits[0] / ops, (double)c->hits[1] / ops,
	       (double)(c->hits[2] + c->hits[4]) / ops,
	       (double)c->hits[3] / ops, (double)c->hits[5] / ops,
	       (double)c->ioctls / ops);
	fflush(stdout);
}

/*
 * The IOPTEs mapping [@iova, @iova + @size) in @bdf's domain, by size, from
 * intel-iommu's dump of its page table: one line per leaf, the IOVA's pfn
 * and then the entry at each level down to the leaf (PML5E, PML4E and PDPE
 * always; PDE unless the PDPE is a 1 GiB leaf; PTE unless the PDE is a
 * 2 MiB leaf).
 */
static int pgsizes(const char *what, const char *path, const char *bdf,
		   uint64_t iova, uint64_t size)
{
	static const uint64_t leaf[] = { 1ull << 30, 2ull << 20, 4096 };
	char file[160], line[256], *p;
	unsigned long long pfn, n[3] = { 0 }, bytes = 0;
	FILE *f;
	int fields;

	snprintf(file, sizeof(file),
		 DEBUGFS "/iommu/intel/%s/domain_translation_struct", bdf);
	f = fopen(file, "r");
	if (!f)
		return error("cannot read %s (CONFIG_INTEL_IOMMU_DEBUGFS): %s",
			     file, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "0x%llx |", &pfn) != 1)
			continue;
		p = strchr(line, '|');
		for (fields = 0; p && (p = strstr(p, "0x")); p += 2)
			fields++;
		if (fields < 3 || fields > 5) {
			fclose(f);
			return error("%s: cannot read the line %s", file, line);
		}
		if (pfn << 12 < iova || pfn << 12 >= iova + size)
			continue;
		n[fields - 3]++;
		bytes += leaf[fields - 3];
	}
	fclose(f);
	if (bytes != size)
		return error("%s %s: the IOMMU's table maps %llu bytes at 0x%llx, not %llu",
			     what, path, bytes, (unsigned long long)iova,
			     (unsigned long long)size);
	printf("bench: pgsize %s %s 4k=%llu 2m=%llu 1g=%llu bytes=%llu\n",
	       what, path, n[2], n[1], n[0], bytes);
	fflush(stdout);
	return 0;
}

static int bench_pfnmap(void)
{
	struct vfio_pci_device ivshmem;
	long long t0, t1, t2, t3;
	struct vfio_container c;
	struct counts cnt;
	size_t bar_size;
	char bdf[16];
	void *bar;
	int i, ret;

	if (setup_fs())
		return 1;
	if (vfio_pci_find(IVSHMEM_VENDOR, IVSHMEM_DEVICE, bdf, sizeof(bdf)))
		return error("no ivshmem bound to vfio-pci"), 1;
	if (vfio_container_init(&c) ||
	    vfio_container_add_device(&c, bdf, VFIO_TYPE1v2_IOMMU, &ivshmem))
		return error("type1 container setup failed"), 1;
	bar = vfio_region_mmap(&ivshmem, IVSHMEM_BAR, &bar_size);
	if (!bar)
		return error("cannot mmap BAR2: %s", strerror(errno)), 1;
	printf("bench: meta bar_bytes=%zu rounds=%d\n", bar_size, rounds);

	/*
	 * Round -1 warms up, rounds 0..R-1 are timed, round R is counted; the
	 * page sizes are read (untimed) in every round but the counted one.
	 */
	for (i = -1; i <= rounds; i++) {
		if (i == rounds && count_start(&cnt))
			return 1;
		t0 = ns();
		ret = map_dma(c.fd, bar, IOVA, bar_size, RW);
		t1 = ns();
		if (ret)
			return error("MAP_DMA of %zu bytes: %s", bar_size,
				     strerror(-ret)), 1;
		if (i < rounds && pgsizes("bar", "type1", bdf, IOVA, bar_size))
			return 1;
		t2 = ns();
		ret = unmap_dma(c.fd, IOVA, bar_size, bar_size);
		t3 = ns();
		if (ret)
			return error("UNMAP_DMA of %zu bytes: %s", bar_size,
				     strerror(-ret)), 1;
		if (i == rounds) {
			if (count_stop(&cnt))
				return 1;
			count_print("bar", "type1", &cnt, 1);
		} else if (i >= 0) {
			printf("bench: time bar type1 %lld map=%lld unmap=%lld\n",
			       t1 - t0 + t3 - t2, t1 - t0, t3 - t2);
		}
		fflush(stdout);
	}
	munmap(bar, bar_size);
	vfio_container_cleanup(&c);
	vfio_pci_device_close(&ivshmem);
	return 0;
}

/* One path of the shadow bench: a container with edu in it. */
struct side {
	const char *path;
	unsigned long type;
	uint32_t reg_flags;
	struct vfio_container c;
	struct vfio_pci_device edu;
	char bdf[16];
	const uint32_t *cur;	/* the pages the refresh entries map now */
	bool per_entry_ioctl;	/* shadow-ioctl: one test ioctl per entry */
};

static uint8_t *mem;
static uint8_t *rel_mem;	/* REL_BYTES of address space */
static size_t pg;
static uint32_t set_a[REFRESH_ENTRIES], set_b[REFRESH_ENTRIES];

static uint64_t entry_iova(int i)
{
	return IOVA + (uint64_t)i * REFRESH_STRIDE * pg;
}

/* Open @s's container; in round @round, time or count the registration. */
static int side_open(struct side *s, int round)
{
	struct counts cnt;
	long long t;
	int ret;

	if (vfio_pci_find(EDU_VENDOR, EDU_DEVICE, s->bdf, sizeof(s->bdf)))
		return error("no edu bound to vfio-pci");
	if (vfio_container_init(&s->c) ||
	    vfio_container_add_device(&s->c, s->bdf, s->type, &s->edu))
		return error("%s: container setup failed", s->path);
	if (s->type != VFIO_KVM_IOMMU)
		return 0;
	/*
	 * The guest's memory, registered once as a VMM would: GPA -> mem. The
	 * "shadow" path pins it here, not per map: its own row says what that
	 * costs.
	 */
	if (round == rounds && count_start(&cnt))
		return -1;
	t = ns();
	ret = map_dma(s->c.fd, mem, GPA, MEM_PAGES * pg, RW | s->reg_flags);
	t = ns() - t;
	if (ret)
		return error("%s: registering %d pages: %s", s->path, MEM_PAGES,
			     strerror(-ret));
	if (round == rounds) {
		if (count_stop(&cnt))
			return -1;
		count_print("register", s->path, &cnt, 1);
	} else if (round >= 0) {
		printf("bench: time register %s %lld\n", s->path, t);
		fflush(stdout);
	}
	return 0;
}

static void side_close(struct side *s)
{
	vfio_pci_device_close(&s->edu);
	vfio_container_cleanup(&s->c);
}

static bool is_shadow(struct side *s)
{
	return s->type == VFIO_KVM_IOMMU;
}

/* map, then unmap, page @i of the memory at one IOVA */
static int op_page(struct side *s, int i)
{
	uint64_t n = i % MEM_PAGES;
	int ret;

	if (is_shadow(s)) {
		ret = shadow_map(s->c.fd, IOVA, GPA + n * pg, 1);
		return ret ? ret : shadow_unmap(s->c.fd, IOVA, 1);
	}
	ret = map_dma(s->c.fd, mem + n * pg, IOVA, pg, RW);
	return ret ? ret : unmap_dma(s->c.fd, IOVA, pg, pg);
}

static int run_map(struct side *s)
{
	if (is_shadow(s))
		return shadow_map(s->c.fd, IOVA, GPA, MEM_PAGES);
	return map_dma(s->c.fd, mem, IOVA, MEM_PAGES * pg, RW);
}

static int run_unmap(struct side *s)
{
	if (is_shadow(s))
		return shadow_unmap(s->c.fd, IOVA, MEM_PAGES);
	return unmap_dma(s->c.fd, IOVA, MEM_PAGES * pg, MEM_PAGES * pg);
}

static int op_run(struct side *s, int i)
{
	int ret = run_map(s);

	return ret ? ret : run_unmap(s);
}

/* Map the refresh entries to the pages of @set, replacing what they map. */
static int refresh_to(struct side *s, const uint32_t *set, bool fresh)
{
	static struct vfio_kvm_iommu_test_entry e[REFRESH_ENTRIES];
	struct vfio_kvm_iommu_test_cmd cmd = {
		.op = VFIO_KVM_IOMMU_TEST_REFRESH,
		.npages = REFRESH_ENTRIES,
		.entries = (uintptr_t)e,
	};
	int i, ret;

	if (is_shadow(s) && !s->per_entry_ioctl) {
		for (i = 0; i < REFRESH_ENTRIES; i++) {
			e[i].iova = entry_iova(i);
			e[i].gpa = GPA + (uint64_t)set[i] * pg;
		}
		ret = shadow_cmd(s->c.fd, &cmd);
		if (!ret && cmd.npages != REFRESH_ENTRIES)
			ret = -EIO;
		s->cur = set;
		return ret;
	}
	for (i = 0; i < REFRESH_ENTRIES; i++) {
		if (is_shadow(s)) {
			ret = shadow_map(s->c.fd, entry_iova(i),
					 GPA + (uint64_t)set[i] * pg, 1);
		} else {
			/* QEMU: an unmap notification for the old entry, a map for the new */
			ret = fresh ? 0 : unmap_dma(s->c.fd, entry_iova(i), pg, pg);
			if (!ret)
				ret = map_dma(s->c.fd, mem + (uint64_t)set[i] * pg,
					      entry_iova(i), pg, RW);
		}
		if (ret)
			return ret;
	}
	s->cur = set;
	return 0;
}

static int op_refresh(struct side *s, int i)
{
	return refresh_to(s, s->cur == set_a ? set_b : set_a, false);
}

static int refresh_clear(struct side *s)
{
	uint64_t n = (uint64_t)REFRESH_ENTRIES * REFRESH_STRIDE;

	s->cur = NULL;
	if (is_shadow(s))
		return shadow_unmap(s->c.fd, IOVA, n);
	/* type1 says how much it removed: the entries, not the window */
	return unmap_dma(s->c.fd, IOVA, n * pg, REFRESH_ENTRIES * pg);
}

/*
 * The global refresh: SAME_ENTRIES entries at REFRESH_STRIDE pages apart,
 * each mapping a page of the memory; set up (@fresh) or refreshed with
 * what they already map.
 */
static int refresh_same(struct side *s, bool fresh)
{
	static struct vfio_kvm_iommu_test_entry e[SAME_ENTRIES];
	struct vfio_kvm_iommu_test_cmd cmd = {
		.op = VFIO_KVM_IOMMU_TEST_REFRESH,
		.npages = SAME_ENTRIES,
		.entries = (uintptr_t)e,
	};
	int i, ret;

	if (fresh)
		for (i = 0; i < SAME_ENTRIES; i++) {
			e[i].iova = entry_iova(i);
			e[i].gpa = GPA + (uint64_t)(i % MEM_PAGES) * pg;
		}
	ret = shadow_cmd(s->c.fd, &cmd);
	return !ret && cmd.npages != SAME_ENTRIES ? -EIO : ret;
}

static int op_refresh_same(struct side *s, int i)
{
	return refresh_same(s, false);
}

/* The release case's registrations and entries, set up afresh each time */
static int release_setup(struct side *s)
{
	static struct vfio_kvm_iommu_test_entry e[SAME_ENTRIES];
	struct vfio_kvm_iommu_test_cmd st = { .op = VFIO_KVM_IOMMU_TEST_STATS };
	uint64_t rel_pages = REL_BYTES / pg, n, i, done;
	int ret;

	ret = map_dma(s->c.fd, rel_mem, REL_GPA, REL_BYTES, RW | s->reg_flags);
	if (!ret)
		ret = map_dma(s->c.fd, mem, REL_GPA + REL_BYTES, pg,
			      RW | s->reg_flags);
	for (done = 0; !ret && done < REL_ENTRIES; done += n) {
		struct vfio_kvm_iommu_test_cmd cmd = {
			.op = VFIO_KVM_IOMMU_TEST_REFRESH,
			.entries = (uintptr_t)e,
		};

		n = REL_ENTRIES - done < SAME_ENTRIES ? REL_ENTRIES - done :
							SAME_ENTRIES;
		for (i = 0; i < n; i++) {
			e[i].iova = REL_IOVA + (done + i) * 2 * pg;
			/* 41 is odd: distinct pages, spread over all 4 GiB */
			e[i].gpa = REL_GPA + (done + i) * 41 % rel_pages * pg;
		}
		cmd.npages = n;
		ret = shadow_cmd(s->c.fd, &cmd);
		if (!ret && cmd.npages != n)
			ret = -EIO;
	}
	if (!ret)
		ret = shadow_map(s->c.fd, REL_IOVA + REL_ENTRIES * 2 * pg,
				 REL_GPA + REL_BYTES, 1);
	if (ret)
		return error("%s: setting up %d entries of a 4 GiB registration: %s",
			     s->path, REL_ENTRIES, strerror(-ret));
	ret = shadow_cmd(s->c.fd, &st);
	if (ret || st.shadow_pages != REL_ENTRIES + 1 ||
	    st.charged_pages != REL_ENTRIES + 1)
		return error("%s: %llu pages shadowed and %llu charged, not %d (%s)",
			     s->path, (unsigned long long)st.shadow_pages,
			     (unsigned long long)st.charged_pages,
			     REL_ENTRIES + 1, strerror(-ret));
	return 0;
}

static int op_release_other(struct side *s, int i)
{
	return unmap_dma(s->c.fd, REL_GPA + REL_BYTES, pg, pg);
}

static int op_release(struct side *s, int i)
{
	return unmap_dma(s->c.fd, REL_GPA, REL_BYTES, REL_BYTES);
}

/* @reps operations @op, timed (rounds 0..R-1) or counted (round R). */
static int measure(struct side *s, const char *what, const char *path,
		   int (*op)(struct side *, int), int reps, int round)
{
	struct counts cnt;
	long long t;
	int i, ret;

	if (round == rounds && count_start(&cnt))
		return -1;
	t = ns();
	for (i = 0; i < reps; i++) {
		ret = op(s, i);
		if (ret)
			return error("%s %s, operation %d of round %d: %s",
				     what, path, i, round, strerror(-ret));
	}
	t = ns() - t;
	if (round == rounds) {
		if (count_stop(&cnt))
			return -1;
		count_print(what, path, &cnt, reps);
	} else if (round >= 0) {
		printf("bench: time %s %s %lld\n", what, path, t / reps);
		fflush(stdout);
	}
	return 0;
}

static int side_round(struct side *s, int round)
{
	int ret;

	if (side_open(s, round))
		return -1;
	if (round < rounds) {
		/* untimed, every round but the counted one: the run's IOPTEs */
		ret = run_map(s);
		if (ret)
			return error("%s: run map: %s", s->path, strerror(-ret));
		if (pgsizes("run", s->path, s->bdf, IOVA, MEM_PAGES * pg))
			return -1;
		ret = run_unmap(s);
		if (ret)
			return error("%s: run unmap: %s", s->path, strerror(-ret));
	}
	if (measure(s, "page", s->path, op_page, PAGE_REPS, round) ||
	    measure(s, "run", s->path, op_run, RUN_REPS, round))
		return -1;

	ret = refresh_to(s, set_a, true);
	if (ret)
		return error("%s: mapping the refresh entries: %s", s->path,
			     strerror(-ret));
	if (measure(s, "refresh", s->path, op_refresh, 2, round))
		return -1;
	if (is_shadow(s) && !s->reg_flags) {
		s->per_entry_ioctl = true;
		ret = measure(s, "refresh", "shadow-ioctl", op_refresh, 2, round);
		s->per_entry_ioctl = false;
		if (ret)
			return -1;
	}
	ret = refresh_clear(s);
	if (ret)
		return error("%s: removing the refresh entries: %s", s->path,
			     strerror(-ret));
	if (is_shadow(s)) {
		struct vfio_kvm_iommu_test_cmd st = {
			.op = VFIO_KVM_IOMMU_TEST_STATS,
		};

		ret = refresh_same(s, true);
		if (ret)
			return error("%s: mapping %d entries: %s", s->path,
				     SAME_ENTRIES, strerror(-ret));
		/* They are live: what the refresh is to leave alone */
		ret = shadow_cmd(s->c.fd, &st);
		if (ret || st.shadow_pages != SAME_ENTRIES)
			return error("%s: %llu pages shadowed, not the %d entries (%s)",
				     s->path, (unsigned long long)st.shadow_pages,
				     SAME_ENTRIES, strerror(-ret));
		if (measure(s, "refresh-same", s->path, op_refresh_same, 1,
			    round))
			return -1;
		ret = shadow_unmap(s->c.fd, IOVA,
				   (uint64_t)SAME_ENTRIES * REFRESH_STRIDE);
		if (ret)
			return error("%s: removing %d entries: %s", s->path,
				     SAME_ENTRIES, strerror(-ret));
	}
	if (is_shadow(s) && s->reg_flags) {
		struct vfio_kvm_iommu_test_cmd st = {
			.op = VFIO_KVM_IOMMU_TEST_STATS,
		};

		if (release_setup(s) ||
		    measure(s, "release-other", s->path, op_release_other, 1,
			    round) ||
		    measure(s, "release", s->path, op_release, 1, round))
			return -1;
		/* Everything went: entries, pins and charges */
		ret = shadow_cmd(s->c.fd, &st);
		if (ret || st.shadow_pages || st.charged_pages)
			return error("%s: %llu pages shadowed and %llu charged after the release (%s)",
				     s->path, (unsigned long long)st.shadow_pages,
				     (unsigned long long)st.charged_pages,
				     strerror(-ret));
	}
	side_close(s);
	return 0;
}

/* Two different pages of the memory for each entry, scattered over it. */
static void refresh_sets(void)
{
	static uint32_t perm[MEM_PAGES];
	uint32_t x = 12345, j, t;
	int i;

	for (i = 0; i < MEM_PAGES; i++)
		perm[i] = i;
	for (i = MEM_PAGES - 1; i > 0; i--) {
		x = x * 1103515245 + 12345;
		j = (x >> 8) % (i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < REFRESH_ENTRIES; i++) {
		set_a[i] = perm[i];
		set_b[i] = perm[REFRESH_ENTRIES + i];
	}
}

/* REL_BYTES of address space over REL_MEMFD of memory, mapped again and again */
static int release_mem(void)
{
	uint64_t off;
	int fd;

	fd = memfd_create("vfio_bench", 0);
	if (fd < 0 || ftruncate(fd, REL_MEMFD))
		return error("memfd of %llu bytes: %s",
			     (unsigned long long)REL_MEMFD, strerror(errno));
	rel_mem = mmap(NULL, REL_BYTES, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (rel_mem == MAP_FAILED)
		return error("reserving %llu bytes: %s",
			     (unsigned long long)REL_BYTES, strerror(errno));
	for (off = 0; off < REL_BYTES; off += REL_MEMFD)
		if (mmap(rel_mem + off, REL_MEMFD, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0) != rel_mem + off)
			return error("mapping the memfd at +0x%llx: %s",
				     (unsigned long long)off, strerror(errno));
	close(fd);
	return 0;
}

static int bench_shadow(void)
{
	struct side sides[] = {
		{ .path = "type1", .type = VFIO_TYPE1v2_IOMMU },
		{ .path = "shadow", .type = VFIO_KVM_IOMMU },
		{ .path = "shadow-od", .type = VFIO_KVM_IOMMU,
		  .reg_flags = VFIO_DMA_MAP_FLAG_ON_DEMAND },
	};
	size_t size;
	uint8_t *raw;
	unsigned int j, n = sizeof(sides) / sizeof(sides[0]);
	int r;

	if (setup_fs())
		return 1;
	pg = getpagesize();
	size = MEM_PAGES * pg;
	raw = mmap(NULL, size + (2 << 20), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return error("mmap of %zu bytes: %s", size, strerror(errno)), 1;
	mem = (uint8_t *)(((uintptr_t)raw + (2 << 20) - 1) & ~((2ul << 20) - 1));
	madvise(mem, size, MADV_HUGEPAGE);
	memset(mem, 1, size);
	refresh_sets();
	if (release_mem())
		return 1;

	if (vfio_container_init(&sides[0].c))
		return error("cannot open a container"), 1;
	/* Without VFIO_KVM_IOMMU (the base kernel) type1 runs alone. */
	if (ioctl(sides[0].c.fd, VFIO_CHECK_EXTENSION, VFIO_KVM_IOMMU) != 1) {
		printf("bench: unsupported shadow\n");
		n = 1;
	}
	vfio_container_cleanup(&sides[0].c);
	printf("bench: meta rounds=%d page_reps=%d run_bytes=%zu run_reps=%d refresh_entries=%d same_entries=%d\n",
	       rounds, PAGE_REPS, size, RUN_REPS, REFRESH_ENTRIES, SAME_ENTRIES);
	if (n > 1)
		printf("bench: meta release_entries=%d release_bytes=%llu\n",
		       REL_ENTRIES, (unsigned long long)REL_BYTES);

	/*
	 * Each round runs every path, one after the other, starting with
	 * another one each round: none always runs first or after another.
	 */
	for (r = -1; r <= rounds; r++)
		for (j = 0; j < n; j++)
			if (side_round(&sides[(r + 1 + j) % n], r))
				return 1;
	munmap(raw, size + (2 << 20));
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "pfnmap";

	rounds = argc > 2 ? atoi(argv[2]) : 7;
	if (rounds < 1)
		return error("rounds must be at least 1"), 1;
	if (!strcmp(what, "pfnmap"))
		return bench_pfnmap();
	if (!strcmp(what, "shadow"))
		return bench_shadow();
	return error("unknown bench %s", what), 1;
}
