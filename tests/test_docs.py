"""The API page (book/api.md): every parameter in a signature it shows is in its parameter list."""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

API_PAGE = Path(__file__).resolve().parents[1] / "book" / "api.md"
_SECTION = re.compile(r"(Args|Arguments|Parameters|Keyword Args):\s*$")
_ENTRY = re.compile(r"([\w*][\w*, ]*?)\s*(\([^)]*\))?:(\s|$)")


def args_names(doc: str) -> tuple[set[str], bool]:
    """The names a Google-style ``Args:`` section describes (``a, b:`` names both; ``*args``
    as ``args``), and whether there is such a section."""
    names: set[str] = set()
    found = inside = False
    indent = None
    for line in inspect.cleandoc(doc).splitlines():
        if not line.startswith(" ") and _SECTION.match(line):
            found, inside, indent = True, True, None
            continue
        if not inside or not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            inside = False
        elif indent is None or depth == indent:
            indent = depth
            entry = _ENTRY.match(line.strip())
            if entry:
                names |= {n.strip().lstrip("*") for n in entry.group(1).split(",")}
    return names, found


def undocumented(obj: Callable, signature_of: Callable) -> list[str]:
    """Parameters of ``signature_of`` that autodoc leaves out of ``obj``'s rendered list: all
    those an ``Args:`` section does not name when there is one, else the unannotated ones (autodoc
    lists the annotated parameters itself)."""
    names, has_args = args_names(obj.__doc__ or "")
    try:
        parameters = inspect.signature(signature_of).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.name not in ("self", "cls") and p.name not in names
            and (has_args or p.annotation is inspect.Parameter.empty)]


def documented_callables() -> Iterator[tuple[str, Callable, Callable]]:
    """(name, object, what its signature is read from) for every function, class and method
    that the page's ``automodule`` directives render."""
    for module_name in re.findall(r"automodule:: (\S+)\n\s+:members:", API_PAGE.read_text()):
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]:
            obj = getattr(module, name, None)
            if getattr(obj, "__module__", None) != module_name or not getattr(obj, "__doc__", None):
                continue
            if inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj, obj
            elif inspect.isclass(obj):
                if not getattr(obj, "_is_protocol", False):  # a Protocol is not instantiated
                    yield f"{module_name}.{name}", obj, obj
                for key, member in vars(obj).items():
                    func = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
                    if not key.startswith("_") and inspect.isfunction(func) and func.__doc__:
                        yield f"{module_name}.{name}.{key}", func, func


def test_the_check_reads_what_autodoc_renders() -> None:
    def partial(a: int, b, *, c: float = 1.0, **rest) -> None:
        """Summary.

        Args:
            a, c: numbers.
        """

    def plain(a: int, b) -> None:
        """No Args section: autodoc lists ``a`` from its annotation, not ``b``."""

    assert undocumented(partial, partial) == ["b", "rest"]
    assert undocumented(plain, plain) == ["b"]
    assert args_names("Summary.\n\nArgs:\n    x (int): one.\n        more: not an entry.\n    *args: rest.\n")[0] == {"x", "args"}
    assert len(list(documented_callables())) > 100


@pytest.mark.parametrize("name, obj, signature_of", list(documented_callables()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_parameter_is_in_the_rendered_list(name: str, obj: Callable, signature_of: Callable) -> None:
    missing = undocumented(obj, signature_of)
    assert not missing, f"{name}: parameters {missing} are in the signature but not in its Args section"
