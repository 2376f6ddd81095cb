unsigned long pkvm_kbuild_step(unsigned long x);
