"""The installed Python package, imported from the install prefix
(PYTHONPATH=<prefix>/lib/python3/dist-packages), runs a module built out of
tree: python_smoke.py <prefix python dir> <pkvm_driver.so>"""
import os
import sys

import pkvm

pydir, driver = sys.argv[1], sys.argv[2]
assert os.path.realpath(pkvm.__file__).startswith(os.path.realpath(pydir)), pkvm.__file__
with pkvm.Hypervisor(cmdline="kvm-arm.protected_modules=pkvm_driver", trace_clock="manual") as hv:
    hv.offer_module(driver)
    hv.boot()
    hv.tracefs.write("hyp/tracing_on", "1")
    hv.tracefs.write("hyp/events/pkvm_driver_event/enable", "1\n")
    assert hv.hvc(0xC6000080, 0x42).x0 == 0
    events = [(e.name, e.fields) for e in hv.trace_pipe()]
    assert events == [("pkvm_driver_event", {"id": "0x00000042"})], events
print(f"ok: installed pkvm {pkvm.__version__} from {os.path.dirname(pkvm.__file__)}")
