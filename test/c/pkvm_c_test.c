/* File: test/c/pkvm_c_test.c
 * The C API (include/pkvm/pkvm.h) from C99, with the example modules the
 * tree builds:
 *   pkvm_c_test <pkvm_driver.so (A15)> <hello_hypercall.so (A16)> <not-a-module.so>
 * Each test is a function; a failing CHECK prints the place and the handle's
 * last error and the run ends with a non-zero status.
 * test_readme_example is the example of docs/c-api.md. */
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
static int g_test_failed;

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

/* docs/c-api.md: load the Android page's module, call it, trace it. */
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

static void test_strerror(void) {
  CHECK(strcmp(pkvm_strerror(0), "OK") == 0);
  CHECK(strcmp(pkvm_strerror(-EINVAL), "-EINVAL: Invalid argument") == 0);
  CHECK(strcmp(pkvm_strerror(EINVAL), "-EINVAL: Invalid argument") == 0);
  CHECK(strncmp(pkvm_strerror(-ENOENT), "-ENOENT: ", 9) == 0);
  CHECK(strncmp(pkvm_strerror(-ERANGE), "-ERANGE: ", 9) == 0);
  CHECK(strncmp(pkvm_strerror(-524), "-ENOTSUPP: ", 11) == 0);
  CHECK(strlen(pkvm_strerror(-4000)) > 0);
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
      {"injections_and_panic", test_injections_and_panic},
      {"page_state_and_host_memory", test_page_state_and_host_memory},
      {"errors", test_errors},
      {"strerror", test_strerror},
  };
  size_t i;
  const char* only = argc > 4 ? argv[4] : NULL;
  if (argc < 4) {
    fprintf(stderr, "usage: %s pkvm_driver.so hello_hypercall.so not-a-module.so [test]\n",
            argv[0]);
    return 2;
  }
  g_driver_so = argv[1];
  g_hello_so = argv[2];
  g_not_a_module = argv[3];
  for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
    if (only != NULL && strcmp(only, tests[i].name) != 0) continue;
    g_test_failed = 0;
    tests[i].fn();
    printf("[%s] %s\n", g_test_failed ? "FAIL" : " OK ", tests[i].name);
    g_failures += g_test_failed;
  }
  printf("%d failure(s)\n", g_failures);
  return g_failures == 0 ? 0 : 1;
}
