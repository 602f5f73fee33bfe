"""Parity: the package exposes exactly the surface of bindings/surface.json,
which the Node suite checks too."""

import inspect
import json

import certwatch
from conftest import BINDINGS

SURFACE = json.loads((BINDINGS / "surface.json").read_text(encoding="utf-8"))


def public(obj):
    return {n for n in dir(obj) if not n.startswith("_")}


def test_functions_match_the_surface():
    exported = set(certwatch.__all__)
    functions = {n for n in exported if callable(getattr(certwatch, n)) and not inspect.isclass(getattr(certwatch, n))}
    assert sorted(functions) == sorted(SURFACE["functions"])


def test_errors_match_the_surface():
    errors = {n for n in certwatch.__all__ if inspect.isclass(getattr(certwatch, n)) and issubclass(getattr(certwatch, n), Exception)}
    assert sorted(errors) == sorted(SURFACE["errors"])
    for name, parent in SURFACE["errors"].items():
        cls = getattr(certwatch, name)
        if parent:
            assert cls.__bases__ == (getattr(certwatch, parent),), name


def test_classes_match_the_surface():
    classes = {n for n in certwatch.__all__ if inspect.isclass(getattr(certwatch, n)) and not issubclass(getattr(certwatch, n), Exception)}
    assert sorted(classes) == sorted(SURFACE["classes"])
    for name, spec in SURFACE["classes"].items():
        cls = getattr(certwatch, name)
        assert public(cls) == set(spec["properties"]) | set(spec["methods"]), name
        for p in spec["properties"]:
            assert not callable(getattr(cls, p)), f"{name}.{p} is a property"


def test_all_is_exactly_what_the_module_exports():
    assert set(certwatch.__all__) == public(certwatch) - {"annotations"}


def test_stubs_declare_the_whole_surface():
    import re

    stub = (BINDINGS / "python" / "python" / "certwatch" / "_native.pyi").read_text(encoding="utf-8")
    functions = set(re.findall(r"^def (\w+)", stub, re.M))
    assert functions == set(SURFACE["functions"])
    classes = set(re.findall(r"^class (\w+)", stub, re.M))
    assert classes >= set(SURFACE["errors"]) | set(SURFACE["classes"])
    for name, spec in SURFACE["classes"].items():
        body = stub[stub.index(f"class {name}:") :].split("\nclass ")[0]
        for member in spec["properties"] + spec["methods"]:
            assert re.search(rf"^    def {member}\(", body, re.M), f"{name}.{member} in _native.pyi"
