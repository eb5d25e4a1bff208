"""Writes a synthetic rollout JSONL file for bench/data.bench.ps1 (fixed seed, so every run reads the same data).

Shape per row: 8 samples per prompt, 16 prompt tokens, N completion tokens with float32 logprobs and
entropies, a scalar reward with two components, an advantage, a step and a small metadata map —
what Invoke-RlRollout | Measure-RlReward | Measure-RlAdvantage logs.
"""
import json, random, struct, sys

def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]

def main(path, rows, tokens):
    rnd = random.Random(1234)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(rows):
            n = tokens
            reward = float(rnd.random() < 0.5)
            r = {
                "prompt_id": f"gsm8k:{i // 8}", "sample_index": i % 8,
                "prompt": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether?",
                "answer": "72",
                "completion": "She sold 48/2 = 24 clips in May, so 48 + 24 = 72 clips in total. The answer is 72.",
                "finish_reason": "stop",
                "prompt_tokens": [rnd.randrange(50000) for _ in range(16)],
                "completion_tokens": [rnd.randrange(50000) for _ in range(n)],
                "logprobs": [f32(-rnd.expovariate(2.0)) for _ in range(n)],
                "entropies": [f32(rnd.random() * 3) for _ in range(n)],
                "ref_logprobs": None, "values": None,
                "reward": reward, "rewards": {"math": reward, "format": 1.0},
                "baseline_reward": None, "advantage": f32(rnd.gauss(0, 1)), "token_advantages": None,
                "is_expert": False, "step": i // 256, "metadata": {"source": "gsm8k", "seed": i},
            }
            out.write(json.dumps(r, separators=(",", ":")) + "\n")

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
