#!/usr/bin/env python3
"""Writes one generated Python module of about SIZE megabytes, for measuring how snarl's cost grows
with the size of a single file.

usage: gen_big_module.py FILE SIZE_MB [SEED]
The module repeats a unit shaped like real threaded code: a class with a lock and counters, module
globals written under a lock and without one, functions calling earlier units, a thread started and
joined every seventh unit, and plain padding code, so every stage (semantic model, AST rules,
summary, link, project rules) has work proportional to the size.
"""
import random
import sys


def unit(i, rng):
    deps = sorted({rng.randrange(i) for _ in range(min(i, 3))}) if i else []
    out = [f"STATE_{i} = {{}}", f"_lock_{i} = threading.Lock()", f"counter_{i} = 0", ""]
    out += [f"class Service{i}:",
            "    def __init__(self):",
            "        self._lock = threading.Lock()",
            "        self.hits = 0",
            "        self.cache = {}",
            "",
            "    def handle(self, key):",
            "        with self._lock:",
            "            self.hits += 1",
            "        if key not in self.cache:",
            f"            self.cache[key] = compute_{i}(key)",
            "        return self.cache[key]",
            ""]
    out += [f"def compute_{i}(x):",
            "    total = 0",
            "    for k in range(x % 50):",
            "        total += k * k",
            "    return total",
            ""]
    out += [f"def work_{i}(items):", f"    global counter_{i}", "    out = []", "    for it in items:"]
    out += [f"        out.append(work_{d}([it]))" for d in deps]
    out += [f"        with _lock_{i}:", f"            counter_{i} += 1",
            f"        STATE_{i}[it] = STATE_{i}.get(it, 0) + 1", "    return out", ""]
    if i % 7 == 0:
        out += [f"def start_{i}(batches):",
                f"    ts = [threading.Thread(target=work_{i}, args=(b,)) for b in batches]",
                "    for t in ts:",
                "        t.start()",
                "    for t in ts:",
                "        t.join()",
                f"    svc = Service{i}()",
                "    with ThreadPoolExecutor(4) as ex:",
                "        return list(ex.map(svc.handle, range(100)))",
                ""]
    for k in range(4):
        out += [f"def helper_{i}_{k}(a, b=None):",
                "    if b is None:",
                "        b = []",
                "    for x in a:",
                "        if x % 3 == 0:",
                "            b.append(str(x))",
                "        else:",
                "            b.append(x * 2)",
                "    return b",
                ""]
    return "\n".join(out) + "\n"


def main():
    path, size_mb = sys.argv[1], float(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    limit = int(size_mb * 1024 * 1024)
    parts = ["import threading\nfrom concurrent.futures import ThreadPoolExecutor\n\n"]
    size = len(parts[0])
    i = 0
    while size < limit:
        text = unit(i, rng)
        parts.append(text)
        size += len(text)
        i += 1
    with open(path, "w") as f:
        f.write("".join(parts))
    print(f"{path}: {size / 1e6:.1f} MB, {i} units")


if __name__ == "__main__":
    main()
