/* File: include/pkvm/compat/asm/alternative-macros.h -- code patched at boot
 * by CPU feature.
 *
 * libpkvm's simulated CPU has none of the optional features the kernel
 * patches for, so every alternative keeps its default (first) code, which
 * is what a kernel without those capabilities runs.
 */
#ifndef __ASM_ALTERNATIVE_MACROS_H
#define __ASM_ALTERNATIVE_MACROS_H

#include <asm/insn-def.h>

#define ALTERNATIVE(oldinstr, newinstr, ...) oldinstr
#define ALTERNATIVE_CB(oldinstr, feature, cb) oldinstr
#define alternative_has_cap_likely(cap) 0
#define alternative_has_cap_unlikely(cap) 0

#endif
