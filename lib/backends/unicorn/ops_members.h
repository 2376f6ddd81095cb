// File: lib/backends/unicorn/ops_members.h (generated once from include/pkvm/abi/module_ops.h;
// every function-pointer member of any generation's struct pkvm_module_ops).
// The Unicorn backend builds one EL2 trampoline per member a generation has.
#ifndef PKVM_LIB_UNICORN_OPS_MEMBERS_H_
#define PKVM_LIB_UNICORN_OPS_MEMBERS_H_

#define PKVM_OPS_MEMBERS(X) \
  X(create_private_mapping) \
  X(alloc_module_va) \
  X(map_module_page) \
  X(register_serial_driver) \
  X(puts) \
  X(putx64) \
  X(fixmap_map) \
  X(fixmap_unmap) \
  X(linear_map_early) \
  X(linear_unmap_early) \
  X(flush_dcache_to_poc) \
  X(update_hcr_el2) \
  X(update_hfgwtr_el2) \
  X(register_host_perm_fault_handler) \
  X(host_stage2_mod_prot) \
  X(host_stage2_get_leaf) \
  X(register_host_smc_handler) \
  X(register_default_trap_handler) \
  X(register_illegal_abt_notifier) \
  X(register_psci_notifier) \
  X(register_hyp_panic_notifier) \
  X(host_donate_hyp) \
  X(hyp_donate_host) \
  X(host_share_hyp) \
  X(host_unshare_hyp) \
  X(pin_shared_mem) \
  X(unpin_shared_mem) \
  X(memcpy) \
  X(memset) \
  X(hyp_pa) \
  X(hyp_va) \
  X(kern_hyp_va) \
  X(host_stage2_mod_prot_range) \
  X(putc) \
  X(register_unmask_serror) \
  X(host_donate_hyp_prot) \
  X(hyp_alloc) \
  X(hyp_alloc_errno) \
  X(hyp_free) \
  X(iommu_donate_pages) \
  X(iommu_reclaim_pages) \
  X(iommu_request) \
  X(iommu_init_device) \
  X(udelay) \
  X(hyp_alloc_missing_donations) \
  X(list_add_valid_or_report) \
  X(list_del_entry_valid_or_report) \
  X(iommu_iotlb_gather_add_page) \
  X(register_hyp_event_ids) \
  X(tracing_reserve_entry) \
  X(tracing_commit_entry) \
  X(iommu_donate_pages_atomic) \
  X(iommu_reclaim_pages_atomic) \
  X(iommu_snapshot_host_stage2) \
  X(hyp_smp_processor_id) \
  X(iommu_flush_unmap_cache) \
  X(host_stage2_enable_lazy_pte) \
  X(host_stage2_disable_lazy_pte) \
  X(register_guest_smc_handler) \
  X(guest_stage2_pa) \
  X(fixblock_map) \
  X(fixblock_unmap) \
  X(host_donate_sglist_hyp) \
  X(tracing_mod_hyp_printk) \
  X(pkvm_unuse_dma) \
  X(device_register_reset) \
  X(device_register_power_lock) \
  X(get_time) \
  X(register_guest_trng_ops) \
  X(map_module_pages) \
  X(unmap_module_pages) \
  X(request_hyp_alloc) \
  X(pkvm_use_dma) \
  X(init_hvc_pd) \
  X(iommu_register_pviommu_drv)

#endif  // PKVM_LIB_UNICORN_OPS_MEMBERS_H_
