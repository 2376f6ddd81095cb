"""pytest suite of the pkvm Python package (bindings/python).

Run by ctest (test/python/CMakeLists.txt) with PYTHONPATH=<build>/python and
the example modules in PKVM_DRIVER_A15_SO, PKVM_DRIVER_A14_SO,
PKVM_HELLO_HYPERCALL_SO, the test probe in PKVM_PROBE_A15_SO and, when the
AArch64 builds exist, PKVM_DRIVER_A15_KO / PKVM_PROBE_A15_KO for the unicorn
backend; PKVM_NOT_A_MODULE is a shared object that is not a module.
test_docs_example is the first example docs/python.md had; the doc's current
example runs as it is written (test/docs).

Tests parameterised over `backend` run on every backend this build has (and
that has builds of the modules); nothing is skipped.
"""

import errno
import os
import pathlib

import pytest

import pkvm

DRIVER_A15 = os.environ["PKVM_DRIVER_A15_SO"]
DRIVER_A14 = os.environ["PKVM_DRIVER_A14_SO"]
HELLO = os.environ["PKVM_HELLO_HYPERCALL_SO"]
NOT_A_MODULE = os.environ["PKVM_NOT_A_MODULE"]
PROBE_A15 = os.environ["PKVM_PROBE_A15_SO"]

# backend name -> (pkvm_driver A15, probe A15) builds for it
MODULES = {"native": (DRIVER_A15, PROBE_A15)}
if "PKVM_DRIVER_A15_KO" in os.environ and "PKVM_PROBE_A15_KO" in os.environ:
    MODULES["unicorn"] = (os.environ["PKVM_DRIVER_A15_KO"], os.environ["PKVM_PROBE_A15_KO"])
BACKENDS = [b for b in pkvm.backends() if b in MODULES]

# The probe module's commands (test/modules/probe/probe.h), x1 of its hypercall.
PROBE_HVC = 0xC6000080
PROBE_PING, PROBE_REG_PERM_FAULT, PROBE_REG_HOST_SMC, PROBE_REG_PSCI = 0, 1, 2, 5
PROBE_COUNTERS, PROBE_BUG = 17, 23
PROBE_PONG, PROBE_SMC_ID = 0x600D, 0x82000001


def machine(backend, cmdline, **kwargs):
    return pkvm.Hypervisor(generation=15, cpus=2, cmdline=cmdline, backend=backend,
                           trace_clock="manual", **kwargs)


@pytest.fixture
def hv():
    with pkvm.Hypervisor(generation=15, cpus=2, cmdline="kvm-arm.protected_modules=pkvm_driver",
                         trace_clock="manual") as h:
        h.offer_module(DRIVER_A15)
        h.boot()
        yield h


def test_docs_example():
    # the first example of docs/python.md
    with pkvm.Hypervisor(generation=15, cpus=2,
                         cmdline="kvm-arm.protected_modules=pkvm_driver",
                         trace_clock="manual") as hv:
        assert hv.offer_module(DRIVER_A15) == "pkvm_driver"
        hv.boot()
        hv.tracefs.write("hyp/tracing_on", "1")
        hv.tracefs.write("hyp/events/host_hcall/enable", "1\n")
        r = hv.hvc(0xC6000080)
        assert r.x0 == 0
        events = list(hv.trace_pipe())
        assert [(e.cpu, e.timestamp_ns, e.name, e.fields) for e in events] == [
            (0, 0, "host_hcall", {"id": "128", "invalid": "0"})]


def test_version():
    assert pkvm.__version__.count(".") == 2


def test_boot_state_and_logs(hv):
    assert hv.state == "deprivileged"
    assert hv.generation == 15 and hv.cpus == 2
    assert hv.protected_vms_enabled
    assert hv.loaded_modules == ["pkvm_driver"]
    assert "pkvm_driver" in hv.boot_log
    assert isinstance(hv.serial_output, str)
    assert hv.panic_report == ""
    assert "A15" in repr(hv)


def test_hvc_registers(hv):
    r = hv.hvc(0xC6000080, 0x1234, cpu=1)
    assert isinstance(r, pkvm.Regs)
    assert r.x0 == 0 == r[0] == r.regs[0]
    assert len(r.regs) == 31
    assert isinstance(r.x30, int) and isinstance(r.pstate, int)
    with pytest.raises(AttributeError):
        r.x31


def test_trace_pipe_exact_text(hv):
    hv.tracefs.write("hyp/tracing_on", 1)
    hv.tracefs.write("hyp/events/host_hcall/enable", b"1\n")
    hv.hvc(0xC6000080)
    assert hv.tracefs.read("hyp/trace_pipe") == "[000]\t    0.000000: host_hcall id=128 invalid=0\n"
    assert hv.tracefs.read("hyp/trace_pipe") == ""  # consumed


def test_trace_pipe_events_and_clock(hv):
    hv.tracefs.write("hyp/tracing_on", "1")
    hv.tracefs.write("hyp/events/host_hcall/enable", "1\n")
    hv.advance_trace_clock(2_000_003_000)
    hv.hvc(0xC6000080, cpu=1)
    hv.advance_trace_clock(1000)
    hv.hvc(0xC6001234)  # not a registered hypercall
    ev = list(hv.trace_pipe())
    assert [e.cpu for e in ev] == [1, 0]
    assert ev[0].timestamp_ns == 2_000_003_000
    assert ev[0].timestamp == pytest.approx(2.000003)
    assert ev[1].timestamp_ns == 2_000_004_000
    assert ev[1].fields["invalid"] == "1"
    assert ev[1].text.startswith("id=")
    assert list(hv.trace_pipe()) == []


def test_hello_hypercall_a16_printk():
    with pkvm.Hypervisor(generation=16, cmdline="kvm-arm.protected_modules=hello_hypercall",
                         trace_clock="manual") as hv:
        hv.offer_module(pathlib.Path(HELLO))
        hv.boot()
        hv.tracefs.write("hypervisor/tracing_on", "1")
        hv.tracefs.write("hypervisor/events/hypervisor/__hyp_printk/enable", "1")
        hv.hvc(0xC6000080)
        ev = [e for e in hv.trace_pipe() if e.name == "__hyp_printk"]
        assert ev and ev[0].text == "Hello World"


def test_a14_module():
    with pkvm.Hypervisor(generation=14, cmdline="kvm-arm.protected_modules=pkvm_driver") as hv:
        hv.offer_module(DRIVER_A14)
        hv.boot()
        assert hv.hvc(0xC6000080).x0 == 0


def test_tracefs_list_and_dump(hv, tmp_path):
    entries = hv.tracefs.list("hyp")
    names = {e.name: e for e in entries}
    assert "trace_pipe" in names and not names["trace_pipe"].is_dir
    assert names["events"].is_dir
    assert isinstance(names["trace_pipe"].mode, int)
    hv.tracefs.dump(tmp_path)
    assert (tmp_path / "hyp" / "events" / "host_hcall" / "format").exists()


def test_tracefs_errors(hv):
    with pytest.raises(pkvm.Error) as e:
        hv.tracefs.read("hyp/no_such_file")
    assert e.value.errno == errno.ENOENT
    assert e.value.strerror.startswith("-ENOENT: ")
    assert isinstance(e.value, OSError)
    with pytest.raises(pkvm.Error) as e:
        hv.tracefs.write("hyp/events/host_hcall/enable", "2")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(TypeError, match="path must be a str"):
        hv.tracefs.read(42)
    with pytest.raises(TypeError, match="value must be"):
        hv.tracefs.write("hyp/tracing_on", 1.5)
    with pytest.raises(TypeError):
        hv.tracefs.list(None)


def test_tracefs_write_is_like_echo(hv):
    # str and int values get echo's newline, so the A15 enable file (which
    # takes exactly "1\n") accepts 1, "1" and "1\n" alike.
    path = "hyp/events/host_hcall/enable"
    for value in (1, "1", "1\n", True):
        hv.tracefs.write(path, 0)
        assert hv.tracefs.read(path) == "0\n"
        hv.tracefs.write(path, value)
        assert hv.tracefs.read(path) == "1\n", repr(value)
    hv.tracefs.write("hyp/tracing_on", "1")
    assert hv.tracefs.read("hyp/tracing_on") == "1\n"
    # bytes are written as they are: the kernel's answer to a bare b"1".
    with pytest.raises(pkvm.Error) as e:
        hv.tracefs.write(path, b"1")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(pkvm.Error) as e:
        hv.tracefs.write(path, 2)
    assert e.value.errno == errno.EINVAL


def test_tracefs_before_boot():
    with pkvm.Hypervisor() as hv:
        with pytest.raises(pkvm.Error) as e:
            hv.tracefs.read("hyp/trace_pipe")
        assert e.value.errno == errno.ENODEV


def test_page_state_and_host_memory(hv):
    s = hv.page_state(0x40010)
    assert isinstance(s, pkvm.PageState)
    assert (s.pfn, s.kind, s.owner, s.host, s.hyp) == (0x40010, "RAM", "host", "OWNED", "NOPAGE")
    assert s.text.startswith("pfn 0x40010")
    assert hv.page_state(0x10).kind == "none"
    hv.host_write(0x40010000, b"hello")
    assert hv.host_read(0x40010000, 5) == b"hello"
    with pytest.raises(ValueError):
        hv.page_state(-1)
    with pytest.raises(TypeError):
        hv.host_write(0x40010000, "not bytes")


def test_injections(hv):
    assert hv.inject_host_perm_fault(0x9200004F, 0x40000000) in (0, -errno.EPERM, -errno.EAGAIN)
    assert hv.inject_serror(cpu=1) in (True, False)
    hv.inject_psci(pkvm.PSCI_CPU_SUSPEND)
    with pytest.raises(ValueError):
        hv.inject_psci(5)
    res = hv.smc(0x84000000)  # PSCI_VERSION
    assert isinstance(res, pkvm.SmcResult) and isinstance(res.regs, pkvm.Regs)


def test_fault_in_module_code_raises_with_panic_report(hv):
    # pkvm_driver handles no traps: an unhandled trap panics the hypervisor
    with pytest.raises(pkvm.Error) as e:
        hv.inject_host_trap(0x62000000)
    assert e.value.errno == errno.EIO
    assert "unhandled host trap" in e.value.strerror
    assert hv.state == "panicked"
    assert "unhandled host trap" in hv.panic_report
    # use after a hyp panic: an exception carrying the report, never a crash
    with pytest.raises(pkvm.Error) as e:
        hv.hvc(0xC6000080)
    assert e.value.errno == errno.EIO
    assert "unhandled host trap" in str(e.value)


def test_explicit_panic(hv):
    hv.inject_hyp_panic("test panic", cpu=1)
    assert hv.state == "panicked"
    assert "test panic" in hv.panic_report
    with pytest.raises(pkvm.Error):
        hv.tracefs.read("hyp/trace_pipe")


def test_double_boot(hv):
    with pytest.raises(pkvm.Error) as e:
        hv.boot()
    assert e.value.errno == errno.EBUSY
    assert "already booted" in e.value.strerror


def test_module_errors():
    with pkvm.Hypervisor(cmdline="kvm-arm.protected_modules=pkvm_driver") as hv:
        with pytest.raises(pkvm.Error) as e:
            hv.offer_module("/nonexistent/pkvm_driver.so")
        assert e.value.errno == errno.ENOENT
        assert "/nonexistent/pkvm_driver.so" in e.value.strerror
        with pytest.raises(pkvm.Error) as e:
            hv.offer_module(NOT_A_MODULE)
        assert e.value.errno == errno.ENOEXEC
        with pytest.raises(TypeError, match="path must be"):
            hv.offer_module(123)
        hv.offer_module(DRIVER_A15)
        with pytest.raises(pkvm.Error) as e:
            hv.offer_module(DRIVER_A15)
        assert e.value.errno == errno.EEXIST
        with pytest.raises(pkvm.Error) as e:
            hv.hvc(0xC6000080)  # before boot
        assert e.value.errno == errno.EPERM


def test_module_not_offered_boots_with_pvms_disabled():
    with pkvm.Hypervisor(cmdline="kvm-arm.protected_modules=not_there") as hv:
        with pytest.raises(pkvm.Error) as e:
            hv.boot()
        assert e.value.errno == errno.ENOENT
        assert hv.state == "deprivileged"
        assert not hv.protected_vms_enabled
        assert hv.protected_vms_disabled_reason


def test_bad_arguments(hv):
    with pytest.raises(ValueError, match="fid"):
        hv.hvc(-1)
    with pytest.raises(ValueError, match="fid"):
        hv.hvc(1 << 64)
    with pytest.raises(TypeError, match="fid must be an int"):
        hv.hvc("0xC6000080")
    with pytest.raises(TypeError):
        hv.hvc(True)
    with pytest.raises(ValueError, match="at most 17"):
        hv.hvc(0xC6000080, *range(18))
    hv.hvc(0xC6000080, *range(17))  # x1..x17 is fine
    with pytest.raises(ValueError, match="x2"):
        hv.hvc(0xC6000080, 1, -5)
    with pytest.raises(ValueError, match="cpu"):
        hv.hvc(0xC6000080, cpu=-1)
    with pytest.raises(pkvm.Error) as e:
        hv.hvc(0xC6000080, cpu=5)  # the machine has 2 CPUs
    assert e.value.errno == errno.EINVAL


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="generation"):
        pkvm.Hypervisor(generation=13)
    with pytest.raises(ValueError, match="generation"):
        pkvm.Hypervisor(generation=18)
    with pkvm.Hypervisor(generation=17) as hv:  # the provisional A17 profile
        assert hv.generation == 17
    with pytest.raises(TypeError):
        pkvm.Hypervisor(generation="15")
    with pytest.raises(ValueError, match="cpus"):
        pkvm.Hypervisor(cpus=0)
    with pytest.raises(ValueError, match="cpus"):
        pkvm.Hypervisor(cpus=65)
    with pytest.raises(TypeError, match="cmdline"):
        pkvm.Hypervisor(cmdline=None)
    with pytest.raises(ValueError, match="trace_clock"):
        pkvm.Hypervisor(trace_clock="tsc")
    with pytest.raises(pkvm.Error) as e:
        pkvm.Hypervisor(backend="qemu")
    assert e.value.errno == errno.EINVAL and "qemu" in e.value.strerror
    with pytest.raises(pkvm.Error) as e:
        pkvm.Hypervisor(ram_size=4097)
    assert e.value.errno == errno.EINVAL


def test_closed_machine():
    hv = pkvm.Hypervisor()
    hv.close()
    assert hv.closed
    assert "closed" in repr(hv)
    with pytest.raises(ValueError, match="closed"):
        hv.boot()
    hv.close()  # twice is fine


def test_parse_trace_line():
    e = pkvm.parse_trace_line("[003]\t   12.345678: pkvm_driver_event id=0x00000042\n")
    assert (e.cpu, e.timestamp_ns, e.name, e.fields) == (3, 12_345_678_000, "pkvm_driver_event",
                                                         {"id": "0x00000042"})
    with pytest.raises(ValueError):
        pkvm.parse_trace_line("garbage")


def test_docstrings_and_stub():
    assert pkvm.Hypervisor.__doc__ and pkvm.Hypervisor.hvc.__doc__
    assert pkvm.Error.__doc__
    stub = pathlib.Path(pkvm.__file__).with_name("__init__.pyi")
    assert "def hvc" in stub.read_text()


# --- backends, snapshot/restore -----------------------------------------------

def test_backends():
    assert "native" in pkvm.backends()
    assert pkvm.backend_available("native") is True
    assert isinstance(pkvm.backend_available("unicorn"), bool)
    with pytest.raises(pkvm.Error) as e:
        pkvm.backend_available("qemu")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(TypeError, match="name must be a str"):
        pkvm.backend_available(None)
    with pkvm.Hypervisor() as hv:
        assert hv.backend == "native"
        assert "native" in repr(hv)
    for b in pkvm.backends():
        with pkvm.Hypervisor(backend=b) as hv:
            with pytest.raises(pkvm.Error) as e:
                hv.offer_module("/nonexistent/m.ko")
            assert e.value.errno == errno.ENOENT


def test_unicorn_backend_selection():
    try:
        hv = pkvm.Hypervisor(backend="unicorn")
    except pkvm.Error as e:
        # not in this build, or not wired into the machine yet
        assert e.errno == errno.EOPNOTSUPP
        assert "unicorn" in e.strerror
        return
    with hv:
        assert "unicorn" in pkvm.backends()
        assert hv.backend == "unicorn"
        # a native module on the unicorn backend is not its kind of module
        with pytest.raises(pkvm.Error) as e:
            hv.offer_module(DRIVER_A15)
        assert e.value.errno == errno.ENOEXEC


def test_bad_backend_arguments():
    with pytest.raises(TypeError, match="backend must be a str"):
        pkvm.Hypervisor(backend=1)
    with pytest.raises(pkvm.Error) as e:
        pkvm.Hypervisor(backend="Unicorn")  # names are exact
    assert e.value.errno == errno.EINVAL


@pytest.mark.parametrize("backend", BACKENDS)
def test_module_hvc_and_event(backend):
    driver, _ = MODULES[backend]
    with machine(backend, "kvm-arm.protected_modules=pkvm_driver") as hv:
        assert hv.backend == backend
        assert hv.offer_module(driver) == "pkvm_driver"
        hv.boot()
        assert hv.loaded_modules == ["pkvm_driver"]
        hv.tracefs.write("hyp/tracing_on", "1")
        hv.tracefs.write("hyp/events/pkvm_driver_event/enable", "1\n")
        hv.advance_trace_clock(5000)
        r = hv.hvc(0xC6000080, 0x42, cpu=1)
        assert (r.x0, r.x1) == (0, 0)
        ev = list(hv.trace_pipe())
        assert [(e.cpu, e.timestamp_ns, e.name, e.fields) for e in ev] == [
            (1, 5000, "pkvm_driver_event", {"id": "0x00000042"})]


@pytest.mark.parametrize("backend", BACKENDS)
def test_injected_events_and_bug_in_module(backend):
    _, probe = MODULES[backend]
    with machine(backend, "kvm-arm.protected_modules=probe") as hv:
        hv.offer_module(probe)
        hv.boot()
        assert hv.hvc(PROBE_HVC, PROBE_PING).x1 == PROBE_PONG
        assert hv.inject_host_perm_fault(0x9200004F, 0x40000000) == -errno.EPERM  # no handler
        for cmd in (PROBE_REG_PERM_FAULT, PROBE_REG_HOST_SMC, PROBE_REG_PSCI):
            assert hv.hvc(PROBE_HVC, cmd).x1 == 0
        assert hv.inject_host_perm_fault(0x9200004F, 0x40001000, cpu=1) == 0
        res = hv.smc(PROBE_SMC_ID)
        assert res.handled_by_module and not res.forwarded_to_el3 and res.regs.x1 == 0x5A
        hv.inject_psci(pkvm.PSCI_CPU_ENTRY, cpu=1)
        c = hv.hvc(PROBE_HVC, PROBE_COUNTERS)
        assert c.x1 == 1 | (0x40001000 << 16)     # one fault, at that address
        assert c.x2 & 0xFFFF == 1                  # one host SMC
        assert c.x3 & 0xFFFFFF == 1 | (pkvm.PSCI_CPU_ENTRY << 16)
        # BUG_ON() in module code: an exception with the panic report
        with pytest.raises(pkvm.Error) as e:
            hv.hvc(PROBE_HVC, PROBE_BUG, 42)
        assert e.value.errno == errno.EIO
        assert "a == 42" in e.value.strerror
        assert hv.state == "panicked"
        with pytest.raises(pkvm.Error) as e:
            hv.inject_psci(pkvm.PSCI_CPU_SUSPEND)
        assert e.value.errno == errno.EIO


FAULTY = {"native": os.environ.get("PKVM_FAULTY_SO"), "unicorn": os.environ.get("PKVM_FAULTY_KO")}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("how,cause,where", [
    (8, "EL2 data abort", "faulty_hyp_hvc+0x"),        # a NULL load
    (10, "hyp stack overflow", "faulty_recurse+0x"),  # recursion past the hyp stack
])
def test_module_fault_is_a_hyp_panic_not_a_crash(backend, how, cause, where):
    if FAULTY[backend] is None:
        pytest.skip("no build of the faulty module for " + backend)
    with machine(backend, "kvm-arm.protected_modules=faulty") as hv:
        hv.offer_module(FAULTY[backend])
        hv.boot()
        with pytest.raises(pkvm.Error) as e:
            hv.hvc(PROBE_HVC, how, 0)
        assert e.value.errno == errno.EIO
        assert cause in e.value.strerror
        assert hv.state == "panicked"
        assert cause in hv.panic_report and where in hv.panic_report
        assert "(el2.c:" in hv.panic_report and "Call trace:" in hv.panic_report
    # the interpreter goes on: a fresh machine answers
    with machine(backend, "kvm-arm.protected_modules=faulty") as hv:
        hv.offer_module(FAULTY[backend])
        hv.boot()
        assert hv.hvc(PROBE_HVC, 0).x1 == PROBE_PONG


@pytest.mark.parametrize("backend", BACKENDS)
def test_snapshot_restore(backend):
    _, probe = MODULES[backend]
    with machine(backend, "kvm-arm.protected_modules=probe") as hv:
        hv.offer_module(probe)
        hv.boot()
        hv.tracefs.write("hyp/tracing_on", "1")
        hv.tracefs.write("hyp/events/host_hcall/enable", "1\n")
        snap = hv.snapshot()
        assert isinstance(snap, pkvm.Snapshot)
        assert (snap.backend, snap.generation) == (backend, 15)

        hv.hvc(PROBE_HVC, PROBE_REG_PERM_FAULT)
        assert hv.inject_host_perm_fault(0x9200004F, 0x40000000) == 0
        hv.restore(snap)
        assert list(hv.trace_pipe()) == []                 # the trace as it was
        assert hv.inject_host_perm_fault(0x9200004F, 0x40000000) == -errno.EPERM
        assert hv.hvc(PROBE_HVC, PROBE_COUNTERS).x1 == 0   # module state as it was
        assert [e.name for e in hv.trace_pipe()] == ["host_hcall"]  # tracing still on

        # a panicked machine comes back; the snapshot is reusable
        with pytest.raises(pkvm.Error):
            hv.hvc(PROBE_HVC, PROBE_BUG, 42)
        with pytest.raises(pkvm.Error) as e:
            hv.snapshot()
        assert e.value.errno == errno.EIO
        hv.restore(snap)
        assert hv.state == "deprivileged" and hv.panic_report == ""
        assert hv.hvc(PROBE_HVC, PROBE_PING).x1 == PROBE_PONG
        hv.restore(snap)


def test_snapshot_bad_input():
    with pkvm.Hypervisor(cmdline="kvm-arm.protected_modules=pkvm_driver") as hv, \
            pkvm.Hypervisor(cmdline="kvm-arm.protected_modules=pkvm_driver") as other:
        with pytest.raises(TypeError, match="snapshot must be a pkvm.Snapshot"):
            hv.restore(None)
        with pytest.raises(TypeError):
            hv.restore("snapshot")
        with pytest.raises(TypeError):
            hv.restore(pkvm.Snapshot(None, "native", 15))  # a forged one
        with pytest.raises(pkvm.Error) as e:
            hv.snapshot()      # before boot
        assert e.value.errno == errno.EPERM
        for h in (hv, other):
            h.offer_module(DRIVER_A15)
            h.boot()
        snap = hv.snapshot()
        with pytest.raises(pkvm.Error) as e:
            other.restore(snap)                # taken on another machine
        assert e.value.errno == errno.EINVAL
        hv.restore(snap)
    with pytest.raises(ValueError, match="closed"):
        hv.restore(snap)                       # a closed machine
    with pytest.raises(ValueError, match="closed"):
        hv.snapshot()


def test_tracefs_flavor_upstream():
    with pkvm.Hypervisor(generation=16, cmdline="kvm-arm.protected_modules=hello_hypercall",
                         trace_clock="manual", tracefs_flavor="upstream") as hv:
        assert hv.tracefs_flavor == "upstream"
        assert hv.tracefs_root == "remotes/hypervisor"
        hv.offer_module(HELLO)
        hv.boot()
        hv.tracefs.write("remotes/hypervisor/events/hypervisor/host_hcall/enable", "1")
        hv.tracefs.write("remotes/hypervisor/tracing_on", "1")
        hv.hvc(0xC6000080)
        line = "[000]\t    0.000000: host_hcall id=128 invalid=0\n"
        # Upstream `trace` does not consume; trace_pipe does.
        assert hv.tracefs.read("remotes/hypervisor/trace") == line
        assert hv.tracefs.read("remotes/hypervisor/trace_pipe") == line
        assert hv.tracefs.read("remotes/hypervisor/trace") == ""
    with pkvm.Hypervisor(generation=16) as hv:
        assert (hv.tracefs_flavor, hv.tracefs_root) == ("android", "hypervisor")
    with pytest.raises(ValueError):
        pkvm.Hypervisor(tracefs_flavor="mainline")


def test_export_trace_writes_every_form_from_one_read(hv, tmp_path):
    hv.tracefs.write("hyp/tracing_on", "1")
    hv.tracefs.write("hyp/events/host_hcall/enable", "1\n")
    hv.hvc(0xC6000080, 0x42)
    text = hv.export_trace(text=True, tracefs_dir=tmp_path / "dump",
                           perfetto=tmp_path / "trace.json")
    assert text == "[000]\t    0.000000: host_hcall id=128 invalid=0\n"
    assert (tmp_path / "dump" / "hyp" / "trace").read_text() == text
    import json
    doc = json.loads((tmp_path / "trace.json").read_text())
    names = [e["name"] for e in doc["traceEvents"] if e["ph"] == "i"]
    assert names == ["host_hcall"]  # no hyp_enter/exit enabled: an instant
    assert hv.export_trace(text=True) == ""  # consumed
    hv.hvc(0xC6000080, 0x43)
    hv.write_perfetto(tmp_path / "again.json")
    assert "host_hcall" in (tmp_path / "again.json").read_text()


# --- debugging aids (docs/debugging.md) ---------------------------------------

def _lcov_record(path, suffix):
    """(source path, {line: count}) of the tracefile's record whose SF: ends with suffix."""
    src, counts, current = None, {}, ""
    for line in pathlib.Path(path).read_text().splitlines():
        if line.startswith("SF:"):
            current = line[3:]
        elif line.startswith("DA:") and current.endswith(suffix):
            src = current
            n, c = line[3:].split(",")[:2]
            counts[int(n)] = int(c)
    return src, counts


@pytest.mark.skipif("PKVM_BRANCHY_KO" not in os.environ, reason="needs the AArch64 .ko build")
def test_unicorn_coverage_tracefile(tmp_path):
    lcov = tmp_path / "cov.info"
    with pkvm.Hypervisor(backend="unicorn", cmdline="kvm-arm.protected_modules=branchy",
                         coverage=str(lcov)) as hv:
        hv.offer_module(os.environ["PKVM_BRANCHY_KO"])
        hv.boot()
        assert hv.hvc(0xC6000080, 500).x1 == 1500  # x1 > 100: the big branch
    # Written when the machine is closed.
    src, counts = _lcov_record(lcov, "branchy/hyp/el2.c")
    assert src is not None
    text = pathlib.Path(src).read_text().splitlines()
    line_of = {m: next(i + 1 for i, t in enumerate(text) if f"/* {m} */" in t)
               for m in ("BRANCHY_BIG", "BRANCHY_SMALL", "BRANCHY_UNUSED")}
    assert counts[line_of["BRANCHY_BIG"]] > 0
    assert counts[line_of["BRANCHY_SMALL"]] == 0
    assert counts[line_of["BRANCHY_UNUSED"]] == 0


def test_debugging_aids_need_unicorn():
    with pytest.raises(pkvm.Error) as e:
        pkvm.Hypervisor(gdb_port=0)
    assert e.value.errno == errno.EINVAL
    assert "needs --backend unicorn" in str(e.value)
    with pytest.raises(pkvm.Error) as e:
        pkvm.Hypervisor(coverage="/tmp/x.info")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(ValueError):
        pkvm.Hypervisor(gdb_port=70000)
