#!/usr/bin/env bash
# The Python package, end to end, as a user gets it:
#   1. build the abi3 wheel and the sdist with maturin (into the workspace's
#      cargo target folder, reusing what the test build compiled);
#   2. install the wheel into a fresh virtual environment (no compiler
#      involved: pip only unpacks it);
#   3. run the pytest suite (with the PyPortfolioOpt parity test), check the
#      stubs against the built module (mypy stubtest) and type-check the
#      package (mypy --strict);
#   4. execute examples/notebooks/quickstart.ipynb headless;
#   5. run PyPortfolioOpt's own test suite against auravest.compat.pypfopt;
#   6. run the speed comparison once in quick mode.
#
#   bash bindings/python/scripts/ci.sh
#
# Tools (maturin and the test dependencies) live in a virtual environment
# under ~/.cache/auravest-py, created when missing; pip's own cache keeps the
# fresh environment's install fast.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$PWD
py=${PYTHON:-python3}
cache=$HOME/.cache/auravest-py
tools=$cache/tools
# Versions the package is tested with (polars is pinned: its pandas and
# numpy conversions are what the tests exercise).
test_deps=(pytest==9.2.0 "numpy>=2" polars==2.1.0 pandas==3.1.1 pyarrow mypy==2.4.1
  nbclient==0.11.0 nbformat==5.11.1 ipykernel==7.4.0 matplotlib==3.11.2 pyportfolioopt==1.6.0)

if ! "$tools/bin/maturin" --version 2>/dev/null | grep -q "maturin 1.16.0"; then
  echo "python tools missing: creating $tools"
  "$py" -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
started=$(date +%s)
# The dev profile on purpose: the test build already compiled every
# dependency in it, so the wheel reuses those artifacts instead of building
# the whole SDK a second time in release (users' wheels are built with
# --release; benches/python_vs_pypfopt.py says how to build one).
"$tools/bin/maturin" build --profile dev --strip --manifest-path bindings/python/Cargo.toml -o "$out/dist" --quiet
"$tools/bin/maturin" sdist --manifest-path bindings/python/Cargo.toml -o "$out/dist"
echo "python: wheel and sdist built in $(( $(date +%s) - started )) s"
ls -l "$out/dist"
wheel=$(ls "$out"/dist/auravest-*-abi3-*.whl)
ls "$out"/dist/auravest-*.tar.gz >/dev/null

"$py" -m venv "$out/venv"
venv=$out/venv
"$venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" "${test_deps[@]}"
"$venv/bin/python" -c "import auravest, sys; print('python: auravest', auravest.__version__, 'on', sys.version.split()[0])"

# The suite runs from outside the source tree so it imports the installed wheel.
cd "$out"
"$venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir "$root/bindings/python" "$root/bindings/python/tests"
echo "python: stubs against the built module"
"$venv/bin/python" -m mypy.stubtest auravest._native --mypy-config-file "$root/bindings/python/pyproject.toml"
"$venv/bin/python" -m mypy --strict --config-file "$root/bindings/python/pyproject.toml" -p auravest
echo "python: stubs ok"

echo "python: executing examples/notebooks/quickstart.ipynb"
"$venv/bin/python" - "$root/examples/notebooks/quickstart.ipynb" <<'PY'
import sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
started = time.time()
NotebookClient(nb, timeout=900, kernel_name="python3",
               resources={"metadata": {"path": path.rsplit("/", 1)[0]}}).execute()
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
if errors:
    sys.exit(f"the notebook raised: {errors[0].get('ename')}: {errors[0].get('evalue')}")
print(f"notebook: {sum(c.cell_type == 'code' for c in nb.cells)} code cells ran in {time.time() - started:.0f} s")
PY

"$venv/bin/python" "$root/bindings/python/scripts/pypfopt_suite.py"
"$venv/bin/python" "$root/benches/python_vs_pypfopt.py" --quick
echo "python: done in $(( $(date +%s) - started )) s"
