"""Plain Python subprocess runner: the peer of bench/code.bench.ps1.

Runs the same programs against the same stdin/stdout tests with subprocess.run (a timeout, no sandbox, no
limits), `threads` at a time, and compares outputs after stripping trailing whitespace. Prints one JSON line:
{"checks": n, "seconds": s, "passed": k}.
Usage: python3 code_peer.py cases.json threads
"""
import json, os, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

def run(case):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "main.py")
        with open(path, "w") as f:
            f.write(case["code"])
        for inp, out in zip(case["inputs"], case["outputs"]):
            try:
                p = subprocess.run([sys.executable, "-I", "-B", path], input=inp, capture_output=True, text=True, timeout=case["timeout"], cwd=d)
            except subprocess.TimeoutExpired:
                return 0
            if p.returncode != 0 or p.stdout.rstrip() != out.rstrip():
                return 0
    return 1

cases = json.load(open(sys.argv[1]))
threads = int(sys.argv[2])
start = time.perf_counter()
with ThreadPoolExecutor(threads) as pool:
    results = list(pool.map(run, cases))
print(json.dumps({"checks": sum(len(c["inputs"]) for c in cases), "seconds": time.perf_counter() - start, "passed": sum(results)}))
