#!/usr/bin/env python3
"""Writes heldout-math.jsonl: a held-out labelled set for the Math verifier.

Written BEFORE the verifier was changed for issue #13 and never tuned on: the labels come from the
graders' answer conventions (Math-Verify's documented behaviour, then the Qwen2.5-Math / NeMo-Skills
math_equal grader) applied by hand to each (gold, answer) pair below, not from our verifier's output.
Every pair is our own. Each answer is wrapped in one of several realistic completion shapes (boxed,
"The final answer is", Minerva-style, prose with inline math, chat tokens after the answer, a
<think> block) chosen by a fixed seed, so the set is reproducible:

    python3 make_heldout.py > heldout-math.jsonl
"""
import json, random

rng = random.Random(1313)

def wrap_boxed(a):
    return rng.choice([
        "Working through the steps carefully we obtain the result.\n\nTherefore the answer is $\\boxed{%s}$." % a,
        "Let me compute this.\n...\nSo the final result is \\(\\boxed{%s}\\)." % a,
        "<think>Check the arithmetic again; it holds.</think>\nThe answer is $\\boxed{%s}$.<|im_end|>" % a,
        "Putting everything together, \\[\\boxed{%s}\\]" % a,
    ])

def wrap_phrase(a):
    return rng.choice([
        "We simplify and collect terms.\nFinal Answer: The final answer is $%s$. I hope it is correct." % a,
        "After simplifying, the answer is $%s$." % a,
        "Step 1: set up.\nStep 2: solve.\nAnswer: $%s$" % a,
        "Solving gives the value we need.\n\nThe final answer is $%s$<|im_end|>" % a,
    ])

def wrap(a):
    return wrap_boxed(a) if rng.random() < 0.6 else wrap_phrase(a)

cases = []
def add(cls, gold, completion, expected):
    cases.append({"id": len(cases) + 1, "construct": cls, "gold": gold, "completion": completion, "expected": expected})

def pairs(cls, items):
    for gold, ans, exp in items:
        add(cls, gold, wrap(ans), exp)

# ---- general (constructs the verifier handled before; a control group) ----
pairs("general", [
    ("\\frac{3}{4}", "0.75", True), ("\\frac{3}{4}", "\\frac{6}{8}", True), ("\\frac{3}{4}", "\\frac{4}{3}", False),
    ("2\\sqrt{3}", "\\sqrt{12}", True), ("2\\sqrt{3}", "3\\sqrt{2}", False), ("x^2-1", "(x-1)(x+1)", True),
    ("x^2-1", "(x-1)^2", False), ("\\pi", "\\pi", True), ("2\\pi", "\\pi", False), ("-7", "-7", True),
    ("-7", "7", False), ("120", "120", True), ("120", "121", False), ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", True),
    ("\\frac{\\sqrt{2}}{2}", "\\frac{\\sqrt{3}}{2}", False), ("(1,2)", "(1,2)", True), ("(1,2)", "(2,1)", False),
    ("\\{1,2,3\\}", "\\{3,1,2\\}", True), ("\\{1,2,3\\}", "\\{1,2\\}", False), ("5\\%", "5\\%", True),
])

# ---- 1. decimal comma ----
for gold, comp, exp in [
    ("3.5", "La réponse est $\\boxed{3,5}$.", True),
    ("1250.75", "Le montant total est donc \\boxed{1250,75}.", True),
    ("4.2", "Le prix final est donc\nprix : 4,20 €", True),
    ("12345", "\\boxed{12,345}", True),
    ("12.345", "\\boxed{12,345}", False),
    ("0.25", "Die Wahrscheinlichkeit ist $\\boxed{0,25}$.", True),
    ("0.25", "Die Wahrscheinlichkeit ist $\\boxed{0,35}$.", False),
    ("2.74", "Soit un total de 2,74 €.", True),
    ("2.74", "Soit un total de 2,47 €.", False),
    ("1000.5", "Il reste $\\boxed{1000,5}$ litres.", True),
    ("1000.5", "Il reste $\\boxed{1000,05}$ litres.", False),
    ("7.125", "Resultado: \\boxed{7,125}", False),
    ("7125", "Resultado: \\boxed{7,125}", True),
    ("0.5", "A probabilidade é \\boxed{0,5}", True),
    ("5", "A probabilidade é \\boxed{0,5}", False),
    ("9.99", "Le prix unitaire est de 9,99 €", True),
    ("99.9", "Le prix unitaire est de 9,99 €", False),
    ("\\{12, 345\\}", "The two numbers are $\\boxed{12, 345}$.", True),
    ("12345", "The two numbers are $\\boxed{12, 345}$.", False),
    ("1.5", "Das Ergebnis lautet \\boxed{1{,}5}", True),
    ("3.14", "\\boxed{3,14}", True),
    ("3.14", "\\boxed{3,41}", False),
    ("1234567", "\\boxed{1,234,567}", True),
    ("1234.567", "\\boxed{1,234,567}", False),
    ("0.001", "Ergebnis: \\boxed{0,001}", True),
    ("1", "Ergebnis: \\boxed{0,001}", False),
    ("6.5", "Il faut donc $\\boxed{6,5}$ heures.", True),
    ("65", "Il faut donc $\\boxed{6,5}$ heures.", False),
]:
    add("c1-comma", gold, comp, exp)

# ---- 2. relations inside prose ----
for gold, comp, exp in [
    ("t \\geq -3", "Dividing by $-2$ flips the sign, hence $t \\geq -3$ is required.", True),
    ("t \\geq -3", "Dividing by $-2$ flips the sign, hence $t \\leq -3$ is required.", False),
    ("t >= -3", "So the condition is $\\boxed{-2t \\le 6}$.", True),
    ("t >= -3", "So the condition is $\\boxed{-2t \\ge 6}$.", False),
    ("x > 2", "Thus the solution set is $\\boxed{x \\gt 2}$.", True),
    ("x > 2", "Thus the solution set is $\\boxed{x \\geq 2}$.", False),
    ("x \\neq 1", "The only restriction is \\boxed{x \\ne 1}.", True),
    ("x \\neq 1", "The only restriction is \\boxed{x = 1}.", False),
    ("x != 4", "So the domain requires $x \\neq 4$.", True),
    ("-1 < s < 4", "Therefore $\\boxed{s \\in (-1,4)}$.", True),
    ("-1 < s < 4", "Therefore $\\boxed{(-1,4)}$.", True),
    ("-1 < s < 4", "Therefore $\\boxed{[-1,4]}$.", False),
    ("(-1,4)", "so the values satisfy $-1 < s < 4$.", True),
    ("(-1,4)", "so the values satisfy $-1 \\le s < 4$.", False),
    ("x \\in [2,7]", "Hence $\\boxed{2 \\le x \\le 7}$.", True),
    ("x \\in [2,7]", "Hence $\\boxed{2 < x \\le 7}$.", False),
    ("[-5,-2] \\cup [2,5]", "This means $\\boxed{2 \\le |w| \\le 5}$.", True),
    ("[-5,-2] \\cup [2,5]", "This means $\\boxed{[2,5]}$.", False),
    ("y \\le 10", "We conclude that $y \\leqslant 10$ must hold.", True),
    ("y \\le 10", "We conclude that $y < 10$ must hold.", False),
    ("k \\ge 5", "The answer is $\\boxed{k \\geqslant 5}$.", True),
    ("k \\ge 5", "The answer is $\\boxed{5 \\le k}$.", True),
    ("k \\ge 5", "The answer is $\\boxed{5}$.", False),
    ("x < 3", "The inequality holds for all $x$ with $3 > x$.", True),
    ("x < 3", "Hence $\\boxed{(-\\infty, 3)}$.", True),
    ("x < 3", "Hence $\\boxed{(-\\infty, 3]}$.", False),
    ("a > -\\frac{1}{2}", "So we need $\\boxed{2a > -1}$.", True),
    ("a > -\\frac{1}{2}", "So we need $\\boxed{2a < -1}$.", False),
]:
    add("c2-relation", gold, comp, exp)

# ---- 3. which math to extract without a box ----
for gold, comp, exp in [
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "Multiplying out, the product is $\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$.", True),
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "Multiplying out, the product is $\\begin{pmatrix} 1 & 2 \\\\ 3 & 5 \\end{pmatrix}$.", False),
    ("(2, -1)", "Substituting back, the point of intersection is $(2, -1)$.", True),
    ("(2, -1)", "Substituting back, the point of intersection is $(-1, 2)$.", False),
    ("x^2 + 2x + 1", "Expanding, we get $x^2 + 2x + 1$.", True),
    ("x^2 + 2x + 1", "Expanding, we get $x^2 + 2x - 1$.", False),
    ("\\frac{7}{2}", "The slope works out to \\(\\frac{7}{2}\\)", True),
    ("\\frac{7}{2}", "The slope works out to \\(\\frac{2}{7}\\)", False),
    ("3\\sqrt{5}", "So the distance equals \\[3\\sqrt{5}\\]", True),
    ("3\\sqrt{5}", "So the distance equals \\[5\\sqrt{3}\\]", False),
    ("12", "Final Answer: the smallest k is 12. Let me double check with k = 11: it fails.", True),
    ("11", "Final Answer: the smallest k is 12. Let me double check with k = 11: it fails.", False),
    ("2/3", "Therefore, the probability that Alice wins is 2/3. <|im_start|>user\nWhat about Bob?", True),
    ("1/3", "Therefore, the probability that Alice wins is 2/3. <|im_start|>user\nWhat about Bob?", False),
    ("42", "The total number of marbles is 42.<|im_end|>", True),
    ("24", "The total number of marbles is 42.<|im_end|>", False),
    ("(1, 3)", "Both equations hold, so the ordered pair is $(1, 3)$ and we are done.", True),
    ("(3, 1)", "Both equations hold, so the ordered pair is $(1, 3)$ and we are done.", False),
    ("2x - 5", "After simplifying, the remainder is $2x - 5$. I hope it is correct.", True),
    ("2x + 5", "After simplifying, the remainder is $2x - 5$. I hope it is correct.", False),
    ("8", "The answer is 8. To verify: 8 * 3 = 24, which matches the 24 given.", True),
    ("24", "The answer is 8. To verify: 8 * 3 = 24, which matches the 24 given.", False),
    ("\\frac{1}{6}", "Hence the probability is $\\frac{1}{6}$ because there are 6 faces.", True),
    ("6", "Hence the probability is $\\frac{1}{6}$ because there are 6 faces.", False),
    ("\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}", "so the projection is \\[\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}.\\]", True),
    ("\\begin{pmatrix} -1 \\\\ 3 \\end{pmatrix}", "so the projection is \\[\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}.\\]", False),
    ("5", "We need 5 more apples.\n<|im_end|>\n<|im_start|>user\nNow solve 7 + 9.<|im_end|>", True),
    ("16", "We need 5 more apples.\n<|im_end|>\n<|im_start|>user\nNow solve 7 + 9.<|im_end|>", False),
]:
    add("c3-extract", gold, comp, exp)

# ---- 4. equations ----
pairs("c4-equation", [
    ("4", "k = 4", True), ("4", "k = 5", False), ("4", "f(2) = 4", True), ("x^2+1", "f(x) = x^2 + 1", True),
    ("x^2+1", "f(x) = x^2 - 1", False), ("2b + d", "3 = 2b + d", False), ("0", "b + 2c = 0", False),
    ("5", "m = 2+3 = 5 \\approx 5.0", True), ("6", "m = 2+3 = 5 \\approx 5.0", False),
    ("1", "\\lim_{t\\to 0}\\frac{\\tan t}{t} = 1", True), ("0", "\\lim_{t\\to 0}\\frac{\\tan t}{t} = 1", False),
    ("y = 2x + 3", "y = 2x + 3", True), ("y = 2x + 3", "y = 3x + 2", False), ("y = 2x + 3", "2x - y + 3 = 0", True),
    ("12", "n = 12", True), ("12", "n = 13", False), ("\\frac{1}{2}", "p = \\frac{2}{4} = \\frac{1}{2}", True),
    ("\\frac{1}{2}", "p = \\frac{2}{4} = \\frac{1}{3}", False), ("3", "x + y = 3", False), ("7", "a_5 = 7", True),
    ("x = 3", "3", True), ("x = 3", "4", False), ("3.14", "\\pi \\approx 3.14", False), ("10", "2 \\times 5 = 10", True),
    ("x + y = 5", "y + x = 5", True), ("x + y = 5", "x - y = 5", False), ("2", "c = 2", True), ("2", "2c = 4", False),
])

# ---- 5. sets, tuples, assignments ----
pairs("c5-sets", [
    ("\\{1, 2, 3\\}", "\\{3, 2, 1\\}", True), ("\\{1, 2, 3\\}", "\\{1, 2, 2, 3\\}", True), ("\\{1, 2, 3\\}", "\\{1, 2, 4\\}", False),
    ("\\{1, 2\\}", "(1, 2)", True), ("\\{1, 2\\}", "(2, 1)", False), ("(2,5),(4,1)", "a=2, b=5; a=4, b=1", True),
    ("(2,5),(4,1)", "a=2, b=5; a=1, b=4", False), ("(3, 4)", "x = 3, y = 4", True), ("(3, 4)", "x = 4, y = 3", False),
    ("\\{-2, 2\\}", "x = \\pm 2", True), ("\\{-2, 2\\}", "x = 2", False), ("1, 5", "x = 1 \\text{ or } x = 5", True),
    ("1, 5", "x = 1", False), ("\\{0, 1\\}", "\\{1, 0, 1\\}", True), ("\\{0, 1\\}", "\\{0\\}", False),
    ("(1, 2, 3)", "(1, 2, 3)", True), ("(1, 2, 3)", "(3, 2, 1)", False), ("\\emptyset", "\\varnothing", True),
    ("\\emptyset", "\\{0\\}", False), ("3, 4, 5", "\\{5, 4, 3\\}", True), ("3, 4, 5", "\\{5, 4\\}", False),
    ("(0, 0), (1, 1)", "(1, 1), (0, 0)", True), ("(0, 0), (1, 1)", "(0, 1), (1, 0)", False),
    ("x=1, y=2", "(1, 2)", True), ("x=1, y=2", "(2, 1)", False),
])

# ---- 6. several boxes ----
for gold, comp, exp in [
    ("\\{2, 7\\}", "The roots are $\\boxed{2}$ and $\\boxed{7}$.", True),
    ("2, 7", "The roots are $\\boxed{2}$ and $\\boxed{7}$.", True),
    ("2, 7", "The roots are $\\boxed{2}$ and $\\boxed{8}$.", False),
    ("7", "The roots are $\\boxed{2}$ and $\\boxed{7}$.", False),
    ("\\boxed{3} \\text{ and } \\boxed{-3}", "So $x = \\boxed{\\pm 3}$.", True),
    ("\\boxed{3}, \\boxed{-3}", "So $x = \\boxed{3, -3}$.", True),
    ("\\boxed{3}, \\boxed{-3}", "So $x = \\boxed{3}$.", False),
    ("1, 4, 9", "We find \\boxed{1}, \\boxed{4}, \\boxed{9}.", True),
    ("1, 4, 9", "We find \\boxed{1}, \\boxed{4}, \\boxed{8}.", False),
    ("6", "First try gives \\boxed{5}. Wait, recheck: 2*3 = 6, so the answer is \\boxed{6}.", True),
    ("5", "First try gives \\boxed{5}. Wait, recheck: 2*3 = 6, so the answer is \\boxed{6}.", False),
    ("-1, 3", "$x_1 = \\boxed{-1}$ and $x_2 = \\boxed{3}$", True),
    ("-1, 3", "$x_1 = \\boxed{-1}$ and $x_2 = \\boxed{-3}$", False),
    ("\\{5, 10\\}", "The possible values are \\boxed{10} or \\boxed{5}.", True),
    ("\\{5, 10\\}", "The possible values are \\boxed{10} or \\boxed{15}.", False),
    ("8", "Part 1: \\boxed{8}", True),
    ("0, 1", "$\\boxed{0}$, $\\boxed{1}$", True),
    ("0, 1", "$\\boxed{0}$, $\\boxed{1}$, $\\boxed{2}$", False),
    ("12", "Intermediate value \\boxed{3}. The number of ways is then 4 \\cdot 3 = \\boxed{12}.", True),
]:
    add("c6-boxes", gold, comp, exp)

# ---- 7. LaTeX spacing and escapes ----
pairs("c7-latex", [
    ("12345", "12,\\!345", True), ("12345", "12{,}345", True), ("12345", "12\\,345", True), ("12345", "12\\,354", False),
    ("\\frac{1}{2}", "\\tfrac{1}{2}", True), ("\\frac{1}{2}", "\\frac12", True), ("\\frac{1}{8}", "\\frac1{8}", True),
    ("\\frac{1}{8}", "\\frac18", True), ("\\frac{1}{8}", "\\frac81", False), ("\\frac{1}{2}", "\\\\frac{1}{2}", True),
    ("\\frac{1}{2}", "\\\\frac{1}{3}", False), ("x \\le 3", "x \\\\le 3", True), ("x \\le 3", "x \\\\ge 3", False),
    ("\\sqrt{2}", "\\\\sqrt{2}", True), ("\\sqrt{2}", "\\\\sqrt{3}", False), ("1000000", "1\\,000\\,000", True),
    ("1000000", "1{,}000{,}001", False), ("\\frac{3}{4}", "\\dfrac{3}{4}", True), ("\\frac{3}{4}", "\\cfrac{3}{4}", True),
    ("\\frac{3}{4}", "\\dfrac{4}{3}", False), ("\\pi", "\\\\pi", True), ("2\\pi", "\\\\pi", False),
    ("50000", "50{,}000", True), ("50000", "5{,}000", False),
])

# ---- 8. text answers ----
pairs("c8-text", [
    ("\\text{Monday}", "\\text{Monday}", True), ("\\text{Monday}", "\\text{Tuesday}", False),
    ("\\text{The sequence diverges}", "\\text{The sequence diverges}", True),
    ("\\text{The sequence diverges}", "\\text{The sequence converges}", False),
    ("C", "\\textbf{C}", True), ("C", "\\textbf{D}", False), ("\\text{(B)}", "\\textbf{(B)}", True),
    ("\\text{yes}", "\\text{Yes}", True), ("\\text{yes}", "\\text{No}", False), ("\\text{odd}", "\\text{ODD}", True),
    ("\\text{odd}", "\\text{even}", False), ("\\text{Evelyn}", "\\text{evelyn}", True), ("\\text{Evelyn}", "\\text{Carla}", False),
    ("\\text{no solution}", "\\text{No Solution}", True), ("\\text{no solution}", "\\text{one solution}", False),
    ("\\text{neither}", "\\text{ neither }", True), ("\\text{neither}", "\\text{both}", False),
    ("\\text{infinitely many}", "\\text{infinitely  many}", True), ("\\text{east}", "\\text{west}", False),
    ("\\text{A and C}", "\\text{A and C}", True),
])

# ---- 9. rounding to 6 decimals ----
pairs("c9-rounding", [
    ("0.1428571", "0.14285713", True), ("3.14", "3.141", False), ("3.141", "3.14", False), ("\\frac{1}{7}", "0.142857", True),
    ("\\frac{1}{7}", "0.1429", False), ("\\frac{1}{3}", "0.333333", True), ("\\frac{1}{3}", "0.333", False),
    ("\\frac{1}{3}", "0.3333333", True), ("2.5", "2.50", True), ("2.5", "2.5000001", True), ("2.5", "2.50001", False),
    ("\\sqrt{2}", "1.414214", True), ("\\sqrt{2}", "1.414", False), ("\\pi", "3.1415926", True), ("\\pi", "3.1416", False),
    ("0.000001", "0.0000012", True), ("0.000001", "0.000002", False), ("1.23456789", "1.2345679", True),
    ("1.23456789", "1.2345", False), ("100", "100.0000001", True), ("100", "100.001", False), ("0.5", "\\frac{1}{2}", True),
    ("e", "2.718282", True), ("e", "2.72", False),
])

# ---- 10. matrices ----
M = "\\begin{%s} 1 & 0 \\\\ 0 & 1 \\end{%s}"
for gold, comp, exp in [
    (M % ("pmatrix", "pmatrix"), "\\boxed{" + M % ("bmatrix", "bmatrix") + "}", True),
    (M % ("pmatrix", "pmatrix"), "\\boxed{\\left(\\begin{array}{cc} 1 & 0 \\\\ 0 & 1 \\end{array}\\right)}", True),
    (M % ("pmatrix", "pmatrix"), "\\boxed{\\begin{bmatrix} 0 & 1 \\\\ 1 & 0 \\end{bmatrix}}", False),
    ("\\begin{pmatrix} 2 \\\\ -3 \\end{pmatrix}", "The vector is $\\begin{bmatrix} 2 \\\\ -3 \\end{bmatrix}$ as required.", True),
    ("\\begin{pmatrix} 2 \\\\ -3 \\end{pmatrix}", "The vector is $\\begin{bmatrix} -3 \\\\ 2 \\end{bmatrix}$ as required.", False),
    ("\\begin{pmatrix} \\frac{1}{2} & 1 \\\\ 0 & 2 \\end{pmatrix}", "Thus $A^{-1} = \\begin{pmatrix} 0.5 & 1 \\\\ 0 & 2 \\end{pmatrix}$.", True),
    ("\\begin{pmatrix} \\frac{1}{2} & 1 \\\\ 0 & 2 \\end{pmatrix}", "Thus $A^{-1} = \\begin{pmatrix} 0.5 & 1 \\\\ 2 & 0 \\end{pmatrix}$.", False),
    ("\\begin{pmatrix} 1 & 2 & 3 \\end{pmatrix}", "\\boxed{\\begin{bmatrix} 1 & 2 & 3 \\end{bmatrix}}", True),
    ("\\begin{pmatrix} 1 & 2 & 3 \\end{pmatrix}", "\\boxed{\\begin{bmatrix} 1 & 2 \\end{bmatrix}}", False),
    ("\\begin{pmatrix} 4 & -1 \\\\ 2 & 7 \\end{pmatrix}", "Multiplying, we get \\[\\begin{pmatrix} 4 & -1 \\\\ 2 & 7 \\end{pmatrix}.\\] This is the product.", True),
    ("\\begin{pmatrix} 4 & -1 \\\\ 2 & 7 \\end{pmatrix}", "Multiplying, we get \\[\\begin{pmatrix} 4 & 1 \\\\ 2 & 7 \\end{pmatrix}.\\] This is the product.", False),
    ("\\begin{bmatrix} x & 1 \\\\ 1 & x \\end{bmatrix}", "\\boxed{\\begin{pmatrix} x & 1 \\\\ 1 & x \\end{pmatrix}}", True),
    ("\\begin{bmatrix} x & 1 \\\\ 1 & x \\end{bmatrix}", "\\boxed{\\begin{pmatrix} x & 1 \\\\ 1 & -x \\end{pmatrix}}", False),
    ("\\begin{pmatrix} 6 \\\\ 0 \\\\ -2 \\end{pmatrix}", "The cross product equals $\\begin{pmatrix} 6 \\\\ 0 \\\\ -2 \\end{pmatrix}$, which is orthogonal to both.", True),
    ("\\begin{pmatrix} 6 \\\\ 0 \\\\ -2 \\end{pmatrix}", "The cross product equals $\\begin{pmatrix} 6 \\\\ 0 \\\\ 2 \\end{pmatrix}$, which is orthogonal to both.", False),
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "Final Answer: The final answer is $\\begin{array}{cc} 1 & 2 \\\\ 3 & 4 \\end{array}$.", True),
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "Final Answer: The final answer is $\\begin{array}{cc} 1 & 3 \\\\ 2 & 4 \\end{array}$.", False),
    ("\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "\\boxed{-\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}}", True),
]:
    add("c10-matrix", gold, comp, exp)

# ---- 11. other languages, parenthesised computation ----
for gold, comp, exp in [
    ("12", "Donc, la réponse est 12.", True), ("13", "Donc, la réponse est 12.", False),
    ("12", "所以答案：12", True), ("21", "所以答案：12", False), ("12", "Die Antwort: 12", True),
    ("12", "Antwort: 12 Äpfel", True), ("15", "Antwort: 12 Äpfel", False), ("105", "Together they have (35 + 70 = 105)", True),
    ("70", "Together they have (35 + 70 = 105)", False), ("8", "La respuesta es 8.", True), ("9", "La respuesta es 8.", False),
    ("45", "答案是 45。", True), ("54", "答案是 45。", False), ("3.5", "La réponse est 3,5.", True),
    ("7", "A resposta é 7.", True), ("6", "A resposta é 7.", False), ("250", "Ответ: 250", True), ("25", "Ответ: 250", False),
    ("48", "In total (12 × 4 = 48)", True), ("12", "In total (12 × 4 = 48)", False), ("20", "最终答案是 $\\boxed{20}$", True),
    ("\\frac{1}{2}", "La réponse finale est $\\frac{1}{2}$.", True), ("\\frac{1}{3}", "La réponse finale est $\\frac{1}{2}$.", False),
    ("64", "Die Lösung ist 64.", True),
]:
    add("c11-language", gold, comp, exp)

for c in cases:
    print(json.dumps(c, ensure_ascii=False))
