"""How the rules are compiled: the options, and the copies that compiled code calls.

Every ``@njit`` function numba compiles gets, besides its own code, two wrappers through which
Python can call it: a CPython wrapper (which unpacks every argument from Python objects: for a
rule taking ``Params``, every one of its arrays) and a C wrapper. A rule that only compiled code
calls never uses them, yet making them (and their machine code) was about a quarter of the
batch loop's cold compile (15-16 s of CPU against 20-21 s, two cold compiles side by side). So a
module of rules declares its entry points (those Python calls: the batch loop, the Mesa model's
month) with ``CompiledCopies.entry`` and ends with ``CompiledCopies.bind``, which makes
wrapper-less copies of the functions they call, bound to one another. The functions as written
stay callable from Python (the unit tests call each rule on its own); they are compiled only if
Python calls them. A wrapper-less copy must never be called from Python (numba would crash): only
compiled code sees them. The copies run the same code: the numbers are the same, bit for bit
(``experiments/engine_checksum.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

from numba import njit

#: How every rule is compiled. Each rule is its own compile unit, inlined into its callers by
#: LLVM (``forceinline``) rather than at numba's IR level: ``inline="always"`` re-typed every
#: rule's body at each call site, 99 of the 146 s of the batch loop's cold compile under load. A
#: call that is not inlined passes ``p`` as a few hundred scalars, so the month's rules are
#: inlined; the once-a-run helpers (``ENTRY``) are called. No rule allocates, so none needs
#: numba's reference counting (``_nrt=False``): the atomic counts around each read of an array
#: of ``p`` cost more than the month's arithmetic. None holds the GIL (``nogil``): the batch
#: engine runs blocks of runs on threads. The order of floating-point work is unchanged (no
#: fast-math), so the numbers are the same bit for bit.
RULE = {"cache": True, "error_model": "numpy", "_nrt": False, "nogil": True, "forceinline": True}
ENTRY = {"cache": True, "error_model": "numpy", "_nrt": False, "nogil": True}
#: What a copy for compiled callers only is compiled without: the wrappers that let Python call it.
NO_WRAPPERS = {"no_cpython_wrapper": True, "no_cfunc_wrapper": True}
#: The prefix of a wrapper-less copy's name (numba's cache keeps its files apart from the original's).
INNER = "compiled_only_"


def _copy(f: Any, namespace: dict, name: str, options: dict) -> Any:
    f = getattr(f, "py_func", f)  # a dispatcher's Python function
    copy = FunctionType(f.__code__, namespace, f.__name__, f.__defaults__, f.__closure__)
    copy.__qualname__, copy.__doc__, copy.__module__ = name, f.__doc__, f.__module__
    return njit(**options)(copy)


class CompiledCopies:
    """One module's functions as compiled code calls them: the entry points Python calls (``entry``) and,
    once the module is defined (``bind``), wrapper-less copies of the functions they call.

    Numba reads a function's global names when it compiles it, so the entry points, decorated first,
    call the copies that ``bind`` adds to their namespace at the end of the module.
    """

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self.inner: dict[str, Any] = {}  # name -> the wrapper-less copy
        self._signatures: dict[str, Any] = {}
        self._entries: dict[str, Any] = {}

    def entry(self, options: dict, signature: Any = None) -> Callable[[Callable], Any]:
        """Decorator: the function compiled with ``options`` (its wrappers included: Python calls it),
        calling the wrapper-less copies; with ``signature``, compiled for that signature alone (at ``bind``)."""

        def decorate(f: Callable) -> Any:
            dispatcher = _copy(f, self.namespace, f.__qualname__, options)
            self._entries[f.__name__] = dispatcher
            if signature is not None:
                self._signatures[f.__name__] = signature
            return dispatcher

        return decorate

    def bind(self, module: dict, inner: dict[str, dict], bound: dict[str, Any] | None = None) -> None:
        """Make wrapper-less copies of the module's functions ``inner`` (name -> compile options), bound to
        one another and to ``bound`` (name -> another module's wrapper-less copy), and compile the entry
        points that have a signature."""
        self.namespace.update(module)
        self.namespace.update(bound or {})
        self.inner = {name: _copy(module[name], self.namespace, INNER + name, {**options, **NO_WRAPPERS})
                      for name, options in inner.items()}  # fmt: skip
        self.namespace.update(self.inner)
        for name, signature in self._signatures.items():  # once every name is bound: what they call is known
            for dispatcher in (self.inner.get(name), self._entries[name]):
                if dispatcher is not None:
                    dispatcher.compile(signature)
                    dispatcher.disable_compile()
