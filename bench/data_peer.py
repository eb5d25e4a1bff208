"""Peer for bench/data.bench.ps1: the same import -> export of a rollout JSONL file as a plain Python
json line loop (json.loads each line, json.dumps it back), written to a temporary file and renamed,
like Export-RlRollout. Prints rows, seconds and peak RSS (MiB) as JSON."""
import json, os, resource, sys, time

def main(src, dst):
    t0 = time.perf_counter()
    tmp = dst + ".tmp"
    rows = 0
    with open(src, "r", encoding="utf-8") as fin, open(tmp, "w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                continue
            r = json.loads(line)
            fout.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
            rows += 1
        fout.flush()
        os.fsync(fout.fileno())
    os.replace(tmp, dst)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mib": peak}))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
