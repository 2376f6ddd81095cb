/* File: test/hardware/string.c
 * The string routines GCC may emit calls to in freestanding code (it
 * requires memcpy, memmove, memset and memcmp even with -ffreestanding).
 * Byte loops: the image runs EL1 code with the MMU off (Device memory,
 * where unaligned accesses fault). */
#include <stddef.h>

void *memcpy(void *to, const void *from, size_t n)
{
	unsigned char *d = to;
	const unsigned char *s = from;
	while (n--)
		*d++ = *s++;
	return to;
}

void *memmove(void *to, const void *from, size_t n)
{
	unsigned char *d = to;
	const unsigned char *s = from;
	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return to;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; --n, ++x, ++y)
		if (*x != *y)
			return *x - *y;
	return 0;
}
