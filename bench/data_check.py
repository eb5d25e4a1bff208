"""Checks that two rollout JSONL files hold the same records (NaN equals NaN; float32 arrays compared
as float32), line by line, for the first N lines and the line count. Exit 1 on the first difference."""
import json, math, struct, sys

def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]

def same(a, b):
    if isinstance(a, float) and isinstance(b, (float, int)) and not isinstance(b, bool):
        return (math.isnan(a) and math.isnan(b)) or a == b or f32(a) == f32(b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, int) and isinstance(b, float):
        return a == b
    return a == b

def main(x, y, n):
    lines = 0
    with open(x, encoding="utf-8") as fx, open(y, encoding="utf-8") as fy:
        for lx, ly in zip(fx, fy):
            lines += 1
            if lines <= n and not same(json.loads(lx), json.loads(ly)):
                print(f"line {lines} differs"); sys.exit(1)
        if fx.readline() or fy.readline():
            print("line counts differ"); sys.exit(1)
    print(f"{lines} lines, first {min(n, lines)} compared: same")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
