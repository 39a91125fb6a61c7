"""The machine: what this CPU's memory and arithmetic allow, measured in float32 — the inputs of the bound.

    python -m benchmarks.machine                  under a minute: docs/machine.json and docs/machine.png
    python -m benchmarks.machine --quick --json /tmp/m.json --out /tmp/m.png     a tiny run, seconds

Each figure is a numba-compiled loop (numba is the suite's floor: the same compiler, the same machine
code), timed `--repeat` times, and given as its median and range. The timings are short (5 ms) and
many: on a shared machine a short one often runs uncontended, so the best repeat shows the hardware
and the median and range show the sharing.

    read bandwidth       bytes per second of a sum over a float32 array (starting on a cache line),
                         re-read again and again, against the array's size: sizes that fit L1, L2, L3
                         or only main memory
    FMA latency          seconds per multiply-add of the chain x = a·x + b, each waiting for the one before
    sum latency          seconds per sum of B numbers when each sum needs the previous one's result
                         (s = c·Σ(x_i + s)): a function of B, the dependency an update cannot escape
    FMA throughput       independent multiply-adds per second, vectorised (8 per element, 4096 elements)
    tanh rate            tanh per second: numpy's vectorised tanh (numba's np.tanh calls the scalar libm
                         tanhf, recorded beside it)

The CPU model and cache sizes come from the system (/proc/cpuinfo, /sys/devices/system/cpu/cpu0/cache);
the JSON also keeps the vector instructions numba generated for each loop, so a figure that looks off
can be checked against its code. benchmarks/limit.py turns these into a bound per update.
"""

import math
import os
import re
import statistics
import sys
import time

from benchmarks import docstring
from fitways.cli import Parser, UsageError, number
from fitways.output import path_problem, prepare_terminal, warn
from fitways.signals import run_command

KIB, MIB, GIB = 2**10, 2**20, 2**30
SYSFS_CACHE = "/sys/devices/system/cpu/cpu0/cache"
MIN_SIZE, MAX_SIZE = 4 * KIB, 256 * MIB  # default working sets: well inside L1 to well past any L3 here
LARGEST_ALLOWED = 4 * GIB  # beyond it an array is a memory hog on a shared machine, not a measurement
SUM_SIZES = (16, 64, 256, 1024, 4096)  # the batch sizes of the sweeps that fit L1: the dependent sums
FMA_ELEMENTS, FMA_PER_ELEMENT = 4096, 8  # 16 KiB stays in L1; 8 chained multiply-adds per element
TANH_ELEMENTS = 2**16  # 256 KiB in, 256 KiB out (L2): long enough that numpy's call overhead does not count
QUICK = {"min_size": 4 * KIB, "max_size": 64 * KIB, "repeat": 2, "seconds": 0.002}
LEVELS = ("L1", "L2", "L3", "memory")


def parse_size(text):
    """'48K' → 49152, '32M' → 33554432, '512' → 512: the sysfs spelling of a cache size."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text, re.I)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    return int(match[1]) * {"": 1, "K": KIB, "M": MIB, "G": GIB}[match[2].upper()]


def cache_sizes(root=SYSFS_CACHE):
    """{"L1": bytes, "L2": bytes, "L3": bytes} of cpu0's data (or unified) caches, one core's view: {} if unknown."""
    sizes = {}
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return sizes
    for entry in entries:
        if not entry.startswith("index"):
            continue
        read = {}
        try:
            for name in ("level", "type", "size"):
                with open(os.path.join(root, entry, name)) as file:
                    read[name] = file.read().strip()
        except OSError:
            continue
        if read["type"] in ("Data", "Unified"):
            sizes[f"L{read['level']}"] = parse_size(read["size"])
    return sizes


def level_sizes(caches, max_size):
    """The one working set that stands for each level: half of L1, half of L2, a quarter of L3 (shared
    with the other core), eight times L3 for main memory; a level whose set exceeds max_size is left out."""
    wanted = {}
    if "L1" in caches:
        wanted["L1"] = caches["L1"] // 2
    if "L2" in caches:
        wanted["L2"] = caches["L2"] // 2
    if "L3" in caches:
        wanted["L3"] = caches["L3"] // 4
    last = max(caches.values(), default=8 * MIB)
    wanted["memory"] = 8 * last
    return {level: size for level, size in wanted.items() if size <= max_size}


def working_sets(min_size, max_size, extra=()):
    """Powers of two from min_size to max_size, with the levels' sizes, in bytes (multiples of 64)."""
    sizes = {2**k for k in range(math.ceil(math.log2(min_size)), math.floor(math.log2(max_size)) + 1)}
    sizes |= {size for size in extra if min_size <= size <= max_size}
    return sorted({max(64, size // 64 * 64) for size in sizes})


def spread(values):
    """{"median", "min", "max", "repeats"} of one figure's repeats."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "repeats": len(values)}


def validate(args):
    """UsageError for sizes and ranges no measurement can take."""
    for option, value in (("--min-size", args.min_size), ("--max-size", args.max_size)):
        if not 64 <= value <= LARGEST_ALLOWED:
            raise UsageError(f"{option} must be between 64 bytes and {LARGEST_ALLOWED // GIB} GiB, got {value}")
    if args.max_size < args.min_size:
        raise UsageError(f"--max-size ({args.max_size}) must not be below --min-size ({args.min_size})")
    if not 1 <= args.repeat <= 100:
        raise UsageError(f"--repeat must be between 1 and 100, got {args.repeat}")
    if not (math.isfinite(args.seconds) and 1e-4 <= args.seconds <= 10):
        raise UsageError(f"--seconds must be between 0.0001 and 10, got {args.seconds}")
    for option, path, suffix in (("--out", args.out, ".png"), ("--json", args.json, ".json")):
        bad_path = path_problem(path, suffix)
        if bad_path:
            raise UsageError(f"{option} {bad_path}")


def instruction_mix(asm, mnemonics):
    """{"vaddps zmm": 8, ...}: how often each mnemonic appears with each register width in the
    generated code: 512-bit zmm, 256-bit ymm, 128-bit (or scalar) xmm."""
    mix = {}
    for line in asm.splitlines():
        parts = line.split()
        if parts and parts[0] in mnemonics:
            width = next((w for w in ("zmm", "ymm", "xmm") if w in line), "")
            key = f"{parts[0]} {width}".strip()
            mix[key] = mix.get(key, 0) + 1
    return mix


def kernels():
    """The loops, compiled by numba (imported here: the pure functions above need no compiler)."""
    import numba
    import numpy as np

    fast = {"reassoc", "contract"}  # numba_loop's flags: sums may be split and vectorised, a·x + b fused

    @numba.njit(fastmath=fast)
    def read(a, passes):
        total = np.float32(0)
        for _ in range(passes):
            partial = np.float32(0)
            for i in range(a.size):
                partial += a[i]
            total += partial
        return total

    @numba.njit(fastmath=fast)
    def fma_chain(steps, a, b, x):
        for _ in range(steps):
            x = x * a + b  # each multiply-add waits for the last
        return x

    @numba.njit(fastmath=fast)
    def dependent_sums(x, sums):
        s = np.float32(0)
        c = np.float32(1.0 / x.size)
        for _ in range(sums):
            partial = np.float32(0)
            for i in range(x.size):
                partial += x[i] + s  # every term needs the previous sum: the next cannot start early
            s = c * partial
        return s

    @numba.njit(fastmath=fast)
    def fma_independent(v, passes, a, b):
        for _ in range(passes):
            for i in range(v.size):  # elements are independent: vectorised across i
                x = v[i]
                x = x * a + b
                x = x * a + b
                x = x * a + b
                x = x * a + b
                x = x * a + b
                x = x * a + b
                x = x * a + b
                x = x * a + b
                v[i] = x
        return v[0]

    @numba.njit(fastmath=fast)
    def tanh_numba(x, out, passes):
        for _ in range(passes):
            for i in range(x.size):
                out[i] = np.tanh(x[i])
        return out[0]

    return {"read": read, "fma_chain": fma_chain, "dependent_sums": dependent_sums,
            "fma_independent": fma_independent, "tanh_numba": tanh_numba}  # fmt: skip


def aligned_ones(count):
    """`count` float32 ones starting on a 64-byte boundary (a cache line): a 512-bit load that straddles
    two lines costs two, and halves L1's bandwidth — numpy's own allocations are not always aligned."""
    import numpy as np

    buffer = np.ones(count + 16, np.float32)
    offset = (-buffer.ctypes.data % 64) // 4
    return buffer[offset : offset + count]


def timed_repeats(call, count, repeat, seconds):
    """Seconds per unit of `call(n)` (which does n units), over `repeat` timings of about `seconds` each:
    one call first (compilation), then n grown until a call lasts about `seconds`."""
    call(1)
    n = 1
    while True:
        start = time.perf_counter()
        call(n)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds / 4 or n >= 2**40:
            break
        n = n * 8 if elapsed < seconds / 100 else max(n + 1, int(n * seconds / max(elapsed, 1e-9)))
    n = max(1, int(n * seconds / elapsed))
    per_unit = []
    for _ in range(repeat):
        start = time.perf_counter()
        call(n)
        per_unit.append((time.perf_counter() - start) / (n * count))
    return per_unit


def measure(args, log=warn):
    """Every figure, as the JSON's document (without the machine's description)."""
    import numpy as np

    k = kernels()
    f32 = np.float32
    caches = cache_sizes()
    levels = level_sizes(caches, args.max_size)
    bandwidth = []
    for size in working_sets(args.min_size, args.max_size, levels.values()):
        a = aligned_ones(size // 4)
        per_byte = timed_repeats(lambda n, a=a: k["read"](a, n), size, args.repeat, args.seconds)
        bandwidth.append({"bytes": size, "bytes_per_second": spread([1 / s for s in per_byte])})
        log(f"read {size:>11,} B: {bandwidth[-1]['bytes_per_second']['median'] / 1e9:7.1f} GB/s")
    by_size = {point["bytes"]: point["bytes_per_second"] for point in bandwidth}
    at_level = {level: {"bytes": size, "bytes_per_second": by_size[size // 64 * 64]} for level, size in levels.items()}

    latency = timed_repeats(lambda n: k["fma_chain"](n, f32(0.999), f32(0.001), f32(1)), 1, args.repeat, args.seconds)
    log(f"FMA latency: {statistics.median(latency) * 1e9:.2f} ns")
    rng = np.random.default_rng(0)
    sums = []
    for size in SUM_SIZES:
        x = rng.uniform(-1, 1, size).astype(f32)
        x -= x.mean(dtype=np.float64).astype(f32)  # a sum near zero: s stays small, never denormal or huge
        seconds = timed_repeats(lambda n, x=x: k["dependent_sums"](x, n), 1, args.repeat, args.seconds)
        sums.append({"n": size, "seconds": spread(seconds)})
        log(f"dependent sum of {size:>5}: {sums[-1]['seconds']['median'] * 1e9:7.1f} ns")
    v = aligned_ones(FMA_ELEMENTS)
    fma_seconds = timed_repeats(
        lambda n: k["fma_independent"](v, n, f32(0.999), f32(0.001)), FMA_ELEMENTS * FMA_PER_ELEMENT, args.repeat,
        args.seconds
    )  # fmt: skip
    log(f"FMA throughput: {1 / statistics.median(fma_seconds) / 1e9:.1f} G/s")
    x = rng.uniform(-3, 3, TANH_ELEMENTS).astype(f32)
    out = np.empty_like(x)

    def numpy_tanh(n):
        for _ in range(n):
            np.tanh(x, out=out)

    tanh_numpy = timed_repeats(numpy_tanh, TANH_ELEMENTS, args.repeat, args.seconds)
    tanh_numba = timed_repeats(lambda n: k["tanh_numba"](x, out, n), TANH_ELEMENTS, args.repeat, args.seconds)
    log(
        f"tanh: numpy {1 / statistics.median(tanh_numpy) / 1e9:.2f} G/s, numba {1 / statistics.median(tanh_numba) / 1e9:.3f} G/s"
    )
    code = {
        name: instruction_mix(k[name].inspect_asm(k[name].signatures[0]), mnemonics)
        for name, mnemonics in (
            ("read", {"vaddps", "vaddss"}),
            ("fma_chain", {"vfmadd213ss", "vfmadd231ss", "vfmadd132ss", "vmulss", "vaddss"}),
            ("dependent_sums", {"vaddps", "vaddss", "vmulss"}),
            ("fma_independent", {"vfmadd213ps", "vfmadd231ps", "vfmadd132ps", "vfmadd213ss"}),
            ("tanh_numba", {"call", "callq"}),
        )
    }
    return {
        "caches": caches,
        "bandwidth": bandwidth,
        "levels": at_level,
        "fma_latency_seconds": spread(latency),
        "sum_latency": sums,
        "fma_per_second": spread([1 / s for s in fma_seconds]),
        "tanh_per_second": spread([1 / s for s in tanh_numpy]),
        "tanh_per_second_numba": spread([1 / s for s in tanh_numba]),
        "code": code,
    }


def plot(path, document):
    """Read bandwidth against working set, min–max as error bars, the cache sizes as vertical lines."""
    from fitways.plots import plt, save  # matplotlib on Agg: no display needed

    points = document["bandwidth"]
    sizes = [p["bytes"] for p in points]
    median = [p["bytes_per_second"]["median"] / 1e9 for p in points]
    low = [m - p["bytes_per_second"]["min"] / 1e9 for m, p in zip(median, points)]
    high = [p["bytes_per_second"]["max"] / 1e9 - m for m, p in zip(median, points)]
    figure, axes = plt.subplots(figsize=(9, 5.5), layout="constrained")
    axes.errorbar(sizes, median, yerr=[low, high], marker="o", capsize=3, label="sum over a float32 array (numba)")
    for index, (level, size) in enumerate(sorted(document["caches"].items())):
        axes.axvline(size, color=f"C{index + 1}", linestyle="--", label=f"{level}: {size // KIB:,} KiB")
    for level, point in document["levels"].items():
        axes.annotate(level, (point["bytes"], point["bytes_per_second"]["median"] / 1e9),
                      textcoords="offset points", xytext=(0, 8), ha="center")  # fmt: skip
    axes.set(xscale="log", yscale="log", xlabel="working set (bytes)", ylabel="read bandwidth (GB/s): median, range",
             title=f"Read bandwidth against working set\n{document['machine']['cpu']}; {document['when']}")  # fmt: skip
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    save(figure, path)


def main(argv=None):
    prepare_terminal()
    parser = Parser(description=docstring(__file__).split("\n\n")[0])
    parser.add_argument("--json", default="docs/machine.json", help="JSON to write")
    parser.add_argument("--out", default="docs/machine.png", help="PNG to write (bandwidth against working set)")
    parser.add_argument("--min-size", type=number(int), default=MIN_SIZE, help="smallest working set, bytes")
    parser.add_argument("--max-size", type=number(int), default=MAX_SIZE, help="largest working set, bytes")
    parser.add_argument("--repeat", type=number(int), default=31, help="timings per figure (median and range)")
    parser.add_argument("--seconds", type=number(float), default=0.005, help="length of one timing, seconds")
    parser.add_argument("--quick", action="store_true", help="a tiny run: 4–64 KiB, 2 repeats of 2 ms")
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    try:
        validate(args)
    except UsageError as error:
        parser.error(str(error))
    from fitways.frameworks import machine_description
    from fitways.report import write_json

    load_before = os.getloadavg()[0]
    document = {
        "command": " ".join(["python -m benchmarks.machine", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine_description(["numba"]),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "repeat": args.repeat,
        "seconds_per_timing": args.seconds,
        **measure(args),
    }
    document["load_average"] = {"before": load_before, "after": os.getloadavg()[0]}  # a busy machine reads slow
    write_json(args.json, document)
    warn(f"wrote {args.json}")
    plot(args.out, document)
    warn(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_command(main))
