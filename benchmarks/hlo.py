"""The one HLO reader the studies share: XLA's optimized HLO text, split into computations and instructions.

An instruction reads `%name = <shape> opcode(operands), attributes`; the shape may be a tuple with spaces
in it ("(s32[], f32[3000]{0})"), so the opcode is what follows the shape's closing bracket.
"""

import re


def computations(hlo):
    """{name: [instruction lines]} for every computation in the HLO text."""
    found, current = {}, None
    for line in hlo.splitlines():
        header = re.match(r"^(?:ENTRY )?%(\S+) \(.*\{$", line)
        if header:
            current = found.setdefault(header[1], [])
        elif line.startswith("}"):
            current = None
        elif current is not None and line.strip():
            current.append(line.strip().removeprefix("ROOT "))
    return found


def short(line):
    """An instruction without its metadata, layouts and backend config."""
    line = re.sub(r", (metadata|backend_config|frontend_attributes)=\{.*", "", line)
    return re.sub(r"\{[0-9,]*\}", "", line)


def opcode(line):
    """The instruction's opcode: what follows the shape (which may be a tuple with spaces in it)."""
    rest, depth = line.split(" = ", 1)[1], 0
    for i, char in enumerate(rest):
        depth += char == "("
        depth -= char == ")"
        if char == " " and depth == 0:
            return rest[i + 1 :].split("(", 1)[0]
    return "?"


def hlo_instructions(hlo, wanted):
    """The names of the HLO instructions whose opcode is `wanted`, in order."""
    names = []
    for line in hlo.splitlines():
        line = line.strip().removeprefix("ROOT ")
        if line.startswith("%") and " = " in line and opcode(line) == wanted:
            names.append(line[1:].split(" = ", 1)[0])
    return names
