static inline unsigned long pkvm_ddk_scale(unsigned long x)
{
	return x * PKVM_DDK_FACTOR;
}
