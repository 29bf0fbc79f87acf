# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operating systems that the vendors list as supported: data with its source, not code.

Linux keys are os-release IDs. A version entry matches itself and its later updates: `7` matches 7.9,
`15` matches 15.4 (SLES 15 SP4), `7.2` matches 7.2.1511, `2012` matches 2012 R2. Users extend a list
with the items' options instead of editing this file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# host.os_support: the backup client.
BACKUP_CLIENT = {
    "source": "Alibaba Cloud Backup, Supported sources, Operating systems (https://alibabacloud.com/help/doc-detail/"
              "73336.htm, updated 2025-11-21); seed 003, Appendix: no 32-bit system, no Windows Server before 2008",
    "linux": {
        "rhel": ("7.0", "7.2", "7.4", "7.5", "7.6", "7.7", "7.8", "8", "8.1", "8.2"),
        "centos": ("6.5", "6.9", "7.2", "7.3", "7.4", "7.5", "7.6", "7.7", "7.8", "7.9", "8.0", "8.1", "8.2", "8.3"),
        "ubuntu": ("14.04", "16.04", "18.04", "20.04"),
        "sles": ("11", "12", "15"),
        "alinux": ("2", "3"),
    },
    "windows_server": ("2008 R2", "2012", "2012 R2", "2016", "2019", "2022"),
    "windows_client": ("7", "8", "10"),
    # Seed 003: "does not support ... Windows Server versions earlier than 2008".
    "windows_server_minimum": 2008,
}

# migrate.os_supported: restore of a VMware VM to an ECS instance, and VM migration (seed 003).
CLOUD_INSTANCE = {
    "source": "seed 003, VMware backup and disaster recovery: restore to ECS and VMware VM migration, "
              "Supported operating systems",
    "linux": {
        "centos": ("6", "7", "8"),
        "ubuntu": ("10", "12", "14", "16", "17", "18", "19", "20"),
        "debian": ("7", "8", "9", "10"),
        "sles": ("11", "12", "15"),
        "opensuse": ("13", "42", "15"),
        "opensuse-leap": ("42", "15"),
        "rhel": ("5", "6", "7", "8"),
    },
    "windows_server": ("2012", "2016", "2019", "2022", "2025"),
    "windows_unsupported": ("XP", "8", "8.1", "10", "11"),
}

# Names a person reads, by os-release ID; also what /etc/issue is expected to say.
DISTRIBUTION_NAMES = {
    "rhel": ("Red Hat Enterprise Linux", ("red hat",)),
    "centos": ("CentOS", ("centos",)),
    "ubuntu": ("Ubuntu", ("ubuntu",)),
    "debian": ("Debian", ("debian",)),
    "sles": ("SUSE Linux Enterprise Server", ("suse linux enterprise", "sles")),
    "sled": ("SUSE Linux Enterprise Desktop", ("suse linux enterprise",)),
    "opensuse": ("openSUSE", ("opensuse",)),
    "opensuse-leap": ("openSUSE Leap", ("opensuse",)),
    "alinux": ("Alibaba Cloud Linux", ("alibaba cloud linux", "aliyun linux")),
    "fedora": ("Fedora", ("fedora",)),
    "rocky": ("Rocky Linux", ("rocky",)),
    "almalinux": ("AlmaLinux", ("almalinux",)),
    "ol": ("Oracle Linux", ("oracle linux",)),
    "amzn": ("Amazon Linux", ("amazon linux",)),
}


def version_matches(version, entry):
    version, entry = str(version), str(entry)
    return version == entry or version.startswith(entry + ".") or version.startswith(entry + " ")


def listed(versions, version):
    return [entry for entry in versions if version_matches(version, entry)]
