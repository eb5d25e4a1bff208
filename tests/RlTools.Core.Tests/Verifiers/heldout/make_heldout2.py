#!/usr/bin/env python3
"""Writes heldout2-math.jsonl: a second held-out labelled set for the Math verifier (issue #13, second pass).

Written by hand AFTER commit 653e323 and BEFORE it was run on any version of the verifier; labels come from the
graders' conventions (Math-Verify's documented behaviour, then the Qwen2.5-Math / NeMo-Skills math_equal grader)
applied to each pair, never from our verifier's output. Every pair is our own. Its first-run agreement is recorded in
heldout/README.md and bench/RESULTS.md; cases are never edited to match the verifier.

    python3 make_heldout2.py > heldout2-math.jsonl
"""
import json

T, F = True, False
cases = [
    # c1-comma: decimal comma
    ("c1-comma", "2.75", "Le périmètre vaut donc $2,75$ m, ce qui conclut.", T),
    ("c1-comma", "2.75", "Le périmètre vaut donc $2,57$ m, ce qui conclut.", F),
    ("c1-comma", "0.125", "Die Wahrscheinlichkeit ist \\boxed{0,125}.", T),
    ("c1-comma", "0.125", "Die Wahrscheinlichkeit ist \\boxed{0,25}.", F),
    ("c1-comma", "3400", "The population grew to \\boxed{3,400} people.", T),
    ("c1-comma", "3.4", "The population grew to \\boxed{3,400} people.", F),
    ("c1-comma", "7, 9", "Les deux nombres sont \\boxed{7, 9}.", T),
    ("c1-comma", "7.9", "Les deux nombres sont \\boxed{7, 9}.", F),
    ("c1-comma", "15.5", "El resultado final es 15,5 kg.", T),
    ("c1-comma", "15.5", "El resultado final es 155 kg.", F),
    # c2-relation
    ("c2-relation", "x > 4", "Dividing both sides by 3 we conclude that $x > 4$ for every valid input.", T),
    ("c2-relation", "x > 4", "Dividing both sides by 3 we conclude that $x \\geq 4$ for every valid input.", F),
    ("c2-relation", "x \\le 5", "Hence the condition is $3x - 15 \\le 0$.", T),
    ("c2-relation", "x \\le 5", "Hence the condition is $3x + 15 \\le 0$.", F),
    ("c2-relation", "[1, 6]", "\\boxed{1 \\leq m \\leq 6}", T),
    ("c2-relation", "[1, 6]", "\\boxed{1 < m \\leq 6}", F),
    ("c2-relation", "(-\\infty, -2) \\cup (2, \\infty)", "So we need $|z| > 2$.", T),
    ("c2-relation", "(-\\infty, -2) \\cup (2, \\infty)", "So we need $|z| \\ge 2$.", F),
    ("c2-relation", "k \\neq 0", "The answer is $k \\ne 0$.", T),
    ("c2-relation", "k \\neq 0", "The answer is $k \\ne 1$.", F),
    ("c2-relation", "y \\ge 1", "\\boxed{x \\ge 1}", F),
    ("c2-relation", "p \\in [0, 1]", "\\boxed{0 \\le p \\le 1}", T),
    # c3-extract
    ("c3-extract", "\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}", "Adding the two vectors gives $\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}$.", T),
    ("c3-extract", "\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}", "Adding the two vectors gives $\\begin{pmatrix} -1 \\\\ 3 \\end{pmatrix}$.", F),
    ("c3-extract", "(4, -2)", "The vertex of the parabola is located at $(4, -2)$.", T),
    ("c3-extract", "(4, -2)", "The vertex of the parabola is located at $(-2, 4)$.", F),
    ("c3-extract", "3x^2 - 2", "Differentiating term by term yields $3x^2 - 2$.", T),
    ("c3-extract", "3x^2 - 2", "Differentiating term by term yields $3x^2 - 2x$.", F),
    ("c3-extract", "18", "The answer is 18.<|im_end|>\n<|im_start|>user\nNow try 19.", T),
    ("c3-extract", "19", "The answer is 18.<|im_end|>\n<|im_start|>user\nNow try 19.", F),
    ("c3-extract", "42", "Final Answer: the number of ways is 42.", T),
    ("c3-extract", "42", "Final Answer: the number of ways is 24.", F),
    ("c3-extract", "\\frac{5}{8}", "so $\\frac{5}{8}$", T),
    ("c3-extract", "\\frac{5}{8}", "so $\\frac{8}{5}$", F),
    # c4-equation
    ("c4-equation", "9", "\\boxed{n = 9}", T),
    ("c4-equation", "9", "\\boxed{n = 10}", F),
    ("c4-equation", "2x - 1", "\\boxed{g(x) = 2x - 1}", T),
    ("c4-equation", "2x - 1", "\\boxed{g(x) = 2x + 1}", F),
    ("c4-equation", "7", "\\boxed{a + 2b = 7}", F),
    ("c4-equation", "3a - b", "\\boxed{4 = 3a - b}", F),
    ("c4-equation", "12", "$s = 3 \\cdot 4 = 12 \\approx 12.0$", T),
    ("c4-equation", "12", "$s = 3 \\cdot 4 = 13 \\approx 12.0$", F),
    ("c4-equation", "y = -x + 4", "The line is $x + y = 4$.", T),
    ("c4-equation", "y = -x + 4", "The line is $x - y = 4$.", F),
    ("c4-equation", "e", "\\boxed{\\lim_{n \\to \\infty} (1 + 1/n)^n = e}", T),
    # c5-sets
    ("c5-sets", "\\{-2, 0, 5\\}", "\\boxed{\\{5, -2, 0\\}}", T),
    ("c5-sets", "\\{-2, 0, 5\\}", "\\boxed{\\{5, 2, 0\\}}", F),
    ("c5-sets", "\\{-2, 0, 5\\}", "\\boxed{\\{5, -2, 0, 0\\}}", T),
    ("c5-sets", "(1, 3), (2, 2)", "The pairs are $x=2, y=2; x=1, y=3$.", T),
    ("c5-sets", "(1, 3), (2, 2)", "The pairs are $x=2, y=2; x=3, y=1$.", F),
    ("c5-sets", "(3, -1)", "\\boxed{y = -1, x = 3}", T),
    ("c5-sets", "(3, -1)", "\\boxed{x = -1, y = 3}", F),
    ("c5-sets", "x = 3, y = -1", "\\boxed{y = -1, x = 3}", T),
    ("c5-sets", "x = 3, y = -1", "\\boxed{y = 3, x = -1}", F),
    # c6-boxes
    ("c6-boxes", "-4, 4", "The two solutions are $\\boxed{-4}$ and $\\boxed{4}$.", T),
    ("c6-boxes", "-4, 4", "The two solutions are $\\boxed{-4}$ and $\\boxed{5}$.", F),
    ("c6-boxes", "4", "The two solutions are $\\boxed{-4}$ and $\\boxed{4}$.", F),
    ("c6-boxes", "\\boxed{1} and \\boxed{6}", "\\boxed{6, 1}", T),
    ("c6-boxes", "\\boxed{1} and \\boxed{6}", "\\boxed{6}", F),
    ("c6-boxes", "8", "I first guessed \\boxed{6}, but rechecking the count the answer is \\boxed{8}.", T),
    # c7-latex
    ("c7-latex", "48000", "\\boxed{48{,}000}", T),
    ("c7-latex", "48000", "\\boxed{48\\,000}", T),
    ("c7-latex", "48000", "\\boxed{4\\,800}", F),
    ("c7-latex", "\\frac{2}{5}", "\\boxed{\\tfrac25}", T),
    ("c7-latex", "\\frac{2}{5}", "\\boxed{\\tfrac52}", F),
    ("c7-latex", "\\frac{1}{9}", "\\boxed{\\frac1{9}}", T),
    ("c7-latex", "x \\geq 2", "\\\\boxed{x \\\\geq 2}", T),
    ("c7-latex", "x \\geq 2", "\\\\boxed{x \\\\leq 2}", F),
    ("c7-latex", "\\sqrt{5}", "The answer is $\\\\sqrt{5}$.", T),
    ("c7-latex", "250000", "\\boxed{250\\;000}", T),
    # c8-text
    ("c8-text", "\\text{Tuesday}", "\\boxed{\\text{tuesday}}", T),
    ("c8-text", "\\text{Tuesday}", "\\boxed{\\text{Thursday}}", F),
    ("c8-text", "B", "The correct choice is \\boxed{\\textbf{B}}.", T),
    ("c8-text", "B", "The correct choice is \\boxed{\\textbf{D}}.", F),
    ("c8-text", "\\text{no solution}", "\\text{No Solution}", T),
    ("c8-text", "\\text{no solution}", "\\text{one solution}", F),
    ("c8-text", "\\text{even}", "\\boxed{\\mathrm{Even}}", T),
    # c9-rounding
    ("c9-rounding", "0.2857142", "\\boxed{0.28571424}", T),
    ("c9-rounding", "2.72", "\\boxed{2.718}", F),
    ("c9-rounding", "\\frac{1}{6}", "\\boxed{0.1666667}", T),
    ("c9-rounding", "\\frac{1}{6}", "\\boxed{0.1667}", F),
    ("c9-rounding", "4.5", "\\boxed{4.5000004}", T),
    ("c9-rounding", "4.5", "\\boxed{4.50001}", F),
    ("c9-rounding", "0.05", "\\boxed{\\frac{1}{20}}", T),
    # c10-matrix
    ("c10-matrix", "\\begin{pmatrix} 2 & 0 \\\\ 1 & 3 \\end{pmatrix}", "So $M = \\begin{bmatrix} 2 & 0 \\\\ 1 & 3 \\end{bmatrix}$ is the required matrix.", T),
    ("c10-matrix", "\\begin{pmatrix} 2 & 0 \\\\ 1 & 3 \\end{pmatrix}", "So $M = \\begin{bmatrix} 2 & 1 \\\\ 0 & 3 \\end{bmatrix}$ is the required matrix.", F),
    ("c10-matrix", "\\begin{pmatrix} 1 & 1 \\\\ 0 & 1 \\end{pmatrix}", "\\boxed{\\left(\\begin{array}{cc} 1 & 1 \\\\ 0 & 1 \\end{array}\\right)}", T),
    ("c10-matrix", "\\begin{pmatrix} 3 & 6 \\\\ 9 & 12 \\end{pmatrix}", "\\boxed{3\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}", T),
    ("c10-matrix", "\\begin{pmatrix} 3 & 6 \\\\ 9 & 12 \\end{pmatrix}", "\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}", F),
    ("c10-matrix", "-5", "The determinant is $\\begin{vmatrix} 1 & 3 \\\\ 2 & 1 \\end{vmatrix} = -5$.", T),
    # c11-language
    ("c11-language", "64", "Calculons : $8 \\times 8 = 64$. La réponse est 64.", T),
    ("c11-language", "64", "Calculons : $8 \\times 8 = 64$. La réponse est 46.", F),
    ("c11-language", "20", "所以，最终答案是 20。", T),
    ("c11-language", "20", "所以，最终答案是 21。", F),
    ("c11-language", "11", "Wir zählen alle Fälle. Die Antwort ist 11.", T),
    ("c11-language", "11", "La respuesta es 12, no 11.", F),
    ("c11-language", "30", "Together they read (12 + 18 = 30)", T),
    ("c11-language", "30", "Ответ: 30", T),
    ("c11-language", "30", "Het antwoord is 31.", F),
    # general control
    ("general", "\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{\\sqrt 3}{2}}", T),
    ("general", "\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{\\sqrt 2}{2}}", F),
    ("general", "2^{10}", "\\boxed{1024}", T),
    ("general", "2^{10}", "\\boxed{1023}", F),
    ("general", "45^\\circ", "\\boxed{45}", T),
    ("general", "\\pi/4", "\\boxed{\\frac{\\pi}{4}}", T),
    ("general", "\\pi/4", "\\boxed{\\frac{\\pi}{3}}", F),
    ("general", "30\\%", "\\boxed{30}", T),
]
for i, (group, gold, completion, expected) in enumerate(cases, 1):
    print(json.dumps({"id": i, "construct": group, "gold": gold, "completion": completion, "expected": expected}, ensure_ascii=False))
