"""A stand-in for powershell.exe, for the role's Windows path on this Linux machine (no PowerShell can be
installed here). It accepts only the command line the role sends (-NoProfile -NonInteractive
-ExecutionPolicy Bypass -EncodedCommand <base64 of UTF-16LE>), records the decoded script, and prints the
facts it is given, as the real script would print them. It runs no PowerShell: the script itself is
not tested here (docs/host.md says so)."""

import base64
import os
import sys

EXPECTED = ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand"]
GIB = 1024 ** 3


def windows_facts(**overrides):
    """What the role's script prints on a Windows Server 2019 VM ready to become a cloud instance, in its
    format (key=value lines, CRLF, list keys repeated); `overrides` change single keys or replace lists."""
    facts = {"os_caption": "Microsoft Windows Server 2019 Datacenter", "os_version": "10.0.17763", "os_build": "17763",
             "os_product_type": "3", "processor_architecture": "AMD64", "system_drive": "C:",
             "system_drive_size": str(127 * GIB), "system_drive_free": str(80 * GIB),
             "system_disk_index": "0", "system_disk_size": str(127 * GIB)}
    adapter = "vmxnet3 Ethernet Adapter"
    lists = {"physical_nic": ["Ethernet0"], "qemu_ga_service": [],
             "ip_address": [adapter + "|10.0.0.5", adapter + "|fe80::1c2d:3e4f:5a6b:7c8d"]}
    for key, value in overrides.items():
        (lists if key in lists else facts)[key] = value
    lines = ["%s=%s" % item for item in facts.items() if item[1] is not None]
    lines += ["%s=%s" % (key, value) for key, values in lists.items() for value in values]
    return "\r\n".join(lines) + "\r\n"


def install(directory, facts_text, log_path):
    """Write an executable `powershell.exe` into `directory` that answers `facts_text` and logs the script."""
    path = os.path.join(str(directory), "powershell.exe")
    with open(path, "w") as handle:
        handle.write("#!/bin/sh\nexec %s %s \"$@\"\n" % (sys.executable, os.path.abspath(__file__)))
    os.chmod(path, 0o755)
    facts = os.path.join(str(directory), "facts.txt")
    with open(facts, "w") as handle:
        handle.write(facts_text)
    return {"FAKE_POWERSHELL_FACTS": facts, "FAKE_POWERSHELL_LOG": str(log_path)}


def main(argv):
    if argv[:5] != EXPECTED or len(argv) != 6:
        sys.stderr.write("fake powershell.exe: unexpected command line %r\n" % (argv,))
        return 64
    script = base64.b64decode(argv[5]).decode("utf-16-le")
    with open(os.environ["FAKE_POWERSHELL_LOG"], "w") as handle:
        handle.write(script)
    with open(os.environ["FAKE_POWERSHELL_FACTS"]) as handle:
        sys.stdout.write(handle.read())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
