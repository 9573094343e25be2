"""The in-kernel guard of a grading kernel: it keeps test cells honest and reports tampering.

Loaded by ``_shim.py`` into the grading kernel's IPython shell before the first cell runs. After
every cell it compares the shell and the modules the tests rely on with a baseline, undoes changes
and records them:

* IPython machinery: input transformers, AST transformers, event callbacks, the shell's and the
  kernel's execution methods, custom exception handlers, the user namespace object;
* ``builtins``: any builtin that was replaced or deleted;
* protected modules (``funnel_lib`` and the assignment's helper modules), snapshotted by the shim
  right after import: replaced functions and classes, patched class attributes (``__eq__`` …),
  swapped function code, replaced ``sys.modules`` entries.

Before a test cell it also makes sure the names the test uses mean what the read-only cells and
Python say they mean: a builtin the student shadowed (``len = ...``) is hidden for the test, a name a
read-only cell bound (``Stage``) is put back for the test, and answers whose ``==`` always succeeds
are reported. Findings travel to the audit hook's log through ``sys.audit`` events.

It never prints: a test cell that writes to stderr scores 0 in nbgrader.

This module is standalone (no ``funnel_lib`` import), loaded from its file by the shim.

>>> sorted(names_loaded("assert len(list(Stage)) == 5"))
['Stage', 'len', 'list']
>>> is_user_file("/tmp/ipykernel_123/456.py"), is_user_file("/usr/lib/python3.11/json/__init__.py")
(True, False)
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import hashlib
import io
import json
import os
import sys
import threading
import types

# The guard's own code must keep working while notebook code has replaced builtins: bind the ones
# it uses as module globals now, before any notebook code runs.
from builtins import (  # noqa: UP029 - deliberate: bound before notebook code can replace them
    Exception,
    any,
    bool,
    callable,
    dict,
    getattr,
    int,
    isinstance,
    list,
    set,
    setattr,
    sorted,
    str,
    type,
    vars,
)
from typing import Any

__all__ = ["Guard", "install", "is_user_file", "names_loaded", "source_key"]

GUARD_EVENT = "funnel_lib.grading.guard"
MISSING = object()
SHELL_LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
SHELL_METHODS = (
    "run_cell", "run_cell_async", "_run_cell", "transform_cell", "run_ast_nodes", "run_code", "should_run_async",
    "showtraceback", "_showtraceback", "showsyntaxerror", "CustomTB", "set_custom_exc", "ex", "ev",
    "get_exception_only", "init_user_ns", "push",
)
SHELL_OBJECTS = ("user_ns", "user_global_ns", "user_module", "compile", "displayhook", "display_pub", "events",
                 "custom_exceptions", "builtin_trap", "display_trap")
KERNEL_METHODS = ("do_execute", "execute_request", "dispatch_shell", "send_response", "process_one",
                  "_publish_execute_input", "_publish_status", "finish_metadata", "init_metadata")
IGNORED_BUILTINS = frozenset({"_", "__", "___", "input"})  # ipykernel swaps input() per request


def source_key(source: str) -> str:
    """The key of a cell's source in the role table (sha256 of the text).

    >>> source_key("x = 1") == hashlib.sha256(b"x = 1").hexdigest()
    True
    """
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def names_loaded(source: str) -> set[str]:
    """Names a piece of code reads (``ast.Name`` in load context); empty when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def is_user_file(filename: str) -> bool:
    """Whether a code object's file name is a notebook cell (as ipykernel and IPython name them)."""
    return (os.sep + "ipykernel_" in filename or filename.startswith("<ipython-input")
            or filename in ("<string>", "<stdin>"))


def _from_library(hook: Any) -> bool:
    """Whether a callback was defined in an installed module (not in a notebook cell or at run time)."""
    func = getattr(hook, "__func__", hook)
    func = getattr(func, "func", func)  # functools.partial
    code = getattr(func, "__code__", None)
    if code is None:
        call = getattr(type(func), "__call__", None)  # noqa: B004 - reads __call__'s code, not a callable() test
        code = getattr(call, "__code__", None)
    if code is None:
        return False
    filename = code.co_filename
    return not is_user_file(filename) and os.path.isabs(filename) and os.path.exists(filename)


class _Probe:
    """A fresh object nothing honest compares equal to."""

    __slots__ = ()


class Guard:
    """Baseline, checks and repairs for one grading kernel (see the module docstring)."""

    def __init__(self, shell: Any, snapshots: Any, roles: dict[str, dict[str, Any]]) -> None:
        self.shell = shell
        self.snapshots = snapshots
        self.roles = dict(roles)
        self._audit = sys.audit
        self._dumps = json.dumps
        self.count = 0
        self.role: dict[str, Any] | None = None
        self.before: dict[str, Any] = {}
        self.trusted: dict[str, Any] = {}
        self.saved: dict[str, Any] = {}
        self.reported: set[str] = set()

    # -- reporting -------------------------------------------------------------------------------
    def emit(self, record: dict[str, Any]) -> None:
        """Send one record to the audit hook's log."""
        try:
            self._audit(GUARD_EVENT, self._dumps(record, default=str))
        except Exception:  # noqa: BLE001
            pass

    def finding(self, code: str, message: str, severity: str = "review") -> None:
        """Record a finding once per code and message."""
        key = f"{code}:{message}"
        if key in self.reported:
            return
        self.reported.add(key)
        role = self.role or {}
        self.emit({"kind": "finding", "code": code, "severity": severity, "message": message,
                   "cell": self.count, "grade_id": role.get("grade_id")})

    # -- baseline --------------------------------------------------------------------------------
    def take_baseline(self) -> None:
        """Remember the clean state of the shell, the kernel and builtins."""
        shell = self.shell
        self.lists = {name: (getattr(shell, name), list(getattr(shell, name))) for name in SHELL_LISTS
                      if isinstance(getattr(shell, name, None), list)}
        self.events = (shell.events, {k: list(v) for k, v in shell.events.callbacks.items()})
        self.objects = {name: getattr(shell, name, MISSING) for name in SHELL_OBJECTS}
        self.methods = {name: self._class_attr(type(shell), name) for name in SHELL_METHODS}
        self.own_methods = {name: vars(shell).get(name, MISSING) for name in SHELL_METHODS}
        kernel = getattr(shell, "kernel", None)
        self.kernel = kernel
        self.kernel_methods = {name: self._class_attr(type(kernel), name) for name in KERNEL_METHODS} if kernel else {}
        self.kernel_own = {name: vars(kernel).get(name, MISSING) for name in KERNEL_METHODS} if kernel else {}
        handlers = getattr(kernel, "shell_handlers", None)
        self.kernel_handlers = (handlers, dict(handlers)) if isinstance(handlers, dict) else None
        self.builtins = dict(vars(builtins))
        self.threads: set[int | None] | None = None  # taken before the first cell (the kernel starts threads late)

    @staticmethod
    def _class_attr(cls: type, name: str) -> tuple[type, Any] | None:
        for klass in cls.__mro__:
            if name in vars(klass):
                return klass, vars(klass)[name]
        return None

    # -- checks ----------------------------------------------------------------------------------
    def _reconcile(self, what: str, current: list[Any], baseline: list[Any]) -> list[Any] | None:
        """Compare a list of hooks with its baseline; accept library additions, return the list to restore."""
        removed = [item for item in baseline if not any(item is other for other in current)]
        added = [item for item in current if not any(item is other for other in baseline)]
        suspicious = [item for item in added if not _from_library(item)]
        if not removed and not suspicious:
            if added:  # a library registered a hook of its own (e.g. matplotlib's inline backend)
                baseline[:] = list(current)
            return None
        self.finding("MC-IPYTHON", f"changed IPython's {what} (it changes how later cells run); undone")
        baseline[:] = list(baseline) + [item for item in added if not any(item is s for s in suspicious)]
        return list(baseline)

    def _restore_methods(self, target: Any, owner: str, library: str, methods: dict[str, Any],
                         own: dict[str, Any]) -> None:
        """Undo replaced instance methods of ``target`` and patched methods of its classes."""
        for name, found in methods.items():
            original = own.get(name, MISSING)
            if vars(target).get(name, MISSING) is not original:
                self.finding("MC-IPYTHON", f"replaced the {owner}'s {name}() method; undone")
                with contextlib.suppress(Exception):
                    if original is MISSING:
                        delattr(target, name)
                    else:
                        setattr(target, name, original)
            if found is not None and vars(found[0]).get(name, MISSING) is not found[1]:
                self.finding("MC-IPYTHON", f"patched {library}'s {found[0].__name__}.{name}(); undone")
                setattr(found[0], name, found[1])

    def check_shell(self) -> None:
        """Undo changes to IPython's and ipykernel's execution machinery."""
        self._check_shell_lists()
        self._check_events()
        shell = self.shell
        for name, value in self.objects.items():
            if getattr(shell, name, MISSING) is not value and value is not MISSING:
                if name == "custom_exceptions" and getattr(shell, name, ()) == value:
                    continue
                self.finding("MC-IPYTHON", f"replaced the shell's {name}; undone")
                setattr(shell, name, value)
        self._restore_methods(shell, "shell", "IPython", self.methods, self.own_methods)
        self._check_kernel()

    def _check_shell_lists(self) -> None:
        """Undo replaced or changed hook lists of the shell (input and AST transformers)."""
        shell = self.shell
        for name, (obj, items) in self.lists.items():
            current = getattr(shell, name, MISSING)
            if current is not obj:
                self.finding("MC-IPYTHON", f"replaced IPython's {name} list; undone")
                setattr(shell, name, obj)
            restore = self._reconcile(name, list(obj), items)
            if restore is not None:
                obj[:] = restore

    def _check_events(self) -> None:
        """Undo a replaced event manager and event callbacks registered by notebook code."""
        shell = self.shell
        events, callbacks = self.events
        if shell.events is not events:
            self.finding("MC-IPYTHON", "replaced IPython's event manager; undone")
            shell.events = events
        for key in set(events.callbacks) | set(callbacks):
            then = callbacks.setdefault(key, [])
            restore = self._reconcile(f"'{key}' event callbacks", list(events.callbacks.get(key, [])), then)
            if restore is not None:
                events.callbacks[key] = restore

    def _check_kernel(self) -> None:
        """Undo replaced or patched methods and message handlers of the kernel."""
        kernel = self.kernel
        if kernel is None:
            return
        self._restore_methods(kernel, "kernel", "ipykernel", self.kernel_methods, self.kernel_own)
        if self.kernel_handlers is not None:
            handlers, items = self.kernel_handlers
            if getattr(kernel, "shell_handlers", None) is not handlers or handlers != items:
                self.finding("MC-IPYTHON", "changed the kernel's message handlers; undone")
                handlers.clear()
                handlers.update(items)
                kernel.shell_handlers = handlers

    def check_builtins(self) -> None:
        """Put back builtins that were replaced or deleted (all of them first, then report)."""
        current = vars(builtins)
        changed = [name for name, value in self.builtins.items()
                   if name not in IGNORED_BUILTINS and current.get(name, MISSING) is not value]
        for name in changed:
            current[name] = self.builtins[name]
        for name in changed:
            self.finding("MC-BUILTINS", f"replaced the builtin {name!r}; the original was put back")

    def check_modules(self) -> None:
        """Undo monkey-patching of the protected modules (funnel_lib, the assignment's helpers)."""
        snapshots = getattr(self.snapshots, "snapshots", {})
        protected = getattr(self.snapshots, "protected", None)
        if protected is not None:
            for name in [n for n in list(sys.modules) if n not in snapshots and protected(n)]:
                self.finding("MC-MODULES", f"put a module into sys.modules as {name} without importing it; removed")
                sys.modules.pop(name, None)
        for name, (module, namespace, classes, functions) in list(snapshots.items()):
            present = sys.modules.get(name, MISSING)
            if present is not MISSING and present is not module:
                self.finding("MC-MODULES", f"replaced the module {name} in sys.modules; the original was put back")
                sys.modules[name] = module
            self._restore_namespace(name, vars(module), namespace)
            for cls_name, (cls, cdict) in classes.items():
                self._restore_class(f"{name}.{cls_name}", cls, cdict)
            for fn_name, (fn, code, defaults, kwdefaults) in functions.items():
                self._restore_function(f"{name}.{fn_name}", fn, code, defaults, kwdefaults)

    def _restore_namespace(self, name: str, current: dict[str, Any], namespace: dict[str, Any]) -> None:
        """Put back the module ``name``'s replaced functions, classes, submodules and public names."""
        for key, value in namespace.items():
            watched = (isinstance(value, (type, types.ModuleType)) or callable(value)
                       or not key.startswith("_"))
            if watched and not key.startswith("__") and current.get(key, MISSING) is not value:
                self.finding("MC-MODULES", f"replaced {name}.{key}; the original was put back")
                current[key] = value

    def _restore_class(self, name: str, cls: type, cdict: dict[str, Any]) -> None:
        """Undo patched attributes and added dunder methods of the class ``name`` (``module.Class``)."""
        now = vars(cls)
        for key, value in cdict.items():
            if key == "__dict__" or key == "__weakref__":
                continue
            if now.get(key, MISSING) is not value:
                self.finding("MC-MODULES", f"patched {name}.{key}; the original was put back")
                with contextlib.suppress(Exception):
                    type.__setattr__(cls, key, value)
        for key in [k for k in now if k not in cdict and k.startswith("__") and k.endswith("__")]:
            self.finding("MC-MODULES", f"added {name}.{key}; removed")
            with contextlib.suppress(Exception):
                type.__delattr__(cls, key)

    def _restore_function(self, name: str, fn: Any, code: Any, defaults: Any, kwdefaults: Any) -> None:
        """Undo a swapped ``__code__`` (or defaults) of the function ``name`` (``module.function``)."""
        if (getattr(fn, "__code__", code) is not code or getattr(fn, "__defaults__", defaults) is not defaults
                or getattr(fn, "__kwdefaults__", kwdefaults) is not kwdefaults):
            self.finding("MC-MODULES", f"swapped the code of {name}; the original was put back")
            with contextlib.suppress(Exception):
                fn.__code__ = code
                fn.__defaults__ = defaults
                fn.__kwdefaults__ = kwdefaults

    def check_all(self) -> None:
        """Every check, each protected against failures of its own."""
        for check in (self.check_builtins, self.check_shell, self.check_modules):
            try:
                check()
            except Exception as error:  # noqa: BLE001 - never disturb the cell
                self.emit({"kind": "guard-error", "detail": f"{check.__name__}: {error!r}"})

    # -- test cells ------------------------------------------------------------------------------
    def always_equal(self, value: Any) -> bool:
        """Whether ``value`` (or an item of it) has a notebook-defined ``==`` that accepts anything."""
        candidates = [value]
        if isinstance(value, (list, tuple, set, frozenset)):
            candidates += list(value)[:50]
        elif isinstance(value, dict):
            candidates += list(value.values())[:50]
        for item in candidates:
            kind = type(item)
            suspicious = False
            for method in ("__eq__", "__ne__"):
                func = getattr(kind, method, None)
                code = getattr(func, "__code__", None)
                if code is not None and is_user_file(code.co_filename):
                    suspicious = True
            if not suspicious:
                continue
            sink = io.StringIO()
            try:
                with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                    if bool(item == _Probe()) or not bool(item != _Probe()):
                        return True
            except Exception:  # noqa: BLE001
                continue
        return False

    def prepare_test(self, source: str) -> None:
        """Before a test cell: hide shadowed builtins, restore read-only bindings, probe answers."""
        ns = self.shell.user_ns
        for name in sorted(names_loaded(source)):
            current = ns.get(name, MISSING)
            if name in self.trusted:
                if current is not self.trusted[name]:
                    self.finding("MC-NAMESPACE", f"`{name}`, set by a read-only or test cell, was rebound by notebook "
                                 "code; the test ran with the original")
                    self.saved[name] = current
                    ns[name] = self.trusted[name]
            elif current is not MISSING and name in self.builtins and current is not self.builtins[name]:
                self.finding("MC-SHADOW", f"`{name}` hides the builtin the test uses; the test ran with the builtin",
                             severity="note")
                self.saved[name] = current
                del ns[name]
            elif current is not MISSING and self.always_equal(current):
                self.finding("MC-EQUALITY", f"`{name}` compares equal to anything (its == always succeeds)")
        alive = [t for t in threading.enumerate() if t.ident not in (self.threads or set())]
        if alive:
            names = ", ".join(sorted(t.name for t in alive))
            self.finding("MC-THREAD", f"thread(s) started by notebook code were running during a test: {names}")

    def finish_test(self) -> None:
        """After a test cell: give the notebook its own bindings back."""
        ns = self.shell.user_ns
        for name, value in self.saved.items():
            if value is MISSING:
                ns.pop(name, None)
            else:
                ns[name] = value
        self.saved = {}

    # -- IPython callbacks -----------------------------------------------------------------------
    def pre_run_cell(self, info: Any) -> None:
        """IPython ``pre_run_cell`` callback."""
        try:
            self.count += 1
            if self.threads is None:
                self.threads = {t.ident for t in threading.enumerate()}
            raw = getattr(info, "raw_cell", "") or ""
            self.role = self.roles.get(source_key(raw))
            role = self.role or {}
            self.emit({"kind": "cell", "phase": "pre", "n": self.count, "role": role.get("role", "student"),
                       "grade_id": role.get("grade_id"), "cell_id": getattr(info, "cell_id", None)})
            if self.role:
                self.before = dict(self.shell.user_ns)
                if self.role.get("role") == "test":
                    self.prepare_test(raw)
        except Exception as error:  # noqa: BLE001
            self.emit({"kind": "guard-error", "detail": f"pre_run_cell: {error!r}"})

    def post_run_cell(self, result: Any) -> None:
        """IPython ``post_run_cell`` callback."""
        try:
            role = self.role or {}
            if self.role:
                if self.role.get("role") == "test":
                    self.finish_test()
                before = self.before
                for key, value in self.shell.user_ns.items():
                    if not key.startswith("_") and before.get(key, MISSING) is not value:
                        self.trusted[key] = value
                self.before = {}
            self.check_all()
            self.emit({"kind": "cell", "phase": "post", "n": self.count, "role": role.get("role", "student"),
                       "grade_id": role.get("grade_id")})
        except Exception as error:  # noqa: BLE001
            self.emit({"kind": "guard-error", "detail": f"post_run_cell: {error!r}"})
        finally:
            self.role = None


def install(shell: Any, snapshots: Any, roles: dict[str, dict[str, Any]]) -> Guard:
    """Create the guard for ``shell``, register its callbacks and take the baseline."""
    guard = Guard(shell, snapshots, roles)
    shell.events.register("pre_run_cell", guard.pre_run_cell)
    shell.events.register("post_run_cell", guard.post_run_cell)
    guard.take_baseline()
    guard.emit({"kind": "guard", "phase": "installed"})
    return guard
