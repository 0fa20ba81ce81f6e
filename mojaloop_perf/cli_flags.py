"""The flags of the invoke front: one short letter per long flag in every task, and the flags a
chained command shares, resolved before any task of it runs.

`invoke provision deploy seed test --scenario x --dry-run` runs every stage on x, as a dry run:
`ChainExecutor` (named by `tasks.executor_class` in the checkout's `invoke.yaml`, the setting
pyinvoke/invoke's `invoke/program.py` reads to pick an executor) reads the flags every task of
the command was given, refuses two different values of one flag, and hands the value to every
task of the command that takes that flag. A task then resolves a setting in one order: its flag
→ the `mojaloop_perf` config (`invoke.yaml`, INVOKE_MOJALOOP_PERF_SCENARIO /
INVOKE_MOJALOOP_PERF_TARGET) → the default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from invoke import Argument, Context, Executor, ParserContext, Task, task
from invoke.exceptions import Exit

DEFAULTS = {"scenario": "local", "target": "local"}

# Each long flag's short letter, the same in every task; a flag not listed here has none.
SHORT_FLAGS = {
    "scenario": "s",
    "target": "t",
    "dry-run": "d",
    "yes": "y",
    "force": "f",
    "all": "a",
    "strict": "i",
    "run": "r",
    "name": "n",
    "from": "o",
    "baseline": "b",
}

# The flags a value given to one task of a command carries to every task of it.
SHARED_FLAGS = ("scenario", "target", "dry-run")

HELP = {
    "scenario": "scenario folder under performance-tests/results/ (default: local)",
    "target": "where to run: local (default) or aws",
    "dry-run": "print the commands and objects the stage would apply, change nothing",
}


class FrontTask(Task):
    """A task whose flags take their short letter from SHORT_FLAGS, so `-t` is `--target` in
    every task (invoke's own choice is the first letter of the name not yet taken in the task)."""

    def arg_opts(self, name: str, default: str, taken_names: set[str]) -> dict[str, Any]:
        opts = super().arg_opts(name, default, taken_names)
        long = opts["names"][0]
        opts["names"] = [long, SHORT_FLAGS[long]] if long in SHORT_FLAGS else [long]
        return opts

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        # invoke's Task.get_arguments (invoke/tasks.py) pops each help text as it uses it: a
        # second parser made in the same process (a test, a completion) would show no help.
        kept = dict(self.help)
        try:
            return super().get_arguments(ignore_unknown_help)
        finally:
            self.help = kept


def front_task(**options: Any) -> Callable[[Callable[..., Any]], FrontTask]:
    """`@task(**options)` making a FrontTask."""
    return task(klass=FrontTask, **options)


def setting(c: Context, name: str, flag: str | None) -> str:
    """The flag's value if given, else the `mojaloop_perf` config's, else the default."""
    if flag is not None:
        return flag
    return str(c.config.mojaloop_perf.get(name) or DEFAULTS[name])


def shared_values(contexts: Sequence[ParserContext]) -> dict[str, Any]:
    """The shared flags given to any task of the command: long name → value.

    Two different values of one flag are refused, in one line named for the command's first task.
    """
    given: dict[str, list[Any]] = {}
    for context in contexts:
        for flag in SHARED_FLAGS:
            if flag in context.args and context.args[flag].got_value:
                values = given.setdefault(flag, [])
                if context.args[flag].value not in values:
                    values.append(context.args[flag].value)
    for flag, values in given.items():
        if len(values) > 1:
            shown = " and ".join(str(value) for value in values)
            raise Exit(
                f"{contexts[0].name}: --{flag} given twice in this command ({shown}): give one value",
                code=2,
            )
    return {flag: values[0] for flag, values in given.items()}


def chained_calls(contexts: Sequence[ParserContext]) -> list[tuple[str, dict[str, Any]]]:
    """Each parsed task as (name, keyword arguments), with the command's shared flags filled in
    for every task that takes them."""
    shared = shared_values(contexts)
    calls = []
    for context in contexts:
        kwargs = context.as_kwargs
        for flag, value in shared.items():
            if flag in context.args:
                kwargs[context.args[flag].name] = value
        calls.append((context.name, kwargs))
    return calls


class ChainExecutor(Executor):
    """invoke's executor, with the flags a command shares handed to each of its tasks first."""

    def execute(self, *tasks: Any) -> dict[Any, Any]:
        contexts = [one for one in tasks if isinstance(one, ParserContext)]
        calls = iter(chained_calls(contexts))
        return super().execute(
            *(next(calls) if isinstance(one, ParserContext) else one for one in tasks)
        )
