/* File: include/pkvm/compat/asm/kvm_arm.h -- HCR_EL2 bits (Arm ARM
 * D19.2.48) and the host's HCR_EL2 value under protected KVM.
 *
 *   ops->update_hcr_el2(HCR_TVM, 0);   // trap the host's VM-register writes
 */
#ifndef __ARM64_KVM_ARM_H__
#define __ARM64_KVM_ARM_H__

#include <linux/bits.h>
#include <linux/types.h>
#include <asm/esr.h>
#include <asm/memory.h>
#include <asm/sysreg.h>

/* Fault address masks: FAR_EL2's page offset, HPFAR_EL2's FIPA field. */
#define FAR_MASK GENMASK_ULL(11, 0)
#define HPFAR_MASK (~UL(0xf))

#define HCR_VM (UL(1) << 0)
#define HCR_SWIO (UL(1) << 1)
#define HCR_PTW (UL(1) << 2)
#define HCR_FMO (UL(1) << 3)
#define HCR_IMO (UL(1) << 4)
#define HCR_AMO (UL(1) << 5)
#define HCR_VF (UL(1) << 6)
#define HCR_VI (UL(1) << 7)
#define HCR_VSE (UL(1) << 8)
#define HCR_FB (UL(1) << 9)
#define HCR_BSU_IS (UL(1) << 10)
#define HCR_DC (UL(1) << 12)
#define HCR_TWI (UL(1) << 13)
#define HCR_TWE (UL(1) << 14)
#define HCR_TID0 (UL(1) << 15)
#define HCR_TID1 (UL(1) << 16)
#define HCR_TID2 (UL(1) << 17)
#define HCR_TID3 (UL(1) << 18)
#define HCR_TSC (UL(1) << 19)
#define HCR_TIDCP (UL(1) << 20)
#define HCR_TACR (UL(1) << 21)
#define HCR_TSW (UL(1) << 22)
#define HCR_TPC (UL(1) << 23)
#define HCR_TPU (UL(1) << 24)
#define HCR_TTLB (UL(1) << 25)
#define HCR_TVM (UL(1) << 26)
#define HCR_TGE (UL(1) << 27)
#define HCR_TDZ (UL(1) << 28)
#define HCR_HCD (UL(1) << 29)
#define HCR_TRVM (UL(1) << 30)
#define HCR_RW (UL(1) << 31)
#define HCR_CD (UL(1) << 32)
#define HCR_ID (UL(1) << 33)
#define HCR_E2H (UL(1) << 34)
#define HCR_TLOR (UL(1) << 35)
#define HCR_TERR (UL(1) << 36)
#define HCR_TEA (UL(1) << 37)
#define HCR_APK (UL(1) << 40)
#define HCR_API (UL(1) << 41)
#define HCR_NV (UL(1) << 42)
#define HCR_NV1 (UL(1) << 43)
#define HCR_AT (UL(1) << 44)
#define HCR_NV2 (UL(1) << 45)
#define HCR_FWB (UL(1) << 46)
#define HCR_FIEN (UL(1) << 47)
#define HCR_TID4 (UL(1) << 49)
#define HCR_TICAB (UL(1) << 50)
#define HCR_TOCU (UL(1) << 52)
#define HCR_TTLBIS (UL(1) << 54)
#define HCR_TTLBOS (UL(1) << 55)
#define HCR_ATA (UL(1) << 56)
#define HCR_DCT (UL(1) << 57)
#define HCR_TID5 (UL(1) << 58)
#define HCR_TWEDEn (UL(1) << 59)

/* What libpkvm's machine starts the host with (Hypervisor::hcr_el2()). */
#define HCR_HOST_NVHE_FLAGS (HCR_RW | HCR_API | HCR_APK | HCR_ATA)
#define HCR_HOST_NVHE_PROTECTED_FLAGS (HCR_HOST_NVHE_FLAGS | HCR_TSC)

#endif
