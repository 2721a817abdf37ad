#!/usr/bin/env python3
"""Holds every #include "..." line of the components against the graph that CMake declares.

The build already refuses an include of a component that is not below the includer (its headers
are not on the include path). This check is stricter: an include must name the includer's own
component or one it declares as a direct dependency, so the graph in docs/architecture.md is the
graph of the code, edge for edge, and an edge nobody declared is caught even where it would
compile through a longer path.

With --dot it prints the graph instead, as Graphviz DOT, without the edges that a longer path
already implies (docs/images/architecture.svg is drawn from it).

Usage: check-layers.py [--dot] BUILD_DIR   (reads BUILD_DIR/architecture/components.txt)
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def include_path(rel):
    return rel[len("src/"):] if rel.startswith("src/") else rel


def reachable(deps, start):
    seen, todo = set(), list(deps[start])
    while todo:
        d = todo.pop()
        if d not in seen:
            seen.add(d)
            todo.extend(deps[d])
    return seen


def print_dot(deps):
    print("digraph components {")
    print('  rankdir=BT; node [shape=box, style="rounded,filled", fillcolor="#eef3fb", '
          'fontname="Helvetica"]; edge [color="#556070"];')
    for name in deps:
        print(f'  "{name}";')
    for name, ds in deps.items():
        # Leave out a -> d when a reaches d through another of its dependencies.
        implied = set().union(*(reachable(deps, d) for d in ds)) if ds else set()
        for d in sorted(ds - implied):
            print(f'  "{name}" -> "{d}";')
    print("}")


def main():
    args = [a for a in sys.argv[1:] if a != "--dot"]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    graph_file = os.path.join(args[0], "architecture", "components.txt")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        lines = open(graph_file).read().splitlines()
    except OSError as e:
        print(f"check-layers: cannot read {graph_file} ({e.strerror}); run cmake first",
              file=sys.stderr)
        return 2
    owner = {}   # include path -> component
    files = {}   # component -> its files
    deps = {}    # component -> its declared dependencies
    for line in lines:
        if not line or line.startswith("#"):
            continue
        name, file_list, dep_list = line.split("|")
        files[name] = [f for f in file_list.split(",") if f]
        deps[name] = set(d for d in dep_list.split(",") if d)
        for f in files[name]:
            owner[include_path(f)] = name
    if "--dot" in sys.argv:
        print_dot(deps)
        return 0
    problems = []
    for name, fs in files.items():
        for f in fs:
            with open(os.path.join(root, f), encoding="utf-8", errors="replace") as src:
                for n, text in enumerate(src, 1):
                    m = INCLUDE.match(text)
                    if not m:
                        continue
                    target = owner.get(m.group(1))
                    if target is None:
                        # A header of the same folder included by its bare name, or a file that
                        # belongs to no component: both are errors of layout, not of layering.
                        problems.append(f"{f}:{n}: includes \"{m.group(1)}\", which no component "
                                        "owns; include headers by their path from src/ "
                                        "(\"store/store.h\")")
                    elif target != name and target not in deps[name]:
                        problems.append(f"{f}:{n}: {name} includes \"{m.group(1)}\" of {target}, "
                                        f"but {name} does not depend on {target}; move the code "
                                        "to where it belongs, or declare the edge in "
                                        "CMakeLists.txt and docs/architecture.md if it is right")
    for p in problems:
        print(p)
    sys.stdout.flush()
    edges = sum(len(d) for d in deps.values())
    if problems:
        print(f"check-layers: {len(problems)} include(s) against the graph "
              f"({len(files)} components, {edges} edges)", file=sys.stderr)
        return 1
    print(f"check-layers: every include follows the graph ({len(files)} components, "
          f"{edges} edges)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
