"""Peer side of benches/benches/ai_embed_index.rs: faiss-cpu on the same vectors.

Reads DIR/base.f32, DIR/queries.f32 and DIR/meta.json as written by
`cargo run --release -p auravest-benches --bin ai_index_data -- write DIR`
and times, like that binary's `time` command does for AuraVest:
  - IndexFlatIP (exact inner product),
  - IndexHNSWFlat(dim, M, METRIC_INNER_PRODUCT) for M = 16 and 32, with
    efConstruction and efSearch set to AuraVest's expansion_add and
    expansion_search,
the build in seconds (median of BUILDS) and each top-10 query on its own
(one vector per call, as an assistant searches), p50/p99 in ms over three
passes after a warm-up pass, plus recall@10 against the flat index.
faiss runs on PEER_THREADS OpenMP threads (default 1, matching AuraVest's
single-threaded inserts and searches). Prints one JSON object.

Usage: python faiss_index.py DIR [BUILDS]
"""
import json
import os
import statistics
import sys
import time

import faiss
import numpy as np


def quantile(sorted_values, q):
    i = round((len(sorted_values) - 1) * q)
    return sorted_values[min(i, len(sorted_values) - 1)]


def time_queries(index, queries, truth, k):
    for q in queries:
        index.search(q[None, :], k)
    times, found = [], 0
    for rnd in range(3):
        for q, t in zip(queries, truth):
            t0 = time.perf_counter()
            _, ids = index.search(q[None, :], k)
            times.append((time.perf_counter() - t0) * 1e3)
            if rnd == 0:
                found += len(set(ids[0].tolist()) & t)
    times.sort()
    return quantile(times, 0.5), quantile(times, 0.99), found / (len(queries) * k)


def main():
    root = sys.argv[1]
    builds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    threads = int(os.environ.get("PEER_THREADS", "1"))
    faiss.omp_set_num_threads(threads)
    meta = json.load(open(f"{root}/meta.json"))
    d, k = meta["dim"], meta["k"]
    base = np.fromfile(f"{root}/base.f32", dtype="<f4").reshape(-1, d)
    queries = np.fromfile(f"{root}/queries.f32", dtype="<f4").reshape(-1, d)
    assert base.shape[0] == meta["n"] and queries.shape[0] == meta["queries"]

    result = {"peer": f"faiss-cpu {faiss.__version__}", "threads": threads}
    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(d)
    flat.add(base)
    flat_build = time.perf_counter() - t0
    _, ids = flat.search(queries, k)
    truth = [set(row.tolist()) for row in ids]
    p50, p99, recall = time_queries(flat, queries, truth, k)
    result["flat_ip"] = {"build_s": flat_build, "p50_ms": p50, "p99_ms": p99, "recall": recall}

    for m in meta["connectivity"]:
        times, index = [], None
        for _ in range(max(builds, 1)):
            t0 = time.perf_counter()
            index = faiss.IndexHNSWFlat(d, m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = meta["expansion_add"]
            index.add(base)
            times.append(time.perf_counter() - t0)
        index.hnsw.efSearch = meta["expansion_search"]
        p50, p99, recall = time_queries(index, queries, truth, k)
        result[f"hnsw_m{m}"] = {
            "build_s": statistics.median(times),
            "p50_ms": p50,
            "p99_ms": p99,
            "recall": recall,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
