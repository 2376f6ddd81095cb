/* File: test/c/pkvm_c_test.c
 * The C API (include/pkvm/pkvm.h) from C99, with the example modules the
 * tree builds:
 *   pkvm_c_test <pkvm_driver.so (A15)> <hello_hypercall.so (A16)> <not-a-module.so> [test]
 * The environment names the other builds: PKVM_PROBE_A15_SO (test/modules
 * probe), and for the unicorn backend PKVM_DRIVER_A15_KO, PKVM_PROBE_A15_KO.
 * Each test is a function; a failing CHECK prints the place and the handle's
 * last error and the run ends with a non-zero status. Tests taking a
 * `const struct backend*` run once per backend this build has ("native",
 * "unicorn"); a test SKIPs only when libpkvm answers -EOPNOTSUPP (a backend
 * this build lacks) and says why.
 * test_readme_example is the first example docs/c-api.md had; the doc's
 * current example is compiled and run as it is written (test/docs). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkvm/pkvm.h"

static const char* g_driver_so;
static const char* g_hello_so;
static const char* g_not_a_module;
static int g_failures;
static int g_skips;
static int g_test_failed;
static int g_test_skipped;
static char g_skip_reason[512];

/* One backend and the builds of the test modules for it. */
struct backend {
  const char* name;
  const char* driver;   /* pkvm_driver, A15 (.so or .ko) */
  const char* probe;    /* test/modules probe, A15 */
  const char* faulty;   /* test/modules faulty (misbehaves on request), or NULL */
};

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);       \
      g_test_failed = 1;                                                             \
      return;                                                                        \
    }                                                                                \
  } while (0)

#define CHECK_RC(m, expr, want)                                                      \
  do {                                                                               \
    int rc_ = (expr);                                                                \
    if (rc_ != (want)) {                                                             \
      fprintf(stderr, "%s:%d: %s returned %d (%s), want %d; last error: %s\n",       \
              __FILE__, __LINE__, #expr, rc_, pkvm_strerror(rc_), (want),            \
              pkvm_last_error(m));                                                   \
      g_test_failed = 1;                                                             \
      return;                                                                        \
    }                                                                                \
  } while (0)

static pkvm_machine* make_machine(int generation, const char* cmdline) {
  struct pkvm_machine_options o;
  pkvm_machine* m = NULL;
  pkvm_machine_options_init(&o);
  o.generation = generation;
  o.cpus = 2;
  o.cmdline = cmdline;
  o.trace_clock = PKVM_TRACE_CLOCK_MANUAL;
  if (pkvm_machine_create(&o, &m) != 0) {
    fprintf(stderr, "pkvm_machine_create: %s\n", pkvm_create_error());
    return NULL;
  }
  return m;
}

/* The first example of docs/c-api.md: load the Android page's module, call
 * it, trace it. */
static void test_readme_example(void) {
  struct pkvm_machine_options o;
  pkvm_machine* m = NULL;
  struct pkvm_regs r;
  char trace[4096];
  size_t len = 0;
  int rc;

  pkvm_machine_options_init(&o);
  o.generation = 15;
  o.cpus = 2;
  o.cmdline = "kvm-arm.protected_modules=pkvm_driver";
  o.trace_clock = PKVM_TRACE_CLOCK_MANUAL;
  CHECK_RC(NULL, pkvm_machine_create(&o, &m), 0);

  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), 0);
  rc = pkvm_boot(m);
  if (rc < 0) fprintf(stderr, "boot: %s\n%s", pkvm_last_error(m), pkvm_boot_log(m));
  CHECK_RC(m, rc, 0);

  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/tracing_on", "1", 1), 0);
  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/events/host_hcall/enable", "1\n", 2), 0);

  memset(&r, 0, sizeof(r));
  r.x[0] = 0xC6000080; /* the module's first dynamic hypercall: id 128 */
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  CHECK(r.x[0] == 0);

  CHECK_RC(m, pkvm_tracefs_read(m, "hyp/trace_pipe", trace, sizeof(trace), &len), 0);
  CHECK(strcmp(trace, "[000]\t    0.000000: host_hcall id=128 invalid=0\n") == 0);
  CHECK(len == strlen(trace));
  /* trace_pipe is consumed */
  CHECK_RC(m, pkvm_tracefs_read(m, "hyp/trace_pipe", trace, sizeof(trace), &len), 0);
  CHECK(len == 0 && trace[0] == '\0');

  pkvm_machine_destroy(m);
}

static void test_version(void) {
  const char* v = pkvm_version();
  CHECK(v != NULL && v[0] >= '0' && v[0] <= '9' && strchr(v, '.') != NULL);
  CHECK(pkvm_api_version() == PKVM_C_API_VERSION);
}

static void test_state_and_logs(void) {
  pkvm_machine* m = make_machine(15, "kvm-arm.protected_modules=pkvm_driver");
  CHECK(m != NULL);
  CHECK(pkvm_machine_state(m) == PKVM_STATE_CREATED);
  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  CHECK(pkvm_machine_state(m) == PKVM_STATE_DEPRIVILEGED);
  CHECK(pkvm_protected_vms_enabled(m) == 1);
  CHECK(strstr(pkvm_boot_log(m), "pkvm_driver") != NULL);
  CHECK(strcmp(pkvm_last_error(m), "") == 0);
  (void)pkvm_serial_output(m);
  CHECK(strcmp(pkvm_panic_report(m), "") == 0);
  pkvm_machine_destroy(m);
}

static void test_hvc_on_every_cpu_and_bad_cpu(void) {
  struct pkvm_regs r;
  pkvm_machine* m = make_machine(15, "kvm-arm.protected_modules=pkvm_driver");
  CHECK(m != NULL);
  memset(&r, 0, sizeof(r));
  r.x[0] = 0xC6000080;
  CHECK_RC(m, pkvm_hvc(m, 0, &r), -EPERM); /* not booted */
  CHECK(strstr(pkvm_last_error(m), "-EPERM: ") == pkvm_last_error(m));
  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  CHECK_RC(m, pkvm_hvc(m, 1, &r), 0);
  CHECK(r.x[0] == 0);
  memset(&r, 0, sizeof(r));
  r.x[0] = 0xC6000080;
  CHECK_RC(m, pkvm_hvc(m, 2, &r), -EINVAL); /* 2 CPUs: 0 and 1 */
  CHECK_RC(m, pkvm_hvc(m, -1, &r), -EINVAL);
  CHECK_RC(m, pkvm_hvc(m, 0, NULL), -EINVAL);
  CHECK(strstr(pkvm_last_error(m), "regs is NULL") != NULL);
  pkvm_machine_destroy(m);
}

static void test_hello_hypercall_printk(void) {
  char buf[4096];
  struct pkvm_regs r;
  pkvm_machine* m = make_machine(16, "kvm-arm.protected_modules=hello_hypercall");
  CHECK(m != NULL);
  CHECK_RC(m, pkvm_offer_module_file(m, g_hello_so), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  CHECK_RC(m, pkvm_tracefs_write(m, "hypervisor/tracing_on", "1", 1), 0);
  CHECK_RC(m, pkvm_tracefs_write(m, "hypervisor/events/hypervisor/__hyp_printk/enable", "1", 1),
           0);
  CHECK_RC(m, pkvm_advance_trace_clock(m, 1500000000ull), 0);
  memset(&r, 0, sizeof(r));
  r.x[0] = 0xC6000080;
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  CHECK_RC(m, pkvm_tracefs_read(m, "/sys/kernel/tracing/hypervisor/trace_pipe", buf, sizeof(buf),
                                NULL), 0);
  CHECK(strstr(buf, "[000]\t    1.500000: __hyp_printk Hello World\n") != NULL);
  pkvm_machine_destroy(m);
}

static void test_buffer_too_small_keeps_trace(void) {
  char small[8];
  char *big;
  size_t len = 0, len2 = 0;
  struct pkvm_regs r;
  const char* want = "[000]\t    0.000000: host_hcall id=128 invalid=0\n";
  pkvm_machine* m = make_machine(15, "kvm-arm.protected_modules=pkvm_driver");
  CHECK(m != NULL);
  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/tracing_on", "1", 1), 0);
  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/events/host_hcall/enable", "1\n", 2), 0);
  memset(&r, 0, sizeof(r));
  r.x[0] = 0xC6000080;
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);

  CHECK_RC(m, pkvm_tracefs_read(m, "hyp/trace_pipe", small, sizeof(small), &len), -ERANGE);
  CHECK(len == strlen(want));
  CHECK(strstr(pkvm_last_error(m), "-ERANGE: ") == pkvm_last_error(m));
  /* a size query with a NULL buffer keeps the same data */
  CHECK_RC(m, pkvm_tracefs_read(m, "hyp/trace_pipe", NULL, 0, &len2), -ERANGE);
  CHECK(len2 == len);
  big = malloc(len + 1);
  CHECK(big != NULL);
  if (pkvm_tracefs_read(m, "hyp/trace_pipe", big, len + 1, &len2) != 0 || len2 != len ||
      strcmp(big, want) != 0) {
    free(big);
    CHECK(!"the trace that did not fit was lost");
  }
  free(big);
  pkvm_machine_destroy(m);
}

static void test_tracefs_list_and_dump(void) {
  char buf[8192];
  char dir[] = "/tmp/pkvm_c_test_XXXXXX";
  char path[256];
  struct stat st;
  size_t len = 0;
  pkvm_machine* m = make_machine(15, "kvm-arm.protected_modules=pkvm_driver");
  CHECK(m != NULL);
  CHECK_RC(m, pkvm_tracefs_list(m, "hyp", buf, sizeof(buf), &len), -ENODEV); /* before boot */
  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  CHECK_RC(m, pkvm_tracefs_list(m, "hyp", buf, sizeof(buf), &len), 0);
  CHECK(strstr(buf, "trace_pipe\n") != NULL);
  CHECK(strstr(buf, "events/\n") != NULL);
  CHECK_RC(m, pkvm_tracefs_list(m, "hyp", buf, 4, &len), -ERANGE);
  CHECK(mkdtemp(dir) != NULL);
  CHECK_RC(m, pkvm_tracefs_dump(m, dir), 0);
  snprintf(path, sizeof(path), "%s/hyp/events/host_hcall/format", dir);
  {
    int found = stat(path, &st) == 0;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    CHECK(found);
  }
  pkvm_machine_destroy(m);
}

static void test_injections_and_panic(void) {
  int result = 99, handled = 99, unmask = 99;
  pkvm_machine* p;
  struct pkvm_regs r;
  char buf[64];
  pkvm_machine* m = make_machine(15, "kvm-arm.protected_modules=pkvm_driver");
  CHECK(m != NULL);
  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  /* pkvm_driver registers no fault handler: the abort goes to the host */
  CHECK_RC(m, pkvm_inject_host_perm_fault(m, 0, 0x9200004f, 0x40000000, &result), 0);
  CHECK(result == -EPERM || result == 0 || result == -EAGAIN);
  CHECK_RC(m, pkvm_inject_serror(m, 1, &unmask), 0);
  CHECK(unmask == 0 || unmask == 1);
  CHECK_RC(m, pkvm_inject_psci(m, 0, PKVM_PSCI_NOTIFY_CPU_SUSPEND), 0);
  CHECK_RC(m, pkvm_inject_psci(m, 0, 7), -EINVAL);
  memset(&r, 0, sizeof(r));
  r.x[0] = 0x84000000; /* PSCI_VERSION */
  CHECK_RC(m, pkvm_smc(m, 0, &r, NULL, NULL), 0);
  /* no module of pkvm_driver handles traps: an unhandled trap is a hyp panic */
  CHECK_RC(m, pkvm_inject_host_trap(m, 0, 0x62000000, &handled), -EIO);
  CHECK(strstr(pkvm_last_error(m), "unhandled host trap") != NULL);
  CHECK(pkvm_machine_state(m) == PKVM_STATE_PANICKED);
  CHECK(strstr(pkvm_panic_report(m), "unhandled host trap") != NULL);
  CHECK_RC(m, pkvm_inject_hyp_panic(m, 0, "again"), -EIO);
  /* use after a hyp panic: errors, never a crash */
  memset(&r, 0, sizeof(r));
  r.x[0] = 0xC6000080;
  CHECK(pkvm_hvc(m, 0, &r) < 0);
  CHECK_RC(m, pkvm_tracefs_read(m, "hyp/trace_pipe", buf, sizeof(buf), NULL), -EIO);
  pkvm_machine_destroy(m);

  /* an explicit panic */
  p = make_machine(15, "kvm-arm.protected_modules=pkvm_driver");
  CHECK(p != NULL);
  CHECK_RC(p, pkvm_offer_module_file(p, g_driver_so), 0);
  CHECK_RC(p, pkvm_boot(p), 0);
  CHECK_RC(p, pkvm_inject_hyp_panic(p, 1, "test panic"), 0);
  CHECK(pkvm_machine_state(p) == PKVM_STATE_PANICKED);
  CHECK(strstr(pkvm_panic_report(p), "test panic") != NULL);
  CHECK(pkvm_boot(p) < 0);
  pkvm_machine_destroy(p);
}

static void test_page_state_and_host_memory(void) {
  struct pkvm_page_state s;
  unsigned char data[16] = "hello, memory!!";
  unsigned char back[16];
  pkvm_machine* m = make_machine(15, "kvm-arm.protected_modules=pkvm_driver");
  CHECK(m != NULL);
  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  CHECK_RC(m, pkvm_page_state(m, 0x40010, &s), 0);
  CHECK(s.pfn == 0x40010);
  CHECK(s.kind == PKVM_PAGE_RAM);
  CHECK(s.owner == PKVM_OWNER_HOST);
  CHECK(s.host == PKVM_PAGE_OWNED);
  CHECK(s.hyp == PKVM_PAGE_NOPAGE);
  CHECK(s.host_prot != 0);
  CHECK_RC(m, pkvm_page_state(m, 0x10, &s), 0);
  CHECK(s.kind == PKVM_PAGE_NONE);
  CHECK_RC(m, pkvm_page_state(m, 0x40010, NULL), -EINVAL);
  CHECK_RC(m, pkvm_host_write(m, 0, 0x40010000, data, sizeof(data)), 0);
  CHECK_RC(m, pkvm_host_read(m, 0, 0x40010000, back, sizeof(back)), 0);
  CHECK(memcmp(data, back, sizeof(data)) == 0);
  CHECK_RC(m, pkvm_host_read(m, 0, 0x40010000, NULL, 4), -EINVAL);
  pkvm_machine_destroy(m);
}

static void test_errors(void) {
  struct pkvm_machine_options o;
  struct pkvm_regs r;
  pkvm_machine* m = NULL;
  char buf[16];

  /* NULL handles and pointers */
  CHECK(pkvm_boot(NULL) == -EINVAL);
  CHECK(pkvm_hvc(NULL, 0, &r) == -EINVAL);
  CHECK(pkvm_offer_module_file(NULL, g_driver_so) == -EINVAL);
  CHECK(pkvm_tracefs_read(NULL, "hyp/trace_pipe", buf, sizeof(buf), NULL) == -EINVAL);
  CHECK(pkvm_tracefs_write(NULL, "hyp/tracing_on", "1", 1) == -EINVAL);
  CHECK(pkvm_inject_hyp_panic(NULL, 0, "x") == -EINVAL);
  CHECK(pkvm_machine_state(NULL) == -EINVAL);
  CHECK(strcmp(pkvm_last_error(NULL), "") == 0);
  CHECK(strcmp(pkvm_boot_log(NULL), "") == 0);
  pkvm_machine_destroy(NULL);
  CHECK(pkvm_machine_create(NULL, &m) == -EINVAL && m == NULL);
  pkvm_machine_options_init(&o);
  CHECK(pkvm_machine_create(&o, NULL) == -EINVAL);

  /* bad options */
  o.generation = 13;
  CHECK(pkvm_machine_create(&o, &m) == -EINVAL && m == NULL);
  CHECK(strstr(pkvm_create_error(), "generation 13") != NULL);
  o.generation = 18;
  CHECK(pkvm_machine_create(&o, &m) == -EINVAL && m == NULL);
  /* 17: the provisional android17-6.18 profile */
  o.generation = 17;
  CHECK(pkvm_machine_create(&o, &m) == 0 && m != NULL);
  CHECK(pkvm_machine_generation(m) == 17);
  pkvm_machine_destroy(m);
  m = NULL;
  pkvm_machine_options_init(&o);
  o.backend = "qemu";
  CHECK(pkvm_machine_create(&o, &m) == -EINVAL);
  CHECK(strstr(pkvm_create_error(), "qemu") != NULL);
  pkvm_machine_options_init(&o);
  o.cpus = 0;
  CHECK(pkvm_machine_create(&o, &m) == -EINVAL);
  pkvm_machine_options_init(&o);
  o.trace_clock = 5;
  CHECK(pkvm_machine_create(&o, &m) == -EINVAL);

  m = make_machine(15, "kvm-arm.protected_modules=pkvm_driver");
  CHECK(m != NULL);
  /* a module file that does not exist, one that is not a module, NULL */
  CHECK_RC(m, pkvm_offer_module_file(m, "/nonexistent/pkvm_driver.so"), -ENOENT);
  CHECK(strstr(pkvm_last_error(m), "-ENOENT: ") == pkvm_last_error(m));
  CHECK(strstr(pkvm_last_error(m), "/nonexistent/pkvm_driver.so") != NULL);
  CHECK_RC(m, pkvm_offer_module_file(m, g_not_a_module), -ENOEXEC);
  CHECK_RC(m, pkvm_offer_module_file(m, NULL), -EINVAL);
  CHECK(strstr(pkvm_last_error(m), "path is NULL") != NULL);
  /* an A16 module on an A15 machine */
  CHECK(pkvm_offer_module_file(m, g_hello_so) < 0);
  /* tracefs before boot */
  CHECK_RC(m, pkvm_tracefs_read(m, "hyp/trace_pipe", buf, sizeof(buf), NULL), -ENODEV);
  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), 0);
  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), -EEXIST);
  CHECK_RC(m, pkvm_boot(m), 0);
  /* double boot */
  CHECK_RC(m, pkvm_boot(m), -EBUSY);
  CHECK(strstr(pkvm_last_error(m), "already booted") != NULL);
  /* bad tracefs paths and values */
  CHECK_RC(m, pkvm_tracefs_read(m, "hyp/no_such_file", buf, sizeof(buf), NULL), -ENOENT);
  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/events/host_hcall/enable", "2", 1), -EINVAL);
  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/tracing_on", NULL, 1), -EINVAL);
  CHECK_RC(m, pkvm_tracefs_read(m, NULL, buf, sizeof(buf), NULL), -EINVAL);
  CHECK_RC(m, pkvm_tracefs_dump(m, NULL), -EINVAL);
  pkvm_machine_destroy(m);

  /* a module named on the command line that nobody offered */
  m = make_machine(15, "kvm-arm.protected_modules=not_there");
  CHECK(m != NULL);
  CHECK_RC(m, pkvm_boot(m), -ENOENT);
  CHECK(pkvm_protected_vms_enabled(m) == 0);
  CHECK(pkvm_machine_state(m) == PKVM_STATE_DEPRIVILEGED);
  pkvm_machine_destroy(m);
}

/* A machine on backend `b`; NULL with the test skipped (-EOPNOTSUPP) or
 * failed. */
static pkvm_machine* make_machine_on(const struct backend* b, const char* cmdline, int* skipped) {
  struct pkvm_machine_options o;
  pkvm_machine* m = NULL;
  int rc;
  pkvm_machine_options_init(&o);
  o.generation = 15;
  o.cpus = 2;
  o.cmdline = cmdline;
  o.backend = b->name;
  o.trace_clock = PKVM_TRACE_CLOCK_MANUAL;
  *skipped = 0;
  rc = pkvm_machine_create(&o, &m);
  if (rc == -EOPNOTSUPP) {
    *skipped = 1;
    g_test_skipped = 1;
    snprintf(g_skip_reason, sizeof(g_skip_reason), "%s", pkvm_create_error());
    return NULL;
  }
  if (rc != 0) fprintf(stderr, "pkvm_machine_create(%s): %s\n", b->name, pkvm_create_error());
  return m;
}

#define MAKE_MACHINE_ON(m, b, cmdline)                                               \
  do {                                                                               \
    int skipped_;                                                                    \
    (m) = make_machine_on((b), (cmdline), &skipped_);                                \
    if (skipped_) return;                                                            \
    CHECK((m) != NULL);                                                              \
  } while (0)

static void test_backend_selection(void) {
  struct pkvm_machine_options o;
  pkvm_machine* m = NULL;
  int unicorn = pkvm_backend_available("unicorn");
  int rc;

  CHECK(pkvm_backend_available("native") == 1);
  CHECK(unicorn == 0 || unicorn == 1);
  CHECK(pkvm_backend_available("qemu") == -EINVAL);
  CHECK(pkvm_backend_available("") == -EINVAL);
  CHECK(pkvm_backend_available(NULL) == -EINVAL);
  CHECK(strcmp(pkvm_machine_backend(NULL), "") == 0);
  CHECK(pkvm_machine_generation(NULL) == -EINVAL);

  pkvm_machine_options_init(&o);
  o.backend = "native";
  CHECK_RC(NULL, pkvm_machine_create(&o, &m), 0);
  CHECK(strcmp(pkvm_machine_backend(m), "native") == 0);
  CHECK(pkvm_machine_generation(m) == 15);
  pkvm_machine_destroy(m);

  /* NULL is the native backend */
  pkvm_machine_options_init(&o);
  CHECK_RC(NULL, pkvm_machine_create(&o, &m), 0);
  CHECK(strcmp(pkvm_machine_backend(m), "native") == 0);
  pkvm_machine_destroy(m);

  /* names are exact: an unknown one says which exist */
  o.backend = "Native";
  CHECK(pkvm_machine_create(&o, &m) == -EINVAL && m == NULL);
  CHECK(strstr(pkvm_create_error(), "\"Native\"") != NULL);
  CHECK(strstr(pkvm_create_error(), "unicorn") != NULL);

  o.backend = "unicorn";
  rc = pkvm_machine_create(&o, &m);
  if (unicorn == 0) {
    CHECK(rc == -EOPNOTSUPP && m == NULL);
    CHECK(strstr(pkvm_create_error(), "unicorn") != NULL);
  } else if (rc == 0) {
    CHECK(strcmp(pkvm_machine_backend(m), "unicorn") == 0);
    /* a native module on the unicorn backend: not its kind of module */
    CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), -ENOEXEC);
    CHECK(strstr(pkvm_last_error(m), ".ko") != NULL); /* says what to load instead */
    pkvm_machine_destroy(m);
  } else {
    /* built with Unicorn, but the backend is not wired into Hypervisor yet */
    CHECK(rc == -EOPNOTSUPP && m == NULL);
    CHECK(strlen(pkvm_create_error()) > 0);
  }

  /* the gdb stub and coverage files watch emulated CPUs: unicorn only */
  pkvm_machine_options_init(&o);
  CHECK(o.gdb_port == -1 && o.coverage_lcov == NULL && o.coverage_drcov == NULL);
  o.gdb_port = 0;
  CHECK(pkvm_machine_create(&o, &m) == -EINVAL && m == NULL);
  CHECK(strstr(pkvm_create_error(), "needs --backend unicorn") != NULL);
  o.gdb_port = -1;
  o.coverage_lcov = "/nonexistent/cov.info";
  CHECK(pkvm_machine_create(&o, &m) == -EINVAL && m == NULL);
}

/* Load the Android page's module, call it, enable its event and read it back
 * as events. */
static void test_module_hvc_and_events(const struct backend* b) {
  struct pkvm_regs r;
  struct pkvm_trace_event ev;
  uint64_t v = 0;
  pkvm_machine* m;
  MAKE_MACHINE_ON(m, b, "kvm-arm.protected_modules=pkvm_driver");
  CHECK(strcmp(pkvm_machine_backend(m), b->name) == 0);
  CHECK_RC(m, pkvm_trace_pipe_next(m, &ev), -ENODEV); /* no tracefs before boot */
  CHECK(pkvm_trace_pipe_next(NULL, &ev) == -EINVAL);
  CHECK_RC(m, pkvm_offer_module_file(m, b->driver), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  CHECK(pkvm_protected_vms_enabled(m) == 1);
  CHECK_RC(m, pkvm_trace_pipe_next(m, &ev), 0); /* empty */
  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/tracing_on", "1", 1), 0);
  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/events/host_hcall/enable", "1\n", 2), 0);
  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/events/pkvm_driver_event/enable", "1\n", 2), 0);
  CHECK_RC(m, pkvm_advance_trace_clock(m, 3000), 0);

  memset(&r, 0, sizeof(r));
  r.x[0] = 0xC6000080;
  r.x[1] = 0x42;
  r.x[5] = 0x5555; /* registers the handler does not touch come back */
  CHECK_RC(m, pkvm_hvc(m, 1, &r), 0);
  CHECK(r.x[0] == 0 && r.x[1] == 0 && r.x[5] == 0x5555);

  CHECK_RC(m, pkvm_trace_pipe_next(m, &ev), 1);
  CHECK(ev.cpu == 1 && ev.timestamp_ns == 3000);
  CHECK(strcmp(ev.name, "host_hcall") == 0);
  CHECK_RC(m, pkvm_trace_event_field(&ev, "id", &v), 0);
  CHECK(v == 128);
  CHECK_RC(m, pkvm_trace_event_field(&ev, "invalid", &v), 0);
  CHECK(v == 0);
  CHECK_RC(m, pkvm_trace_pipe_next(m, &ev), 1);
  CHECK(strcmp(ev.name, "pkvm_driver_event") == 0);
  CHECK(strcmp(ev.text, "id=0x00000042") == 0);
  CHECK_RC(m, pkvm_trace_event_field(&ev, "id", &v), 0);
  CHECK(v == 0x42);
  CHECK_RC(m, pkvm_trace_event_field(&ev, "nope", &v), -ENOENT);
  CHECK_RC(m, pkvm_trace_event_field(&ev, NULL, &v), -EINVAL);
  CHECK_RC(m, pkvm_trace_event_field(NULL, "id", &v), -EINVAL);
  CHECK_RC(m, pkvm_trace_pipe_next(m, &ev), 0); /* consumed */
  CHECK_RC(m, pkvm_trace_pipe_next(m, NULL), -EINVAL);
  pkvm_machine_destroy(m);
}

static void probe_call(uint64_t cmd, uint64_t a, struct pkvm_regs* r) {
  memset(r, 0, sizeof(*r));
  r->x[0] = 0xC6000080;
  r->x[1] = cmd;
  r->x[2] = a;
}

/* Module EL2 code that faults is a hyp panic of its machine, never of the
 * process: a NULL load and a recursion past the hyp stack, each reported
 * with the cause, the function and its source line, and a call trace; a
 * fresh machine then answers. */
static void test_module_faults_contained(const struct backend* b) {
  static const struct {
    uint64_t how;
    const char* cause;
    const char* where;
  } cases[] = {
      {8, "EL2 data abort", "faulty_hyp_hvc+0x"},
      {10, "hyp stack overflow", "faulty_recurse+0x"},
  };
  struct pkvm_regs r;
  pkvm_machine* m;
  size_t i;
  if (b->faulty == NULL) {
    g_test_skipped = 1;
    snprintf(g_skip_reason, sizeof(g_skip_reason), "PKVM_FAULTY_%s is not set",
             strcmp(b->name, "native") == 0 ? "SO" : "KO");
    return;
  }
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char* report;
    MAKE_MACHINE_ON(m, b, "kvm-arm.protected_modules=faulty");
    CHECK_RC(m, pkvm_offer_module_file(m, b->faulty), 0);
    CHECK_RC(m, pkvm_boot(m), 0);
    probe_call(cases[i].how, 0, &r);
    CHECK_RC(m, pkvm_hvc(m, 0, &r), -EIO);
    CHECK(pkvm_machine_state(m) == PKVM_STATE_PANICKED);
    report = pkvm_panic_report(m);
    CHECK(strstr(report, cases[i].cause) != NULL);
    CHECK(strstr(report, cases[i].where) != NULL);
    CHECK(strstr(report, "(el2.c:") != NULL);
    CHECK(strstr(report, "Call trace:") != NULL);
    pkvm_machine_destroy(m);
  }
  MAKE_MACHINE_ON(m, b, "kvm-arm.protected_modules=faulty");
  CHECK_RC(m, pkvm_offer_module_file(m, b->faulty), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  probe_call(0, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  CHECK(r.x[1] == 0x600d);
  pkvm_machine_destroy(m);
}

/* Host SMC, permission fault and PSCI reaching the module's handlers, then a
 * BUG() in module code: a hyp panic of the machine, not of the process. */
static void test_injected_faults_and_bug(const struct backend* b) {
  struct pkvm_regs r;
  int result = 99, handled = 0, forwarded = 0;
  pkvm_machine* m;
  MAKE_MACHINE_ON(m, b, "kvm-arm.protected_modules=probe");
  CHECK_RC(m, pkvm_offer_module_file(m, b->probe), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  probe_call(0 /* PROBE_PING */, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  CHECK(r.x[0] == 0 && r.x[1] == 0x600d);

  /* no handler yet: the abort goes to the host */
  CHECK_RC(m, pkvm_inject_host_perm_fault(m, 0, 0x9200004f, 0x40000000, &result), 0);
  CHECK(result == -EPERM);
  probe_call(1 /* PROBE_REG_PERM_FAULT */, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  CHECK(r.x[1] == 0);
  CHECK_RC(m, pkvm_inject_host_perm_fault(m, 1, 0x9200004f, 0x40001000, &result), 0);
  CHECK(result == 0); /* the probe's handler resolved it */
  probe_call(2 /* PROBE_REG_HOST_SMC */, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  probe_call(5 /* PROBE_REG_PSCI */, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  memset(&r, 0, sizeof(r));
  r.x[0] = 0x82000001; /* PROBE_SMC_ID */
  CHECK_RC(m, pkvm_smc(m, 0, &r, &handled, &forwarded), 0);
  CHECK(handled == 1 && forwarded == 0 && r.x[1] == 0x5a);
  CHECK_RC(m, pkvm_inject_psci(m, 1, PKVM_PSCI_NOTIFY_CPU_ENTRY), 0);
  probe_call(17 /* PROBE_COUNTERS */, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  CHECK((r.x[1] & 0xffff) == 1);                /* one permission fault */
  CHECK((r.x[1] >> 16) == 0x40001000);          /* at that address */
  CHECK((r.x[2] & 0xffff) == 1);                /* one host SMC */
  CHECK((r.x[3] & 0xffff) == 1);                /* one PSCI notification */
  CHECK(((r.x[3] >> 16) & 0xff) == PKVM_PSCI_NOTIFY_CPU_ENTRY);

  probe_call(23 /* PROBE_BUG */, 42, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), -EIO);
  CHECK(pkvm_machine_state(m) == PKVM_STATE_PANICKED);
  CHECK(strstr(pkvm_panic_report(m), "a == 42") != NULL);
  probe_call(0, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), -EIO);
  CHECK_RC(m, pkvm_inject_psci(m, 0, PKVM_PSCI_NOTIFY_CPU_SUSPEND), -EIO);
  {
    struct pkvm_trace_event ev;
    CHECK_RC(m, pkvm_trace_pipe_next(m, &ev), -EIO);
  }
  pkvm_machine_destroy(m);
}

/* Snapshot after boot; what happens after it (a handler registered, trace
 * written, a panic) is undone by each restore. */
static void test_snapshot_restore(const struct backend* b) {
  struct pkvm_regs r;
  struct pkvm_trace_event ev;
  pkvm_snapshot* snap = NULL;
  pkvm_snapshot* snap2 = NULL;
  int result = 99;
  char buf[256];
  pkvm_machine* m;
  MAKE_MACHINE_ON(m, b, "kvm-arm.protected_modules=probe");
  CHECK_RC(m, pkvm_offer_module_file(m, b->probe), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/tracing_on", "1", 1), 0);
  CHECK_RC(m, pkvm_tracefs_write(m, "hyp/events/host_hcall/enable", "1\n", 2), 0);
  CHECK_RC(m, pkvm_snapshot_take(m, &snap), 0);
  CHECK(snap != NULL);

  probe_call(1 /* PROBE_REG_PERM_FAULT */, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  CHECK_RC(m, pkvm_inject_host_perm_fault(m, 0, 0x9200004f, 0x40000000, &result), 0);
  CHECK(result == 0);
  probe_call(0 /* PROBE_PING */, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  /* two host_hcall events: one returned, one kept by the handle */
  CHECK_RC(m, pkvm_trace_pipe_next(m, &ev), 1);

  CHECK_RC(m, pkvm_snapshot_restore(m, snap), 0);
  CHECK(pkvm_machine_state(m) == PKVM_STATE_DEPRIVILEGED);
  CHECK_RC(m, pkvm_trace_pipe_next(m, &ev), 0);           /* trace as at the snapshot */
  CHECK_RC(m, pkvm_inject_host_perm_fault(m, 0, 0x9200004f, 0x40000000, &result), 0);
  CHECK(result == -EPERM);                                /* the handler is gone */
  probe_call(17 /* PROBE_COUNTERS */, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  CHECK((r.x[1] & 0xffff) == 0);                          /* and its counter too */
  CHECK_RC(m, pkvm_trace_pipe_next(m, &ev), 1);           /* tracing is still enabled */
  CHECK(strcmp(ev.name, "host_hcall") == 0);

  /* a panicked machine comes back too, and the snapshot is reusable */
  CHECK_RC(m, pkvm_inject_hyp_panic(m, 0, "on purpose"), 0);
  CHECK(pkvm_machine_state(m) == PKVM_STATE_PANICKED);
  CHECK_RC(m, pkvm_snapshot_take(m, &snap2), -EIO);
  CHECK(snap2 == NULL);
  CHECK_RC(m, pkvm_snapshot_restore(m, snap), 0);
  CHECK(pkvm_machine_state(m) == PKVM_STATE_DEPRIVILEGED);
  CHECK(strcmp(pkvm_panic_report(m), "") == 0);
  probe_call(0 /* PROBE_PING */, 0, &r);
  CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  CHECK(r.x[1] == 0x600d);
  CHECK_RC(m, pkvm_tracefs_read(m, "hyp/tracing_on", buf, sizeof(buf), NULL), 0);
  CHECK(buf[0] == '1');

  /* the snapshot outlives its machine */
  pkvm_machine_destroy(m);
  pkvm_snapshot_free(snap);
}

static void test_snapshot_errors(void) {
  pkvm_snapshot* snap = (pkvm_snapshot*)&g_failures; /* must be reset to NULL */
  pkvm_snapshot* other = NULL;
  pkvm_machine* m = make_machine(15, "kvm-arm.protected_modules=pkvm_driver");
  pkvm_machine* m2 = make_machine(15, "kvm-arm.protected_modules=pkvm_driver");
  CHECK(m != NULL && m2 != NULL);
  CHECK(pkvm_snapshot_take(NULL, &snap) == -EINVAL && snap == NULL);
  CHECK_RC(m, pkvm_snapshot_take(m, NULL), -EINVAL);
  CHECK(strstr(pkvm_last_error(m), "out is NULL") != NULL);
  CHECK_RC(m, pkvm_snapshot_restore(m, NULL), -EINVAL);
  CHECK(strstr(pkvm_last_error(m), "snapshot is NULL") != NULL);
  CHECK(pkvm_snapshot_restore(NULL, NULL) == -EINVAL);
  pkvm_snapshot_free(NULL);
  /* before boot */
  CHECK_RC(m, pkvm_snapshot_take(m, &snap), -EPERM);
  CHECK(snap == NULL);
  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  CHECK_RC(m2, pkvm_offer_module_file(m2, g_driver_so), 0);
  CHECK_RC(m2, pkvm_boot(m2), 0);
  CHECK_RC(m, pkvm_snapshot_take(m, &snap), 0);
  CHECK_RC(m2, pkvm_snapshot_take(m2, &other), 0);
  /* a snapshot of another machine */
  CHECK_RC(m, pkvm_snapshot_restore(m, other), -EINVAL);
  CHECK(strlen(pkvm_last_error(m)) > 0);
  CHECK_RC(m, pkvm_snapshot_restore(m, snap), 0);
  pkvm_snapshot_free(other);
  pkvm_snapshot_free(snap);
  pkvm_machine_destroy(m);
  pkvm_machine_destroy(m2);
}

static void test_strerror(void) {
  CHECK(strcmp(pkvm_strerror(0), "OK") == 0);
  CHECK(strcmp(pkvm_strerror(-EINVAL), "-EINVAL: Invalid argument") == 0);
  CHECK(strcmp(pkvm_strerror(EINVAL), "-EINVAL: Invalid argument") == 0);
  CHECK(strncmp(pkvm_strerror(-ENOENT), "-ENOENT: ", 9) == 0);
  CHECK(strncmp(pkvm_strerror(-ERANGE), "-ERANGE: ", 9) == 0);
  CHECK(strncmp(pkvm_strerror(-524), "-ENOTSUPP: ", 11) == 0);
  CHECK(strlen(pkvm_strerror(-4000)) > 0);
}

/* The tracefs flavour option and the outputs for standard tools. */
static void test_trace_flavor_and_outputs(void) {
  struct pkvm_machine_options o;
  pkvm_machine* m = NULL;
  char buf[4096];
  char dir[] = "/tmp/pkvm_c_trace_XXXXXX";
  char path[256];
  FILE* f;
  size_t n;
  pkvm_machine_options_init(&o);
  CHECK(o.tracefs_flavor == NULL);
  o.tracefs_flavor = "mainline";
  CHECK(pkvm_machine_create(&o, &m) == -EINVAL);
  CHECK(strstr(pkvm_create_error(), "unknown tracefs flavour") != NULL);
  o.tracefs_flavor = "upstream";
  o.cmdline = "kvm-arm.protected_modules=pkvm_driver hyp_event=host_hcall";
  o.trace_clock = PKVM_TRACE_CLOCK_MANUAL;
  CHECK(pkvm_machine_create(&o, &m) == 0);
  if (m == NULL) return;
  CHECK_RC(m, pkvm_offer_module_file(m, g_driver_so), 0);
  CHECK_RC(m, pkvm_boot(m), 0);
  CHECK_RC(m, pkvm_tracefs_list(m, "remotes/hypervisor/events", buf, sizeof(buf), NULL), 0);
  CHECK(strstr(buf, "header_event\n") != NULL);
  CHECK_RC(m, pkvm_tracefs_write(m, "remotes/hypervisor/tracing_on", "1", 1), 0);
  {
    struct pkvm_regs r;
    memset(&r, 0, sizeof(r));
    r.x[0] = 0xC6000080;
    CHECK_RC(m, pkvm_hvc(m, 0, &r), 0);
  }
  CHECK_RC(m, pkvm_write_perfetto(m, NULL), -EINVAL);
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof(path), "%s/trace.json", dir);
  CHECK_RC(m, pkvm_export_trace(m, dir, NULL, path), 0);
  f = fopen(path, "r");
  CHECK(f != NULL);
  if (f != NULL) {
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    CHECK(strstr(buf, "\"traceEvents\"") != NULL);
    CHECK(strstr(buf, "\"host_hcall\"") != NULL);
  }
  snprintf(path, sizeof(path), "%s/remotes/hypervisor/trace", dir);
  f = fopen(path, "r");
  CHECK(f != NULL);
  if (f != NULL) {
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    CHECK(strcmp(buf, "[000]\t    0.000000: host_hcall id=128 invalid=0\n") == 0);
  }
  {
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  }
  pkvm_machine_destroy(m);
}

int main(int argc, char** argv) {
  struct {
    const char* name;
    void (*fn)(void);
  } tests[] = {
      {"readme_example", test_readme_example},
      {"version", test_version},
      {"state_and_logs", test_state_and_logs},
      {"hvc_on_every_cpu_and_bad_cpu", test_hvc_on_every_cpu_and_bad_cpu},
      {"hello_hypercall_printk", test_hello_hypercall_printk},
      {"buffer_too_small_keeps_trace", test_buffer_too_small_keeps_trace},
      {"tracefs_list_and_dump", test_tracefs_list_and_dump},
      {"trace_flavor_and_outputs", test_trace_flavor_and_outputs},
      {"injections_and_panic", test_injections_and_panic},
      {"page_state_and_host_memory", test_page_state_and_host_memory},
      {"errors", test_errors},
      {"strerror", test_strerror},
      {"backend_selection", test_backend_selection},
      {"snapshot_errors", test_snapshot_errors},
  };
  struct {
    const char* name;
    void (*fn)(const struct backend*);
  } backend_tests[] = {
      {"module_hvc_and_events", test_module_hvc_and_events},
      {"injected_faults_and_bug", test_injected_faults_and_bug},
      {"snapshot_restore", test_snapshot_restore},
      {"module_faults_contained", test_module_faults_contained},
  };
  struct backend backends[2];
  size_t nbackends = 0, i, j;
  const char* only = argc > 4 ? argv[4] : NULL;
  char full[128];
  if (argc < 4) {
    fprintf(stderr, "usage: %s pkvm_driver.so hello_hypercall.so not-a-module.so [test]\n",
            argv[0]);
    return 2;
  }
  g_driver_so = argv[1];
  g_hello_so = argv[2];
  g_not_a_module = argv[3];
  backends[0].name = "native";
  backends[0].driver = g_driver_so;
  backends[0].probe = getenv("PKVM_PROBE_A15_SO");
  backends[0].faulty = getenv("PKVM_FAULTY_SO");
  if (backends[0].probe == NULL) {
    fprintf(stderr, "PKVM_PROBE_A15_SO is not set\n");
    return 2;
  }
  nbackends = 1;
  if (pkvm_backend_available("unicorn") == 1) {
    backends[1].name = "unicorn";
    backends[1].driver = getenv("PKVM_DRIVER_A15_KO");
    backends[1].probe = getenv("PKVM_PROBE_A15_KO");
    backends[1].faulty = getenv("PKVM_FAULTY_KO");
    if (backends[1].driver != NULL && backends[1].probe != NULL)
      nbackends = 2;
    else
      printf("note: no AArch64 .ko builds of the test modules: the unicorn backend is not tested\n");
  }
  for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
    if (only != NULL && strcmp(only, tests[i].name) != 0) continue;
    g_test_failed = 0;
    g_test_skipped = 0;
    tests[i].fn();
    if (g_test_skipped && !g_test_failed) {
      printf("[SKIP] %s: %s\n", tests[i].name, g_skip_reason);
      g_skips++;
      continue;
    }
    printf("[%s] %s\n", g_test_failed ? "FAIL" : " OK ", tests[i].name);
    g_failures += g_test_failed;
  }
  for (i = 0; i < sizeof(backend_tests) / sizeof(backend_tests[0]); i++) {
    for (j = 0; j < nbackends; j++) {
      snprintf(full, sizeof(full), "%s/%s", backend_tests[i].name, backends[j].name);
      if (only != NULL && strcmp(only, backend_tests[i].name) != 0 && strcmp(only, full) != 0)
        continue;
      g_test_failed = 0;
      g_test_skipped = 0;
      backend_tests[i].fn(&backends[j]);
      if (g_test_skipped && !g_test_failed) {
        printf("[SKIP] %s: %s\n", full, g_skip_reason);
        g_skips++;
        continue;
      }
      printf("[%s] %s\n", g_test_failed ? "FAIL" : " OK ", full);
      g_failures += g_test_failed;
    }
  }
  printf("%d failure(s), %d skipped\n", g_failures, g_skips);
  return g_failures == 0 ? 0 : 1;
}
