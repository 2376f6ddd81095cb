"""libpkvm from Python: one simulated pKVM machine per :class:`Hypervisor`.

The hypervisor side of the Android pKVM vendor-module ABI (see the libpkvm
README). Example::

    import pkvm
    with pkvm.Hypervisor(generation=15, cpus=2,
                         cmdline="kvm-arm.protected_modules=pkvm_driver",
                         trace_clock="manual") as hv:
        hv.offer_module("build/release/examples/pkvm_driver/android15/pkvm_driver.so")
        hv.boot()
        hv.tracefs.write("hyp/tracing_on", "1")
        hv.tracefs.write("hyp/events/host_hcall/enable", "1")
        r = hv.hvc(0xC6000080)
        assert r.x0 == 0
        for ev in hv.trace_pipe():
            print(ev.cpu, ev.timestamp_ns, ev.name, ev.fields)

Errors of the machine raise :class:`pkvm.Error` (an :class:`OSError`:
``e.errno`` is the positive kernel errno, ``e.strerror`` the message, e.g.
``"-EBUSY: the machine has already booted"``). Wrong argument types raise
:class:`TypeError`, out-of-range values :class:`ValueError`.

Snapshots: ``snap = hv.snapshot()`` after boot, ``hv.restore(snap)`` puts
the machine back (a panicked one included), as often as wanted.

Backends: ``backend="native"`` (modules built for this host, ``NAME.so``) or
``backend="unicorn"`` (AArch64 modules, ``NAME.ko``, run in the Unicorn
emulator); :func:`backends` lists what this build has.
"""

from __future__ import annotations

import os
import re
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence

from . import _pkvm

__all__ = [
    "Error",
    "Hypervisor",
    "Snapshot",
    "backend_available",
    "backends",
    "Regs",
    "SmcResult",
    "TraceEvent",
    "TracefsEntry",
    "Tracefs",
    "PageState",
    "parse_trace_line",
    "PSCI_CPU_SUSPEND",
    "PSCI_SYSTEM_SUSPEND",
    "PSCI_CPU_ENTRY",
    "__version__",
]

__version__: str = _pkvm.__version__

Error = _pkvm.Error

PSCI_CPU_SUSPEND = 0
PSCI_SYSTEM_SUSPEND = 1
PSCI_CPU_ENTRY = 2

_U64_MAX = (1 << 64) - 1
_MAX_HVC_ARGS = 17  # x1..x17: SMCCC 1.2 argument registers


def _check_int(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < lo or value > hi:
        raise ValueError(f"{name} must be in [{lo}, {hi:#x}], got {value}")
    return value


def _check_u64(name: str, value: object) -> int:
    return _check_int(name, value, 0, _U64_MAX)


def _check_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{name} must not contain NUL characters")
    return value


def _check_path(name: str, value: object) -> str:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str or os.PathLike, not {type(value).__name__}")
    return _check_str(name, value)


def backend_available(name: str) -> bool:
    """Whether this build of libpkvm has the backend ("native" or "unicorn");
    pkvm.Error (EINVAL) for any other name."""
    return _pkvm.backend_available(_check_str("name", name))


def backends() -> List[str]:
    """The backends this build of libpkvm has, e.g. ["native", "unicorn"]."""
    return [b for b in ("native", "unicorn") if _pkvm.backend_available(b)]


class Snapshot:
    """A saved state of one booted machine (:meth:`Hypervisor.snapshot`):
    memory, CPUs, modules, hypervisor state and trace buffers. Immutable;
    :meth:`Hypervisor.restore` accepts it any number of times, on the machine
    that took it only (another machine raises pkvm.Error, EINVAL)."""

    __slots__ = ("_snap", "backend", "generation")

    def __init__(self, snap: "_pkvm.Snapshot", backend: str, generation: int):
        self._snap = snap
        self.backend: str = backend
        self.generation: int = generation

    def __repr__(self) -> str:
        return f"<pkvm.Snapshot A{self.generation} {self.backend}>"


class Regs:
    """The host register file after an HVC or SMC (arm64 user_pt_regs).

    ``regs`` is the list x0..x30; ``x0`` .. ``x30``, ``sp``, ``pc`` and
    ``pstate`` are attributes; ``r[i]`` is ``x<i>``.
    """

    __slots__ = ("regs", "sp", "pc", "pstate")

    def __init__(self, values: Sequence[int]):
        values = list(values)
        if len(values) != 34:
            raise ValueError("a register file is 34 values (x0..x30, sp, pc, pstate)")
        self.regs: List[int] = values[:31]
        self.sp: int = values[31]
        self.pc: int = values[32]
        self.pstate: int = values[33]

    def __getattr__(self, name: str) -> int:
        m = re.fullmatch(r"x(\d+)", name)
        if m and int(m.group(1)) <= 30:
            return self.regs[int(m.group(1))]
        raise AttributeError(name)

    def __getitem__(self, i: int) -> int:
        return self.regs[i]

    def __len__(self) -> int:
        return 31

    def __repr__(self) -> str:
        return "Regs(" + ", ".join(f"x{i}={v:#x}" for i, v in enumerate(self.regs[:4])) + ", ...)"


class SmcResult(NamedTuple):
    """What a host SMC returned."""

    regs: Regs
    handled_by_module: bool
    forwarded_to_el3: bool


class TracefsEntry(NamedTuple):
    """One entry of a tracefs directory listing."""

    name: str
    is_dir: bool
    mode: int


class TraceEvent(NamedTuple):
    """One line of trace_pipe: ``[CPU]\\t SECONDS.MICROS: NAME TEXT``.

    ``fields`` holds the ``key=value`` pairs of the text (values are str).
    """

    cpu: int
    timestamp_ns: int
    name: str
    text: str
    fields: Dict[str, str]

    @property
    def timestamp(self) -> float:
        """The timestamp in seconds."""
        return self.timestamp_ns / 1e9


_TRACE_LINE = re.compile(r"\[(\d+)\]\s+(\d+)\.(\d{6}): (\S+) ?(.*)")
_FIELD = re.compile(r"(\w+)=(\S*)")


def parse_trace_line(line: str) -> TraceEvent:
    """Parses one trace_pipe line; ValueError if it is not one."""
    m = _TRACE_LINE.fullmatch(line.rstrip("\n"))
    if m is None:
        raise ValueError(f"not a trace_pipe line: {line!r}")
    text = m.group(5)
    return TraceEvent(
        cpu=int(m.group(1)),
        timestamp_ns=int(m.group(2)) * 1_000_000_000 + int(m.group(3)) * 1000,
        name=m.group(4),
        text=text,
        fields=dict(_FIELD.findall(text)),
    )


class PageState(NamedTuple):
    """pkvm::PageState of one page (include/pkvm/page_state.h).

    Enumerations are strings: kind "RAM"/"MMIO"/"none"; owner "host", "hyp",
    "guest", "protected", "none"; host/hyp "OWNED", "SHARED_OWNED",
    "SHARED_BORROWED", "NOPAGE"; hyp_use "none", "hyp_alloc heap", ...
    ``text`` is PageState::ToString().
    """

    pfn: int
    kind: str
    region: str
    owner: str
    guest: int
    host: str
    hyp: str
    host_prot: int
    host_prot_modified: bool
    iommu_prot: int
    lazy_pte: bool
    pins: int
    dma_refs: int
    hyp_prot: int
    el2_mappings: int
    hyp_use: str
    text: str


class Tracefs:
    """The machine's virtual tracefs (``hv.tracefs``), see docs/tracing.md.

    Paths are relative to the tracing mount ("hyp/..." on A14/A15,
    "hypervisor/..." on A16) or absolute ("/sys/kernel/tracing/...").
    """

    def __init__(self, machine: "_pkvm.Machine"):
        self._m = machine

    def read(self, path: str) -> str:
        """Reads a file (one open + read + close). trace_pipe is consumed."""
        return self._m.tracefs_read(_check_str("path", path)).decode("utf-8", "replace")

    def read_bytes(self, path: str) -> bytes:
        """Reads a file as bytes (trace_pipe_raw pages)."""
        return self._m.tracefs_read(_check_str("path", path))

    def write(self, path: str, value: "str | bytes | int") -> None:
        """Writes a value to a file as ``echo VALUE > PATH`` does: a str or
        int gets a trailing newline unless it has one, so ``write(path, 1)``
        and ``write(path, "1")`` work on every file (A14/A15 event ``enable``
        files take exactly "1\\n" or "0\\n"). bytes are written as they are,
        with the kernel's result for exactly those bytes. Errors are the
        kernel's (pkvm.Error with errno EINVAL for 2 to an enable file)."""
        _check_str("path", path)
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int):
            data = f"{value}\n".encode()
        elif isinstance(value, str):
            data = (value if value.endswith("\n") else value + "\n").encode()
        elif isinstance(value, (bytes, bytearray)):
            data = bytes(value)
        else:
            raise TypeError(f"value must be str, bytes or int, not {type(value).__name__}")
        self._m.tracefs_write(path, data)

    def list(self, dir: str) -> List[TracefsEntry]:  # noqa: A002 - tracefs word
        """Lists a directory."""
        return [TracefsEntry(*e) for e in self._m.tracefs_list(_check_str("dir", dir))]

    def dump(self, dir: "str | os.PathLike[str]") -> None:  # noqa: A002
        """Writes the whole tree into a real directory (consumes the per-CPU
        buffers), for libtraceevent / trace-cmd readers."""
        self._m.tracefs_dump(_check_path("dir", dir))


class Hypervisor:
    """One simulated pKVM machine.

    generation: 14, 15, 16 or 17 (17 = android17-6.18, provisional); cpus: 1..64; cmdline: the kernel command line
    (``kvm-arm.protected_modules=...``); backend: "native" or "unicorn"
    (pkvm.Error with errno EINVAL for an unknown name, EOPNOTSUPP for a
    backend this build cannot run); ram_size: bytes,
    a multiple of 4096; trace_clock: "host" or "manual" (starts at 0 and moves
    only with :meth:`advance_trace_clock`, for exact trace text);
    tracefs_flavor: "android" (hyp/ or hypervisor/), "upstream" (mainline's
    remotes/hypervisor/) or "default" (the generation's, docs/tracing.md).
    Unicorn backend (docs/debugging.md): gdb_port serves gdb-multiarch on
    127.0.0.1 (0: a free port, named in :attr:`boot_log`; the machine waits
    for gdb before its first instruction after :meth:`boot`); coverage /
    coverage_drcov: files the module lines that ran are written to when the
    machine is closed (lcov tracefile / drcov).

    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        generation: int = 15,
        cpus: int = 1,
        cmdline: str = "",
        backend: str = "native",
        ram_size: int = 64 << 20,
        trace_clock: str = "host",
        tracefs_flavor: str = "default",
        gdb_port: Optional[int] = None,
        coverage: str = "",
        coverage_drcov: str = "",
    ):
        _check_int("generation", generation, 0, 1 << 31)
        if generation not in (14, 15, 16, 17):
            raise ValueError(f"generation must be 14, 15, 16 or 17, got {generation}")
        _check_int("cpus", cpus, 1, 64)
        _check_str("cmdline", cmdline)
        _check_str("backend", backend)
        _check_u64("ram_size", ram_size)
        _check_str("trace_clock", trace_clock)
        if trace_clock not in ("host", "manual"):
            raise ValueError(f'trace_clock must be "host" or "manual", got {trace_clock!r}')
        _check_str("tracefs_flavor", tracefs_flavor)
        if tracefs_flavor not in ("default", "android", "upstream"):
            raise ValueError(
                f'tracefs_flavor must be "default", "android" or "upstream", got {tracefs_flavor!r}')
        if gdb_port is not None:
            _check_int("gdb_port", gdb_port, 0, 65535)
        _check_str("coverage", coverage)
        _check_str("coverage_drcov", coverage_drcov)
        self._m = _pkvm.Machine(generation, cpus, cmdline, backend, ram_size, trace_clock,
                                tracefs_flavor, -1 if gdb_port is None else gdb_port,
                                coverage, coverage_drcov)
        self.tracefs = Tracefs(self._m)

    # --- lifetime -----------------------------------------------------------
    def close(self) -> None:
        """Destroys the machine; further calls raise ValueError."""
        self._m.close()

    @property
    def closed(self) -> bool:
        return self._m.closed

    def __enter__(self) -> "Hypervisor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- modules and boot ---------------------------------------------------
    def offer_module(self, path: "str | os.PathLike[str]") -> str:
        """Loads a module file and offers it to the machine; returns the
        module's name. The native backend takes NAME.so, the unicorn backend
        NAME.ko (both from pkvm_add_module); the other kind raises pkvm.Error
        (ENOEXEC) naming the backend to use, a missing file ENOENT."""
        return self._m.offer_module(_check_path("path", path))

    def boot(self) -> None:
        """Boots and deprivileges. The machine boots even when a module fails
        (protected VMs are then disabled) and that failure is raised."""
        self._m.boot()

    # --- host calls -----------------------------------------------------------
    def _regs(self, fid: int, args: Sequence[int], what: str) -> List[int]:
        _check_u64("fid", fid)
        if len(args) > _MAX_HVC_ARGS:
            raise ValueError(f"{what} takes at most {_MAX_HVC_ARGS} arguments (x1..x17), got {len(args)}")
        regs = [0] * 34
        regs[0] = fid
        for i, a in enumerate(args, start=1):
            regs[i] = _check_u64(f"x{i}", a)
        return regs

    def hvc(self, fid: int, *args: int, cpu: int = 0) -> Regs:
        """Issues an HVC from the host on `cpu` with x0 = fid and x1.. = args;
        returns the registers afterwards (``r.x0``, ``r.regs``)."""
        regs = self._regs(fid, args, "hvc()")
        return Regs(self._m.hvc(regs, self._cpu(cpu)))

    def smc(self, fid: int, *args: int, cpu: int = 0) -> SmcResult:
        """Issues an SMC from the host: module host SMC handlers, then EL3."""
        regs = self._regs(fid, args, "smc()")
        values, handled, forwarded = self._m.smc(regs, self._cpu(cpu))
        return SmcResult(Regs(values), handled, forwarded)

    def _cpu(self, cpu: int) -> int:
        return _check_int("cpu", cpu, 0, 63)

    # --- injected events --------------------------------------------------------
    def inject_host_perm_fault(self, esr: int, addr: int, cpu: int = 0) -> int:
        """A host stage-2 permission fault: the fault handler chain's result
        (0 resolved, -EPERM abort injected, -EAGAIN retry)."""
        return self._m.inject_host_perm_fault(_check_u64("esr", esr), _check_u64("addr", addr), self._cpu(cpu))

    def inject_host_trap(self, esr: int, cpu: int = 0) -> bool:
        """An EL1 trap pKVM does not handle: True if a module handled it
        (False: the machine panicked)."""
        return self._m.inject_host_trap(_check_u64("esr", esr), self._cpu(cpu))

    def inject_psci(self, what: int, cpu: int = 0) -> None:
        """A PSCI notification: PSCI_CPU_SUSPEND, PSCI_SYSTEM_SUSPEND, PSCI_CPU_ENTRY."""
        self._m.inject_psci(_check_int("what", what, 0, 2), self._cpu(cpu))

    def inject_serror(self, cpu: int = 0) -> bool:
        """An SError reaching EL2: whether the module asked to unmask."""
        return self._m.inject_serror(self._cpu(cpu))

    def inject_hyp_panic(self, reason: str = "", cpu: int = 0) -> None:
        """Panics the hypervisor; every further call raises pkvm.Error (EIO)."""
        self._m.inject_hyp_panic(_check_str("reason", reason), self._cpu(cpu))

    # --- tracing ------------------------------------------------------------------
    def _tracing_dir(self) -> str:
        return "hypervisor" if self.generation == 16 else "hyp"

    def trace_pipe(self) -> Iterator[TraceEvent]:
        """Consumes trace_pipe (what is there now; never blocks) and yields
        its events."""
        text = self.tracefs.read(self._tracing_dir() + "/trace_pipe")
        for line in text.splitlines():
            if line:
                yield parse_trace_line(line)

    @property
    def tracefs_flavor(self) -> str:
        """The machine's tracefs flavour: "android" or "upstream"."""
        return self._m.tracefs_flavor()

    @property
    def tracefs_root(self) -> str:
        """Its tracefs directory: "hyp", "hypervisor" or "remotes/hypervisor"."""
        return self._m.tracefs_root()

    def write_trace_dat(self, path: "str | os.PathLike[str]") -> None:
        """Writes the trace as a trace-cmd trace.dat (``trace-cmd report``,
        KernelShark). Consumes the events."""
        self._m.export_trace(False, "", _check_path("path", path), "")

    def write_perfetto(self, path: "str | os.PathLike[str]") -> None:
        """Writes the trace as Chrome JSON trace events for the Perfetto UI:
        host calls as duration events per CPU, other events as instants. Consumes the
        events."""
        self._m.export_trace(False, "", "", _check_path("path", path))

    def export_trace(self, text: bool = False, tracefs_dir=None, trace_dat=None,
                     perfetto=None) -> str:
        """Reads the buffers once and writes every requested form from those
        same events; returns the trace text when ``text`` is true."""
        def path(name, value):
            return "" if value is None else _check_path(name, value)
        out = self._m.export_trace(bool(text), path("tracefs_dir", tracefs_dir),
                                   path("trace_dat", trace_dat), path("perfetto", perfetto))
        return out.decode("utf-8", "replace")

    def advance_trace_clock(self, ns: int) -> None:
        """With trace_clock="manual": moves the trace clock forward."""
        self._m.advance_trace_clock(_check_u64("ns", ns))

    # --- memory -------------------------------------------------------------------
    def page_state(self, pfn: int) -> PageState:
        """The pKVM state of one physical page (docs/memory.md)."""
        return PageState(**self._m.page_state(_check_u64("pfn", pfn)))

    def host_read(self, phys: int, size: int, cpu: int = 0) -> bytes:
        """A host (EL1) read checked against the host stage-2."""
        _check_int("size", size, 0, 1 << 30)
        return self._m.host_read(_check_u64("phys", phys), size, self._cpu(cpu))

    def host_write(self, phys: int, data: bytes, cpu: int = 0) -> None:
        """A host (EL1) write checked against the host stage-2."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes-like, not {type(data).__name__}")
        self._m.host_write(_check_u64("phys", phys), bytes(data), self._cpu(cpu))

    # --- snapshot/restore -----------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """Saves the whole booted machine (pkvm.Error: EPERM before boot, EIO
        once panicked)."""
        return Snapshot(self._m.snapshot(), self.backend, self.generation)

    def restore(self, snapshot: Snapshot) -> None:
        """Puts the machine back into the state `snapshot` saved, a panicked
        machine included; the snapshot stays usable."""
        if not isinstance(snapshot, Snapshot):
            raise TypeError(f"snapshot must be a pkvm.Snapshot, not {type(snapshot).__name__}")
        self._m.restore(snapshot._snap)

    # --- state --------------------------------------------------------------------
    @property
    def backend(self) -> str:
        """"native" or "unicorn"."""
        return self._m.backend()

    @property
    def state(self) -> str:
        """"created", "deprivileged" or "panicked"."""
        return self._m.state()

    @property
    def generation(self) -> int:
        return self._m.generation()

    @property
    def cpus(self) -> int:
        return self._m.cpus()

    @property
    def boot_log(self) -> str:
        return self._m.boot_log().decode("utf-8", "replace")

    @property
    def serial_output(self) -> str:
        return self._m.serial_output().decode("utf-8", "replace")

    @property
    def panic_report(self) -> str:
        return self._m.panic_report().decode("utf-8", "replace")

    @property
    def protected_vms_enabled(self) -> bool:
        return self._m.protected_vms_enabled()

    @property
    def protected_vms_disabled_reason(self) -> str:
        return self._m.protected_vms_disabled_reason()

    @property
    def loaded_modules(self) -> List[str]:
        return self._m.loaded_modules()

    def __repr__(self) -> str:
        if self.closed:
            return "<pkvm.Hypervisor closed>"
        return f"<pkvm.Hypervisor A{self.generation} {self.backend} cpus={self.cpus} {self.state}>"
