"""Checks the generated Swift bindings for completeness and drift.

    python3 check_swift.py GENERATED_DIR LIBRARY SNAPSHOT_DIR [--update]

Completeness: every `uniffi_*` scaffolding function the built library
exports (nm -D) is declared in the generated C header, every
`uniffi_auravest_ffi_fn_*` one (functions, methods, constructors) is called
by the generated Swift, and every exported
function, object, record, enum and error the Rust sources declare appears in
the generated Swift under its Swift name, the async ones as `async throws`.
Drift: the generated files equal the committed snapshot (the Swift
package's sources); `--update` rewrites the snapshot instead. Prints
`swift: N checks passed, M failed`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

FILES = ("AuraVest.swift", "AuraVestFFI.h", "AuraVestFFI.modulemap")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def rust_items(src: Path) -> tuple[set[str], set[str], set[str]]:
    """Exported function/method names, the async ones, and type names from the sources."""
    functions: set[str] = set()
    asyncs: set[str] = set()
    types: set[str] = set()
    for path in sorted(src.glob("*.rs")):
        text = path.read_text()
        for m in re.finditer(r"#\[derive\([^)]*uniffi::(Record|Object|Enum|Error)[^)]*\)\]\s*pub (?:struct|enum) (\w+)", text):
            types.add(m.group(2))
        # Functions and methods in #[uniffi::export] items.
        for block in re.finditer(r"#\[uniffi::export[^\]]*\]\s*(impl \w+ \{.*?\n\}|pub (?:async )?fn \w+)", text, re.S):
            body = block.group(1)
            if body.startswith("impl"):
                for f in re.finditer(r"\n    pub (async )?fn (\w+)", body):
                    functions.add(f.group(2))
                    if f.group(1):
                        asyncs.add(f.group(2))
            else:
                functions.add(re.sub(r"pub (?:async )?fn ", "", body))
                if body.startswith("pub async"):
                    asyncs.add(re.sub(r"pub async fn ", "", body))
    return functions, asyncs, types


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    update = "--update" in sys.argv
    generated, library, snapshot = Path(args[0]), Path(args[1]), Path(args[2])
    src = Path(__file__).resolve().parents[1] / "src"
    failures: list[str] = []
    passed = 0

    header = (generated / "AuraVestFFI.h").read_text()
    swift = (generated / "AuraVest.swift").read_text()
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(library)], check=True,
                             capture_output=True, text=True).stdout
    exported = sorted({s.split()[-1] for s in symbols.splitlines() if s.split()[-1].startswith(("uniffi_", "ffi_auravest"))})
    if not exported:
        failures.append("the library exports no uniffi symbol")
    for sym in exported:
        if re.search(rf"\b{re.escape(sym)}\b", header):
            passed += 1
        else:
            failures.append(f"header lacks {sym}")

    # Every scaffolding call (functions, methods, constructors, free) is made
    # by the Swift wrapper: a constructor or method left out of the Swift
    # file fails here even when another type's `init(` or a same-named
    # method elsewhere would satisfy the name checks below.
    calls = [s for s in exported if s.startswith("uniffi_auravest_ffi_fn_")]
    if len(calls) < 40:
        failures.append(f"only {len(calls)} scaffolding functions exported")
    for sym in calls:
        if re.search(rf"\b{re.escape(sym)}\(", swift):
            passed += 1
        else:
            failures.append(f"Swift never calls {sym}")

    functions, asyncs, types = rust_items(src)
    if len(functions) < 40 or len(types) < 40:
        failures.append(f"only {len(functions)} functions and {len(types)} types found in the sources")
    for name in sorted(functions):
        swift_name = "init" if name == "new" else camel(name)
        pattern = r"\binit\(" if swift_name == "init" else rf"func {swift_name}\("
        if re.search(pattern, swift):
            passed += 1
        else:
            failures.append(f"Swift lacks func {swift_name} (Rust {name})")
    # The SDK's I/O calls are `async` in Swift (and `suspend` in Kotlin).
    if len(asyncs) < 5:
        failures.append(f"only {len(asyncs)} async exports found in the sources")
    for name in sorted(asyncs):
        if re.search(rf"func {camel(name)}\([^)]*\)\s*async\s+throws", swift):
            passed += 1
        else:
            failures.append(f"Swift's {camel(name)} is not async")
    for name in sorted(types):
        if re.search(rf"\b(struct|class|enum) {name}\b", swift):
            passed += 1
        else:
            failures.append(f"Swift lacks type {name}")

    modulemap = (generated / "AuraVestFFI.modulemap").read_text()
    if 'header "AuraVestFFI.h"' in modulemap and "module AuraVestFFI" in modulemap:
        passed += 1
    else:
        failures.append("the modulemap does not name the header")

    for name in FILES:
        new = (generated / name).read_text()
        old_path = snapshot / name
        if update:
            snapshot.mkdir(parents=True, exist_ok=True)
            old_path.write_text(new)
            passed += 1
        elif old_path.exists() and old_path.read_text() == new:
            passed += 1
        else:
            failures.append(f"{old_path} differs from the generated file (run ci.sh with --update-swift and commit)")

    for f in failures:
        print(f"swift: FAIL {f}")
    print(f"swift: {passed} checks passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
