/* File: arch/aarch64/glue/el1_string.c
 * The kernel's string routines for EL1 module code (the compiler emits calls
 * to them for struct copies and clears). Built with -fno-builtin and
 * -fno-tree-loop-distribute-patterns so the loops stay loops. Compiled once
 * per function (PKVM_A64_STRING_<name>) so an archive member is pulled in
 * only when the module needs it and a module's own definition wins.
 * Also compiled for EL2 (the EL2 runtime); the objcopy of the EL2 build then
 * renames them __kvm_nvhe_memcpy and so on.
 */
typedef __SIZE_TYPE__ size_t;

#ifdef PKVM_A64_STRING_memcpy
void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if ((((unsigned long)d | (unsigned long)s | n) & 7) == 0) {
		for (; n; n -= 8, d += 8, s += 8)
			*(unsigned long *)d = *(const unsigned long *)s;
		return dst;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}
#endif

#ifdef PKVM_A64_STRING_memmove
void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n) {
		while (n--)
			*d++ = *s++;
	} else {
		d += n;
		s += n;
		while (n--)
			*--d = *--s;
	}
	return dst;
}
#endif

#ifdef PKVM_A64_STRING_memset
void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	if ((((unsigned long)d | n) & 7) == 0) {
		unsigned long v = (unsigned char)c * 0x0101010101010101UL;

		for (; n; n -= 8, d += 8)
			*(unsigned long *)d = v;
		return dst;
	}
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}
#endif

#ifdef PKVM_A64_STRING_memcmp
int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}
#endif

#ifdef PKVM_A64_STRING_strlen
size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return p - s;
}
#endif
