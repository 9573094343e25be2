"""Integrity checks of a submission: its cells against the gradebook, and a scan of its code for tampering.

Three sources of findings end up in a grade's integrity report:

* the **structure** of the submitted notebook against the assignment's cells in the gradebook
  (:func:`compare_cells`): deleted or edited test cells, deleted answer cells, changed cell types,
  unknown or duplicated grade ids. nbgrader restores locked cells from the gradebook, so an edited
  test never runs — the finding tells the instructor it happened;
* a **static scan** of the code the student wrote (:func:`scan_code`): patching ``funnel_lib``,
  test helpers or builtins, IPython's input transformers and event hooks, ``sys.modules``, file
  access to the course's folders, starting processes, ``ctypes``/``gc``/frame tricks, ``exec`` and
  ``eval``, comparisons that always succeed;
* what the **grading kernel** saw at run time: the audit hook's refusals and the guard's repairs
  (parsed by :func:`read_kernel_log`).

A finding of severity ``review`` makes the submission "needs review" (points are kept as graded:
the instructor decides); ``note`` findings are listed but do not change the status.

>>> [f.code for f in scan_code("import builtins\\nbuiltins.len = lambda x: 5")]
['MC-BUILTINS']
>>> scan_code("rate = 3 / 10")
[]
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "IntegrityFinding",
    "compare_cells",
    "findings_from_outputs",
    "read_kernel_log",
    "release_source",
    "scan_code",
    "scan_notebook",
]

SEVERITIES = ("review", "note", "info")  # info: kept in the JSON report, not in the CSV reason
PROTECTED_MODULES = {"funnel_lib", "builtins", "sys", "os", "io", "json", "IPython", "ipykernel", "nbgrader",
                     "posixpath", "importlib", "math", "numpy", "pandas", "operator", "functools", "unittest",
                     "traitlets", "types", "abc", "enum"}
IPYTHON_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers", "events",
                 "register_magic_function", "register_magics", "set_custom_exc", "showtraceback",
                 "_showtraceback", "run_cell", "run_cell_async", "transform_cell", "run_ast_nodes", "run_code",
                 "prefilter_manager", "displayhook", "display_pub", "user_ns", "user_global_ns", "custom_exceptions",
                 "do_execute", "shell_handlers", "execute_request", "kernel", "builtin_trap", "compile",
                 "input_splitter", "input_transformer_manager"}
FRAME_TRICKS = {"__code__", "__globals__", "__closure__", "cell_contents", "f_locals", "f_globals", "f_back",
                "tb_frame", "f_lineno", "__subclasses__", "__builtins__", "gi_frame", "cr_frame", "co_code",
                "meta_path", "path_hooks", "settrace", "setprofile", "_getframe", "addaudithook", "audit",
                "__import__", "__loader__", "__spec__"}
DANGEROUS_IMPORTS = {"ctypes": "loads native code", "gc": "walks every live object", "subprocess": "starts processes",
                     "multiprocessing": "starts processes", "signal": "changes signal handling",
                     "importlib": "imports or reloads modules by name", "sqlite3": "opens databases",
                     "socket": "opens network connections", "pty": "starts processes", "inspect": "inspects frames",
                     "shutil": "copies, moves or deletes files", "threading": "starts threads",
                     "_thread": "starts threads", "pickle": "runs code while loading data"}
FILE_CALLS = {"open", "listdir", "scandir", "walk", "glob", "iglob", "rglob", "iterdir", "read_text", "read_bytes",
              "write_text", "write_bytes", "remove", "unlink", "rmdir", "rename", "replace", "rmtree", "copy",
              "copyfile", "copytree", "move", "connect", "chmod", "symlink_to", "mkdir", "makedirs", "touch"}
PROCESS_CALLS = {"fork", "forkpty", "system", "popen", "Popen", "run", "call", "check_call", "check_output",
                 "spawnl", "spawnv", "spawnlp", "spawnvp", "execv", "execve", "execl", "execlp", "execvp",
                 "posix_spawn", "kill", "killpg", "_exit", "abort", "setsid"}
SUSPICIOUS_WORDS = ("solution", "source", "gradebook", "autograded", "submitted", "release", "feedback", "nbgrader",
                    ".ipynb", ".db", "exchange", "..", "hidden", "/tmp", "/proc", "/home", "/root", "/srv", "/work")
COMPARISON_DUNDERS = {"__eq__", "__ne__", "__bool__", "__lt__", "__le__", "__gt__", "__ge__", "__instancecheck__",
                      "__subclasscheck__", "__hash__", "__float__", "__index__", "__len__", "__contains__",
                      "__getattr__", "__getattribute__"}

# calls (see _Scanner.visit_Call)
IPYTHON_RUNNERS = {"run_line_magic", "run_cell_magic", "system", "getoutput"}
BENIGN_MAGICS = {"matplotlib", "time", "timeit", "precision"}
MUTATING_METHODS = {"append", "insert", "extend", "remove", "clear", "pop", "__setitem__", "update", "setdefault"}
MUTABLE_HOOKS = ("input_transformers", "ast_transformers", "sys.modules", "meta_path", "path_hooks", "user_ns",
                 "shell_handlers", "sys.path")
PROCESS_MODULES = {"os", "subprocess", "pty", "multiprocessing", "signal"}
PROCESS_ALIAS_MODULES = {"os", "subprocess", "pty", "multiprocessing"}  # names imported from them (not signal's)
FILE_MODULES = {"os", "shutil", "glob", "pathlib", "io", "sqlite3", "codecs"}
COMPUTED_PATH_CALLS = {"open", "glob", "iglob", "listdir", "scandir", "walk", "remove", "unlink", "rename", "rmtree",
                       "copy", "copyfile", "move", "connect"}


@dataclass(frozen=True)
class IntegrityFinding:
    """One integrity finding: a stable code, ``review`` or ``note``, a message, and where.

    >>> IntegrityFinding("MC-EXEC", "review", "runs code from a string (exec)", "rate_answer").line()
    'rate_answer: runs code from a string (exec)'
    """

    code: str
    severity: str
    message: str
    where: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    def line(self) -> str:
        """The finding as one line of text."""
        return f"{self.where}: {self.message}" if self.where else self.message

    def to_dict(self) -> dict[str, str]:
        """A JSON-friendly dict."""
        return asdict(self)


#: The old name, private to the package: ``_worker.py`` and ``tests/test_grading_integrity.py`` still import it
#: from here (the public name is :class:`IntegrityFinding`; ``funnel_lib.Finding`` is the design checker's).
Finding = IntegrityFinding


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = _dotted(node.func)
        if inner is not None:
            parts.append(inner + "()")
            return ".".join(reversed(parts))
    return None


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _constant_result(node: ast.AST) -> bool:
    """Whether a function or lambda always returns the same constant (``lambda *a: True``)."""
    if isinstance(node, ast.Lambda):
        return isinstance(node.body, ast.Constant)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        body = [stmt for stmt in node.body if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))]
        returns = [n for n in ast.walk(node) if isinstance(n, ast.Return)]
        return bool(returns) and all(isinstance(r.value, ast.Constant) for r in returns) and len(body) <= 2
    return False


@dataclass(frozen=True)
class _Call:
    """A call being scanned: its node, its function as a dotted name (``os.path.join``), the name's last part
    (``join``) and the string constants in the call."""

    node: ast.Call
    dotted: str
    name: str
    strings: list[str]

    @property
    def bare(self) -> bool:
        """Whether the function is a plain name (``open(...)``, not ``x.open(...)``)."""
        return "." not in self.dotted


class _Scanner(ast.NodeVisitor):
    """Collects findings for one piece of code."""

    def __init__(self, where: str, local_modules: Iterable[str]) -> None:
        self.where = where
        self.found: list[IntegrityFinding] = []
        self.aliases: dict[str, str] = {}
        self.protected = set(PROTECTED_MODULES) | set(local_modules)

    def add(self, code: str, message: str, severity: str = "review") -> None:
        finding = IntegrityFinding(code, severity, message, self.where)
        if finding not in self.found:
            self.found.append(finding)

    def _root(self, dotted: str | None) -> str | None:
        """The protected module a dotted name refers to (through import aliases), or None."""
        if not dotted:
            return None
        head = dotted.split(".")[0]
        target = self.aliases.get(head, head)
        top = target.split(".")[0]
        if top in self.protected or head == "__builtins__":
            return target + dotted[len(head):]
        return None

    # imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            self.aliases[(alias.asname or alias.name).split(".")[0]] = alias.name if alias.asname else top
            if top in DANGEROUS_IMPORTS:
                self.add("MC-IMPORT", f"imports {alias.name}, which {DANGEROUS_IMPORTS[top]}",
                         "note" if top in {"threading", "shutil", "inspect", "pickle"} else "review")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
        top = module.split(".")[0]
        if top in DANGEROUS_IMPORTS:
            self.add("MC-IMPORT", f"imports from {module}, which {DANGEROUS_IMPORTS[top]}",
                     "note" if top in {"threading", "shutil", "inspect", "pickle"} else "review")
        if module == "__future__":
            self.add("MC-IPYTHON", "a __future__ import changes how every later cell is compiled", "note")
        self.generic_visit(node)

    # assignments to protected things
    def _check_target(self, target: ast.AST, verb: str) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element, verb)
            return
        if isinstance(target, ast.Attribute):
            dotted = _dotted(target)
            root = self._root(dotted)
            if target.attr in COMPARISON_DUNDERS:
                self.add("MC-EQUALITY", f"{verb} {dotted or target.attr}: overrides comparison or truth of objects")
            elif root:
                code = "MC-BUILTINS" if root.startswith(("builtins", "__builtins__")) else "MC-MODULES"
                if root.startswith("sys.") and ("modules" in root or "meta_path" in root or "path" in root):
                    code = "MC-MODULES"
                self.add(code, f"{verb} {root}, which the tests may rely on")
            elif target.attr in IPYTHON_HOOKS:
                self.add("MC-IPYTHON", f"{verb} .{target.attr} (changes how later cells run)")
            elif target.attr in {"__class__", "__dict__", "__code__", "__defaults__", "__kwdefaults__"}:
                self.add("MC-FRAMES", f"{verb} .{target.attr} of an object")
        elif isinstance(target, ast.Subscript):
            dotted = _dotted(target.value)
            root = self._root(dotted)
            builtin = (root or "").startswith(("builtins", "__builtins__"))
            if dotted and (dotted.endswith(("modules", "__dict__", "user_ns")) or builtin
                           or dotted in {"globals()", "vars()", "locals()"}):
                self.add("MC-BUILTINS" if builtin else "MC-MODULES", f"{verb} an entry of {dotted}")
        elif isinstance(target, ast.Name) and target.id == "__builtins__":
            self.add("MC-BUILTINS", f"{verb} __builtins__")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target, "assigns")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target, "changes")
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target, "assigns")
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check_target(target, "deletes")
        self.generic_visit(node)

    # classes with comparisons that always succeed
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for stmt in node.body:
            name = None
            value: ast.AST | None = None
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name, value = stmt.name, stmt
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                name, value = stmt.targets[0].id, stmt.value
            if name in {"__eq__", "__ne__", "__bool__", "__instancecheck__", "__subclasscheck__"}:
                if value is not None and _constant_result(value):
                    self.add("MC-EQUALITY", f"class {node.name} defines {name} with a constant result "
                             "(its objects compare equal to anything)")
                else:
                    self.add("MC-EQUALITY", f"class {node.name} defines {name}", "note")
            elif name in {"__getattr__", "__getattribute__", "__float__", "__index__", "__hash__"}:
                self.add("MC-EQUALITY", f"class {node.name} defines {name}", "note")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in FRAME_TRICKS:
            self.add("MC-FRAMES", f"uses .{node.attr} (reaches into the interpreter's internals)")
        elif node.attr in {"input_transformers_cleanup", "input_transformers_post", "ast_transformers",
                           "register_magic_function", "register_magics", "set_custom_exc", "prefilter_manager",
                           "shell_handlers", "do_execute"}:
            self.add("MC-IPYTHON", f"uses IPython's .{node.attr} (changes how later cells run)")
        elif node.attr == "events" and isinstance(node.value, ast.Call):
            self.add("MC-IPYTHON", "uses IPython's event callbacks (code that runs around later cells)")
        elif node.attr == "environ":
            self.add("MC-FILES", "reads environment variables", "note")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in {"__builtins__", "__import__", "__loader__", "__spec__"}:
            self.add("MC-FRAMES", f"uses {node.id}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        dotted = _dotted(node.func) or ""
        call = _Call(node, dotted, dotted.split(".")[-1] if dotted else "", _strings(node))
        for check in self._CALL_CHECKS:  # the first kind of call that matches decides
            if check(self, call):
                break
        self._check_file_access(call)
        self.generic_visit(node)

    # kinds of calls: each says whether the call is of its kind (which ends the search), finding or not
    def _call_exec(self, call: _Call) -> bool:
        if call.name not in {"exec", "eval", "compile"} or not call.bare:
            return False
        self.add("MC-EXEC", f"runs code from a string ({call.name})")
        return True

    def _call_setattr(self, call: _Call) -> bool:
        args = call.node.args
        if call.name not in {"setattr", "delattr"} or not call.bare or not args:
            return False
        target = self._root(_dotted(args[0]))
        literal = len(args) > 1 and isinstance(args[1], ast.Constant)
        if target:
            self.add("MC-BUILTINS" if target.startswith("builtins") else "MC-MODULES",
                     f"{call.name}() on {target}, which the tests may rely on")
        elif not literal:
            self.add("MC-EXEC", f"{call.name}() with a computed attribute name")
        elif isinstance(args[1], ast.Constant) and args[1].value in COMPARISON_DUNDERS:
            self.add("MC-EQUALITY", f"{call.name}() of {args[1].value}: overrides comparison of objects")
        return True

    def _call_getattr(self, call: _Call) -> bool:
        args = call.node.args
        if call.name != "getattr" or not call.bare or len(args) <= 1 or isinstance(args[1], ast.Constant):
            return False
        self.add("MC-EXEC", "getattr() with a computed attribute name", "note")
        return True

    def _call_namespace(self, call: _Call) -> bool:
        if call.name not in {"globals", "locals", "vars"} or not call.bare:
            return False
        self.add("MC-EXEC", f"uses {call.name}()", "note")
        return True

    def _call_type(self, call: _Call) -> bool:
        if call.name != "type" or len(call.node.args) != 3:
            return False
        self.add("MC-EQUALITY", "builds a class with type(name, bases, namespace)", "note")
        return True

    def _call_magic(self, call: _Call) -> bool:
        if call.name not in IPYTHON_RUNNERS or "get_ipython" not in call.dotted:
            return False
        magic = call.strings[0] if call.strings else "?"
        benign = call.name.startswith("run_") and magic in BENIGN_MAGICS
        if not benign:
            self.add("MC-IPYTHON", f"runs the IPython magic or shell command {magic!r}")
        return True

    def _call_events(self, call: _Call) -> bool:
        if call.name not in {"register", "unregister"} or "events" not in call.dotted:
            return False
        self.add("MC-IPYTHON", "registers code to run around later cells (IPython events)")
        return True

    def _call_mutation(self, call: _Call) -> bool:
        dotted = call.dotted
        if call.name not in MUTATING_METHODS or not any(hook in dotted for hook in MUTABLE_HOOKS):
            return False
        self.add("MC-IPYTHON" if "transformers" in dotted else "MC-MODULES", f"changes {dotted.rsplit('.', 1)[0]}")
        return True

    def _call_process(self, call: _Call) -> bool:
        if call.name not in PROCESS_CALLS:
            return False
        aliases = {k for k, v in self.aliases.items() if v.split(".")[0] in PROCESS_ALIAS_MODULES}
        if call.dotted.split(".")[0] not in PROCESS_MODULES | aliases:
            return False
        self.add("MC-PROCESS", f"calls {call.dotted} (processes and signals)")
        return True

    def _call_exit(self, call: _Call) -> bool:
        if call.name not in {"exit", "quit"} or call.dotted not in {"sys.exit", "exit", "quit"}:
            return False
        self.add("MC-PROCESS", f"calls {call.dotted}() (ends the kernel)", "note")
        return True

    _CALL_CHECKS = (_call_exec, _call_setattr, _call_getattr, _call_namespace, _call_type, _call_magic, _call_events,
                    _call_mutation, _call_process, _call_exit)

    def _check_file_access(self, call: _Call) -> None:
        """File access (through ``open``, ``os``, ``shutil``, ``pathlib`` …) to course folders or computed paths."""
        name, dotted = call.name, call.dotted
        head = self.aliases.get(dotted.split(".")[0], dotted.split(".")[0]).split(".")[0] if dotted else ""
        file_module = head in FILE_MODULES or "Path(" in dotted
        bare_file_call = call.bare and name in {"open", "glob", "iglob"}
        if name not in FILE_CALLS or not (bare_file_call or file_module):
            return
        suspicious = [s for s in call.strings if any(word in s.lower() for word in SUSPICIOUS_WORDS)
                      or s.startswith("/")]
        computed = any(not isinstance(arg, ast.Constant) for arg in call.node.args[:1])
        if suspicious:
            self.add("MC-FILES", f"file access with {dotted or name}() to {suspicious[0]!r} (course folders?)")
        elif computed and name in COMPUTED_PATH_CALLS:
            self.add("MC-FILES", f"file access with {dotted or name}() to a computed path", "note")


def scan_code(source: str, where: str = "", local_modules: Iterable[str] = ()) -> list[IntegrityFinding]:
    """Scan one cell's code (IPython syntax allowed) for tampering patterns.

    >>> for finding in scan_code("get_ipython().input_transformers_post.append(f)", "cell 3"):
    ...     print(finding.line())
    cell 3: changes get_ipython().input_transformers_post
    cell 3: uses IPython's .input_transformers_post (changes how later cells run)
    >>> scan_code("class A:\\n    __eq__ = lambda self, other: True")[0].severity
    'review'
    """
    text = _python_source(source)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    scanner = _Scanner(where, local_modules)
    scanner.visit(tree)
    return scanner.found


def _python_source(source: str) -> str:
    """The cell's code with IPython syntax (magics, ``!`` commands) turned into Python, as IPython would."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to the raw text
        return source


def release_source(source: str, begin: str = "### BEGIN HIDDEN TESTS", end: str = "### END HIDDEN TESTS") -> str:
    """A test cell's source as released to students: the hidden-test blocks removed (like nbgrader).

    >>> release_source("assert a\\n### BEGIN HIDDEN TESTS\\nassert b\\n### END HIDDEN TESTS")
    'assert a'
    """
    lines = source.split("\n")
    kept: list[str] = []
    hidden = False
    for line in lines:
        stripped = line.strip()
        if stripped == begin.strip():
            hidden = True
            continue
        if stripped == end.strip():
            hidden = False
            continue
        if not hidden:
            kept.append(line)
    return "\n".join(kept).rstrip("\n")


def compare_cells(submitted: dict[str, Any], source_cells: list[dict[str, Any]]) -> list[IntegrityFinding]:
    """Compare the graded cells of a submitted notebook with the gradebook's definition of the notebook.

    ``source_cells`` lists the gradebook's cells in order, as dicts with ``name``, ``cell_type``,
    ``locked``, ``source``, ``grade`` (a grade cell), ``solution`` (an answer cell).

    >>> test = {"name": "t1", "cell_type": "code", "locked": True, "source": "assert x"}
    >>> cells = [{**test, "grade": True, "solution": False}]
    >>> [f.message for f in compare_cells({"cells": []}, cells)]
    ['the test cell t1 was deleted (its tests could not run: 0 points)']
    """
    seen: dict[str, int] = {}
    by_id: dict[str, dict[str, Any]] = {}
    for cell in submitted.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        grade_id = meta.get("grade_id")
        if grade_id:
            seen[grade_id] = seen.get(grade_id, 0) + 1
            by_id.setdefault(grade_id, cell)
    findings = _grade_id_findings(seen, {cell["name"] for cell in source_cells})
    for cell in source_cells:
        mine = by_id.get(cell["name"])
        findings.extend(_deleted_cell(cell) if mine is None else _changed_cell(cell, mine))
    return findings


def _grade_id_findings(seen: dict[str, int], known: set[str]) -> list[IntegrityFinding]:
    """Grade ids claimed by several cells, or unknown to the gradebook (``seen``: grade id -> cells claiming it)."""
    findings: list[IntegrityFinding] = []
    for name, count in seen.items():
        if count > 1:
            message = f"{count} cells claim the grade id {name} (copies are ignored)"
            findings.append(IntegrityFinding("MC-CELLS", "note", message, name))
        if name not in known:
            message = f"a cell claims the unknown grade id {name} (ignored)"
            findings.append(IntegrityFinding("MC-CELLS", "note", message, name))
    return findings


def _is_test(cell: dict[str, Any]) -> bool:
    """Whether a gradebook cell is a test cell (graded, not an answer, read-only)."""
    return bool(cell.get("grade") and not cell.get("solution") and cell.get("locked"))


def _deleted_cell(cell: dict[str, Any]) -> list[IntegrityFinding]:
    """The finding for a gradebook cell missing from the submission (none for an unlocked cell)."""
    name = cell["name"]
    if _is_test(cell):
        message = f"the test cell {name} was deleted (its tests could not run: 0 points)"
        return [IntegrityFinding("MC-CELLS", "review", message, name)]
    if cell.get("solution"):
        message = f"the answer cell {name} was deleted (the answer, if any, is in another cell: check it)"
        return [IntegrityFinding("MC-CELLS", "review", message, name)]
    if cell.get("locked"):
        return [IntegrityFinding("MC-CELLS", "note", f"the read-only cell {name} was deleted", name)]
    return []


def _changed_cell(cell: dict[str, Any], mine: dict[str, Any]) -> list[IntegrityFinding]:
    """Findings for a submitted cell (``mine``) whose type or read-only source differs from the gradebook's."""
    name = cell["name"]
    findings: list[IntegrityFinding] = []
    source = mine.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    if mine.get("cell_type") != cell["cell_type"]:
        findings.append(IntegrityFinding("MC-CELLS", "note", f"the cell {name} was changed from {cell['cell_type']} to "
                                f"{mine.get('cell_type')} (nbgrader changed it back)", name))
    if cell.get("locked"):
        expected = release_source(cell.get("source") or "")
        if source.strip() != expected.strip() and source.strip() != (cell.get("source") or "").strip():
            kind = "test" if _is_test(cell) else "read-only"
            message = f"the {kind} cell {name} was edited; nbgrader graded the original instead"
            findings.append(IntegrityFinding("MC-CELLS", "note", message, name))
    return findings


def scan_notebook(submitted: dict[str, Any], source_cells: list[dict[str, Any]],
                  local_modules: Iterable[str] = ()) -> list[IntegrityFinding]:
    """Scan the code a student wrote or changed (answer cells and cells of their own) for tampering."""
    locked = {cell["name"] for cell in source_cells if cell.get("locked")}
    findings: list[IntegrityFinding] = []
    for index, cell in enumerate(submitted.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        grade_id = meta.get("grade_id")
        if grade_id in locked:
            continue  # restored from the gradebook before running
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        where = grade_id or f"cell {index + 1}"
        findings.extend(scan_code(source, where, local_modules))
    return findings


def read_kernel_log(path: Path, code_cells: int | None = None,
                    labels: list[str] | None = None) -> list[IntegrityFinding]:
    """Findings from a grading kernel's log (audit-hook refusals, guard repairs, missing heartbeats).

    ``code_cells`` is how many code cells ran (to notice a disabled guard); ``labels`` names the code
    cells in the order they ran (grade id or ``cell N``), to say where a finding happened.
    """
    findings: list[IntegrityFinding] = []
    posts = 0
    armed = False
    lines = _log_lines(path)
    for raw in lines:
        try:
            record = json.loads(raw)
        except json.JSONDecodeError:
            message = "the grading log contains text the guard did not write"
            findings.append(IntegrityFinding("MC-GUARD", "review", message))
            continue
        if not isinstance(record, dict):
            continue
        kind = record.get("kind")
        if kind == "armed":
            armed = True
        elif kind == "cell" and record.get("phase") == "post":
            posts += 1
        else:
            finding = _log_finding(record, labels)
            if finding is not None and (kind != "finding" or finding not in findings):
                findings.append(finding)
    if code_cells is not None and lines and armed and posts < code_cells:
        message = (f"the grading guard saw {posts} of {code_cells} cells finish "
                   "(it was disabled or bypassed by notebook code)")
        findings.append(IntegrityFinding("MC-GUARD", "review", message))
    return findings


def _log_lines(path: Path) -> list[str]:
    """The lines of a grading kernel's log (none when it cannot be read)."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _log_finding(record: dict[str, Any], labels: list[str] | None) -> IntegrityFinding | None:
    """The finding one record of the log reports: a sandbox refusal, a process, a guard finding; else None."""
    kind = record.get("kind")
    if kind == "blocked":
        message = f"the sandbox refused {record.get('event')}: {record.get('detail')}"
        return IntegrityFinding("MC-SANDBOX", "review", message)
    if kind == "process":
        return IntegrityFinding("MC-PROCESS", "note", f"started a process ({record.get('event')})")
    if kind != "finding":
        return None
    number = record.get("cell")
    where = record.get("grade_id") or ""
    if not where and isinstance(number, int) and labels and 0 < number <= len(labels):
        where = labels[number - 1]
    elif not where and number:
        where = f"cell run {number}"
    severity = "note" if record.get("severity") == "note" else "review"
    return IntegrityFinding(str(record.get("code", "MC-GUARD")), severity, str(record.get("message", "")), where)


def findings_from_outputs(nb: dict[str, Any], limits_text: str = "") -> list[IntegrityFinding]:
    """Notes about cells that hit a limit (timeout, memory) in an executed notebook."""
    findings: list[IntegrityFinding] = []
    for index, cell in enumerate(nb.get("cells", [])):
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") != "error":
                continue
            where = ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id") or f"cell {index + 1}"
            if output.get("ename") == "CellTimeoutError":
                message = "the cell ran past the time limit and was interrupted"
                findings.append(IntegrityFinding("MC-LIMIT", "note", message, where))
            elif output.get("ename") == "MemoryError":
                findings.append(IntegrityFinding("MC-LIMIT", "note", f"the cell ran out of memory{limits_text}", where))
    return findings
