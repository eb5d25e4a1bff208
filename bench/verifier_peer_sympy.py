#!/usr/bin/env python3
"""SymPy-based peer checker for bench/verifier.bench.ps1.

The same answer extraction as RlTools' Math verifier in simple form (last \\boxed{}, <answer>, ####,
"answer is", last number), a simple LaTeX-to-text conversion, then sympy.parse_expr with implicit
multiplication and an equivalence test: simplify(a - b) == 0, else |N(a) - N(b)| <= 1e-9 * max(1, |N(a)|);
tuples/lists element-wise, plain strings compared when parsing fails. Each check has a 5 s alarm.

Usage: verifier_peer_sympy.py golden.jsonl repeat  -> prints one JSON line with checks/s and agreement.
"""
import json, re, signal, sys, time

import sympy
from sympy.parsing.sympy_parser import (parse_expr, standard_transformations,
                                        implicit_multiplication_application, convert_xor)

TRANSFORMS = standard_transformations + (implicit_multiplication_application, convert_xor)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def boxed(text):
    i = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if i < 0:
        return None
    j = text.find("{", i)
    if j < 0:
        return None
    depth = 0
    for k in range(j, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return text[j + 1:k]
    return text[j + 1:]


def extract(text, is_gold):
    if not text:
        return None
    b = boxed(text)
    if b is not None:
        return b
    m = re.findall(r"<answer>(.*?)</answer>", text, re.S)
    if m:
        return m[-1]
    if "####" in text:
        return text.rsplit("####", 1)[1].strip().split("\n")[0]
    m = re.findall(r"answer is:?\s*(.+)", text, re.I)
    if m:
        return re.split(r"\.(\s|$)", m[-1])[0]
    if is_gold or len(text) <= 40:
        return text
    nums = re.findall(r"-?\d[\d,]*\.?\d*", text)
    return nums[-1] if nums else None


def latex_to_text(s):
    s = s.strip().strip("$").strip()
    s = re.sub(r"\\(left|right|displaystyle|,|;|!|quad)", " ", s)
    s = re.sub(r"\\(text|mbox|mathrm|textbf)\{([^}]*)\}", r"\2", s)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    for _ in range(5):
        s = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", s)
        s = re.sub(r"\\sqrt\[([^]]*)\]\{([^{}]*)\}", r"((\2)**(1/(\1)))", s)
        s = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", s)
    s = re.sub(r"\\frac(\d)(\d)", r"(\1/\2)", s)
    s = re.sub(r"\\sqrt(\d+)", r"sqrt(\1)", s)
    s = s.replace("\\cdot", "*").replace("\\times", "*").replace("\\div", "/").replace("\\pi", "pi")
    s = s.replace("\\infty", "oo").replace("^\\circ", "").replace("\\%", "/100").replace("%", "/100")
    s = s.replace("\\ln", "log").replace("\\log", "log").replace("\\sin", "sin").replace("\\cos", "cos").replace("\\tan", "tan")
    s = s.replace("{", "(").replace("}", ")").replace("\\", "").replace("^", "**")
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)
    return s.strip().rstrip(".")


def to_expr(s):
    parts = [p for p in re.split(r",(?![^()]*\))", s) if p.strip()] if "," in s else [s]
    out = []
    for p in parts:
        p = p.strip().strip("()") if len(parts) > 1 else p
        if "=" in p:
            p = p.split("=")[-1]
        out.append(parse_expr(p, transformations=TRANSFORMS))
    return out


def equal(a, b):
    try:
        if sympy.simplify(a - b) == 0:
            return True
    except Exception:
        pass
    try:
        va, vb = complex(sympy.N(a)), complex(sympy.N(b))
        return abs(va - vb) <= 1e-9 * max(1.0, abs(va))
    except Exception:
        return False


def check(completion, gold):
    g = extract(gold, True)
    p = extract(completion, False)
    if g is None or p is None:
        return False
    gt, pt = latex_to_text(g), latex_to_text(p)
    try:
        ge, pe = to_expr(gt), to_expr(pt)
        return len(ge) == len(pe) and all(equal(x, y) for x, y in zip(ge, pe))
    except Exception:
        return gt.replace(" ", "").lower() == pt.replace(" ", "").lower()


def main():
    cases = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    signal.signal(signal.SIGALRM, _alarm)
    agree = 0
    timeouts = 0
    start = time.perf_counter()
    for r in range(repeat):
        for c in cases:
            signal.alarm(5)
            try:
                got = check(c["completion"], c["gold"])
            except Timeout:
                got = False
                timeouts += 1
            except Exception:
                got = False
            finally:
                signal.alarm(0)
            if r == 0 and got == c["expected"]:
                agree += 1
    elapsed = time.perf_counter() - start
    n = len(cases) * repeat
    print(json.dumps({"checker": "sympy-" + sympy.__version__, "cases": len(cases), "checks": n, "seconds": elapsed,
                      "checks_per_second": n / elapsed, "agreement": agree / len(cases), "timeouts": timeouts}))


if __name__ == "__main__":
    main()
