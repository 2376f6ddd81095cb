/* Commands of the page_guard module's hypercall (x1), shared by its EL2
 * code and the tests. */
#ifndef PKVM_TEST_PAGE_GUARD_H_
#define PKVM_TEST_PAGE_GUARD_H_

enum page_guard_cmd {
	GUARD_PROTECT = 1,   /* x2 = pfn: the host may read it, writes are logged */
	GUARD_RELEASE = 2,   /* x2 = pfn: back to the host, untracked */
	GUARD_LOG_COUNT = 3, /* -> x1 = writes logged */
	GUARD_LOG_ENTRY = 4, /* x2 = index -> x1 = address, x2 = value, x3 = size */
};

#define GUARD_MAX_LOG 32

#endif
