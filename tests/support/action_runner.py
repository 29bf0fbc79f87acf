"""Runs one of the collection's action plugins as a task would, without a play: the task's args and
variables in, the plugin's result out."""

from unittest import mock

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.template import Templar


def run_action(module, args, task_vars):
    task = mock.MagicMock(args=args, async_val=0, check_mode=False, action="cloudbackup.precheck.action")
    connection = mock.MagicMock()
    connection._shell.tmpdir = "/nonexistent"
    loader = DataLoader()
    action = module.ActionModule(task, connection, PlayContext(), loader, Templar(loader=loader, variables=task_vars),
                                 None)
    return action.run(task_vars=task_vars)
