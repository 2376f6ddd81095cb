/* The mmio_emul module's hypercall (x1) and the registers of the device it
 * emulates, shared by its EL2 code and the tests. */
#ifndef PKVM_TEST_MMIO_EMUL_H_
#define PKVM_TEST_MMIO_EMUL_H_

enum mmio_emul_cmd {
	EMUL_CLAIM = 1,    /* x2 = pfn of the device page: the host loses direct access */
	EMUL_SCRATCH = 2,  /* -> x1 = the scratch register as the module holds it */
};

#define EMUL_REG_ID 0x00       /* RO: EMUL_ID */
#define EMUL_REG_SCRATCH 0x08  /* RW, 64 bits */
#define EMUL_REG_READS 0x10    /* RO: emulated reads so far (this one excluded) */
#define EMUL_REG_LAST_SIZE 0x18 /* RO: size in bytes of the last emulated write */
#define EMUL_ID 0x4d4d494fUL

#endif
