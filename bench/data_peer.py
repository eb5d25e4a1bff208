"""Peer for bench/data.bench.ps1: the same import -> export of a rollout JSONL file as a plain Python
json line loop (json.loads each line, json.dumps it back), written to a temporary file and renamed,
like Export-RlRollout. Prints rows, seconds, CPU seconds and peak RSS (MiB) as JSON."""
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
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # VmHWM, not ru_maxrss: on Linux ru_maxrss carries the parent's high-water mark across fork/exec.
    with open("/proc/self/status") as status:
        hwm_kib = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": hwm_kib / 1024}))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
