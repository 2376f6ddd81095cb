/* Shared by both halves through the ddk_headers' includes. */
#ifndef PKVM_DDK_H
#define PKVM_DDK_H
#define PKVM_DDK_OFFSET 5
#endif
