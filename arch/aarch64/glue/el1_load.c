/* File: arch/aarch64/glue/el1_load.c
 * The EL1 side of loading an EL2 module, compiled into every AArch64 .ko
 * (once per generation, -DPKVM_GENERATION=14|15|16|17): the load sequence of
 * spec/pkvm-abi.md §2.4 with real `hvc` instructions to the host hypercalls
 * of §3.2, and __pkvm_register_el2_call(). Messages and error codes are the
 * ones libpkvm's native kernel (lib/host/kernel_native.cc) gives, so both backends
 * print the same boot log.
 *
 * THIS_MODULE->arch.hyp was filled by the module loader (module_init_hyp):
 * section spans, .hyp.reloc entries; pkvm_load_el2_module() set .init.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <asm/kvm_pkvm_module.h>
#include <pkvm/abi/pgtable_prot.h>
#include "pkvm_a64_glue.h"

#define PKVM_A64_PAGE_SIZE 4096UL

int pkvm_a64_finalized(void);
void pkvm_a64_el2_mod_add(struct module *mod, unsigned long hyp_va, unsigned long kern_start,
			  unsigned long size);
int pkvm_a64_el2_imports(struct module *mod, unsigned long hyp_va);

struct pkvm_a64_sec {
	unsigned long start, end, prot;
};

/* kvm_call_hyp_nvhe() without the WARN: callers look at a0 themselves. */
static struct arm_smccc_res pkvm_a64_hyp(unsigned long id, unsigned long a1, unsigned long a2,
					 unsigned long a3)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_hvc(KVM_HOST_SMCCC_ID(id), a1, a2, a3, &res);
	return res;
}

/* EL1 runs with the MMU off in libpkvm's Unicorn machine: VA == PA. */
static unsigned long pkvm_a64_pfn(unsigned long kva)
{
	return kva / PKVM_A64_PAGE_SIZE;
}

/* Maps the first `count` pages of the image (in section order), or unmaps
 * them when `unmap` is set. Returns 0 or the first error. */
static int pkvm_a64_map_pages(const struct pkvm_a64_sec *secs, int nr, unsigned long start,
			      unsigned long hyp_va, unsigned long count, int unmap,
			      unsigned long *done)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < nr; i++) {
		unsigned long page;

		for (page = secs[i].start; page < secs[i].end; page += PKVM_A64_PAGE_SIZE) {
			unsigned long va = hyp_va + (page - start);
			struct arm_smccc_res res;
			long rc;

			if (n == count)
				return 0;
			if (unmap) {
				pkvm_a64_hyp(PKVM_HCALL_pkvm_unmap_module_page, pkvm_a64_pfn(page), va, 0);
			} else {
				res = pkvm_a64_hyp(PKVM_HCALL_pkvm_map_module_page, pkvm_a64_pfn(page), va,
						   secs[i].prot);
				rc = res.a0 == SMCCC_RET_SUCCESS ? (long)res.a1 : -EPERM;
				if (rc)
					return (int)rc;
			}
			n++;
			if (done)
				*done = n;
		}
	}
	return 0;
}

#if PKVM_GENERATION >= 17
/* A17 (provisional): no token; the EL2 address is in this_module->arch.hyp.hyp_va. */
int __pkvm_load_el2_module(struct module *this_module)
{
	unsigned long *token = 0;
#else
int __pkvm_load_el2_module(struct module *this_module, unsigned long *token)
{
#endif
	struct pkvm_el2_module *hyp;
	struct pkvm_a64_sec secs[5];
	struct arm_smccc_res res;
	unsigned long start, end, nr_pages, hyp_va, mapped = 0, i;
	int nr = 0, j, rc;

	if (!this_module)
		return -EINVAL;
	hyp = &this_module->arch.hyp;
	if (pkvm_a64_finalized()) {
		printk("%s: pKVM is finalized: EL2 modules can no longer be loaded\n", this_module->name);
		return -EOPNOTSUPP;
	}

	secs[nr++] = (struct pkvm_a64_sec){(unsigned long)hyp->text.start, (unsigned long)hyp->text.end,
					   KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_X};
	secs[nr++] = (struct pkvm_a64_sec){(unsigned long)hyp->bss.start, (unsigned long)hyp->bss.end,
					   KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W};
	secs[nr++] = (struct pkvm_a64_sec){(unsigned long)hyp->rodata.start,
					   (unsigned long)hyp->rodata.end, KVM_PGTABLE_PROT_R};
	secs[nr++] = (struct pkvm_a64_sec){(unsigned long)hyp->data.start, (unsigned long)hyp->data.end,
					   KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W};
#if PKVM_GENERATION >= 15
	secs[nr++] = (struct pkvm_a64_sec){(unsigned long)hyp->event_ids.start,
					   (unsigned long)hyp->event_ids.end, KVM_PGTABLE_PROT_R};
#endif
	for (j = 0; j < nr; j++) {
		if (secs[j].start % PKVM_A64_PAGE_SIZE) {
			printk("%s: EL2 sections are not page-aligned\n", this_module->name);
			return -EINVAL;
		}
	}

	/* Drop empty sections, then sort by start address. */
	for (j = 0; j < nr;) {
		if (secs[j].start == 0 || secs[j].end <= secs[j].start)
			secs[j] = secs[--nr];
		else
			j++;
	}
	if (nr == 0 || !hyp->text.start) {
		printk("%s: no EL2 image (.hyp.text is empty)\n", this_module->name);
		return -ENOEXEC;
	}
	for (j = 1; j < nr; j++) {
		struct pkvm_a64_sec s = secs[j];
		int k = j - 1;

		for (; k >= 0 && secs[k].start > s.start; k--)
			secs[k + 1] = secs[k];
		secs[k + 1] = s;
	}
	start = secs[0].start;
	end = 0;
	for (j = 0; j < nr; j++) {
		unsigned long e = ALIGN(secs[j].end, PKVM_A64_PAGE_SIZE);

		if (e > end)
			end = e;
	}
	nr_pages = (end - start) / PKVM_A64_PAGE_SIZE;

	res = pkvm_a64_hyp(PKVM_HCALL_pkvm_alloc_module_va, nr_pages, 0, 0);
	if (res.a0 != SMCCC_RET_SUCCESS)
		return -EPERM;
	hyp_va = res.a1;
	if (!hyp_va)
		return -ENOMEM;
	if (token)
		*token = hyp_va;
#if PKVM_GENERATION == 15
	hyp->token = hyp_va;
#endif
#if PKVM_GENERATION >= 15
	hyp->sections.start = (void *)start;
	hyp->sections.end = (void *)end;
#endif
#if PKVM_GENERATION >= 16
	hyp->hyp_va = (void *)hyp_va;
#endif

	/* Calls from EL2 code to hypervisor functions the module does not define
	 * (A16's ext_symbols; libpkvm's own EL2 helpers in every generation): the
	 * branch offsets depend on the EL2 address, so they are patched now. */
	rc = pkvm_a64_el2_imports(this_module, hyp_va);
	if (rc)
		return rc;

	/* Every 64-bit slot .hyp.reloc names holds a kernel VA inside the image:
	 * make it the EL2 VA of the same byte (spec §2.3). */
	for (i = 0; i < hyp->nr_relocs; i++) {
		kvm_nvhe_reloc_t *rel = &hyp->relocs[i];
		u64 *slot = (u64 *)((char *)rel + *rel);

		*slot = *slot - start + hyp_va;
	}

	rc = pkvm_a64_map_pages(secs, nr, start, hyp_va, ~0UL, 0, &mapped);
	if (rc) {
		pkvm_a64_map_pages(secs, nr, start, hyp_va, mapped, 1, 0);
		return rc;
	}

	res = pkvm_a64_hyp(PKVM_HCALL_pkvm_init_module, hyp_va + ((unsigned long)hyp->init - start), 0,
			   0);
	rc = res.a0 == SMCCC_RET_SUCCESS ? (int)res.a1 : -EPERM;
	if (rc) {
		printk("%s: Failed to init EL2 module: %d\n", this_module->name, rc);
		pkvm_a64_map_pages(secs, nr, start, hyp_va, mapped, 1, 0);
		return rc;
	}
	pkvm_a64_el2_mod_add(this_module, hyp_va, start, end - start);
	printk("%s: EL2 image mapped at hyp VA %#lx (%lu page%s), init returned 0\n",
	       this_module->name, hyp_va, nr_pages, nr_pages == 1 ? "" : "s");
	return 0;
}

int __pkvm_register_el2_call(unsigned long hfn_hyp_va)
{
	struct arm_smccc_res res = pkvm_a64_hyp(PKVM_HCALL_pkvm_register_hcall, hfn_hyp_va, 0, 0);

	if (res.a0 != SMCCC_RET_SUCCESS)
		printk("WARNING: __pkvm_register_el2_call: the hypervisor refused "
		       "__pkvm_register_hcall (pKVM is finalized)\n");
	/* Like the kernel: x1 whatever the outcome (the argument when refused). */
	return (int)res.a1;
}
