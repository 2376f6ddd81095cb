/* Generic kernel headers a module includes itself: unaligned accessors and
 * variable argument lists. */
#include <asm/unaligned.h>
#include <linux/stdarg.h>

u64 kc_generic(u64 sel);

static u64 sum(int n, ...)
{
	va_list ap;
	u64 total = 0;

	va_start(ap, n);
	while (n-- > 0)
		total += va_arg(ap, u64);
	va_end(ap);
	return total;
}

u64 kc_generic(u64 sel)
{
	static u8 buf[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99 };

	switch (sel) {
	case 0:
		return get_unaligned_le32(buf + 1);
	case 1:
		return get_unaligned_be16(buf + 1);
	case 2:
		put_unaligned_be64(0x0102030405060708ULL, buf + 3);
		return get_unaligned_le64(buf + 3);
	case 3:
		return sum(3, 10ULL, 20ULL, 30ULL);
	default:
		return 0;
	}
}
