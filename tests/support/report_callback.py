"""The report callback outside a playbook run: configured from its DOCUMENTATION the way the plugin
loader configures it, writing to a display that keeps what it was given."""

import yaml
from ansible import constants as C

from ansible_collections.cloudbackup.precheck.plugins.callback import precheck_report

NAME = "cloudbackup.precheck.precheck_report"


class Display:
    verbosity = 0

    def __init__(self):
        self.shown, self.warnings = [], []

    def display(self, msg, *args, **kwargs):
        self.shown.append(msg)

    def warning(self, msg, *args, **kwargs):
        self.warnings.append(msg)

    @property
    def text(self):
        return "\n".join(self.shown + self.warnings)


class Playbook:
    def __init__(self, file_name="precheck.yml"):
        self._file_name = file_name


def configure(monkeypatch):
    """Loads the callback's option definitions; its atexit handler stays out of the test process."""
    monkeypatch.setattr(precheck_report.atexit, "register", lambda function: None)
    C.config.initialize_plugin_configuration_definitions(
        "callback", NAME, yaml.safe_load(precheck_report.DOCUMENTATION)["options"])


def callback(display, **options):
    """A callback with these options (after configure())."""
    plugin = precheck_report.CallbackModule(display=display)
    plugin._load_name = NAME
    plugin.set_options(direct=options)
    return plugin
