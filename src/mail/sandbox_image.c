/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_image - workers forked without the libraries the program does
 * not use itself (see include/balp/sandbox_image.h).
 */
#include "balp/sandbox_image.h"

#include <sys/mman.h>

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Libraries the program names: at most this many are looked at. */
#define IMAGE_NEEDED_MAX	64

struct image {
	const char	*needed[IMAGE_NEEDED_MAX];	/* base names */
	size_t		 n_needed;
	const char	*interp;	/* the dynamic loader's base name */
	int		 seen_main;
	int		 trimmed;
	int		 failed;	/* errno of the first failure */
};

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* The program's own DT_NEEDED names and PT_INTERP, from its headers. */
static void
image_program(const struct dl_phdr_info *info, struct image *im)
{
	const ElfW(Dyn) *d, *dyn = NULL;
	uintptr_t strtab = 0;
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr +
			    ph->p_vaddr);
		else if (ph->p_type == PT_INTERP)
			im->interp = base_name((const char *)(info->dlpi_addr +
			    ph->p_vaddr));
	}
	if (dyn == NULL)
		return;		/* static: nothing to trim */
	for (d = dyn; d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_STRTAB)
			strtab = (uintptr_t)d->d_un.d_ptr;
	if (strtab == 0)
		return;
	/* glibc relocates the dynamic section in place; others may not. */
	if (strtab < info->dlpi_addr)
		strtab += info->dlpi_addr;
	for (d = dyn; d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_NEEDED && im->n_needed < IMAGE_NEEDED_MAX)
			im->needed[im->n_needed++] = base_name((const char *)
			    (strtab + d->d_un.d_val));
}

static int
image_needed(const struct image *im, const char *name)
{
	size_t i;

	if (im->interp != NULL && strcmp(name, im->interp) == 0)
		return 1;
	for (i = 0; i < im->n_needed; i++)
		if (strcmp(name, im->needed[i]) == 0)
			return 1;
	return 0;
}

static int
image_visit(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct image *im = ctx;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), s, e;
	int i;

	(void)size;
	/* The program comes first. */
	if (!im->seen_main) {
		im->seen_main = 1;
		image_program(info, im);
		return 0;
	}
	/*
	 * Only libraries the loader found by path: the vDSO ("linux-vdso")
	 * is named without one, and a child without it would fault.
	 */
	if (im->n_needed == 0 || info->dlpi_name == NULL ||
	    info->dlpi_name[0] != '/' ||
	    image_needed(im, base_name(info->dlpi_name)))
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		s = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
		e = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) &
		    ~(page - 1);
		if (madvise((void *)s, e - s, MADV_DONTFORK) == -1 &&
		    im->failed == 0)
			im->failed = errno;
	}
	im->trimmed++;
	return 0;
}

int
sandbox_image_trim(struct buf *err)
{
	struct image im;

	if (getenv("LD_PRELOAD") != NULL)
		return 0;
	memset(&im, 0, sizeof(im));
	(void)dl_iterate_phdr(image_visit, &im);
	if (im.failed != 0) {
		if (err != NULL)
			buf_printf(err, "madvise(MADV_DONTFORK): %s",
			    strerror(im.failed));
		return -1;
	}
	return im.trimmed;
}
